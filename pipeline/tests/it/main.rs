//! The pipeline's integration tests, in one binary so DataFusion is linked
//! once: the whole pipeline on the hand-worked fixture, the `.slt` tests of
//! the metric SQL, and the estimator-level coverage study.

mod coverage;
mod fixture_run;
mod sqllogictests;
