//! The event study's first-year effect robust to any straight-line
//! difference in trends: Rambachan and Roth (2023)'s Δ^SD(0), its weights
//! from `formulas::honest`, its interval from the areas as every other
//! estimate here.
//!
//! 1. Months: the leads −2, −3, … back to −`leads` and the lags 0, 1, … up
//!    to `FIRST_YEAR` − 1, each run stopping at the first month that lacks
//!    an interval or a cell for some cohort (so every cohort has every
//!    month, and each cohort's share s_g of the programme areas is the same
//!    at every month).
//! 2. Weights: HonestDiD's FLCI at M = 0 for θ = the mean of the lags,
//!    l_pre on the leads, 1/T̄ on each lag, computed with the covariance
//!    I + J (what independent area-month noise gives estimates that share
//!    their base month), not the estimated one: any weights with
//!    Σ l_pre,j·j + Σ l_t·t = 0 (months counted from −1) remove a
//!    straight-line trend difference, these are the least-variance ones
//!    under that noise, and they do not depend on the data (weights fitted
//!    to the estimated covariance, as HonestDiD fits them, covered 87.5%
//!    for 7 areas: their variance, estimated from the same areas, falls
//!    short).
//! 3. Each programme area i of cohort g gets its contrast
//!    aᵢ = Σₘ cₘ·(Y_{g+m} − Y_{g−1}), each comparison area c the same
//!    b_{c,g} on cohort g's months; θ_R = Σ_g s_g·(mean aᵢ − mean b_{c,g})
//!    (areas with every month only).
//! 4. Spread pooled as for every aggregate, each area's deviation divided by
//!    its noise scale rᵢ (`spread`): σ² = [Σ_g Σ_{i∈g}(aᵢ − ā_g)²/rᵢ +
//!    Σ_g s_g Σ_c(b_{c,g} − b̄_g)²/r_c] / [Σ_g(n_g − 1) + n_C − 1];
//!    Var = σ²·Σ_g (s_g/n_g)²·Σ_{i∈g} rᵢ + var(Q_c)/n_C with
//!    Q_c = Σ_g s_g·b_{c,g}; Student's t on Satterthwaite's degrees of
//!    freedom, the first part's own degrees of freedom counting the
//!    scales' (`spread::Scales::product_df`).

use super::super::honest::least_variance_weights;
use super::{Estimate, Estimator, mean};
use nalgebra::{DMatrix, DVector};
use statrs::distribution::{ContinuousCDF, StudentsT};
use std::collections::BTreeMap;

/// Months after go-live averaged into θ.
pub const FIRST_YEAR: i64 = 12;

fn squares(v: &[f64]) -> f64 {
    let m = mean(v.iter().copied());
    v.iter().map(|x| (x - m).powi(2)).sum()
}

/// Σ (vᵢ − v̄)²/rᵢ over the areas of `v`, r their noise scales.
fn scaled_squares(v: &BTreeMap<usize, f64>, scales: &[f64]) -> f64 {
    let m = mean(v.values().copied());
    v.iter().map(|(i, x)| (x - m).powi(2) / scales[*i]).sum()
}

impl Estimator<'_> {
    /// The robust first-year effect with its interval (no p-value: none is
    /// published); `treated_areas` and `comparison_areas` are those with
    /// every month.
    pub(super) fn robust(&self, event: &[(i64, Estimate)], leads: usize) -> Option<Estimate> {
        let usable = |m: i64| {
            event
                .iter()
                .any(|(e, x)| *e == m && x.se.is_some_and(|s| s > 0.0))
                && self.sizes.keys().all(|&g| {
                    usize::try_from(g as i64 + m).is_ok_and(|t| self.cells.contains_key(&(g, t)))
                })
        };
        let mut pre: Vec<i64> = (2..=leads as i64)
            .map(|m| -m)
            .take_while(|m| usable(*m))
            .collect();
        pre.reverse();
        let post: Vec<i64> = (0..FIRST_YEAR).take_while(|m| usable(*m)).collect();
        if pre.is_empty() || post.is_empty() {
            return None;
        }
        let months: Vec<i64> = pre.iter().chain(&post).copied().collect();
        // The covariance independent area-month noise gives estimates that
        // share their base month: I + J (any scale). Weights chosen on the
        // estimated covariance fit its noise, and their variance, estimated
        // from the same areas, then falls short (88% coverage for 7 areas).
        let k = months.len();
        let sigma = DMatrix::identity(k, k) + DMatrix::from_element(k, k, 1.0);
        let l = DVector::from_element(post.len(), 1.0 / post.len() as f64);
        let weights = least_variance_weights(&sigma, pre.len(), &l)?;
        self.contrast(&months, &weights)
    }

    /// θ_R and its interval for `weights` on `months` (steps 3 and 4).
    fn contrast(&self, months: &[i64], weights: &[f64]) -> Option<Estimate> {
        let total: usize = self.sizes.values().sum();
        let mut theta = 0.0;
        let (mut ss, mut df_treated, mut treated) = (0.0, 0usize, 0);
        let mut terms: Vec<(usize, f64)> = Vec::new();
        let mut series: BTreeMap<usize, f64> = BTreeMap::new();
        let mut placebo = 0.0;
        let mut comparison_count = None;
        for (&g, &n_g) in &self.sizes {
            let share = n_g as f64 / total as f64;
            // Each area's contrast over cohort g's cells, where it has all.
            let contrast = |pick: &dyn Fn(&super::Cell) -> &Vec<(usize, f64)>| {
                let mut sums: BTreeMap<usize, (f64, usize)> = BTreeMap::new();
                for (m, c) in months.iter().zip(weights) {
                    let cell = &self.cells[&(g, (g as i64 + m) as usize)];
                    for &(i, d) in pick(cell) {
                        let e = sums.entry(i).or_insert((0.0, 0));
                        e.0 += c * d;
                        e.1 += 1;
                    }
                }
                sums.into_iter()
                    .filter(|(_, (_, k))| *k == months.len())
                    .map(|(i, (s, _))| (i, s))
                    .collect::<BTreeMap<usize, f64>>()
            };
            let a = contrast(&|c| &c.treated);
            let b = contrast(&|c| &c.comparison);
            if a.is_empty() || b.len() < 2 {
                return None;
            }
            let b_values: Vec<f64> = b.values().copied().collect();
            theta += share * (mean(a.values().copied()) - mean(b_values.iter().copied()));
            ss += scaled_squares(&a, &self.scales.value);
            treated += a.len();
            df_treated += a.len() - 1;
            let n = a.len() as f64;
            terms.extend(
                a.keys()
                    .map(|i| (*i, (share / n).powi(2) * self.scales.value[*i])),
            );
            placebo += share * scaled_squares(&b, &self.scales.value);
            for (c, v) in b {
                *series.entry(c).or_insert(0.0) += share * v;
            }
            comparison_count = Some(
                comparison_count
                    .unwrap_or(b_values.len())
                    .min(b_values.len()),
            );
        }
        let n_c = comparison_count?;
        let df_area = (df_treated + n_c - 1) as f64;
        let sigma2 = (ss + placebo) / df_area;
        let q: Vec<f64> = series.into_values().collect();
        let var_treated: f64 = terms.iter().map(|(_, t)| t).sum();
        let (a, b) = (
            sigma2 * var_treated,
            squares(&q) / (q.len() - 1) as f64 / q.len() as f64,
        );
        let variance = a + b;
        if variance <= 0.0 || !variance.is_finite() {
            return None;
        }
        let df_a = self.scales.product_df(df_area, &terms);
        let df = variance.powi(2) / (a.powi(2) / df_a + b.powi(2) / (q.len() - 1) as f64);
        let se = variance.sqrt();
        let t = StudentsT::new(0.0, 1.0, df).ok()?.inverse_cdf(0.975);
        Some(Estimate {
            estimate: theta,
            se: Some(se),
            df: Some(df),
            low: Some(theta - t * se),
            high: Some(theta + t * se),
            p_value: None,
            treated_areas: treated,
            comparison_areas: n_c,
        })
    }
}
