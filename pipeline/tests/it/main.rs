//! The pipeline's integration tests, in one binary so DataFusion is linked
//! once: the whole pipeline on the hand-worked fixture and the `.slt` tests
//! of the metric SQL (the estimator-level coverage study is `stats`').

mod fixture_run;
mod sqllogictests;
