//! `subgroup_outcomes`: each programme's figures within each subgroup,
//! matched the same way as the programme as a whole, the areas' variance
//! borrowed from the programme, flags corrected for the many subgroups.

use super::rate;
use super::strata::{Comparison, Group, GroupKey};
use contract::outputs::SubgroupOutcome;
use contract::vocabulary::Dimension;
use stats::estimators::effect::Effect;
use stats::formulas::multiplicity::benjamini_hochberg;
use std::collections::BTreeMap;

pub fn subgroup_outcomes(
    groups: &BTreeMap<GroupKey, Group>,
    comparison: &Comparison,
    programmes: &BTreeMap<String, Effect>,
) -> Vec<SubgroupOutcome> {
    let mut rows: Vec<SubgroupOutcome> = groups
        .iter()
        .filter(|((_, dimension, _), _)| *dimension != Dimension::All)
        .map(|(((_, programme), dimension, value), group)| {
            let [rate, rate_low, rate_high] = rate(group.in_work_6m, group.eligible);
            let areas = programmes
                .get(programme)
                .and_then(Effect::area_variance_for_subgroups);
            let e = group.effect(comparison, areas);
            SubgroupOutcome {
                programme: programme.clone(),
                dimension: *dimension,
                value: value.clone(),
                participants: group.participants,
                eligible: group.eligible,
                in_work_6m: group.in_work_6m,
                rate,
                rate_low,
                rate_high,
                effect: super::matched_effect(&e),
                att_p_adjusted: None,
            }
        })
        .collect();
    // Benjamini–Hochberg across each programme's subgroups.
    let mut by_programme: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, row) in rows.iter().enumerate() {
        by_programme
            .entry(row.programme.clone())
            .or_default()
            .push(i);
    }
    for indices in by_programme.values() {
        let p: Vec<Option<f64>> = indices
            .iter()
            .map(|&i| rows[i].effect.att_p_value)
            .collect();
        for (&i, q) in indices.iter().zip(benjamini_hochberg(&p)) {
            rows[i].att_p_adjusted = q;
        }
    }
    rows
}
