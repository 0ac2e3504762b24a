//! The negative controls' table: the systematic error a programme's design
//! shows on outcomes it cannot have changed.

use super::output_table;
use crate::outcomes::NegativeControl;

output_table! {
    /// One row per (programme, negative control): the control estimated
    /// exactly as the headline (the same people, strata, matching, areas'
    /// variance and interval). Its true effect is zero.
    pub struct NegativeControlEffect = "negative_controls", grain ["programme", "control"] {
        pub programme: String,
        pub control: NegativeControl => required,
        pub months_before: u64,
        /// Participants eligible for the headline with a row that month.
        pub eligible: u64,
        pub matched: u64,
        pub participant_rate: Option<f64>,
        pub comparison_rate: Option<f64>,
        pub att: Option<f64>,
        /// √(p(1−p)/n + V + A), as the headline's.
        pub att_se: Option<f64>,
        pub att_low: Option<f64>,
        pub att_high: Option<f64>,
        pub att_df: Option<f64>,
        pub att_p_value: Option<f64>,
        /// The control's interval calibrated under the null fitted to the
        /// programme's other controls (leave one out), so that whether it
        /// holds zero tests the calibration.
        pub att_calibrated_low: Option<f64>,
        pub att_calibrated_high: Option<f64>,
        /// The control estimated by the own-area design (as
        /// `programme_outcomes.own_area_*`), and calibrated leaving it out.
        pub own_area_matched: u64,
        pub own_area_comparison_rate: Option<f64>,
        pub own_area_att: Option<f64>,
        pub own_area_att_se: Option<f64>,
        pub own_area_att_low: Option<f64>,
        pub own_area_att_high: Option<f64>,
        pub own_area_att_p_value: Option<f64>,
        pub own_area_att_calibrated_low: Option<f64>,
        pub own_area_att_calibrated_high: Option<f64>,
    }
}
