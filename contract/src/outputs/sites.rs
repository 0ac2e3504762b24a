//! The site tables: each site's rate against its programme's funnels, its
//! own effect and spine-chart counts (`site_outcomes`), each programme's
//! spread between sites (`site_funnels`), and each site's quarters
//! (`site_quarters`). CONTRACT.md gives each column's meaning.

use super::output_table;
use crate::vocabulary::{FunnelFlag, SiteIndicator, Tau2Source, Trend};
use chrono::NaiveDate;

output_table! {
    /// One row per (programme, site): the site's rate against its
    /// programme's funnel limits.
    pub struct SiteOutcome = "site_outcomes", grain ["programme", "area_id"] {
        pub programme: String,
        pub area_id: String,
        pub area_name: Option<String>,
        /// The site's go-live for this programme.
        pub start_date: Option<NaiveDate>,
        pub participants: u64,
        pub eligible: u64,
        pub in_work_6m: u64,
        pub rate: Option<f64>,
        pub rate_low: Option<f64>,
        pub rate_high: Option<f64>,
        /// The programme's pooled rate.
        pub target_rate: Option<f64>,
        pub limit95_low: Option<f64>,
        pub limit95_high: Option<f64>,
        pub limit998_low: Option<f64>,
        pub limit998_high: Option<f64>,
        pub funnel_flag: FunnelFlag,
        /// The smallest effect a site of this size could show with 80% power,
        /// given the programme's between-area variance.
        pub mde: Option<f64>,
        /// Case mix: the in-work rate expected for the site's eligible
        /// participants from the programme's rates for people like them
        /// (E/n), and the mean of p̂(1−p̂) over them (V/n).
        pub expected_rate: Option<f64>,
        pub expected_variance: Option<f64>,
        /// target_rate × in_work_6m ÷ E: the indirectly standardised rate.
        pub adjusted_rate: Option<f64>,
        /// (O − E)/√V.
        pub adjusted_z: Option<f64>,
        /// The adjusted funnel's limits with the programme's τ² (`site_funnels`).
        pub adjusted_limit95_low: Option<f64>,
        pub adjusted_limit95_high: Option<f64>,
        pub adjusted_limit998_low: Option<f64>,
        pub adjusted_limit998_high: Option<f64>,
        /// Against the adjusted 99.8% limits; null where the funnel flags
        /// nothing (too few sites to estimate τ²) or the site has no rate.
        pub adjusted_flag: Option<FunnelFlag>,
        /// The site's own matched comparison (its eligible participants
        /// against the programme's comparison strata).
        pub matched: u64,
        pub matched_in_work: u64,
        pub comparison_rate: Option<f64>,
        pub comparison_variance: Option<f64>,
        pub att: Option<f64>,
        /// From the people alone (Newcombe–Wilson at 1.96).
        pub att_low: Option<f64>,
        pub att_high: Option<f64>,
        pub att_se: Option<f64>,
        /// The participants' design effect d the interval used.
        pub att_design_effect: Option<f64>,

        /// The rest of the programme: the matched-weighted mean effect of
        /// the programme's other sites on the effect funnel.
        pub effect_target: Option<f64>,
        /// (att − effect_target)/√(att_se² + its variance), and the effect
        /// funnel's 99.8% limits around `effect_target` with its τ².
        pub effect_z: Option<f64>,
        pub effect_limit998_low: Option<f64>,
        pub effect_limit998_high: Option<f64>,
        pub effect_flag: Option<FunnelFlag>,
        /// The site's effect shrunk toward its programme's sites (empirical
        /// Bayes with the effect funnel's τ²); no interval (CONTRACT.md).
        pub att_shrunk: Option<f64>,
        /// The spine chart's other indicators: in work at 3 and 12 months
        /// (eligible and in work), eligible participants who engaged, and the
        /// fit notes issued in the site's area since its go-live.
        pub eligible_3m: u64,
        pub in_work_3m: u64,
        pub eligible_12m: u64,
        pub in_work_12m: u64,
        pub engaged: u64,
        pub fit_notes: u64,
        pub may_be_fit: u64,
        /// Fingertips' recent-trend mark over `site_quarters`.
        pub trend: Trend,
    }
}

impl SiteOutcome {
    /// A site with no one referred: every count 0, every figure empty.
    pub fn empty(programme: &str, area_id: &str) -> Self {
        SiteOutcome {
            programme: programme.to_string(),
            area_id: area_id.to_string(),
            area_name: None,
            start_date: None,
            participants: 0,
            eligible: 0,
            in_work_6m: 0,
            rate: None,
            rate_low: None,
            rate_high: None,
            target_rate: None,
            limit95_low: None,
            limit95_high: None,
            limit998_low: None,
            limit998_high: None,
            funnel_flag: FunnelFlag::Within,
            mde: None,
            expected_rate: None,
            expected_variance: None,
            adjusted_rate: None,
            adjusted_z: None,
            adjusted_limit95_low: None,
            adjusted_limit95_high: None,
            adjusted_limit998_low: None,
            adjusted_limit998_high: None,
            adjusted_flag: None,
            matched: 0,
            matched_in_work: 0,
            comparison_rate: None,
            comparison_variance: None,
            att: None,
            att_low: None,
            att_high: None,
            att_se: None,
            att_design_effect: None,
            effect_target: None,
            effect_z: None,
            effect_limit998_low: None,
            effect_limit998_high: None,
            effect_flag: None,
            att_shrunk: None,
            eligible_3m: 0,
            in_work_3m: 0,
            eligible_12m: 0,
            in_work_12m: 0,
            engaged: 0,
            fit_notes: 0,
            may_be_fit: 0,
            trend: Trend::NotEnoughPoints,
        }
    }
}

output_table! {
    /// One row per (programme, indicator): the spread of the programme's
    /// sites on a funnel beyond chance (Spiegelhalter 2005).
    pub struct SiteFunnel = "site_funnels", grain ["programme", "indicator"] {
        pub programme: String,
        pub indicator: SiteIndicator,
        /// The programme's pooled rate, or its matched ATT.
        pub target: Option<f64>,
        /// Sites with a z-score.
        pub sites: u64,
        /// The dispersion ratio of the sites' winsorised z-scores, its χ²
        /// p-value, and the τ² the limits add; from `tau2_source`'s sites.
        pub phi: Option<f64>,
        pub phi_p_value: Option<f64>,
        pub tau2: Option<f64>,
        pub tau2_source: Tau2Source,
        /// The method in words.
        pub method: String,
    }
}

output_table! {
    /// One row per (programme, site, quarter of referral) with eligible
    /// participants: the site's in-work rate by quarter.
    pub struct SiteQuarter = "site_quarters", grain ["programme", "area_id", "quarter"] {
        pub programme: String,
        pub area_id: String,
        /// The first day of the quarter of the participants' index month.
        pub quarter: NaiveDate,
        pub eligible: u64,
        pub in_work_6m: u64,
        pub rate: Option<f64>,
        pub rate_low: Option<f64>,
        pub rate_high: Option<f64>,
    }
}
