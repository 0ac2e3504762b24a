//! Evidence's statistics, with no query engine in them: the formulas that
//! define each published figure from its counts ([`formulas`]: Wilson and
//! Newcombe intervals, the ATT and its interval, the areas' variance's
//! moments, funnels, the staggered DiD, calibration, E-values, value for
//! money, …) and the estimators that turn counts by area and stratum into
//! an effect ([`estimators`]: coarsened exact matching, the between-area
//! variance, the effect with its interval and p-values, the case-mix
//! model). The pipeline applies them to exact counts, disclosure control to
//! rounded ones, and the coverage study to simulated ones; none of them
//! reads a record.

pub mod estimators;
pub mod formulas;
