//! Evidence's pipeline: read a dataset root that follows the data contract
//! (`shared/contract.md`), validate it, compute every output table with
//! DataFusion, and publish the evidence root.
//!
//! Data flows one way: [`load`] → [`validate`] → [`metrics`] (the SQL in
//! `sql/`) and [`evaluate`] (the estimators) → [`write`]. [`run::run`] is the
//! whole job. This crate knows nothing about HTTP, HTML or terminals.

pub mod columns;
pub mod contract;
pub mod did;
pub mod error;
pub mod evaluate;
pub mod funnel;
pub mod load;
pub mod matching;
pub mod metrics;
pub mod run;
pub mod store;
pub mod validate;
pub mod wilson;
pub mod write;

pub use error::{PipelineError, Result};
pub use run::{Progress, RunOptions, RunReport, Silent, run, session_context};
