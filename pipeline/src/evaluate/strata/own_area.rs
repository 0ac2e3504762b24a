//! The own-area design's match (CONTRACT.md): each site against the
//! never-referred people of its own area.

use super::{Comparison, Group, StratumKey};
use stats::estimators::matching::{MatchedComparison, StratumCounts, coarsened_exact_match_of};
use std::collections::BTreeMap;

impl Group {
    /// The own-area design: each site's eligible participants against the
    /// never-referred people of the same area and stratum (`own_area`, from
    /// [`comparison_strata`]), matched cell by (area, stratum) and weighed
    /// as one matched comparison ([`coarsened_exact_match_of`]). The areas'
    /// own levels and trends are on both sides of every cell, so no
    /// between-area variance enters its interval.
    pub fn own_area_match(&self, own_area: &Comparison) -> MatchedComparison {
        let strata = self
            .own_area_pairs(own_area)
            .map(|(_, participants, comparison)| (participants, comparison));
        coarsened_exact_match_of(self.kind, strata)
    }

    /// Each of the group's (site, stratum) cells, in cell order, with its
    /// participants' counts and the counts of its own area's people of the
    /// same stratum (empty where there are none). `number_strata` must
    /// have numbered both.
    pub(super) fn own_area_pairs<'a>(
        &'a self,
        own_area: &Comparison,
    ) -> impl Iterator<
        Item = (
            &'a (String, StratumKey, StratumCounts),
            StratumCounts,
            StratumCounts,
        ),
    > {
        let cells: BTreeMap<(&str, usize), StratumCounts> = own_area
            .cells
            .iter()
            .zip(&own_area.ids)
            .map(|((area, _, counts), &id)| ((area.as_str(), id), *counts))
            .collect();
        self.cells.iter().zip(&self.ids).map(move |(cell, &id)| {
            let comparison = cells
                .get(&(cell.0.as_str(), id))
                .copied()
                .unwrap_or_default();
            (cell, cell.2, comparison)
        })
    }
}
