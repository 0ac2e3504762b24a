//! Evidence's pipeline: read a dataset root that follows the data contract
//! (CONTRACT.md; the `contract` crate), validate it, compute every output
//! table with DataFusion, and publish the evidence root.
//!
//! Data flows one way: [`load`] → [`validate`] → the metric views (the SQL
//! in `sql/`, registered by `contract::metrics`) and [`evaluate`] (one
//! module per output, applying [`estimators`]) → [`write`]. [`run::run`] is the whole job. This crate knows
//! nothing about HTTP, HTML or terminals.

pub mod error;
pub mod estimators;
pub mod evaluate;
pub mod load;
pub mod published;
pub mod run;
pub mod validate;

pub mod write;

pub use error::{PipelineError, Result};
pub use run::{Progress, RunOptions, RunReport, Silent, run, session_context};
