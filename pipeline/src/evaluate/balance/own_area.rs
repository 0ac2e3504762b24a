//! The own-area design's balance, for its diagnostics (CONTRACT.md): how
//! alike each programme's matched participants and the never-referred
//! people of their own areas are on the covariates the diagnostics check
//! but the match does not hold (IMD decile, months employed and earnings in
//! the year before), from `sql/own_area_balance_strata.sql`, weighed cell
//! by (area, stratum) as the own-area match weighs them.

use super::super::query;
use super::super::strata::{StratumKey, stratum_keys};
use crate::error::Result;
use contract::vocabulary::Arm;
use datafusion::prelude::SessionContext;
use stats::formulas::balance::standardised_difference;
use std::collections::{BTreeMap, BTreeSet};

/// The checked covariates, in the view's column order.
const COVARIATES: [&str; 3] = ["imd_decile", "months_employed", "earnings"];

/// One row of `own_area_balance_strata`.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnAreaCell {
    /// Participants of `programme`, or (false) the own-area design's
    /// people of `area` (whose programme is empty).
    pub participant: bool,
    pub programme: String,
    pub area: String,
    pub key: StratumKey,
    pub people: f64,
    pub sums: [f64; 3],
    pub squares: [f64; 3],
}

pub async fn own_area_balance_cells(ctx: &SessionContext) -> Result<Vec<OwnAreaCell>> {
    let view = "own_area_balance_strata";
    let r = query(ctx, view).await?;
    let keys = stratum_keys(&r, view)?;
    let arm = r.strings("arm")?;
    let programme = r.strings("programme")?;
    let area = r.strings("area_id")?;
    let people = r.counts("people")?;
    let mut columns = Vec::new();
    for name in COVARIATES {
        columns.push((
            r.floats(&format!("{name}_sum"))?,
            r.floats(&format!("{name}_squares"))?,
        ));
    }
    let mut cells = Vec::with_capacity(keys.len());
    for (i, key) in keys.into_iter().enumerate() {
        let participant =
            super::super::parse(arm[i].as_deref(), Arm::parse, view, "arm")? == Arm::Participant;
        let mut cell = OwnAreaCell {
            participant,
            programme: programme[i].clone().unwrap_or_default(),
            area: area[i].clone().unwrap_or_default(),
            key,
            people: people[i] as f64,
            sums: [0.0; 3],
            squares: [0.0; 3],
        };
        for (j, (sum, square)) in columns.iter().enumerate() {
            cell.sums[j] = sum[i].unwrap_or_default();
            cell.squares[j] = square[i].unwrap_or_default();
        }
        cells.push(cell);
    }
    // Rows come in no fixed order; sorted cells give bit-identical sums.
    cells.sort_by(|a, b| {
        (a.participant, &a.programme, &a.area, &a.key).cmp(&(
            b.participant,
            &b.programme,
            &b.area,
            &b.key,
        ))
    });
    Ok(cells)
}

/// Weighted sums of the covariates on one side.
#[derive(Default)]
struct Side {
    weight: f64,
    sums: [f64; 3],
    squares: [f64; 3],
}

impl Side {
    fn add(&mut self, cell: &OwnAreaCell, w: f64) {
        self.weight += w * cell.people;
        for j in 0..3 {
            self.sums[j] += w * cell.sums[j];
            self.squares[j] += w * cell.squares[j];
        }
    }

    fn mean(&self, j: usize) -> f64 {
        self.sums[j] / self.weight
    }

    fn variance(&self, j: usize) -> f64 {
        (self.squares[j] / self.weight - self.mean(j).powi(2)).max(0.0)
    }
}

/// Each programme's largest |standardised difference| after the own-area
/// match over the checked covariates: matched participants (in cells with
/// own-area people) against own-area people weighted nₖ/mₖ in cell k, with
/// the variances from before matching (every eligible participant; every
/// own-area person of the areas the programme's participants are in).
/// `None` where no cell holds both sides or a difference is undefined.
pub fn own_area_max_smd(cells: &[OwnAreaCell]) -> BTreeMap<String, Option<f64>> {
    let own: BTreeMap<(&str, &StratumKey), &OwnAreaCell> = cells
        .iter()
        .filter(|c| !c.participant && c.people > 0.0)
        .map(|c| ((c.area.as_str(), &c.key), c))
        .collect();
    let programmes: BTreeSet<&str> = cells
        .iter()
        .filter(|c| c.participant)
        .map(|c| c.programme.as_str())
        .collect();
    let mut result = BTreeMap::new();
    for programme in programmes {
        let treated: Vec<&OwnAreaCell> = cells
            .iter()
            .filter(|c| c.participant && c.programme == programme)
            .collect();
        let areas: BTreeSet<&str> = treated.iter().map(|c| c.area.as_str()).collect();
        let (mut t_before, mut t_after) = (Side::default(), Side::default());
        let (mut c_before, mut c_after) = (Side::default(), Side::default());
        // Participants of several sites can share a cell: n per cell.
        let mut treated_by_cell: BTreeMap<(&str, &StratumKey), f64> = BTreeMap::new();
        for c in &treated {
            t_before.add(c, 1.0);
            if own.contains_key(&(c.area.as_str(), &c.key)) {
                t_after.add(c, 1.0);
                *treated_by_cell
                    .entry((c.area.as_str(), &c.key))
                    .or_default() += c.people;
            }
        }
        for c in cells.iter().filter(|c| !c.participant) {
            if areas.contains(c.area.as_str()) {
                c_before.add(c, 1.0);
            }
            if let Some(n) = treated_by_cell.get(&(c.area.as_str(), &c.key)) {
                c_after.add(c, n / c.people);
            }
        }
        let smd = (t_after.weight > 0.0 && c_after.weight > 0.0)
            .then(|| {
                (0..3).try_fold(0.0f64, |worst, j| {
                    let d = standardised_difference(
                        t_after.mean(j),
                        c_after.mean(j),
                        t_before.variance(j),
                        c_before.variance(j),
                    )?;
                    Some(worst.max(d.abs()))
                })
            })
            .flatten();
        result.insert(programme.to_string(), smd);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(participant: bool, area: &str, key: u8, people: f64, values: &[f64]) -> OwnAreaCell {
        // Every covariate takes the same values in this test.
        let sum: f64 = values.iter().sum();
        let squares: f64 = values.iter().map(|v| v * v).sum();
        assert_eq!(values.len() as f64, people);
        OwnAreaCell {
            participant,
            programme: if participant {
                "P".into()
            } else {
                String::new()
            },
            area: area.into(),
            key: StratumKey {
                imd_quintile: Some(key.into()),
                ..StratumKey::default()
            },
            people,
            sums: [sum; 3],
            squares: [squares; 3],
        }
    }

    /// Worked by hand. Participants: area A stratum 1 {2, 4}, area B
    /// stratum 1 {6} (no own-area people there: dropped). Own area: A1
    /// {1, 3, 5, 7}, A2 {10} (no participants: weight 0), B2 {8}.
    /// After: participants {2, 4}, mean 3; own area A1 weighted 2/4 each,
    /// mean 4. Before: participants {2, 4, 6}, variance 8/3; own area of A
    /// and B {1, 3, 5, 7, 10, 8}, mean 34/6, variance (248/6) − (34/6)² =
    /// 9.2222…. SMD = (3 − 4)/√((8/3 + 9.2222)/2) = −0.410152.
    #[test]
    fn the_own_area_smd_is_worked_by_hand() {
        let cells = vec![
            cell(true, "A", 1, 2.0, &[2.0, 4.0]),
            cell(true, "B", 1, 1.0, &[6.0]),
            cell(false, "A", 1, 4.0, &[1.0, 3.0, 5.0, 7.0]),
            cell(false, "A", 2, 1.0, &[10.0]),
            cell(false, "B", 2, 1.0, &[8.0]),
            // Another area's own-area people are not this programme's.
            cell(false, "C", 1, 1.0, &[100.0]),
        ];
        let smd = own_area_max_smd(&cells)["P"].unwrap();
        let var_c = 248.0 / 6.0 - (34.0f64 / 6.0).powi(2);
        let expected = 1.0 / ((8.0 / 3.0 + var_c) / 2.0).sqrt();
        assert!((smd - expected).abs() < 1e-12, "{smd} against {expected}");
        assert!((smd - 0.410152).abs() < 1e-6);
    }

    /// No cell with both sides: no balance to measure.
    #[test]
    fn no_matched_cell_gives_none() {
        let cells = vec![
            cell(true, "A", 1, 1.0, &[2.0]),
            cell(false, "A", 2, 1.0, &[3.0]),
        ];
        assert_eq!(own_area_max_smd(&cells)["P"], None);
    }
}
