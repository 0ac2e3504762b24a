//! The dashboard's integration tests, in one binary so DataFusion is linked
//! once: routes by role, disclosure over every page, the SQL guard fuzz,
//! every page and chart through the router, and the architecture's
//! invariants.

mod access;
mod attacks;
mod common;
mod disclosure;
mod drawing;
mod guard_fuzz;
mod router;
