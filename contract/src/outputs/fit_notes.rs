//! The fit-note tables: monthly counts per area (`fit_note_monthly`), the
//! staggered difference in differences (`fit_note_did`, its design
//! `fit_note_areas`, `fit_note_group_time`, `fit_note_event_study`) and the
//! monthly series behind it (`fit_note_trend`). CONTRACT.md gives each
//! column's meaning.

use super::output_table;
use crate::vocabulary::{AreaSet, Side};
use chrono::NaiveDate;

output_table! {
    /// One row per (area, month) with fit notes.
    pub struct FitNoteMonthly = "fit_note_monthly", grain ["area_id", "month"] {
        pub area_id: String,
        pub month: NaiveDate,
        pub fit_notes: u64 => required,
        pub may_be_fit: u64,
        pub may_be_fit_share: Option<f64>,
    }
}

impl FitNoteMonthly {
    /// (area, month, notes, may be fit): what the staggered DiD reads
    /// (`stats::formulas::fit_note_effects::AreaMonth`).
    pub fn parts(&self) -> (&str, NaiveDate, u64, u64) {
        (&self.area_id, self.month, self.fit_notes, self.may_be_fit)
    }
}

output_table! {
    /// One row per programme: the fit-note effect (Callaway and Sant'Anna's
    /// group-time effects over the area × month panel, aggregated), over all
    /// the programme's areas and over its clean areas, with the joint test of
    /// the leads; and, for description, the four pooled cells around the
    /// programme's earliest start.
    pub struct FitNoteDid = "fit_note_did", grain ["programme"] {
        pub programme: String,
        /// The programme's earliest start in `area_programmes`.
        pub start_date: Option<NaiveDate>,
        pub pre_fit_notes: u64,
        pub post_fit_notes: u64,
        pub comparison_pre_fit_notes: u64,
        pub comparison_post_fit_notes: u64,
        pub pre_may_be_fit: u64,
        pub post_may_be_fit: u64,
        pub comparison_pre_may_be_fit: u64,
        pub comparison_post_may_be_fit: u64,
        pub pre_share: Option<f64>,
        pub post_share: Option<f64>,
        pub comparison_pre_share: Option<f64>,
        pub comparison_post_share: Option<f64>,
        /// The overall effect over all the programme's areas.
        pub did: Option<f64>,
        pub did_low: Option<f64>,
        pub did_high: Option<f64>,
        pub did_se: Option<f64>,
        pub did_df: Option<f64>,
        pub did_p_value: Option<f64>,
        /// Areas in the estimate: the programme's (with a month before and
        /// after go-live) and the comparison areas.
        pub treated_areas: u64,
        pub comparison_areas: u64,
        /// The overall effect over the clean areas only; null without one.
        pub clean_areas: u64,
        pub clean_did: Option<f64>,
        pub clean_did_low: Option<f64>,
        pub clean_did_high: Option<f64>,
        pub clean_did_df: Option<f64>,
        /// The first year's mean effect robust to any straight-line
        /// difference in trends (HonestDiD's Δ^SD(0)), all areas and clean
        /// areas; null where the months or areas cannot support it.
        pub robust_did: Option<f64>,
        pub robust_did_low: Option<f64>,
        pub robust_did_high: Option<f64>,
        pub clean_robust_did: Option<f64>,
        pub clean_robust_did_low: Option<f64>,
        pub clean_robust_did_high: Option<f64>,
        /// Hotelling's joint test of the leads (all areas), averaged by
        /// quarter; null where there are too few areas or no leads.
        pub pretrend_quarters: u64,
        pub pretrend_f: Option<f64>,
        pub pretrend_p_value: Option<f64>,
        /// The same test over the clean areas and the comparison areas, the
        /// set `clean_did` is estimated on; null without a clean area or
        /// where they are too few.
        pub clean_pretrend_quarters: u64,
        pub clean_pretrend_f: Option<f64>,
        pub clean_pretrend_p_value: Option<f64>,
    }
}

output_table! {
    /// One row per (programme, area): the design of the fit-note event study.
    /// A programme's areas with their own start, then the comparison areas.
    pub struct FitNoteArea = "fit_note_areas", grain ["programme", "area_id"] {
        pub programme: String,
        pub area_id: String,
        pub side: Side => required,
        /// The area's own start (null for a comparison area).
        pub start_date: Option<NaiveDate>,
        /// Runs no other programme starting inside the analysis window.
        pub clean: bool,
        /// The other programmes that start inside the window, with their
        /// start dates; null when clean.
        pub overlapping: Option<String>,
    }
}

impl FitNoteArea {
    /// (programme, area, side, go-live, clean): what the staggered DiD
    /// reads (`stats::formulas::fit_note_effects::DesignArea`).
    pub fn parts(&self) -> (&str, &str, Side, Option<NaiveDate>, bool) {
        (
            &self.programme,
            &self.area_id,
            self.side,
            self.start_date,
            self.clean,
        )
    }
}

output_table! {
    /// One row per (programme, area set, cohort, month): ATT(g, t).
    pub struct FitNoteGroupTime = "fit_note_group_time", grain ["programme", "areas", "cohort", "month"] {
        pub programme: String,
        pub areas: AreaSet => required,
        /// The cohort: the month its areas went live.
        pub cohort: NaiveDate,
        pub month: NaiveDate,
        /// Months since go-live (negative: a lead).
        pub event_month: i64,
        pub att: Option<f64>,
        pub treated_areas: u64,
        pub comparison_areas: u64,
    }
}

output_table! {
    /// One row per (programme, area set, event month): the event study, leads
    /// from −12 and lags as far as the data reach.
    pub struct FitNoteEventStudy = "fit_note_event_study", grain ["programme", "areas", "event_month"] {
        pub programme: String,
        pub areas: AreaSet => required,
        pub event_month: i64,
        pub estimate: Option<f64>,
        pub se: Option<f64>,
        pub df: Option<f64>,
        pub low: Option<f64>,
        pub high: Option<f64>,
        /// The simultaneous 95% band: estimate ∓ band_critical × se.
        pub band_low: Option<f64>,
        pub band_high: Option<f64>,
        /// The sup-t critical value, one per (programme, area set).
        pub band_critical: Option<f64>,
        pub treated_areas: u64,
        pub comparison_areas: u64,
    }
}

output_table! {
    /// One row per (programme, side, month): the monthly series behind each
    /// programme's DiD, for the dashboard (beyond the contract's list).
    pub struct FitNoteTrend = "fit_note_trend", grain ["programme", "side", "month"] {
        pub programme: String,
        pub side: Side => required,
        pub month: NaiveDate,
        pub fit_notes: u64,
        pub may_be_fit: u64,
        pub may_be_fit_share: Option<f64>,
    }
}
