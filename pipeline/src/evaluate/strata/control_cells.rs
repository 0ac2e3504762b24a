//! A group's matched cells as the negative controls' correlation needs them
//! (`stats::estimators::control_correlation`): each cell's participants, how
//! many were in work and its comparison rate, keyed so that the same cell of
//! two controls meets.

use super::{Comparison, Group, StratumKey};
use stats::estimators::control_correlation::MatchedCell;
use stats::estimators::matching::StratumCounts;
use std::collections::BTreeMap;

fn matched(participants: StratumCounts, comparison: StratumCounts) -> Option<MatchedCell> {
    (participants.eligible > 0 && comparison.eligible > 0).then(|| MatchedCell {
        participants: participants.eligible as f64,
        in_work: participants.total as f64,
        comparison_rate: comparison.total as f64 / comparison.eligible as f64,
    })
}

impl Group {
    /// The own-area design's matched cells, by (area, stratum): each
    /// site's participants against its own area's people of the stratum
    /// (the cells [`Group::own_area_match`] matches).
    pub fn own_area_cells(
        &self,
        own_area: &Comparison,
    ) -> BTreeMap<(String, StratumKey), MatchedCell> {
        self.own_area_pairs(own_area)
            .filter_map(|((site, key, _), participants, comparison)| {
                Some(((site.clone(), *key), matched(participants, comparison)?))
            })
            .collect()
    }

    /// The comparison-area design's matched cells, by stratum: the
    /// participants of every site against the comparison areas' people of
    /// the stratum, pooled ([`Comparison::pooled`]; `number_strata` must
    /// have numbered both).
    pub fn pooled_cells(&self, comparison: &Comparison) -> BTreeMap<StratumKey, MatchedCell> {
        let pooled = comparison.pooled();
        let mut by_stratum: BTreeMap<usize, (StratumKey, StratumCounts)> = BTreeMap::new();
        for ((_, key, counts), &id) in self.cells.iter().zip(&self.ids) {
            by_stratum
                .entry(id)
                .or_insert((*key, StratumCounts::default()))
                .1
                .add(*counts);
        }
        by_stratum
            .into_iter()
            .filter_map(|(id, (key, counts))| Some((key, matched(counts, *pooled.get(id)?)?)))
            .collect()
    }
}
