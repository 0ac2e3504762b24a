//! The formulas that define published figures, given their counts: a rate's
//! Wilson interval, the ATT's interval from the matched participants' counts
//! and the comparison side's variance, the fit-note difference in
//! differences, the funnel limits. The pipeline applies them to exact counts;
//! disclosure control applies the same ones to rounded counts, so a figure a
//! commissioner sees is defined exactly as its exact counterpart is, from
//! other inputs. Estimators that need records or strata (matching, the
//! between-area variance) live in the pipeline, not here.

pub mod att;
pub mod balance;
pub mod calibration;
pub mod diagnostics;
pub mod did;
pub mod evalue;
pub mod fit_note_effects;
pub mod funnel;
pub mod heterogeneity;
pub mod honest;
pub mod multiplicity;
pub mod overdispersion;
pub mod site_effects;
pub mod staggered;
pub mod trend;
pub mod value;
pub mod wilson;
