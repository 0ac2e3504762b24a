//! End-to-end tests through the real `evidence` binary, in one test binary
//! so DataFusion is linked once: the SQL API over real HTTP, the bad-input
//! corpus, a real Ballista cluster, a real browser, planted effects, SIGKILL
//! faults and a real S3-compatible server. (The workspace's architecture
//! invariants are `tests/architecture.rs`, a light binary of their own.)

mod api;
mod bad_input;
mod ballista;
mod browser;
mod common;
mod end_to_end;
mod faults;
mod object_store;
mod published;
mod site_funnels;
