//! `balance`: how alike participants and their comparison are, before and
//! after matching, covariate by covariate (standardised mean differences,
//! Austin 2009; Stuart 2010), and as a whole (the multivariate L1 imbalance
//! of Iacus, King and Porro 2012). From `sql/balance_strata.sql`: eligible
//! people by stratum, region and IMD decile, weighed as the matching weighs
//! them (a comparison person in stratum s counts nₛ/mₛ for a programme with
//! nₛ participants and mₛ comparison people there; participants in strata
//! without comparison people drop out).

use super::query;
use super::strata::{StratumKey, stratum_keys};
use crate::error::Result;
use contract::outputs::Balance;
use contract::vocabulary::Arm;
use datafusion::prelude::SessionContext;
use stats::formulas::balance::{imbalanced, standardised_difference};
use std::collections::{BTreeMap, BTreeSet};

/// The continuous covariates, in `balance_strata`'s column order.
const CONTINUOUS: [&str; 4] = [
    "imd_decile",
    "months_employed_before",
    "earnings_before",
    "fit_notes_before",
];

/// One row of `balance_strata`.
#[derive(Debug, Clone)]
pub struct BalanceCell {
    pub participant: bool,
    pub programme: String,
    pub key: StratumKey,
    pub region: String,
    pub imd_decile: i64,
    pub people: f64,
    /// Sums and sums of squares of the `CONTINUOUS` covariates.
    pub sums: [f64; 4],
    pub squares: [f64; 4],
}

/// A cell's covariate levels and its L1 cell, as indices (`Index`).
struct Coded {
    levels: [usize; 9],
    joint: usize,
}

/// Numbers every (covariate, level) and every joint cell once.
#[derive(Default)]
struct Index {
    levels: BTreeMap<(&'static str, String), usize>,
    matched_on: BTreeMap<&'static str, bool>,
    joint: BTreeMap<(StratumKey, i64), usize>,
}

impl Index {
    fn code(&mut self, cell: &BalanceCell) -> Coded {
        let mut levels = [0; 9];
        for (i, (name, level, matched)) in cell.levels().into_iter().enumerate() {
            self.matched_on.insert(name, matched);
            let next = self.levels.len();
            levels[i] = *self.levels.entry((name, level)).or_insert(next);
        }
        let next = self.joint.len();
        let joint = *self
            .joint
            .entry((cell.key, cell.imd_decile))
            .or_insert(next);
        Coded { levels, joint }
    }
}

impl BalanceCell {
    /// The cell's level of each categorical covariate: (name, level,
    /// matched on).
    fn levels(&self) -> [(&'static str, String, bool); 9] {
        let [
            age_band,
            sex,
            imd_quintile,
            condition,
            baseline_status,
            work_history,
            index_period,
            labour_market,
        ] = self
            .key
            .levels()
            .map(|v| v.unwrap_or_else(|| "unknown".into()));
        [
            ("age_band", age_band, true),
            ("sex", sex, true),
            ("imd_quintile", imd_quintile, true),
            ("condition", condition, true),
            ("baseline_status", baseline_status, true),
            ("work_history", work_history, true),
            ("index_period", index_period, true),
            ("labour_market", labour_market, true),
            ("region", self.region.clone(), false),
        ]
    }
}

pub async fn balance_cells(ctx: &SessionContext) -> Result<Vec<BalanceCell>> {
    let view = "balance_strata";
    let r = query(ctx, view).await?;
    let keys = stratum_keys(&r, view)?;
    let arm = r.strings("arm")?;
    let programme = r.strings("programme")?;
    let region = r.strings("region")?;
    let decile = r.ints("imd_decile")?;
    let people = r.counts("people")?;
    let columns = [
        ("months_employed_sum", "months_employed_squares"),
        ("earnings_sum", "earnings_squares"),
        ("fit_notes_sum", "fit_notes_squares"),
    ];
    let mut sums = Vec::new();
    for (sum, square) in columns {
        sums.push((r.floats(sum)?, r.floats(square)?));
    }
    let mut cells = Vec::with_capacity(keys.len());
    for (i, key) in keys.into_iter().enumerate() {
        let participant =
            super::parse(arm[i].as_deref(), Arm::parse, view, "arm")? == Arm::Participant;
        let n = people[i] as f64;
        let d = decile[i].unwrap_or_default();
        let mut cell = BalanceCell {
            participant,
            programme: programme[i].clone().unwrap_or_default(),
            key,
            region: region[i].clone().unwrap_or_else(|| "unknown".into()),
            imd_decile: d,
            people: n,
            sums: [d as f64 * n, 0.0, 0.0, 0.0],
            squares: [(d * d) as f64 * n, 0.0, 0.0, 0.0],
        };
        for (j, (sum, square)) in sums.iter().enumerate() {
            cell.sums[j + 1] = sum[i].unwrap_or_default();
            cell.squares[j + 1] = square[i].unwrap_or_default();
        }
        cells.push(cell);
    }
    // Rows come in no fixed order; sorted cells give bit-identical sums.
    cells.sort_by(|a, b| {
        (a.participant, &a.programme, &a.key, &a.region, a.imd_decile).cmp(&(
            b.participant,
            &b.programme,
            &b.key,
            &b.region,
            b.imd_decile,
        ))
    });
    Ok(cells)
}

/// Weighted sums on one side, before or after matching.
#[derive(Clone)]
struct Side {
    weight: f64,
    /// Matched participants (after) or all (before), unweighted.
    people: f64,
    /// Per (covariate, level): weight and people.
    levels: Vec<(f64, f64)>,
    sums: [f64; 4],
    squares: [f64; 4],
    /// Weight per joint cell (for L1).
    cells: Vec<f64>,
}

impl Side {
    fn new(index: &Index) -> Self {
        Side {
            weight: 0.0,
            people: 0.0,
            levels: vec![(0.0, 0.0); index.levels.len()],
            sums: [0.0; 4],
            squares: [0.0; 4],
            cells: vec![0.0; index.joint.len()],
        }
    }

    /// Add `cell` with weight `w` per person.
    fn add(&mut self, cell: &BalanceCell, coded: &Coded, w: f64) {
        if w == 0.0 {
            return;
        }
        self.weight += w * cell.people;
        self.people += cell.people;
        for &l in &coded.levels {
            self.levels[l].0 += w * cell.people;
            self.levels[l].1 += cell.people;
        }
        for j in 0..4 {
            self.sums[j] += w * cell.sums[j];
            self.squares[j] += w * cell.squares[j];
        }
        self.cells[coded.joint] += w * cell.people;
    }

    fn share(&self, level: usize) -> Option<f64> {
        (self.weight > 0.0).then(|| self.levels[level].0 / self.weight)
    }

    fn mean(&self, j: usize) -> Option<f64> {
        (self.weight > 0.0).then(|| self.sums[j] / self.weight)
    }

    fn variance(&self, j: usize) -> Option<f64> {
        let m = self.mean(j)?;
        Some((self.squares[j] / self.weight - m * m).max(0.0))
    }
}

/// ½ Σ |f − g| over the cells of the joint distribution.
fn l1(a: &Side, b: &Side) -> Option<f64> {
    if a.weight <= 0.0 || b.weight <= 0.0 {
        return None;
    }
    let total: f64 = a
        .cells
        .iter()
        .zip(&b.cells)
        .map(|(f, g)| (f / a.weight - g / b.weight).abs())
        .sum();
    Some(total / 2.0)
}

/// A programme's overall balance, for `programme_outcomes`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Overall {
    pub l1_before: Option<f64>,
    pub l1: Option<f64>,
    pub imbalanced: u64,
}

/// The balance rows of every programme with eligible participants, and
/// each programme's overall figures.
pub fn balance(cells: &[BalanceCell]) -> (Vec<Balance>, BTreeMap<String, Overall>) {
    let mut index = Index::default();
    let coded: Vec<Coded> = cells.iter().map(|c| index.code(c)).collect();
    let comparison: Vec<usize> = (0..cells.len())
        .filter(|&i| !cells[i].participant)
        .collect();
    let mut comparison_by_key: BTreeMap<&StratumKey, f64> = BTreeMap::new();
    for &i in &comparison {
        *comparison_by_key.entry(&cells[i].key).or_default() += cells[i].people;
    }
    let programmes: BTreeSet<&str> = cells
        .iter()
        .filter(|c| c.participant)
        .map(|c| c.programme.as_str())
        .collect();
    let mut rows = Vec::new();
    let mut overall = BTreeMap::new();
    for programme in programmes {
        let treated: Vec<usize> = (0..cells.len())
            .filter(|&i| cells[i].participant && cells[i].programme == programme)
            .collect();
        let mut treated_by_key: BTreeMap<&StratumKey, f64> = BTreeMap::new();
        for &i in &treated {
            *treated_by_key.entry(&cells[i].key).or_default() += cells[i].people;
        }
        let empty = Side::new(&index);
        let (mut t_before, mut t_after) = (empty.clone(), empty.clone());
        let (mut c_before, mut c_after) = (empty.clone(), empty);
        for &i in &treated {
            let c = &cells[i];
            t_before.add(c, &coded[i], 1.0);
            let kept = comparison_by_key.get(&c.key).is_some_and(|m| *m > 0.0);
            t_after.add(c, &coded[i], if kept { 1.0 } else { 0.0 });
        }
        for &i in &comparison {
            let c = &cells[i];
            c_before.add(c, &coded[i], 1.0);
            let n = treated_by_key.get(&c.key).copied().unwrap_or_default();
            let m = comparison_by_key[&c.key];
            c_after.add(c, &coded[i], if n > 0.0 { n / m } else { 0.0 });
        }
        let mut programme_rows = Vec::new();
        for ((name, level), &l) in &index.levels {
            // A level no eligible participant of this programme and no
            // eligible comparison person has (another programme's region)
            // is no level of this comparison.
            if t_before.levels[l].1 == 0.0 && c_before.levels[l].1 == 0.0 {
                continue;
            }
            let binary_variance = |p: Option<f64>| p.map(|p| p * (1.0 - p)).unwrap_or_default();
            let (tb, cb) = (t_before.share(l), c_before.share(l));
            let (ta, ca) = (t_after.share(l), c_after.share(l));
            programme_rows.push(row(
                programme,
                name,
                Some(level.clone()),
                index.matched_on[name],
                t_after.levels[l].1.round() as u64,
                [tb, cb, ta, ca],
                (binary_variance(tb), binary_variance(cb)),
            ));
        }
        for (j, name) in CONTINUOUS.iter().enumerate() {
            let (vt, vc) = (
                t_before.variance(j).unwrap_or_default(),
                c_before.variance(j).unwrap_or_default(),
            );
            programme_rows.push(row(
                programme,
                name,
                None,
                false,
                t_after.people.round() as u64,
                [
                    t_before.mean(j),
                    c_before.mean(j),
                    t_after.mean(j),
                    c_after.mean(j),
                ],
                (vt, vc),
            ));
        }
        overall.insert(
            programme.to_string(),
            Overall {
                l1_before: l1(&t_before, &c_before),
                l1: l1(&t_after, &c_after),
                imbalanced: programme_rows.iter().filter(|r| r.imbalanced).count() as u64,
            },
        );
        rows.extend(programme_rows);
    }
    (rows, overall)
}

fn row(
    programme: &str,
    covariate: &str,
    level: Option<String>,
    matched_on: bool,
    participants: u64,
    [tb, cb, ta, ca]: [Option<f64>; 4],
    (vt, vc): (f64, f64),
) -> Balance {
    let smd = |t: Option<f64>, c: Option<f64>| standardised_difference(t?, c?, vt, vc);
    let smd_after = smd(ta, ca);
    Balance {
        programme: programme.to_string(),
        covariate: covariate.to_string(),
        level,
        matched_on,
        participants,
        participant_mean_before: tb,
        comparison_mean_before: cb,
        participant_mean: ta,
        comparison_mean: ca,
        smd_before: smd(tb, cb),
        smd: smd_after,
        imbalanced: imbalanced(smd_after, ta.zip(ca)),
    }
}

pub mod own_area;

#[cfg(test)]
mod tests;
