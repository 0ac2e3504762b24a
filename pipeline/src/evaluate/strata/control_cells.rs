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
    /// site's participants against its own area's people of the stratum.
    pub fn own_area_cells(
        &self,
        own_area: &Comparison,
    ) -> BTreeMap<(String, StratumKey), MatchedCell> {
        let own: BTreeMap<(&str, &StratumKey), StratumCounts> = own_area
            .cells
            .iter()
            .map(|(area, key, counts)| ((area.as_str(), key), *counts))
            .collect();
        self.cells
            .iter()
            .filter_map(|(site, key, counts)| {
                let comparison = own.get(&(site.as_str(), key))?;
                Some(((site.clone(), *key), matched(*counts, *comparison)?))
            })
            .collect()
    }

    /// The comparison-area design's matched cells, by stratum: the
    /// participants of every site against the comparison areas' people of
    /// the stratum, pooled.
    pub fn pooled_cells(&self, comparison: &Comparison) -> BTreeMap<StratumKey, MatchedCell> {
        let pool = |cells: &[(String, StratumKey, StratumCounts)]| {
            let mut by_key: BTreeMap<StratumKey, StratumCounts> = BTreeMap::new();
            for (_, key, counts) in cells {
                by_key.entry(*key).or_default().add(*counts);
            }
            by_key
        };
        let pooled = pool(&comparison.cells);
        pool(&self.cells)
            .into_iter()
            .filter_map(|(key, counts)| Some((key, matched(counts, *pooled.get(&key)?)?)))
            .collect()
    }
}
