//! What analysts get beyond the dashboard: SQL over the input and evidence
//! tables, exact figures, exports. Commissioners never reach this module's
//! routes (see `crate::routes`).

pub mod api;
pub mod audit;
pub mod engine;
pub mod export;
pub mod guard;
pub mod workbench;
