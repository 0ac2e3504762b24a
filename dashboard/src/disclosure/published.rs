//! Everything the dashboard may show, after disclosure control: the
//! published counterpart of each evidence table.

use super::values::{Calibrated, CostPerOutcome, Count, Effect, Money, Share};
use chrono::NaiveDate;
use contract::vocabulary::{AreaSet, Dimension, FunnelFlag, SiteIndicator, Tau2Source, Trend};
use std::collections::BTreeMap;

#[derive(Clone, Debug)]
pub struct Programme {
    pub name: String,
    pub referrals: Count,
    pub participants: Count,
    pub eligible: Count,
    pub in_work_6m: Count,
    /// Participants also in another programme, and those living where
    /// another programme runs.
    pub co_enrolled: Count,
    pub exposed_to_another: Count,
    pub rate: Share,
    pub matched: Count,
    pub unmatched: Count,
    /// Matching strata dropped (a number of strata, not of people).
    pub strata_dropped: u64,
    pub comparison_rate: Share,
    pub att: Effect,
    /// The own-area design (each site's participants against the
    /// never-referred people of the same area and stratum): its matched
    /// participants and effect, beside the comparison areas' `att`.
    pub own_area_matched: Count,
    pub own_area: Effect,
    /// The own-area design's systematic error (its own negative
    /// controls), its effect calibrated for it, and its diagnostics: the
    /// headline design's (CONTRACT.md, Diagnostics).
    pub own_area_systematic_error: Option<(f64, f64, f64)>,
    pub own_area_calibrated: Option<Calibrated>,
    pub own_area_diagnostics: Diagnostics,
    /// The smallest effect the headline design would detect (80% power,
    /// 5% two-sided), from its published effect's spread.
    pub own_area_mde: Option<f64>,
    /// Holm-adjusted p-value of the published ATT, across the programmes.
    pub p_adjusted: Option<f64>,
    /// Placebo-in-space p-value (from the areas, not the counts).
    pub randomisation_p: Option<f64>,
    /// The standard deviation of the areas' shocks, √τ̂².
    pub between_area_sd: Option<f64>,
    pub areas: u64,
    pub comparison_areas: u64,
    /// The smallest effect with 80% power at 5%, from the published counts.
    pub mde: Option<f64>,
    /// E-values of the published ATT and of its interval (to 2 decimals).
    pub e_values: Option<(f64, f64)>,
    /// The systematic error N(μ, σ²) the negative controls show (a model
    /// figure over many people, to 0.001), and the ATT's interval and
    /// p-value calibrated for it, from the published ATT.
    pub systematic_error: Option<(f64, f64, f64)>,
    pub calibrated: Option<Calibrated>,
    /// Whether the design's diagnostics passed; where they failed, the
    /// effect figures are withheld and these say why.
    pub diagnostics: Diagnostics,
    /// The matched participants who engaged, and Bloom's effect on them
    /// (the published ATT over the published share).
    pub engaged_share: Share,
    pub att_engaged: Effect,
    /// Covariate balance before and after matching.
    pub balance: Vec<BalanceRow>,
    /// The multivariate L1 imbalance before and after matching (2 decimals).
    pub balance_l1: Option<(f64, f64)>,
    /// The declared headline outcome, with when and why it was declared.
    pub headline: Option<contract::outcomes::Headline>,
    /// Every outcome, the headline first, then in `Outcome::ALL` order.
    pub outcomes: Vec<OutcomeRow>,
    pub funding_gbp: Option<Money>,
    pub cost_per_additional_outcome: CostPerOutcome,
    /// Additional job outcomes per £1m: value, low, high.
    pub jobs_per_million: Option<[f64; 3]>,
    pub start_date: Option<NaiveDate>,
}

/// A programme's diagnostics verdict (`stats::formulas::diagnostics`),
/// decided on the exact figures: `None` for a root without one.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Diagnostics {
    pub passed: Option<bool>,
    /// (check, why) for each check that failed.
    pub failed: Vec<(String, String)>,
}

/// One covariate level's balance: participants' and comparison people's
/// shares (a level of a categorical covariate) or means (a continuous
/// one), before and after matching, and the standardised differences
/// between them, all from published figures: a participant share is a
/// ratio of rounded counts (suppressed where a rate would be), a comparison
/// share is rounded to a whole percent, and each difference is computed
/// from the published values.
#[derive(Clone, Debug)]
pub struct BalanceRow {
    pub covariate: String,
    /// `None` for a continuous covariate.
    pub level: Option<String>,
    pub matched_on: bool,
    /// (participants, comparison) before and after matching.
    pub before: Option<(f64, f64)>,
    pub after: Option<(f64, f64)>,
    pub smd_before: Option<f64>,
    pub smd: Option<f64>,
    /// |smd| above 0.1 after matching, or constant and different.
    pub imbalanced: bool,
}

/// One outcome of a programme, published: counts rounded, the participants'
/// and comparison's value (a share from rounded counts, or a mean rounded
/// for display: months to 0.1, pounds to £1), and the effect rebuilt from the
/// rounded matched count (`Effect::att`, `Effect::mean`).
#[derive(Clone, Debug)]
pub struct OutcomeRow {
    pub outcome: contract::outcomes::Outcome,
    pub role: contract::outcomes::Role,
    pub eligible: Count,
    pub matched: Count,
    pub participant: Option<f64>,
    pub comparison: Option<f64>,
    pub effect: Effect,
    /// Bloom's effect on those who engaged.
    pub effect_engaged: Effect,
    /// E-values of a yes/no outcome's published effect and of its interval
    /// (to 2 decimals), as the programme's.
    pub e_values: Option<(f64, f64)>,
    /// Why there is no estimate, in plain words.
    pub note: Option<String>,
}

/// A site's funnel limits at its published eligible count, around its
/// programme's published rate, and where its published rate sits.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FunnelLimits {
    pub target: f64,
    pub limit95: (f64, f64),
    pub limit998: (f64, f64),
    pub flag: FunnelFlag,
}

#[derive(Clone, Debug)]
pub struct Site {
    pub programme: String,
    pub area_id: String,
    pub area_name: String,
    pub start_date: Option<NaiveDate>,
    pub participants: Count,
    pub eligible: Count,
    pub in_work_6m: Count,
    pub rate: Share,
    /// Against the 99.8% limits; `None` when the rate is suppressed, since
    /// the flag would place it.
    pub funnel_flag: Option<FunnelFlag>,
    /// `None` when the rate is suppressed.
    pub limits: Option<FunnelLimits>,
    /// The smallest effect a site of its published size could show.
    pub mde: Option<f64>,
    /// Where its case-mix adjusted rate sits on the programme's funnel;
    /// `None` when its rate is suppressed.
    pub adjusted: Option<AdjustedPosition>,
    /// Its own matched effect (people only), from its rounded matched
    /// counts, and where that sits on the effect funnel.
    pub effect: Effect,
    pub effect_position: Option<EffectPosition>,
    /// The spine chart's shares: in work at 3 and 12 months, eligible
    /// participants who engaged, may-be-fit notes since go-live.
    pub in_work_3m: Share,
    pub in_work_12m: Share,
    pub engaged: Share,
    pub may_be_fit: Share,
    /// By quarter of referral, and the trend mark over them.
    pub quarters: Vec<QuarterRate>,
    pub trend: Trend,
}

/// A site on the case-mix adjusted funnel, from its published rate and
/// eligible count, its expected rate (to 0.001) and spread (to 0.0001),
/// and its programme's published rate and τ².
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdjustedPosition {
    pub expected_rate: f64,
    pub adjusted_rate: f64,
    /// p₀(1−p₀)/s²: where the site sits on the funnel's x axis.
    pub effective_n: f64,
    pub limit95: (f64, f64),
    pub limit998: (f64, f64),
    /// `None` where the programme's funnel flags nothing (too few sites).
    pub flag: Option<FunnelFlag>,
}

/// A site's effect on the effect funnel: the rest of its programme (the
/// other published sites' matched-weighted effect), its 99.8% limits
/// around that, its flag, and its effect shrunk toward the programme's
/// sites (`None` where the funnel flags nothing; no interval, see
/// CONTRACT.md).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EffectPosition {
    pub target: f64,
    pub limit998: (f64, f64),
    pub flag: Option<FunnelFlag>,
    pub shrunk: Option<f64>,
}

/// One quarter of a site's referrals.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuarterRate {
    pub quarter: NaiveDate,
    pub eligible: Count,
    pub rate: Share,
}

/// A programme's sites' spread beyond chance on one funnel, recomputed from
/// the published positions (`site_funnels` for analysts).
#[derive(Clone, Debug, PartialEq)]
pub struct SiteSpread {
    pub programme: String,
    pub indicator: SiteIndicator,
    pub target: Option<f64>,
    pub sites: usize,
    pub phi: Option<f64>,
    pub phi_p_value: Option<f64>,
    pub tau2: f64,
    pub source: Tau2Source,
    /// The critical values of its 95% and 99.8% limits.
    pub critical: (f64, f64),
}

/// The spine chart's benchmarks for one programme (pooled over its sites'
/// rounded counts) and the range over every site of every programme.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct SpineBenchmarks {
    /// Per programme and indicator: its pooled value.
    pub programme: BTreeMap<(String, &'static str), f64>,
    /// Per indicator: every site's published value, sorted.
    pub all_sites: BTreeMap<&'static str, Vec<f64>>,
}

#[derive(Clone, Debug)]
pub struct Subgroup {
    pub programme: String,
    pub dimension: Dimension,
    pub value: String,
    pub participants: Count,
    pub eligible: Count,
    pub in_work_6m: Count,
    pub rate: Share,
    pub matched: Count,
    pub comparison_rate: Share,
    pub att: Effect,
    /// Benjamini–Hochberg adjusted p-value, across the programme's subgroups.
    pub p_adjusted: Option<f64>,
}

/// One month of fit notes and the `may_be_fit` share of them.
#[derive(Clone, Debug)]
pub struct NotesMonth {
    pub month: NaiveDate,
    pub fit_notes: Count,
    pub may_be_fit: Count,
    pub share: Share,
}

/// A programme's fit-note effect: the staggered difference in differences
/// over the area × month panel (from the rounded monthly counts), over all
/// its areas and over its clean areas, the event study and the joint test of
/// the leads; with the pooled cells around its earliest start for
/// description.
#[derive(Clone, Debug)]
pub struct Did {
    pub programme: String,
    pub start_date: Option<NaiveDate>,
    /// Programme pre, post, comparison pre, post (pooled, descriptive).
    pub fit_notes: [Count; 4],
    pub shares: [Share; 4],
    /// The overall effect over all the programme's areas.
    pub did: Effect,
    pub treated_areas: usize,
    pub comparison_areas: usize,
    /// The overall effect over its clean areas; `None` without one.
    pub clean: Option<Effect>,
    pub clean_areas: usize,
    /// The first year's effect robust to a straight-line difference in
    /// trends (HonestDiD's Δ^SD(0)), all areas then clean areas.
    pub robust: Effect,
    pub clean_robust: Option<Effect>,
    pub pretrend: Option<PreTrend>,
    /// The same test on the clean areas (the set `clean` is estimated on).
    pub clean_pretrend: Option<PreTrend>,
    /// The programme's areas that run another programme starting inside the
    /// analysis window.
    pub overlaps: Vec<Overlap>,
    pub event_study: Vec<EventPoint>,
}

#[derive(Clone, Debug)]
pub struct PreTrend {
    /// Quarters of leads tested jointly.
    pub quarters: usize,
    /// To 3 decimal places.
    pub p_value: f64,
}

#[derive(Clone, Debug)]
pub struct Overlap {
    pub area_id: String,
    /// "Youth Guarantee Trailblazer from 2025-04-01; ..."
    pub overlapping: String,
    /// Another programme starts in the same month as this one here: their
    /// effects cannot be separated in this area.
    pub same_start: bool,
}

/// One event-study estimate: months since go-live (negative: a lead).
#[derive(Clone, Debug)]
pub struct EventPoint {
    pub areas: AreaSet,
    pub event_month: i64,
    pub effect: Effect,
    /// The simultaneous band, as `effect`'s interval.
    pub band: Effect,
    pub treated_areas: usize,
}

#[derive(Clone, Debug)]
pub struct Check {
    pub table_name: String,
    pub check_name: String,
    pub rows_failed: Count,
    /// Whether any row failed it: a check no row failed is "none", not
    /// `[c]` (a true zero describes the data's quality, not anyone in it).
    pub failed: bool,
}

#[derive(Clone, Debug)]
pub struct Input {
    pub table: String,
    pub files: usize,
    pub rows_read: Count,
    pub rows_used: Count,
    pub rows_quarantined: Count,
    /// No row of the table was set aside (shown as "none").
    pub none_quarantined: bool,
    /// Rounded rows set aside ÷ rounded rows read (rule 3).
    pub quarantined_share: Share,
}

#[derive(Clone, Debug)]
pub struct Run {
    pub run_id: String,
    pub version: String,
    pub started_at: String,
    pub finished_at: String,
    pub as_of: String,
    pub data_root: String,
    pub inputs: Vec<Input>,
    /// The run's plain-English warnings; they carry no counts.
    pub warnings: Vec<String>,
    /// Where the fit-note tables came from, when from the published
    /// statistics (public counts, not records).
    pub published_fit_notes: Option<contract::manifest::PublishedFitNotes>,
}

#[derive(Clone, Debug)]
pub struct Published {
    pub run: Run,
    pub programmes: Vec<Programme>,
    pub sites: Vec<Site>,
    pub subgroups: Vec<Subgroup>,
    /// Per area, its months.
    pub area_notes: BTreeMap<String, Vec<NotesMonth>>,
    /// Per programme, its areas' months pooled, then the comparison areas'.
    pub programme_notes: BTreeMap<String, [Vec<NotesMonth>; 2]>,
    pub did: Vec<Did>,
    pub checks: Vec<Check>,
    /// Per programme, its adjusted-rate and effect funnels' spread.
    pub site_spreads: Vec<SiteSpread>,
    pub spine: SpineBenchmarks,
}

impl Published {
    pub fn sites_of<'a>(&'a self, programme: &'a Programme) -> impl Iterator<Item = &'a Site> {
        self.sites.iter().filter(|s| s.programme == programme.name)
    }
    pub fn site(&self, programme: &Programme, area_id: &str) -> Option<&Site> {
        self.sites
            .iter()
            .find(|s| s.programme == programme.name && s.area_id == area_id)
    }
    pub fn subgroups_of<'a>(
        &'a self,
        programme: &'a Programme,
    ) -> impl Iterator<Item = &'a Subgroup> {
        self.subgroups
            .iter()
            .filter(|s| s.programme == programme.name)
    }
    pub fn spread_of(
        &self,
        programme: &Programme,
        indicator: SiteIndicator,
    ) -> Option<&SiteSpread> {
        self.site_spreads
            .iter()
            .find(|s| s.programme == programme.name && s.indicator == indicator)
    }
    pub fn did_of(&self, programme: &Programme) -> Option<&Did> {
        self.did.iter().find(|d| d.programme == programme.name)
    }
}
