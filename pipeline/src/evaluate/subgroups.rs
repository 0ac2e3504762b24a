//! `subgroup_outcomes`: each programme's figures within each subgroup,
//! matched the same way as the programme as a whole, the areas' variance
//! borrowed from the programme, flags corrected for the many subgroups.

use super::rate;
use super::strata::{Comparison, Group, GroupKey};
use crate::estimators::effect::Effect;
use contract::formulas::multiplicity::benjamini_hochberg;
use contract::outputs::SubgroupOutcome;
use contract::vocabulary::Dimension;
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
            let m = e.matching;
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
                matched: m.matched,
                matched_in_work: m.matched_in_work,
                unmatched: m.unmatched,
                comparison_rate: m.comparison_rate,
                comparison_variance: m.comparison_variance,
                att: m.att,
                att_low: e.att_low,
                att_high: e.att_high,
                att_se_within: e.att_se_within,
                att_design_effect: m.att.map(|_| m.design_effect),
                att_area_variance: e.area_variance,
                att_df: e.df,
                att_critical: e.critical,
                att_p_value: e.p_value,
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
        let p: Vec<Option<f64>> = indices.iter().map(|&i| rows[i].att_p_value).collect();
        for (&i, q) in indices.iter().zip(benjamini_hochberg(&p)) {
            rows[i].att_p_adjusted = q;
        }
    }
    rows
}
