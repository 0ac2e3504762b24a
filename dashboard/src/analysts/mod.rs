//! What analysts get beyond the dashboard: SQL over the input and evidence
//! tables, exact figures, exports. The routes that reach it (`web::api`,
//! `web::workbench`) require the analyst role, and the engine checks the
//! role again. Nothing here knows of HTTP.

pub mod bounded;
pub mod catalog;
pub mod engine;
pub mod export;
pub mod guard;
pub mod query_log;
mod runtime;
pub mod saved;
