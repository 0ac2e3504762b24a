//! The output tables' definitions. CONTRACT.md gives each column's meaning;
//! the comments here say only what the type cannot.

use super::{column_block, output_table};
use crate::outcomes::{Outcome, Role, Unit};
use crate::vocabulary::Dimension;

column_block! {
    /// The matched comparison's effect: the columns `programme_outcomes`
    /// and `subgroup_outcomes` share, declared once and flattened into both
    /// (each column keeps its own name). Filled from the estimator's result
    /// in one place (`pipeline::evaluate::matched_effect`) and
    /// published in one (`dashboard::disclosure`).
    pub struct MatchedEffect {
        /// Eligible participants in strata with comparison people.
        pub matched: u64,
        /// Of them, in work at 6 months.
        pub matched_in_work: u64,
        pub unmatched: u64,
        pub comparison_rate: Option<f64>,
        /// What the comparison side adds to the ATT's variance.
        pub comparison_variance: Option<f64>,
        pub att: Option<f64>,
        /// With the areas' variance and Student's t (CONTRACT.md).
        pub att_low: Option<f64>,
        pub att_high: Option<f64>,
        /// The binomial-only standard error, the interval's basis before the
        /// areas were counted (att ± 1.96·se).
        pub att_se_within: Option<f64>,
        /// The participants' design effect d the interval used.
        pub att_design_effect: Option<f64>,
        /// τ̂²·S, what the areas add to the ATT's variance.
        pub att_area_variance: Option<f64>,
        pub att_df: Option<f64>,
        pub att_critical: Option<f64>,
        pub att_p_value: Option<f64>,
    }
}

output_table! {
    /// One row per programme: participants, the 6-month in-work rate with its
    /// Wilson interval, and the matched comparison (ATT).
    pub struct ProgrammeOutcome = "programme_outcomes", grain ["programme"] {
        pub programme: String,
        /// Valid referrals: the first step of the attrition to `matched`.
        pub referrals: u64,
        pub participants: u64,
        /// Participants whose 6-month outcome month is in the data.
        pub eligible: u64,
        pub in_work_6m: u64,
        /// Participants who are also participants of another programme.
        pub co_enrolled: u64,
        /// Participants living where another programme runs (their area or
        /// one overlapping it on the ground).
        pub exposed_to_another: u64,
        pub rate: Option<f64>,
        pub rate_low: Option<f64>,
        pub rate_high: Option<f64>,
        /// The matched comparison's effect on being in work at 6 months.
        pub effect: MatchedEffect,
        pub strata_matched: u64,
        pub strata_dropped: u64,
        /// τ̃², the between-area variance of the chance of being in work
        /// that the intervals use; null where there are too few areas to
        /// estimate it.
        pub between_area_variance: Option<f64>,
        /// The untruncated moment estimate τ̂²ₘ it comes from, and its se.
        pub between_area_moment: Option<f64>,
        pub between_area_moment_se: Option<f64>,
        /// τ̃²'s degrees of freedom (the moments' Σkᵢ).
        pub between_area_df: Option<f64>,
        /// Σ ω_b²: how much of τ² reaches the ATT through the comparison
        /// areas (a site's own area adds 1).
        pub comparison_area_weight: Option<f64>,
        pub areas: u64,
        pub comparison_areas: u64,
        /// Placebo-in-space p-value.
        pub randomisation_p: Option<f64>,
        /// Holm-adjusted across the programmes' declared headlines, where
        /// in work at 6 months is this programme's headline; null where
        /// its headline is another outcome (`outcome_effects` has it).
        pub att_p_adjusted: Option<f64>,
        /// The smallest effect with 80% power at 5% (two-sided).
        pub mde: Option<f64>,
        /// VanderWeele and Ding's E-value of the ATT (through the risk ratio
        /// (c + att)/c) and of its interval's limit nearer no effect.
        pub e_value: Option<f64>,
        pub e_value_interval: Option<f64>,
        /// The own-area design (CONTRACT.md): each site's eligible
        /// participants against the never-referred people of their own area
        /// in the same stratum (arm `own_area` of `cohort`). Matched and
        /// unmatched eligible participants, the comparison rate and what it
        /// adds to the variance, the effect, its interval (people only: the
        /// areas' levels and trends are on both sides) and its two-sided p.
        pub own_area_matched: u64,
        pub own_area_matched_in_work: u64,
        pub own_area_unmatched: u64,
        pub own_area_comparison_rate: Option<f64>,
        pub own_area_comparison_variance: Option<f64>,
        pub own_area_att: Option<f64>,
        pub own_area_att_low: Option<f64>,
        pub own_area_att_high: Option<f64>,
        pub own_area_att_p_value: Option<f64>,
        pub own_area_design_effect: Option<f64>,
        /// The own-area design's standard error √(d·p(1−p)/n + V) and its
        /// minimum detectable effect (80% power, 5% two-sided).
        pub own_area_att_se: Option<f64>,
        pub own_area_mde: Option<f64>,
        /// The own-area design's systematic error, fitted to the negative
        /// controls estimated by that design (`negative_controls.own_area_*`),
        /// and its effect calibrated for it (att − μ ± 1.96·√(σ² + se²)).
        pub own_area_systematic_error_mean: Option<f64>,
        pub own_area_systematic_error_sd: Option<f64>,
        pub own_area_systematic_error_controls: u64,
        pub own_area_systematic_error_mean_se: Option<f64>,
        pub own_area_expected_systematic_error: Option<f64>,
        pub own_area_att_calibrated_low: Option<f64>,
        pub own_area_att_calibrated_high: Option<f64>,
        pub own_area_att_calibrated_p: Option<f64>,
        /// The largest |standardised difference| after the own-area match
        /// of the IMD decile, months employed and earnings in the year
        /// before (`sql/own_area_balance_strata.sql`).
        pub own_area_max_smd: Option<f64>,
        /// The own-area design's diagnostics verdict, as `diagnostics`.
        pub own_area_diagnostics: Option<String>,
        pub own_area_diagnostics_failed: Option<String>,
        /// The placebo outcome, in work 6 months before the index month,
        /// matched and estimated exactly as the real effect (its own τ̂²).
        pub placebo_matched: u64,
        pub placebo_matched_in_work: u64,
        pub placebo_comparison_rate: Option<f64>,
        pub placebo_comparison_variance: Option<f64>,
        pub placebo_att: Option<f64>,
        pub placebo_att_low: Option<f64>,
        pub placebo_att_high: Option<f64>,
        pub placebo_att_area_variance: Option<f64>,
        pub placebo_between_area_df: Option<f64>,
        /// The systematic error distribution N(μ, σ²) fitted to the
        /// programme's negative controls (`negative_controls`), how many it
        /// rests on, and its expected absolute error.
        pub systematic_error_mean: Option<f64>,
        pub systematic_error_sd: Option<f64>,
        pub systematic_error_controls: u64,
        /// The standard error of the mean, which every calibrated figure
        /// adds to σ² (`stats::formulas::calibration::Null`).
        pub systematic_error_mean_se: Option<f64>,
        pub expected_systematic_error: Option<f64>,
        /// The ATT's interval and p-value calibrated for that error
        /// (att − μ ± t·√(σ² + se²)).
        pub att_calibrated_low: Option<f64>,
        pub att_calibrated_high: Option<f64>,
        pub att_calibrated_p: Option<f64>,
        /// `pass` or `fail`; the failed checks, `; `-separated, each
        /// `name: why` (`stats::formulas::diagnostics`).
        pub diagnostics: Option<String>,
        pub diagnostics_failed: Option<String>,
        /// Share of the matched participants who engaged (any referral to
        /// the programme with `engaged`), and Bloom's (1984) effect on
        /// those who engaged: the ATT and its limits divided by that share
        /// (the programme is taken to reach no one who did not engage).
        pub engaged_share: Option<f64>,
        pub att_engaged: Option<f64>,
        pub att_engaged_low: Option<f64>,
        pub att_engaged_high: Option<f64>,
        /// The multivariate L1 imbalance (Iacus, King and Porro) over the
        /// joint distribution of the matching strata and the IMD decile,
        /// before and after matching (0: identical, 1: no overlap). Region
        /// is left out: comparison areas lie outside programme areas by
        /// design (`balance` shows it level by level).
        pub balance_l1_before: Option<f64>,
        pub balance_l1: Option<f64>,
        /// Rows of `balance` flagged `imbalanced` after matching.
        pub imbalanced_covariates: u64,
        pub funding_gbp: Option<i64>,
        /// funding ÷ (att × participants), only where in work at 6 months
        /// is the programme's declared headline, its interval lies above
        /// zero and its Holm-adjusted p-value is below 0.05.
        pub cost_per_additional_outcome: Option<f64>,
        /// The cost's interval: funding ÷ (att_high·participants) to
        /// funding ÷ (att_low·participants); only the low end where the
        /// effect is not significant but att_high > 0.
        pub cost_low: Option<f64>,
        pub cost_high: Option<f64>,
        /// The earlier definition, kept for comparison: funding ÷ (att ×
        /// matched), where the ATT's interval lies above zero.
        pub cost_per_matched_outcome: Option<f64>,
        /// Additional job outcomes per £1m of funding, with its interval.
        pub jobs_per_million: Option<f64>,
        pub jobs_per_million_low: Option<f64>,
        pub jobs_per_million_high: Option<f64>,
    }
}

impl ProgrammeOutcome {
    /// A programme with no one referred: every count 0, every figure empty.
    pub fn empty(programme: &str) -> Self {
        ProgrammeOutcome {
            programme: programme.to_string(),
            referrals: 0,
            participants: 0,
            eligible: 0,
            in_work_6m: 0,
            co_enrolled: 0,
            exposed_to_another: 0,
            rate: None,
            rate_low: None,
            rate_high: None,
            effect: MatchedEffect::default(),
            strata_matched: 0,
            strata_dropped: 0,
            between_area_variance: None,
            between_area_moment: None,
            between_area_moment_se: None,
            between_area_df: None,
            comparison_area_weight: None,
            areas: 0,
            comparison_areas: 0,
            randomisation_p: None,
            att_p_adjusted: None,
            mde: None,
            e_value: None,
            e_value_interval: None,
            own_area_matched: 0,
            own_area_matched_in_work: 0,
            own_area_unmatched: 0,
            own_area_comparison_rate: None,
            own_area_comparison_variance: None,
            own_area_att: None,
            own_area_att_low: None,
            own_area_att_high: None,
            own_area_att_p_value: None,
            own_area_design_effect: None,
            own_area_att_se: None,
            own_area_mde: None,
            own_area_systematic_error_mean: None,
            own_area_systematic_error_sd: None,
            own_area_systematic_error_controls: 0,
            own_area_systematic_error_mean_se: None,
            own_area_expected_systematic_error: None,
            own_area_att_calibrated_low: None,
            own_area_att_calibrated_high: None,
            own_area_att_calibrated_p: None,
            own_area_max_smd: None,
            own_area_diagnostics: None,
            own_area_diagnostics_failed: None,
            placebo_matched: 0,
            placebo_matched_in_work: 0,
            placebo_comparison_rate: None,
            placebo_comparison_variance: None,
            placebo_att: None,
            placebo_att_low: None,
            placebo_att_high: None,
            placebo_att_area_variance: None,
            placebo_between_area_df: None,
            systematic_error_mean: None,
            systematic_error_sd: None,
            systematic_error_controls: 0,
            systematic_error_mean_se: None,
            expected_systematic_error: None,
            att_calibrated_low: None,
            att_calibrated_high: None,
            att_calibrated_p: None,
            diagnostics: None,
            diagnostics_failed: None,
            engaged_share: None,
            att_engaged: None,
            att_engaged_low: None,
            att_engaged_high: None,
            balance_l1_before: None,
            balance_l1: None,
            imbalanced_covariates: 0,
            funding_gbp: None,
            cost_per_additional_outcome: None,
            cost_low: None,
            cost_high: None,
            cost_per_matched_outcome: None,
            jobs_per_million: None,
            jobs_per_million_low: None,
            jobs_per_million_high: None,
        }
    }
}

output_table! {
    /// One row per (programme, covariate, level): participants against
    /// their comparison before and after matching. A categorical
    /// covariate's level has the shares with that level; a continuous
    /// covariate (`level` null) its means. Standardised differences use the
    /// variances from before matching.
    pub struct Balance = "balance", grain ["programme", "covariate", "level"] {
        pub programme: String,
        pub covariate: String,
        pub level: Option<String>,
        /// Part of the matching strata (exactly balanced within them).
        pub matched_on: bool,
        /// Matched participants with this level (all matched participants
        /// for a continuous covariate).
        pub participants: u64,
        pub participant_mean_before: Option<f64>,
        pub comparison_mean_before: Option<f64>,
        pub participant_mean: Option<f64>,
        /// Weighted as the matching weighs the comparison people.
        pub comparison_mean: Option<f64>,
        pub smd_before: Option<f64>,
        pub smd: Option<f64>,
        /// |smd| above 0.1 after matching, or constant on both sides but
        /// different.
        pub imbalanced: bool,
    }
}

output_table! {
    /// One row per (programme, outcome): every outcome of
    /// `contract::outcomes` with the headline's matched estimator, its
    /// interval with the areas' variance, and the effect on those who
    /// engaged. A proportion's values are shares; a mean's are months or
    /// pounds a month.
    pub struct OutcomeEffect = "outcome_effects", grain ["programme", "outcome"] {
        pub programme: String,
        pub outcome: Outcome,
        /// `headline` (declared in contract/reference/headline_outcomes.csv)
        /// or `secondary`.
        pub role: Role,
        pub unit: Unit,
        pub horizon_months: u64,
        /// Participants whose data reach the outcome.
        pub eligible: u64,
        /// Eligible participants in strata with comparison people.
        pub matched: u64,
        pub unmatched: u64,
        /// The matched participants' outcome summed (how many had a yes/no
        /// outcome) and its squares summed: what the interval is rebuilt from.
        pub matched_total: u64,
        pub matched_squares: u64,
        pub participant_mean: Option<f64>,
        pub comparison_mean: Option<f64>,
        pub comparison_variance: Option<f64>,
        pub att: Option<f64>,
        pub att_low: Option<f64>,
        pub att_high: Option<f64>,
        /// The participants' design effect d the interval used.
        pub att_design_effect: Option<f64>,
        pub between_area_variance: Option<f64>,
        pub between_area_df: Option<f64>,
        pub att_area_variance: Option<f64>,
        pub att_df: Option<f64>,
        pub att_p_value: Option<f64>,
        /// A declared headline's p-value, Holm-adjusted across the
        /// programmes' declared headlines; null for a secondary outcome.
        pub att_p_adjusted: Option<f64>,
        /// A yes/no outcome's interval and p-value calibrated for the
        /// systematic error the programme's negative controls show.
        pub att_calibrated_low: Option<f64>,
        pub att_calibrated_high: Option<f64>,
        pub att_calibrated_p: Option<f64>,
        /// VanderWeele and Ding's E-value of a yes/no outcome's effect and of
        /// its interval limit nearer the null (through the risk ratio, as
        /// `programme_outcomes.e_value`); null for a mean outcome.
        pub e_value: Option<f64>,
        pub e_value_interval: Option<f64>,
        /// Matched participants who engaged, as a share of the matched.
        pub engaged_share: Option<f64>,
        /// Bloom's (1984) effect on those who engaged: att ÷ engaged_share.
        pub att_engaged: Option<f64>,
        pub att_engaged_low: Option<f64>,
        pub att_engaged_high: Option<f64>,
        /// Why there is no estimate, in plain words (null when there is one).
        pub note: Option<String>,
    }
}

output_table! {
    /// One row per (programme, dimension, value): the programme's figures
    /// restricted to one subgroup.
    pub struct SubgroupOutcome = "subgroup_outcomes", grain ["programme", "dimension", "value"] {
        pub programme: String,
        pub dimension: Dimension,
        pub value: String,
        pub participants: u64,
        pub eligible: u64,
        pub in_work_6m: u64,
        pub rate: Option<f64>,
        pub rate_low: Option<f64>,
        pub rate_high: Option<f64>,
        /// Its `att_area_variance` is the programme's τ̃² times this
        /// subgroup's own area weights.
        pub effect: MatchedEffect,
        /// Benjamini–Hochberg adjusted across the programme's subgroups.
        pub att_p_adjusted: Option<f64>,
    }
}

output_table! {
    /// One row per (input table, check).
    pub struct DataQuality = "data_quality", grain ["table_name", "check_name"] {
        pub table_name: String,
        pub check_name: String,
        pub rows_failed: u64,
        /// The key (and failing value) of one failing row.
        pub example: Option<String>,
    }
}
