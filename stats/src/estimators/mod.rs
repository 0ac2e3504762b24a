//! The estimators that need strata or people, not only published counts:
//! coarsened exact matching ([`matching`]), the between-area variance
//! τ̂² and the placebo-in-space test ([`between_areas`]), a matched
//! comparison's whole effect from counts by area and stratum ([`effect`]),
//! the case-mix model of the site funnels ([`case_mix`]), and how a
//! programme's negative controls move together ([`control_correlation`],
//! for the uncertainty of their mean systematic error). They take
//! plain counts (no DataFusion): `evaluate` feeds them the metric views'
//! rows, the coverage study simulated counts. The formulas that define a
//! published figure from its counts are `crate::formulas`.

pub mod between_areas;
pub mod case_mix;
pub mod control_correlation;
pub mod effect;
pub mod matching;
