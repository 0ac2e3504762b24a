//! Evidence's pipeline: read a dataset root that follows the data contract
//! (CONTRACT.md; the `contract` crate), validate it, compute every output
//! table with DataFusion, and publish the evidence root.
//!
//! Data flows one way: [`load`] → [`validate`] → the metric views (the SQL
//! in `sql/`, registered by `contract::metrics`) and [`evaluate`] (one
//! module per output, applying the `stats` crate's estimators) → [`write`].
//! [`run::run`] is the whole job. This crate knows nothing about HTTP, HTML
//! or terminals, nor of Ballista (the binary connects it: [`Engine`]).

pub mod error;
pub mod evaluate;
pub mod load;
pub mod published;
pub mod run;
pub mod validate;

pub mod write;

pub use error::{PipelineError, Result};
pub use run::{Connect, Engine, Progress, RunOptions, RunReport, Silent, run, session_context};
