//! The data contract as code (CONTRACT.md is its text): what a dataset root
//! holds ([`inputs`]), what an evidence root holds ([`outputs`], one Rust
//! type per table, and [`manifest`], `run.json`), the words `sql/` and Rust
//! share ([`vocabulary`], a crate of its own), the metric queries of the
//! `sql` package ([`metrics`]), and the roots themselves ([`root`],
//! [`store`]).
//!
//! The pipeline writes an evidence root and the dashboard reads one; both go
//! through these types, so a column one side forgets is a compile error. This
//! crate knows nothing of HTTP or Ballista, nor of any estimator or formula
//! (those are the `stats` crate's, which depends on no query engine).

pub use ::vocabulary;

pub mod error;
pub mod inputs;
pub mod manifest;
pub mod metrics;
pub mod outcomes;
pub mod outputs;
pub mod root;
pub mod small;
pub mod store;

pub use error::{ContractError, QueryContext, Result};
pub use manifest::{Evidence, MANIFEST, Manifest};
pub use outputs::{OUTPUT_TABLES, OutputTable, Tables};
pub use root::Root;
