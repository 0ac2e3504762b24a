//! Evidence's dashboard: an axum app over an evidence root, for
//! commissioners reviewing sites, evaluators exporting charts, and analysts
//! running SQL ([`analysts`]) behind sign-in ([`auth`]).
//!
//! Layers, each using only those before it:
//! 1. [`disclosure`]: exact evidence (`contract::Evidence`) in, published
//!    figures out; the one place exact counts become publishable ones.
//! 2. [`presentation`]: how published figures are written (numbers, slugs,
//!    labels, serialisation, the commissioners' tables); [`disclosure_audit`]: what a
//!    reader can work out from those tables (used by the tests).
//! 3. [`charts`]: each chart's data table and drawing, from published
//!    figures only.
//! 4. [`auth`] (users, sessions) and [`analysts`] (the SQL engine, the query log,
//!    exports), which see no published figures at all.
//! 5. [`state`]: the evidence root, re-read when republished.
//! 6. [`web`]: routes, handlers, templates, errors as pages or JSON.

pub mod analysts;
pub mod auth;
pub mod charts;
pub mod disclosure;
pub mod disclosure_audit;
pub mod error;
pub mod presentation;
pub mod state;
pub mod web;

pub use error::DashboardError;
pub use state::{AppState, Config};
pub use web::{router, routes, serve};
