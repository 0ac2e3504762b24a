//! The own-area design's match (CONTRACT.md): each site against the
//! never-referred people of its own area.

use super::{Comparison, Group};
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
        let cells: BTreeMap<(&str, usize), StratumCounts> = own_area
            .cells
            .iter()
            .zip(&own_area.ids)
            .map(|((area, _, counts), &id)| ((area.as_str(), id), *counts))
            .collect();
        let strata = self
            .cells
            .iter()
            .zip(&self.ids)
            .map(|((site, _, counts), &id)| {
                let comparison = cells.get(&(site.as_str(), id)).copied().unwrap_or_default();
                (*counts, comparison)
            });
        coarsened_exact_match_of(self.kind, strata)
    }
}
