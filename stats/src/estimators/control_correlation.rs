//! How a programme's negative controls move together. They are the same
//! people looked at several months back, so their estimates are correlated
//! and the mean systematic error fitted to them is less certain than five
//! independent controls would make it (`calibration::Null::mean_se`). The
//! correlation of two controls' matched effects comes from a delete-one-cell
//! jackknife over the matched cells they share (Quenouille 1956; Tukey
//! 1958), and the mean's variance from the correlations and each control's
//! own standard error.

use crate::formulas::calibration::Null;
use std::collections::{BTreeMap, BTreeSet};

/// One matched cell of one control: its participants, how many of them were
/// in work, and the comparison rate the cell's comparison people give.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MatchedCell {
    pub participants: f64,
    pub in_work: f64,
    pub comparison_rate: f64,
}

/// One control's matched effect, Σy/Σn − Σnĉ/Σn, from its sums
/// (Σn, Σy, Σnĉ), or `None` without participants.
fn effect(n: f64, y: f64, s: f64) -> Option<f64> {
    (n > 0.0).then(|| (y - s) / n)
}

/// The correlation matrix of the controls' matched effects (one map of
/// cells per control, keyed alike): each cell of the union left out in
/// turn, each control's effect recomputed without it (a control without
/// that cell, or with no other, keeps its full estimate), and the
/// jackknife covariances (G − 1)/G·Σ_g (b_i(−g) − b̄_i)(b_j(−g) − b̄_j) over
/// the G cells scaled to correlations. A control with no spread correlates
/// 0 with the others; the diagonal is 1.
pub fn jackknife_correlations<K: Ord>(controls: &[&BTreeMap<K, MatchedCell>]) -> Vec<Vec<f64>> {
    let k = controls.len();
    let sums: Vec<(f64, f64, f64)> = controls
        .iter()
        .map(|cells| {
            cells.values().fold((0.0, 0.0, 0.0), |(n, y, s), c| {
                (
                    n + c.participants,
                    y + c.in_work,
                    s + c.participants * c.comparison_rate,
                )
            })
        })
        .collect();
    let union: BTreeSet<&K> = controls.iter().flat_map(|cells| cells.keys()).collect();
    let g = union.len();
    let mut correlations = vec![vec![0.0; k]; k];
    for (i, row) in correlations.iter_mut().enumerate() {
        row[i] = 1.0;
    }
    if g < 2 {
        return correlations;
    }
    // Each control's leave-one-cell-out effects, in union order.
    let left_out: Vec<Vec<f64>> = controls
        .iter()
        .zip(&sums)
        .map(|(cells, &(n, y, s))| {
            let full = effect(n, y, s).unwrap_or(0.0);
            union
                .iter()
                .map(|key| match cells.get(*key) {
                    Some(c) => effect(
                        n - c.participants,
                        y - c.in_work,
                        s - c.participants * c.comparison_rate,
                    )
                    .unwrap_or(full),
                    None => full,
                })
                .collect()
        })
        .collect();
    let means: Vec<f64> = left_out
        .iter()
        .map(|b| b.iter().sum::<f64>() / g as f64)
        .collect();
    let scale = (g as f64 - 1.0) / g as f64;
    let covariance = |i: usize, j: usize| {
        scale
            * left_out[i]
                .iter()
                .zip(&left_out[j])
                .map(|(a, b)| (a - means[i]) * (b - means[j]))
                .sum::<f64>()
    };
    let variances: Vec<f64> = (0..k).map(|i| covariance(i, i)).collect();
    for i in 0..k {
        for j in 0..k {
            if i != j && variances[i] > 0.0 && variances[j] > 0.0 {
                correlations[i][j] = covariance(i, j) / (variances[i] * variances[j]).sqrt();
            }
        }
    }
    correlations
}

/// `null` (fitted to `estimates`, (b, s) per control, `None` where a
/// control has no estimate) with the standard error of its mean taken over
/// correlated controls: with wᵢ = 1/(σ² + sᵢ²) the weights of its mean,
/// se(μ̂)² = Σᵢ Σⱼ wᵢ wⱼ Vᵢⱼ / (Σ w)², Vᵢᵢ = σ² + sᵢ², Vᵢⱼ = rᵢⱼ sᵢ sⱼ
/// (`correlations` r, in the same order as `estimates`). With every r = 0 it
/// is `fit_null`'s own 1/Σw.
pub fn with_correlated_controls(
    null: Null,
    estimates: &[Option<(f64, f64)>],
    correlations: &[Vec<f64>],
) -> Null {
    let sd2 = null.sd * null.sd;
    let used: Vec<(usize, f64, f64)> = estimates
        .iter()
        .enumerate()
        .filter_map(|(i, e)| e.map(|(_, s)| (i, s, 1.0 / (sd2 + s * s).max(f64::MIN_POSITIVE))))
        .collect();
    let total: f64 = used.iter().map(|&(_, _, w)| w).sum();
    if total <= 0.0 {
        return null;
    }
    let mut variance = 0.0;
    for &(i, si, wi) in &used {
        for &(j, sj, wj) in &used {
            let v = if i == j {
                sd2 + si * si
            } else {
                correlations
                    .get(i)
                    .and_then(|row| row.get(j))
                    .copied()
                    .unwrap_or(0.0)
                    * si
                    * sj
            };
            variance += wi * wj * v;
        }
    }
    Null {
        mean_se: (variance / (total * total)).max(0.0).sqrt(),
        ..null
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(participants: f64, in_work: f64, comparison_rate: f64) -> MatchedCell {
        MatchedCell {
            participants,
            in_work,
            comparison_rate,
        }
    }

    /// Worked by hand. Control A: cells 1 (2 people, 1 in work, ĉ 0.5),
    /// 2 (2, 2, 0.5), 3 (2, 0, 0.5): b = (3 − 3)/6 = 0; without cell 1, 2
    /// or 3: (2 − 2)/4 = 0, (1 − 2)/4 = −0.25, (3 − 2)/4 = 0.25. Control B
    /// has the same cells and counts: correlation 1. Control C moves the
    /// other way (cells 1, 2, 3 with 1, 0, 2 in work: 0, 0.25, −0.25):
    /// correlation −1 with both.
    #[test]
    fn the_jackknife_correlations_by_hand() {
        let a: BTreeMap<u8, MatchedCell> = [
            (1, cell(2.0, 1.0, 0.5)),
            (2, cell(2.0, 2.0, 0.5)),
            (3, cell(2.0, 0.0, 0.5)),
        ]
        .into_iter()
        .collect();
        let c: BTreeMap<u8, MatchedCell> = [
            (1, cell(2.0, 1.0, 0.5)),
            (2, cell(2.0, 0.0, 0.5)),
            (3, cell(2.0, 2.0, 0.5)),
        ]
        .into_iter()
        .collect();
        let r = jackknife_correlations(&[&a, &a, &c]);
        assert!((r[0][1] - 1.0).abs() < 1e-12, "{r:?}");
        assert!((r[0][2] + 1.0).abs() < 1e-12, "{r:?}");
        assert_eq!(r[2][2], 1.0);
    }

    /// A cell only one control has leaves the other's estimate unchanged.
    /// With equal cells each control's estimate is linear in them, its
    /// leave-one-out effects average to its full estimate, and two
    /// controls sharing no cell come out exactly uncorrelated.
    #[test]
    fn controls_sharing_no_cell_are_uncorrelated() {
        let a: BTreeMap<u8, MatchedCell> = [(1, cell(2.0, 1.0, 0.2)), (2, cell(2.0, 2.0, 0.4))]
            .into_iter()
            .collect();
        let b: BTreeMap<u8, MatchedCell> = [(3, cell(2.0, 0.0, 0.6)), (4, cell(2.0, 1.0, 0.1))]
            .into_iter()
            .collect();
        let r = jackknife_correlations(&[&a, &b]);
        assert!(r[0][1].abs() < 1e-12, "{r:?}");
    }

    /// se(μ̂) by hand: two controls with s = 0.01 and 0.02, σ = 0, r = 0.5.
    /// w = (10,000, 2,500), Σw = 12,500; Σ wᵢwⱼVᵢⱼ is 10⁸·10⁻⁴ plus
    /// 2,500²·4·10⁻⁴ plus 2·10,000·2,500·0.5·0.0002, that is 10,000 +
    /// 2,500 + 5,000 = 17,500, so se(μ̂)² = 17,500/12,500² = 0.000112.
    /// With r = 0: 1/12,500 = 0.00008.
    #[test]
    fn the_mean_over_correlated_controls_by_hand() {
        let null = Null {
            mean: 0.0,
            sd: 0.0,
            controls: 2,
            mean_se: 0.0,
        };
        let estimates = [Some((0.0, 0.01)), Some((0.01, 0.02)), None];
        let r = vec![
            vec![1.0, 0.5, 0.9],
            vec![0.5, 1.0, 0.9],
            vec![0.9, 0.9, 1.0],
        ];
        let correlated = with_correlated_controls(null, &estimates, &r);
        assert!(
            (correlated.mean_se.powi(2) - 0.000112).abs() < 1e-12,
            "{correlated:?}"
        );
        let independent = with_correlated_controls(null, &estimates, &[]);
        assert!((independent.mean_se.powi(2) - 0.00008).abs() < 1e-12);
    }
}
