//! `subgroup_outcomes`: each programme's figures within each subgroup,
//! matched the same way as the programme as a whole.

use super::rate;
use super::strata::{Comparison, Group, GroupKey};
use contract::outputs::SubgroupOutcome;
use contract::vocabulary::Dimension;
use std::collections::BTreeMap;

pub fn subgroup_outcomes(
    groups: &BTreeMap<GroupKey, Group>,
    comparison: &Comparison,
) -> Vec<SubgroupOutcome> {
    groups
        .iter()
        .filter(|((_, dimension, _), _)| *dimension != Dimension::All)
        .map(|(((_, programme), dimension, value), group)| {
            let [rate, rate_low, rate_high] = rate(group.in_work_6m, group.eligible);
            let m = group.matched_against(comparison);
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
                att_low: m.att_low,
                att_high: m.att_high,
            }
        })
        .collect()
}
