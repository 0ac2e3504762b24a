//! The event study's simultaneous band: critical values c_e such that
//! estimate ± c_e × se holds every event time's true effect at once in 95%
//! of samples (Montiel Olea and Plagborg-Møller 2019's sup-t band; R `did`
//! draws its c from a multiplier bootstrap over units, which with 3 or 7
//! areas has only 2³ or 2⁷ distinct draws, so c is drawn here from the
//! areas' own covariance instead).
//!
//! 1. The event times E with an interval (se > 0; not the reference month).
//! 2. Their correlations, pair by pair, from the same pooled spread as each
//!    interval (`Spread` over the two aggregates, on the areas both have):
//!    Cov(θ̂ₐ, θ̂_b) = σ²ₐ_b·Σᵢλᵢₐλᵢ_bsᵢ + S_ab, where σ²ₐ_b is the pooled
//!    spread's covariance, the sum runs over treated areas in both (sᵢ each
//!    area's noise scale, `spread`) and S is the comparison mean's
//!    covariance; each variance the same with λ²s over
//!    the aggregate's own areas; ρ = Cov/√(VₐV_b), kept within [−1, 1].
//! 3. The nearest correlation matrix with no negative eigenvalue: R = QΛQᵀ,
//!    negative eigenvalues set to 0, L = QΛ^½ with each row rescaled to
//!    length 1.
//! 4. `DRAWS` draws, from `rand_pcg::Pcg64Mcg` seeded with `SEED`: z = L·n
//!    (n standard normals, `rand_distr`'s ziggurat, in event-time order),
//!    w = √(χ²_ν/ν) with ν the mean of the event times' degrees of freedom
//!    (one w per draw, shared by every event time), and M = maxₑ|zₑ|/w.
//!    (The smallest degrees of freedom over-cover with 3 areas, 97.5%, and
//!    normal draws, ν = ∞, under-cover, 86.5–91.2%: `VALIDATION.md`.)
//! 5. c = the ⌈0.95·DRAWS⌉-th smallest M.
//! 6. Each event time's own critical value: the quantile of Student's t on
//!    its own degrees of freedom at the level c has on ν, a = F_ν(c), and
//!    at least 0.975 (so the band contains every interval): c_e = F⁻¹_{ν_e}(a).
//!    With every ν_e equal this is c. Months resting on few areas have
//!    fewer degrees of freedom than the mean; one c on ν gave them too
//!    little room (WorkWell's clean band, `VALIDATION.md`). This is the
//!    sup-t band with each month's statistic mapped to its own t
//!    distribution (the dependence drawn on ν), i.e. the min-p form.
//!
//! c_e is published beside the band, so the band is reproduced from it and
//! the estimates exactly; c_e itself to within its Monte Carlo error (about
//! 0.01 with 20,000 draws).

use super::spread::{Spread, weighted_cross};
use super::{Contributions, Estimate, Estimator};
use nalgebra::{DMatrix, SymmetricEigen};
use rand::SeedableRng;
use rand_distr::{ChiSquared, Distribution, StandardNormal};
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};
use std::collections::BTreeMap;

/// Draws of the sup-t statistic.
pub const DRAWS: usize = 20_000;
/// The generator's seed.
pub const SEED: u64 = 2024;

impl Estimator<'_> {
    /// Each event time's critical value over `event`'s event times with an
    /// interval (steps 1–6).
    pub(super) fn band(&self, event: &[(i64, Estimate)], draws: usize) -> BTreeMap<i64, f64> {
        let with_interval: Vec<(i64, f64)> = event
            .iter()
            .filter(|(_, x)| x.se.is_some_and(|s| s > 0.0))
            .filter_map(|(e, x)| Some((*e, x.df?)))
            .collect();
        if with_interval.is_empty() || draws == 0 {
            return BTreeMap::new();
        }
        let nu = with_interval.iter().map(|(_, df)| df).sum::<f64>() / with_interval.len() as f64;
        let contributions: Vec<Contributions> = with_interval
            .iter()
            .map(|(e, _)| self.contributions(&self.event_weights(*e)))
            .collect();
        let Some(factor) = root_of(&correlations(&contributions, &self.scales.value)) else {
            return BTreeMap::new();
        };
        let c = sup_t_quantile(&factor, nu, draws);
        with_interval
            .into_iter()
            .filter_map(|(e, df)| Some((e, own_critical(c, nu, df)?)))
            .collect()
    }
}

/// The critical value on a month's own degrees of freedom `df` at the level
/// c has on the shared ν, and never below the month's pointwise one (step 6).
fn own_critical(c: f64, nu: f64, df: f64) -> Option<f64> {
    let t = |v: f64| StudentsT::new(0.0, 1.0, v).ok();
    let level = if nu.is_finite() {
        t(nu)?.cdf(c)
    } else {
        Normal::new(0.0, 1.0).ok()?.cdf(c)
    }
    .max(0.975);
    if df.is_finite() {
        Some(t(df)?.inverse_cdf(level))
    } else {
        Some(Normal::new(0.0, 1.0).ok()?.inverse_cdf(level))
    }
}

/// The event times' correlation matrix (step 2).
fn correlations(contributions: &[Contributions], scales: &[f64]) -> DMatrix<f64> {
    let k = contributions.len();
    let lambda2 = |c: &Contributions| weighted_cross(c, c, scales);
    let mut r = DMatrix::identity(k, k);
    for a in 0..k {
        for b in a + 1..k {
            let (ca, cb) = (&contributions[a], &contributions[b]);
            let Some(s) = Spread::of(&[ca, cb], scales) else {
                continue;
            };
            let cross = weighted_cross(ca, cb, scales);
            let cov = s.area[(0, 1)] * cross + s.series[(0, 1)];
            let va = s.area[(0, 0)] * lambda2(ca) + s.series[(0, 0)];
            let vb = s.area[(1, 1)] * lambda2(cb) + s.series[(1, 1)];
            if va > 0.0 && vb > 0.0 {
                let rho = (cov / (va * vb).sqrt()).clamp(-1.0, 1.0);
                r[(a, b)] = rho;
                r[(b, a)] = rho;
            }
        }
    }
    r
}

/// L with L·Lᵀ the nearest correlation matrix to `r` without negative
/// eigenvalues (step 3); `None` if a row is all zero.
fn root_of(r: &DMatrix<f64>) -> Option<DMatrix<f64>> {
    let eigen = SymmetricEigen::new(r.clone());
    let roots = eigen.eigenvalues.map(|l| l.max(0.0).sqrt());
    let mut l = &eigen.eigenvectors * DMatrix::from_diagonal(&roots);
    for mut row in l.row_iter_mut() {
        let norm = row.norm();
        if norm <= 0.0 || !norm.is_finite() {
            return None;
        }
        row /= norm;
    }
    Some(l)
}

/// The 95% quantile of maxₑ|(L·n)ₑ|/√(χ²_ν/ν) over `draws` draws (steps 4
/// and 5).
fn sup_t_quantile(l: &DMatrix<f64>, nu: f64, draws: usize) -> f64 {
    const CHUNK: usize = 2_000;
    let k = l.nrows();
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(SEED);
    let chi2 = nu.is_finite().then(|| ChiSquared::new(nu).ok()).flatten();
    let mut maxima: Vec<f64> = Vec::with_capacity(draws);
    while maxima.len() < draws {
        let n = CHUNK.min(draws - maxima.len());
        // Draw by draw: k normals, then its χ².
        let mut normals = DMatrix::zeros(k, n);
        let mut scale = Vec::with_capacity(n);
        for j in 0..n {
            for i in 0..k {
                normals[(i, j)] = StandardNormal.sample(&mut rng);
            }
            scale.push(chi2.map_or(1.0, |c| (c.sample(&mut rng) / nu).sqrt()));
        }
        let z = l * normals;
        maxima.extend(z.column_iter().zip(&scale).map(|(c, w)| c.amax() / w));
    }
    maxima.sort_by(f64::total_cmp);
    let rank = (0.95 * draws as f64).ceil() as usize;
    maxima[rank.clamp(1, draws) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One event time: the band is the interval (c is the t critical value,
    /// up to Monte Carlo error, and never below it).
    #[test]
    fn one_event_time_gives_the_pointwise_critical_value() {
        let l = DMatrix::identity(1, 1);
        let c = sup_t_quantile(&l, 10.0, DRAWS);
        let t = StudentsT::new(0.0, 1.0, 10.0).unwrap().inverse_cdf(0.975);
        assert!((c - t).abs() < 0.05, "{c} vs {t}");
    }

    /// Independent normals: P(max of k |z| ≤ c) = (2Φ(c) − 1)^k = 0.95, so
    /// for k = 10, Šidák's c = Φ⁻¹((1 + 0.95^(1/10))/2) = 2.8001; perfectly
    /// correlated ones give the pointwise 1.9600.
    #[test]
    fn independent_and_identical_event_times_by_hand() {
        let c = sup_t_quantile(&DMatrix::identity(10, 10), f64::INFINITY, DRAWS);
        assert!((c - 2.8001).abs() < 0.03, "{c}");
        let ones = DMatrix::from_element(10, 1, 1.0);
        let l = root_of(&(&ones * ones.transpose())).unwrap();
        let c = sup_t_quantile(&l, f64::INFINITY, DRAWS);
        assert!((c - 1.96).abs() < 0.03, "{c}");
    }

    /// Step 6 against printed tables: c = 2.5758 on normal draws is the
    /// 0.995 level, which on 10 degrees of freedom is t = 3.1693; c = 1.96
    /// is 0.975, t = 2.2281; below that the pointwise value still holds;
    /// on the shared ν itself c is unchanged.
    #[test]
    fn each_month_gets_the_level_on_its_own_degrees_of_freedom() {
        let inf = f64::INFINITY;
        let close = |a: f64, b: f64| (a - b).abs() < 2e-4;
        assert!(close(own_critical(2.575829, inf, 10.0).unwrap(), 3.169273));
        assert!(close(own_critical(1.959964, inf, 10.0).unwrap(), 2.228139));
        assert!(close(own_critical(1.5, inf, 10.0).unwrap(), 2.228139));
        assert!(close(own_critical(3.2, 16.0, 16.0).unwrap(), 3.2));
        assert!(close(own_critical(2.228139, 10.0, inf).unwrap(), 1.959964));
    }

    /// A matrix with a negative eigenvalue is mended, rows of unit length.
    #[test]
    fn an_indefinite_matrix_is_mended() {
        let r = DMatrix::from_row_slice(3, 3, &[1.0, 0.9, -0.9, 0.9, 1.0, 0.9, -0.9, 0.9, 1.0]);
        let l = root_of(&r).unwrap();
        let mended = &l * l.transpose();
        for i in 0..3 {
            assert!((mended[(i, i)] - 1.0).abs() < 1e-12);
        }
        let eigen = SymmetricEigen::new(mended).eigenvalues;
        assert!(eigen.iter().all(|e| *e > -1e-12), "{eigen}");
    }
}
