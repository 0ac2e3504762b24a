//! The matching strata: comparison people's counts per comparison area and
//! stratum, and participants' per (programme, dimension, value) group, site
//! and stratum, from `sql/comparison_strata.sql` and
//! `sql/participant_strata.sql`.

use super::{parse, programme_order, query};
use crate::error::Result;
use contract::outcomes::{Outcome, Unit};
use contract::small::SmallResult;
use contract::vocabulary::{Arm, Dimension};
use datafusion::common::{HashMap, HashSet};
use datafusion::prelude::SessionContext;
use stats::estimators::between_areas::AreaCell;
use stats::estimators::effect::{AreaVariance, Cells, Effect, estimate, estimate_with};
use stats::estimators::matching::{
    MatchedComparison, OutcomeKind, StratumCounts, coarsened_exact_match_of,
};
use std::collections::BTreeMap;

mod control_cells;
mod key;
mod own_area;
mod part;

pub use key::StratumKey;
pub(super) use key::stratum_keys;
pub use part::{PART_BYTES, Part};

/// Comparison people's counts by (comparison area, stratum).
#[derive(Default)]
pub struct Comparison {
    cells: Vec<(String, StratumKey, StratumCounts)>,
    /// Filled by [`number_strata`], parallel to `cells`: each cell's
    /// stratum number and comparison area number.
    ids: Vec<usize>,
    areas: Vec<usize>,
    area_count: usize,
    /// How many strata there are, and which hold eligible comparison people.
    strata: usize,
    kept: Vec<bool>,
}

/// The comparison people of `sql/comparison_strata.sql`: the comparison
/// areas' (arm `comparison`) and the programme areas' never-referred people
/// (arm `own_area`, for the own-area design).
pub async fn comparison_strata(ctx: &SessionContext) -> Result<(Comparison, Comparison)> {
    let view = "comparison_strata";
    let r = query(ctx, view).await?;
    let keys = stratum_keys(&r, view)?;
    let arm = r.strings("arm")?;
    let area = r.strings("area_id")?;
    let eligible = r.counts("eligible")?;
    let in_work = r.counts("in_work_6m")?;
    let (mut comparison, mut own_area) = (Comparison::default(), Comparison::default());
    for (i, key) in keys.into_iter().enumerate() {
        let counts = StratumCounts::proportion(eligible[i], in_work[i]);
        let cell = (area[i].clone().unwrap_or_default(), key, counts);
        match parse(arm[i].as_deref(), Arm::parse, view, "arm")? {
            Arm::Comparison => comparison.cells.push(cell),
            Arm::OwnArea => own_area.cells.push(cell),
            Arm::Participant => {
                return Err(crate::error::PipelineError::Invalid(format!(
                    "sql/{view}.sql wrote a participant row: it holds comparison people only"
                )));
            }
        }
    }
    for c in [&mut comparison, &mut own_area] {
        sort_cells(&mut c.cells);
    }
    Ok((comparison, own_area))
}

impl Comparison {
    /// The comparison people's counts by stratum number, summed over the
    /// comparison areas ([`number_strata`] must have numbered them).
    pub fn pooled(&self) -> Vec<StratumCounts> {
        let mut pooled = vec![StratumCounts::default(); self.strata];
        for ((_, _, counts), &id) in self.cells.iter().zip(&self.ids) {
            pooled[id].add(*counts);
        }
        pooled
    }
}

/// Participants of one (programme, dimension, value) group, by stratum and
/// by (site, stratum).
#[derive(Default)]
pub struct Group {
    pub participants: u64,
    pub eligible: u64,
    pub in_work_6m: u64,
    cells: Vec<(String, StratumKey, StratumCounts)>,
    /// Eligible participants who engaged, by stratum.
    engaged: BTreeMap<StratumKey, u64>,
    /// Filled by [`number_strata`]: each cell's stratum number (parallel to
    /// `cells`), and the engaged counts by stratum number.
    ids: Vec<usize>,
    engaged_ids: Vec<(usize, u64)>,
    /// A proportion (the headline, placebo) or a mean outcome.
    kind: OutcomeKind,
}

/// Number every stratum of the comparison and participant cells once, in
/// key order, so that matching a group (once per programme, subgroup and
/// placebo) compares numbers, not keys. With the finer strata there are
/// hundreds of thousands of comparison cells; comparing their keys for
/// every group took most of a run.
pub fn number_strata<'a>(
    comparisons: impl IntoIterator<Item = &'a mut Comparison>,
    groups: impl IntoIterator<Item = &'a mut Group>,
) {
    let comparisons: Vec<&mut Comparison> = comparisons.into_iter().collect();
    let groups: Vec<&mut Group> = groups.into_iter().collect();
    // The distinct keys first (a hash set: cells repeat strata many times
    // over), then sorted: the numbers follow key order whatever order the
    // cells came in.
    let distinct: HashSet<&StratumKey> = comparisons
        .iter()
        .flat_map(|c| c.cells.iter().map(|c| &c.1))
        .chain(groups.iter().flat_map(|g| g.cells.iter().map(|c| &c.1)))
        .chain(groups.iter().flat_map(|g| g.engaged.keys()))
        .collect();
    let mut sorted: Vec<StratumKey> = distinct.into_iter().copied().collect();
    sorted.sort_unstable();
    let numbers: HashMap<&StratumKey, usize> =
        sorted.iter().enumerate().map(|(i, k)| (k, i)).collect();
    let number = |k: &StratumKey| numbers.get(k).copied().unwrap_or_default();
    let strata = sorted.len();
    for c in comparisons {
        c.ids = c.cells.iter().map(|cell| number(&cell.1)).collect();
        let mut areas: BTreeMap<&str, usize> = BTreeMap::new();
        let mut area_numbers = Vec::with_capacity(c.cells.len());
        for (area_id, _, _) in &c.cells {
            let next = areas.len();
            area_numbers.push(*areas.entry(area_id.as_str()).or_insert(next));
        }
        c.area_count = areas.len();
        c.areas = area_numbers;
        c.strata = strata;
        c.kept = vec![false; strata];
        for (cell, &id) in c.cells.iter().zip(&c.ids) {
            c.kept[id] |= cell.2.eligible > 0;
        }
    }
    for g in groups {
        g.ids = g.cells.iter().map(|cell| number(&cell.1)).collect();
        g.engaged_ids = g.engaged.iter().map(|(k, n)| (number(k), *n)).collect();
    }
}

impl Group {
    /// The group's cells: its sites' and the comparison areas' counts by
    /// stratum, strata numbered in key order (the matching sums in it;
    /// [`number_strata`] must have numbered both).
    pub fn cells(&self, comparison: &Comparison) -> Cells {
        let mut cells = Cells {
            strata: comparison.strata,
            kind: self.kind,
            ..Cells::default()
        };
        let mut sites: BTreeMap<&str, usize> = BTreeMap::new();
        for ((site, _, counts), &stratum) in self.cells.iter().zip(&self.ids) {
            let next = sites.len();
            let area = *sites.entry(site.as_str()).or_insert(next);
            cells.treated.push(AreaCell {
                area,
                stratum,
                counts: *counts,
            });
        }
        cells.comparison = comparison
            .cells
            .iter()
            .zip(comparison.ids.iter().zip(&comparison.areas))
            .map(|((_, _, counts), (&stratum, &area))| AreaCell {
                area,
                stratum,
                counts: *counts,
            })
            .collect();
        (cells.treated_areas, cells.comparison_areas) = (sites.len(), comparison.area_count);
        cells
    }

    /// Eligible participants who engaged, in the strata the matching keeps
    /// (those holding eligible comparison people).
    pub fn engaged_matched(&self, comparison: &Comparison) -> u64 {
        self.engaged_ids
            .iter()
            .filter(|(id, _)| comparison.kept.get(*id).copied().unwrap_or(false))
            .map(|(_, n)| n)
            .sum()
    }

    /// Each site's eligible participants by stratum: (site, stratum key,
    /// counts), sorted by site and stratum.
    pub(super) fn site_cells(&self) -> impl Iterator<Item = (&str, &StratumKey, StratumCounts)> {
        self.cells
            .iter()
            .map(|(site, key, counts)| (site.as_str(), key, *counts))
    }

    /// Each site's own matched comparison: its participants against the
    /// comparison people of the same strata (`pooled`, from
    /// [`Comparison::pooled`]), summed over comparison areas.
    pub(super) fn site_matches(
        &self,
        pooled: &[StratumCounts],
    ) -> BTreeMap<String, MatchedComparison> {
        let mut by_site: BTreeMap<&str, Vec<(usize, StratumCounts)>> = BTreeMap::new();
        for ((site, _, counts), &id) in self.cells.iter().zip(&self.ids) {
            by_site
                .entry(site.as_str())
                .or_default()
                .push((id, *counts));
        }
        by_site
            .into_iter()
            .map(|(site, mut cells)| {
                cells.sort_by_key(|c| c.0);
                let strata = cells
                    .into_iter()
                    .map(|(id, counts)| (counts, pooled.get(id).copied().unwrap_or_default()));
                (
                    site.to_string(),
                    coarsened_exact_match_of(self.kind, strata),
                )
            })
            .collect()
    }

    /// The group's effect (`stats::estimators::effect::estimate`).
    pub fn effect(&self, comparison: &Comparison, programme: Option<AreaVariance>) -> Effect {
        estimate(&self.cells(comparison), programme)
    }
}

/// Each programme's headline effect, with its own τ̂² (and the
/// placebo-in-space p-value); where a programme's areas are too few to
/// estimate one, with τ̂² pooled over every programme's own moments
/// (`stats::estimators::between_areas::pooled_tau2`), summed in the order `groups` come in.
pub fn headline_effects<'a, K: Ord>(
    groups: impl IntoIterator<Item = (K, &'a Group)>,
    comparison: &Comparison,
) -> BTreeMap<K, Effect> {
    let own: Vec<(K, &Group, Effect)> = groups
        .into_iter()
        .map(|(key, g)| {
            let effect = estimate_with(&g.cells(comparison), None, true);
            (key, g, effect)
        })
        .collect();
    let pooled = own
        .iter()
        .any(|(_, _, e)| e.between.area.is_none())
        .then(|| {
            stats::estimators::between_areas::pooled_tau2(
                &own.iter().map(|(_, _, e)| &e.between).collect::<Vec<_>>(),
            )
        })
        .flatten();
    own.into_iter()
        .map(|(key, g, effect)| match (effect.between.area, pooled) {
            (None, Some(pooled)) => (key, estimate_with(&g.cells(comparison), Some(pooled), true)),
            _ => (key, effect),
        })
        .collect()
}

/// (programme in contract order, dimension, value).
pub type GroupKey = ((usize, String), Dimension, String);

pub async fn participant_groups(ctx: &SessionContext) -> Result<BTreeMap<GroupKey, Group>> {
    let r = query(ctx, "participant_strata").await?;
    let keys = stratum_keys(&r, "participant_strata")?;
    let programme = r.strings("programme")?;
    let dimension = r.strings("dimension")?;
    let value = r.strings("value")?;
    let area = r.strings("area_id")?;
    let participants = r.counts("participants")?;
    let eligible = r.counts("eligible")?;
    let in_work = r.counts("in_work_6m")?;
    let engaged = r.counts("engaged")?;
    let mut groups: BTreeMap<GroupKey, Group> = BTreeMap::new();
    for (i, key) in keys.into_iter().enumerate() {
        let dimension = parse(
            dimension[i].as_deref(),
            Dimension::parse,
            "participant_strata",
            "dimension",
        )?;
        let group = groups
            .entry((
                programme_order(programme[i].as_deref().unwrap_or_default()),
                dimension,
                value[i].clone().unwrap_or_else(|| "unknown".into()),
            ))
            .or_default();
        let counts = StratumCounts::proportion(eligible[i], in_work[i]);
        group.participants += participants[i];
        group.eligible += eligible[i];
        group.in_work_6m += in_work[i];
        *group.engaged.entry(key).or_default() += engaged[i];
        group
            .cells
            .push((area[i].clone().unwrap_or_default(), key, counts));
    }
    for group in groups.values_mut() {
        sort_cells(&mut group.cells);
    }
    Ok(groups)
}

/// Where one outcome's counts are in a by-arm metric view
/// (`sql/placebo_strata.sql`, `sql/outcome_strata.sql`).
pub struct OutcomeColumns {
    pub eligible: String,
    pub total: String,
    /// Σy²; a yes/no outcome's is its total.
    pub squares: Option<String>,
    pub engaged: Option<String>,
    pub kind: OutcomeKind,
}

impl OutcomeColumns {
    pub fn of(outcome: Outcome) -> Self {
        OutcomeColumns {
            eligible: outcome.column("eligible"),
            total: outcome.column("total"),
            squares: Some(outcome.column("squares")),
            engaged: Some(outcome.column("engaged")),
            kind: match outcome.unit() {
                Unit::Proportion => OutcomeKind::Proportion,
                Unit::Months | Unit::Pounds => OutcomeKind::Mean,
            },
        }
    }
}

/// The placebo outcome's participants per programme and comparison people,
/// from `sql/placebo_strata.sql` (one pass for both arms).
pub async fn placebo_strata(ctx: &SessionContext) -> Result<(BTreeMap<String, Group>, Comparison)> {
    let view = "placebo_strata";
    let r = query(ctx, view).await?;
    let rows = ArmRows::read(&r, view)?;
    let columns = OutcomeColumns {
        eligible: "eligible".into(),
        total: "in_work_6m".into(),
        squares: None,
        engaged: None,
        kind: OutcomeKind::Proportion,
    };
    let (groups, comparison, _) = arm_strata(&r, &rows, &columns)?;
    Ok((groups, comparison))
}

/// The rows of a by-arm view (`sql/placebo_strata.sql`,
/// `sql/outcome_strata.sql`, `sql/negative_control_strata.sql`) as every
/// outcome in it reads them: parsed once, not once per outcome.
pub struct ArmRows {
    keys: Vec<StratumKey>,
    arms: Vec<Arm>,
    programmes: Vec<Option<String>>,
    areas: Vec<Option<String>>,
}

impl ArmRows {
    pub fn read(r: &SmallResult, view: &str) -> Result<ArmRows> {
        let arms = r
            .strings("arm")?
            .iter()
            .map(|a| parse(a.as_deref(), Arm::parse, view, "arm"))
            .collect::<Result<_>>()?;
        Ok(ArmRows {
            keys: stratum_keys(r, view)?,
            arms,
            programmes: r.strings("programme")?,
            areas: r.strings("area_id")?,
        })
    }
}

/// One outcome's participants per programme, comparison people and the
/// own-area design's people from a by-arm view `r` whose rows are `rows`
/// (the last empty where the view leaves them out).
pub fn arm_strata(
    r: &SmallResult,
    rows: &ArmRows,
    columns: &OutcomeColumns,
) -> Result<(BTreeMap<String, Group>, Comparison, Comparison)> {
    let participants = r
        .has_column("participants")
        .then(|| r.counts("participants"))
        .transpose()?;
    let eligible = r.counts(&columns.eligible)?;
    let total = r.counts(&columns.total)?;
    let squares = match &columns.squares {
        Some(c) => r.counts(c)?,
        None => total.clone(),
    };
    let engaged = columns
        .engaged
        .as_deref()
        .map(|c| r.counts(c))
        .transpose()?;
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    let (mut comparison, mut own_area) = (Comparison::default(), Comparison::default());
    for (i, (&key, arm)) in rows.keys.iter().zip(&rows.arms).enumerate() {
        let counts = StratumCounts {
            eligible: eligible[i],
            total: total[i],
            squares: squares[i],
        };
        let area = || rows.areas[i].clone().unwrap_or_default();
        match arm {
            Arm::Comparison => {
                if counts.eligible > 0 {
                    comparison.cells.push((area(), key, counts));
                }
            }
            Arm::OwnArea => {
                if counts.eligible > 0 {
                    own_area.cells.push((area(), key, counts));
                }
            }
            Arm::Participant => {
                let programme = rows.programmes[i].as_deref().unwrap_or_default();
                if !groups.contains_key(programme) {
                    groups.insert(
                        programme.to_string(),
                        Group {
                            kind: columns.kind,
                            ..Group::default()
                        },
                    );
                }
                let group = groups.get_mut(programme).expect("inserted above");
                group.participants += participants.as_ref().map_or(eligible[i], |p| p[i]);
                group.eligible += eligible[i];
                group.in_work_6m += total[i];
                if let Some(engaged) = &engaged {
                    *group.engaged.entry(key).or_default() += engaged[i];
                }
                group.cells.push((area(), key, counts));
            }
        }
    }
    sort_cells(&mut comparison.cells);
    sort_cells(&mut own_area.cells);
    for group in groups.values_mut() {
        sort_cells(&mut group.cells);
    }
    Ok((groups, comparison, own_area))
}

/// A metric view's cells in (area, stratum) order. The engine returns rows
/// in no fixed order; sorted cells make every run's floating-point sums
/// bit-identical. (area, stratum) is unique within an arm and group (the
/// views group by it), so an unstable sort gives the one order.
fn sort_cells(cells: &mut [(String, StratumKey, StratumCounts)]) {
    cells.sort_unstable_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
}

#[cfg(test)]
mod tests;
