//! The pooled spread of the areas' effects behind a staggered estimate.

use super::Contributions;
use nalgebra::{DMatrix, DVector};

/// The pooled spread of areas' effects for one or more aggregates over the
/// same areas (a k × k covariance): `area` is σ² (the variance of one area's
/// effect), `series` the variance of the comparison areas' mean.
pub(super) struct Spread {
    pub(super) area: DMatrix<f64>,
    pub(super) series: DMatrix<f64>,
    pub(super) lambda2: f64,
    pub(super) df: f64,
    pub(super) comparison_areas: usize,
}

impl Spread {
    pub(super) fn of(aggregates: &[&Contributions]) -> Option<Spread> {
        let k = aggregates.len();
        let first = aggregates.first()?;
        let treated: Vec<usize> = first
            .treated
            .keys()
            .copied()
            .filter(|i| aggregates.iter().all(|c| c.treated.contains_key(i)))
            .collect();
        let comparison: Vec<usize> = first
            .series
            .keys()
            .copied()
            .filter(|i| aggregates.iter().all(|c| c.series.contains_key(i)))
            .collect();
        let (n_t, n_c) = (treated.len(), comparison.len());
        let df = (n_t.saturating_sub(1) + n_c.saturating_sub(1)) as f64;
        // No shared treated area is allowed (two event times of different
        // cohorts still share the comparison areas); fewer than 2
        // comparison areas are not.
        if n_c < 2 || df < 1.0 {
            return None;
        }
        let outer = |v: &DVector<f64>| v * v.transpose();
        let mut ss = DMatrix::zeros(k, k);
        for i in &treated {
            let d = DVector::from_iterator(k, aggregates.iter().map(|c| c.treated[i].1 - c.theta));
            ss += outer(&d);
        }
        // Placebo effects per cohort, each cohort weighted by its share of the
        // treated areas.
        for (g, treated_in_cohort) in &first.cohort_sizes {
            let share = *treated_in_cohort as f64 / first.treated.len() as f64;
            let placebo: Vec<DVector<f64>> = comparison
                .iter()
                .filter_map(|c| {
                    let values: Option<Vec<f64>> = aggregates
                        .iter()
                        .map(|a| a.placebo.get(g)?.get(c).copied())
                        .collect();
                    Some(DVector::from_vec(values?))
                })
                .collect();
            if placebo.len() < 2 {
                continue;
            }
            let centre =
                placebo.iter().fold(DVector::zeros(k), |s, p| s + p) / placebo.len() as f64;
            for p in &placebo {
                ss += outer(&(p - &centre)) * share;
            }
        }
        let series: Vec<DVector<f64>> = comparison
            .iter()
            .map(|c| DVector::from_iterator(k, aggregates.iter().map(|a| a.series[c])))
            .collect();
        let centre = series.iter().fold(DVector::zeros(k), |s, q| s + q) / n_c as f64;
        let mut sq = DMatrix::zeros(k, k);
        for q in &series {
            sq += outer(&(q - &centre));
        }
        let lambda2 = aggregates
            .iter()
            .map(|a| a.treated.values().map(|(l, _)| l * l).sum::<f64>())
            .sum::<f64>()
            / k as f64;
        Some(Spread {
            area: ss / df,
            series: sq / ((n_c - 1) as f64 * n_c as f64),
            lambda2,
            df,
            comparison_areas: n_c,
        })
    }
}
