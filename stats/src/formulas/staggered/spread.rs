//! The pooled spread of the areas' effects behind a staggered estimate, and
//! each area's own noise scale.
//!
//! Areas differ in how noisy their monthly outcome is (an area of one small
//! sub-ICB location against one of ten), and the pooled spread takes most of
//! its degrees of freedom from the comparison areas' placebo effects: pooled
//! as they are, it describes the comparison areas' noise, not the programme
//! areas' (with programme areas twice as noisy, 82% coverage month by month
//! and 48% for the band). So each area's effect is taken to vary as
//! sᵢ·Σ: one spread Σ shared by all areas, scaled by the area's own noise
//! sᵢ, measured from its month-to-month changes (Ferman and Pinto 2019's
//! rescaling of residuals by a known variance function; here the variance
//! is read from each area's own months, which the panel has many of, rather
//! than from its size, since area noise from several sources need not fall
//! as one over the number of notes):
//!
//! 1. For each area in the estimate (comparison areas, and programme areas
//!    whose cohort is inside the panel) and each period t ≥ 1 where it has
//!    both t and t − 1 — for a programme area only t < g, before go-live —
//!    its change Y_t − Y_{t−1} less the mean change over the other
//!    comparison areas with both periods (t is skipped if there are none).
//! 2. sᵢ = the sample variance (divisor n − 1) of those n values.
//! 3. If every area has at least `MIN_CHANGES` values and sᵢ > 0, these are
//!    the scales; otherwise every area's scale is 1 (the unscaled pooled
//!    spread).
//!
//! Then σ² pools each residual divided by its area's scale, and an
//! aggregate's treated part is σ²·Σλᵢ²sᵢ: with every sᵢ equal this is the
//! unscaled estimate exactly. Each sᵢ is itself estimated, on n − 1 degrees
//! of freedom; the treated part's degrees of freedom count them by the
//! delta method (`Scales::product_df`), so an estimate resting on one or
//! two areas is not treated as if their noise were known.

use super::{Contributions, Panel};
use nalgebra::{DMatrix, DVector};

/// Changes an area needs for its own scale (`scales`).
pub const MIN_CHANGES: usize = 6;

/// Each unit's noise scale and its degrees of freedom.
#[derive(Debug, PartialEq)]
pub(super) struct Scales {
    /// rᵢ, 1 for units outside the estimate and where every scale is 1.
    pub(super) value: Vec<f64>,
    /// n − 1 for the changes behind rᵢ; infinite where rᵢ is 1 by rule.
    pub(super) df: Vec<f64>,
}

impl Scales {
    fn ones(n: usize) -> Scales {
        Scales {
            value: vec![1.0; n],
            df: vec![f64::INFINITY; n],
        }
    }

    /// The degrees of freedom of σ²·Σ tᵢ, with σ² on `df` and the terms
    /// tᵢ = wᵢ·rᵢ (`terms`: unit and tᵢ), each rᵢ on its own: by the delta
    /// method, 1/[1/df + Σ tᵢ²/dfᵢ / (Σ tᵢ)²].
    pub(super) fn product_df(&self, df: f64, terms: &[(usize, f64)]) -> f64 {
        let total: f64 = terms.iter().map(|(_, t)| t).sum();
        let spread: f64 = terms.iter().map(|(i, t)| t * t / self.df[*i]).sum();
        1.0 / (1.0 / df + spread / (total * total))
    }
}

/// Each unit's noise scale (steps 1–3 above); `comparison` lists the
/// comparison units, `in_estimate(i)` whether unit i enters the estimate.
pub(super) fn scales(
    panel: &Panel,
    comparison: &[usize],
    in_estimate: impl Fn(usize) -> bool,
) -> Scales {
    let change = |i: usize, t: usize| -> Option<f64> {
        let y = &panel.units[i].outcomes;
        Some(y.get(t).copied()?? - y.get(t - 1).copied()??)
    };
    let mut scales = Scales::ones(panel.units.len());
    for (i, unit) in panel.units.iter().enumerate() {
        if !in_estimate(i) {
            continue;
        }
        let end = unit.cohort.unwrap_or(panel.periods).min(panel.periods);
        let values: Vec<f64> = (1..end)
            .filter_map(|t| {
                let own = change(i, t)?;
                let others: Vec<f64> = comparison
                    .iter()
                    .filter(|&&c| c != i)
                    .filter_map(|&c| change(c, t))
                    .collect();
                (!others.is_empty()).then(|| own - others.iter().sum::<f64>() / others.len() as f64)
            })
            .collect();
        let n = values.len();
        if n < MIN_CHANGES {
            return Scales::ones(panel.units.len());
        }
        let m = values.iter().sum::<f64>() / n as f64;
        let s = values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1) as f64;
        if s <= 0.0 || !s.is_finite() {
            return Scales::ones(panel.units.len());
        }
        scales.value[i] = s;
        scales.df[i] = (n - 1) as f64;
    }
    scales
}

/// Σᵢ λᵢₐ·λᵢ_b·sᵢ over the treated areas in both aggregates.
pub(super) fn weighted_cross(a: &Contributions, b: &Contributions, scales: &[f64]) -> f64 {
    a.treated
        .iter()
        .filter_map(|(i, (la, _))| Some(la * b.treated.get(i)?.0 * scales[*i]))
        .sum()
}

/// The pooled spread of areas' effects for one or more aggregates over the
/// same areas (a k × k covariance): `area` is σ² (the variance of one area's
/// effect at scale 1), `series` the variance of the comparison areas' mean,
/// `lambda2` the mean over the aggregates of Σλᵢ²sᵢ.
pub(super) struct Spread {
    pub(super) area: DMatrix<f64>,
    pub(super) series: DMatrix<f64>,
    pub(super) lambda2: f64,
    pub(super) df: f64,
    pub(super) comparison_areas: usize,
}

impl Spread {
    pub(super) fn of(aggregates: &[&Contributions], scales: &[f64]) -> Option<Spread> {
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
            ss += outer(&d) / scales[*i];
        }
        // Placebo effects per cohort, each cohort weighted by its share of the
        // treated areas.
        for (g, treated_in_cohort) in &first.cohort_sizes {
            let share = *treated_in_cohort as f64 / first.treated.len() as f64;
            let placebo: Vec<(usize, DVector<f64>)> = comparison
                .iter()
                .filter_map(|&c| {
                    let values: Option<Vec<f64>> = aggregates
                        .iter()
                        .map(|a| a.placebo.get(g)?.get(&c).copied())
                        .collect();
                    Some((c, DVector::from_vec(values?)))
                })
                .collect();
            if placebo.len() < 2 {
                continue;
            }
            let centre =
                placebo.iter().fold(DVector::zeros(k), |s, (_, p)| s + p) / placebo.len() as f64;
            for (c, p) in &placebo {
                ss += outer(&(p - &centre)) * (share / scales[*c]);
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
            .map(|a| weighted_cross(a, a, scales))
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
