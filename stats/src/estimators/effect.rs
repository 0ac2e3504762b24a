//! A matched comparison's effect with everything the outputs carry about
//! it, from counts by area and stratum: coarsened exact matching for the
//! point estimate, the areas' variance (`crate::estimators::between_areas`), the interval
//! (`crate::formulas::att`), p-values and the minimum detectable effect.
//! The pipeline calls it with the counts of `sql/participant_strata.sql` and
//! `sql/comparison_strata.sql`; the coverage study calls it with simulated
//! counts.

use crate::estimators::between_areas::{AreaCell, BetweenAreas, between_areas};
use crate::estimators::matching::{
    MatchedComparison, OutcomeKind, StratumCounts, coarsened_exact_match_of,
};
use crate::formulas::att::{AttParts, att_p_value, minimum_detectable_effect_of_variance};

/// Counts by area and stratum: the participants' (by site) and the
/// comparison people's (by comparison area). Strata are numbered in a fixed
/// order, which the matching's sums follow.
#[derive(Debug, Clone, Default)]
pub struct Cells {
    pub treated: Vec<AreaCell>,
    pub treated_areas: usize,
    pub comparison: Vec<AreaCell>,
    pub comparison_areas: usize,
    pub strata: usize,
    /// A proportion (the counts are 0/1 outcomes) or a mean.
    pub kind: OutcomeKind,
}

pub use crate::estimators::between_areas::AreaVariance;

#[derive(Debug, Clone, Default)]
pub struct Effect {
    pub matching: MatchedComparison,
    pub between: BetweenAreas,
    pub att_low: Option<f64>,
    pub att_high: Option<f64>,
    /// The binomial-only standard error (the interval before areas).
    pub att_se_within: Option<f64>,
    pub area_variance: Option<f64>,
    pub df: Option<f64>,
    pub critical: Option<f64>,
    /// √(s²/n + V + A): the standard error the p-value, the MDE and the
    /// calibrated interval use.
    pub se: Option<f64>,
    pub p_value: Option<f64>,
    pub randomisation_p: Option<f64>,
    pub mde: Option<f64>,
}

impl Effect {
    /// The τ̂² a subgroup of this programme borrows.
    pub fn area_variance_for_subgroups(&self) -> Option<AreaVariance> {
        self.between.area
    }
}

/// Matching on the cells summed over areas, stratum by stratum in order.
fn matching(cells: &Cells) -> MatchedComparison {
    let mut treated = vec![StratumCounts::default(); cells.strata];
    let mut comparison = vec![StratumCounts::default(); cells.strata];
    for (sums, side) in [
        (&mut treated, &cells.treated),
        (&mut comparison, &cells.comparison),
    ] {
        for c in side {
            sums[c.stratum].add(c.counts);
        }
    }
    coarsened_exact_match_of(cells.kind, treated.into_iter().zip(comparison))
}

/// The effect of `cells`; `programme` is `None` for a programme (its own
/// areas give τ̂²) or its programme's τ̂² for a subgroup.
pub fn estimate(cells: &Cells, programme: Option<AreaVariance>) -> Effect {
    estimate_with(cells, programme, programme.is_none())
}

/// The effect of `cells` with the areas' variance `given` (its own τ̂² when
/// `None`). A `headline` effect (a programme's, not a subgroup's) reports
/// the τ̂² it used and gets the placebo-in-space p-value.
pub fn estimate_with(cells: &Cells, given: Option<AreaVariance>, headline: bool) -> Effect {
    let matching = matching(cells);
    // The areas' variance is judged on the matched strata only.
    let mut kept = vec![false; cells.strata];
    for c in &cells.comparison {
        kept[c.stratum] |= c.counts.eligible > 0;
    }
    let treated: Vec<AreaCell> = cells
        .treated
        .iter()
        .copied()
        .filter(|c| kept[c.stratum] && c.counts.eligible > 0)
        .collect();
    let between = between_areas(
        &treated,
        cells.treated_areas,
        &cells.comparison,
        cells.comparison_areas,
        cells.strata,
    );
    let mut effect = Effect {
        att_se_within: matching.att_se,
        matching,
        ..Effect::default()
    };
    let areas = given.or(between.area);
    effect.between = between;
    if let (true, Some(a)) = (headline, given) {
        effect.between.area = Some(a);
    }
    let (Some(areas), Some(comparison_rate), Some(comparison_variance)) = (
        areas,
        matching.comparison_rate,
        matching.comparison_variance,
    ) else {
        return effect;
    };
    let unit_variance = matching.unit_variance();
    let area_variance = areas.tau2 * effect.between.weight;
    let (parts, df) = AttParts::within_strata(
        unit_variance,
        matching.design_effect,
        matching.matched,
        (comparison_rate, comparison_variance),
        area_variance,
        areas.df,
    );
    if let Some(a) = matching.estimate(cells.kind, parts) {
        effect.att_low = Some(a.low);
        effect.att_high = Some(a.high);
        effect.se = Some(a.se);
        effect.p_value = att_p_value(|parts| matching.estimate(cells.kind, parts), parts, df);
        // The placebo test is for a programme's headline effect only.
        if headline {
            effect.randomisation_p = effect.between.randomisation_p(a.att / a.se);
        }
        effect.mde = minimum_detectable_effect_of_variance(unit_variance, matching.matched, parts);
    }
    effect.area_variance = Some(area_variance);
    effect.df = Some(df);
    effect.critical = Some(parts.critical);
    effect
}
