//! How far the parallel-trends assumption may fail before an effect loses
//! its sign: Rambachan and Roth (2023)'s smoothness restriction Δ^SD(M) and
//! its fixed-length confidence interval (FLCI), as R `HonestDiD`'s
//! `findOptimalFLCI` computes it (`R/flci.R`).
//!
//! An event study with K pre-go-live estimates β_pre (the reference month
//! omitted, its δ = 0) and T̄ post estimates β_post, covariance Σ, and a
//! target θ = l′τ_post. Under Δ^SD(M) the trend difference δ may change its
//! slope by at most M from one month to the next. The FLCI is an affine
//! estimator θ̂ = l_pre′β_pre + l′β_post with l_pre chosen, together with
//! its standard deviation h, to minimise the half-length
//! q(M·b(h)/h)·h, where b(h) is the smallest worst-case bias of an estimator
//! with sd ≤ h and q(μ) the 95% quantile of |N(μ, 1)|. In the weights w with
//! l_pre = D·w (D: 1 on the diagonal, −1 below it),
//!
//!   b(h) = min over (U, w) of C + ΣUᵢ subject to Uᵢ ≥ |w₁ + … + wᵢ|,
//!          Σwᵢ = Σ_t t·l_t and Var(θ̂) ≤ h²,
//!
//! with C = Σ_{s=1}^{T̄} |Σ_{j=1}^{s} j·l_{T̄−s+j}| − Σ_t t·l_t. h runs from
//! the smallest sd any admissible w attains (closed form) to h₀, the sd of
//! w = (0, …, 0, Σ t·l_t); the half-length, convex in h, is minimised by
//! golden-section search (HonestDiD bisects on numerical derivatives; the
//! minimum is the same). q is computed exactly (HonestDiD draws 10⁶ normals
//! with seed 0, so its figures carry about ±0.1% Monte Carlo error). Each
//! b(h) is a second-order cone programme, solved with Clarabel.

use clarabel::algebra::CscMatrix;
use clarabel::solver::{
    DefaultSettingsBuilder, DefaultSolver, IPSolver, SolverStatus, SupportedConeT,
};
use nalgebra::{DMatrix, DVector};
use statrs::distribution::{ContinuousCDF, Normal};

/// The FLCI for θ under Δ^SD(M).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Flci {
    pub low: f64,
    pub high: f64,
    /// The affine estimate at the interval's centre.
    pub estimate: f64,
    pub half_length: f64,
}

/// An event study as HonestDiD takes it: `beta` = pre estimates (oldest
/// first, the reference month left out) then post estimates, `sigma` their
/// covariance.
pub struct EventStudy<'a> {
    pub beta: &'a DVector<f64>,
    pub sigma: &'a DMatrix<f64>,
    pub pre: usize,
}

/// The 1 − α quantile of |N(μ, 1)|: the q with Φ(q − μ) − Φ(−q − μ) = 1 − α.
pub fn folded_normal_quantile(level: f64, mu: f64) -> f64 {
    let n = Normal::standard();
    let mu = mu.abs();
    let coverage = |q: f64| n.cdf(q - mu) - n.cdf(-q - mu);
    let (mut lo, mut hi) = (0.0, mu + 10.0);
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        if coverage(mid) < level {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo + hi) / 2.0
}

struct Problem {
    k: usize,
    /// l_pre = D·w: 1 on the diagonal, −1 below it.
    d: DMatrix<f64>,
    /// Σ_t t·l_t: what the weights must sum to.
    total: f64,
    constant: f64,
    /// Var(θ̂) = ‖R·w + r₀‖² + floor, Σ scaled by `scale`.
    r: DMatrix<f64>,
    r0: DVector<f64>,
    floor: f64,
    scale: f64,
    /// D′Σ_pre·D and 2·D′Σ_pre,post·l (scaled): the variance in w.
    quadratic: DMatrix<f64>,
    linear: DVector<f64>,
}

impl Problem {
    /// Over `pre` pre-period estimates then `l.len()` post ones, covariance
    /// `sigma`.
    fn new(sigma: &DMatrix<f64>, k: usize, l: &DVector<f64>) -> Option<Problem> {
        let t_bar = l.len();
        if k == 0 || sigma.nrows() != k + t_bar {
            return None;
        }
        let scale = (0..k + t_bar).map(|i| sigma[(i, i)]).sum::<f64>() / (k + t_bar) as f64;
        if scale <= 0.0 || !scale.is_finite() {
            return None;
        }
        let sigma = sigma / scale;
        let pre = sigma.view((0, 0), (k, k)).into_owned();
        let cross = sigma.view((0, k), (k, t_bar)).into_owned();
        let post = sigma.view((k, k), (t_bar, t_bar)).into_owned();
        let mut d = DMatrix::identity(k, k);
        for i in 1..k {
            d[(i, i - 1)] = -1.0;
        }
        let chol = pre.clone().cholesky()?;
        let lc = chol.l();
        // Var = w′D′Σ_pre D w + 2 w′D′Σ_pp l + l′Σ_post l
        //     = ‖Lc′D w + Lc⁻¹Σ_pp l‖² + l′Σ_post l − ‖Lc⁻¹Σ_pp l‖².
        let r = lc.transpose() * &d;
        let r0 = lc.solve_lower_triangular(&(&cross * l))?;
        let floor = (l.transpose() * &post * l)[(0, 0)] - r0.norm_squared();
        let total: f64 = (0..t_bar).map(|t| (t + 1) as f64 * l[t]).sum();
        let constant = (1..=t_bar)
            .map(|s| {
                (1..=s)
                    .map(|j| j as f64 * l[t_bar - s + j - 1])
                    .sum::<f64>()
                    .abs()
            })
            .sum::<f64>()
            - total;
        Some(Problem {
            k,
            total,
            constant,
            quadratic: d.transpose() * &pre * &d,
            linear: 2.0 * d.transpose() * (&cross * l),
            d,
            r,
            r0,
            floor,
            scale,
        })
    }

    /// The scaled variance of the estimator with weights `w`.
    fn variance(&self, w: &DVector<f64>) -> f64 {
        (&self.r * w + &self.r0).norm_squared() + self.floor
    }

    /// The admissible w of least variance: minimise w′Bw + b′w with
    /// Σw = total (Lagrange).
    fn least_variance(&self) -> Option<DVector<f64>> {
        let k = self.k;
        let mut kkt = DMatrix::zeros(k + 1, k + 1);
        kkt.view_mut((0, 0), (k, k))
            .copy_from(&(2.0 * &self.quadratic));
        for i in 0..k {
            kkt[(i, k)] = 1.0;
            kkt[(k, i)] = 1.0;
        }
        let mut rhs = DVector::zeros(k + 1);
        rhs.rows_mut(0, k).copy_from(&(-&self.linear));
        rhs[k] = self.total;
        let solution = kkt.lu().solve(&rhs)?;
        Some(solution.rows(0, k).into_owned())
    }

    /// b(h) for M = 1 and its weights, h on the scaled variance; `None`
    /// where the cone programme fails.
    fn least_bias(&self, h: f64) -> Option<(f64, DVector<f64>)> {
        let k = self.k;
        let n = 2 * k;
        // Variables x = (U, w). Clarabel: A·x + s = b, s in the cones.
        let mut rows: Vec<(Vec<f64>, f64)> = Vec::new();
        // Σw = total (zero cone).
        rows.push((
            (0..n).map(|j| if j >= k { 1.0 } else { 0.0 }).collect(),
            self.total,
        ));
        // ±(w₁ + … + wᵢ) − Uᵢ ≤ 0 (non-negative cone).
        for sign in [1.0, -1.0] {
            for i in 0..k {
                let mut a = vec![0.0; n];
                a[i] = -1.0;
                for j in 0..=i {
                    a[k + j] = sign;
                }
                rows.push((a, 0.0));
            }
        }
        // ‖R·w + r₀‖ ≤ ρ (second-order cone).
        let rho2 = h * h - self.floor;
        if rho2 < 0.0 {
            return None;
        }
        rows.push((vec![0.0; n], rho2.sqrt()));
        for i in 0..k {
            let mut a = vec![0.0; n];
            for j in 0..k {
                a[k + j] = -self.r[(i, j)];
            }
            rows.push((a, self.r0[i]));
        }
        let m = rows.len();
        let dense = DMatrix::from_fn(m, n, |i, j| rows[i].0[j]);
        let a = CscMatrix::from(
            dense
                .row_iter()
                .map(|r| r.iter().copied().collect::<Vec<_>>())
                .collect::<Vec<_>>()
                .iter(),
        );
        let b: Vec<f64> = rows.iter().map(|r| r.1).collect();
        let q: Vec<f64> = (0..n).map(|j| if j < k { 1.0 } else { 0.0 }).collect();
        let p = CscMatrix::zeros((n, n));
        let cones = [
            SupportedConeT::ZeroConeT(1),
            SupportedConeT::NonnegativeConeT(2 * k),
            SupportedConeT::SecondOrderConeT(k + 1),
        ];
        let settings = DefaultSettingsBuilder::default()
            .verbose(false)
            .build()
            .ok()?;
        let mut solver = DefaultSolver::new(&p, &q, &a, &b, &cones, settings).ok()?;
        solver.solve();
        match solver.solution.status {
            SolverStatus::Solved | SolverStatus::AlmostSolved => {}
            _ => return None,
        }
        let x = &solver.solution.x;
        let w = DVector::from_iterator(k, x[k..].iter().copied());
        let bias = self.constant + x[..k].iter().sum::<f64>();
        Some((bias, w))
    }
}

/// The weights of the least-variance estimator unbiased under any
/// straight-line δ (the FLCI's at M = 0): l_pre on the `pre` pre-period
/// estimates, then `l`, for covariance `sigma`. `None` where Σ_pre is not
/// positive definite.
pub fn least_variance_weights(
    sigma: &DMatrix<f64>,
    pre: usize,
    l: &DVector<f64>,
) -> Option<Vec<f64>> {
    let problem = Problem::new(sigma, pre, l)?;
    let l_pre = &problem.d * problem.least_variance()?;
    Some(l_pre.iter().chain(l.iter()).copied().collect())
}

/// The 95% FLCI for θ = l′τ_post under Δ^SD(`m`). `None` where Σ_pre is
/// not positive definite or the cone programmes fail.
pub fn flci(study: &EventStudy, l: &DVector<f64>, m: f64) -> Option<Flci> {
    if study.beta.len() != study.sigma.nrows() {
        return None;
    }
    let problem = Problem::new(study.sigma, study.pre, l)?;
    let k = problem.k;
    let level = 0.95;
    let finish = |w: &DVector<f64>, half_length: f64| {
        let l_pre = &problem.d * w;
        let estimate = (l_pre.transpose() * study.beta.rows(0, k))[(0, 0)]
            + (l.transpose() * study.beta.rows(k, l.len()))[(0, 0)];
        Flci {
            low: estimate - half_length,
            high: estimate + half_length,
            estimate,
            half_length,
        }
    };
    let w_min = problem.least_variance()?;
    let h_min = problem.variance(&w_min).max(0.0).sqrt();
    let scale = problem.scale.sqrt();
    if m <= 0.0 {
        return Some(finish(
            &w_min,
            folded_normal_quantile(level, 0.0) * h_min * scale,
        ));
    }
    let mut w0 = DVector::zeros(k);
    w0[k - 1] = problem.total;
    let h0 = problem.variance(&w0).max(0.0).sqrt();
    // The true half-length at a scaled sd h (sd h·scale in β's units).
    let half = |h: f64| -> Option<(f64, DVector<f64>)> {
        let (bias, w) = problem.least_bias(h)?;
        let sd = h * scale;
        Some((folded_normal_quantile(level, m * bias / sd) * sd, w))
    };
    // Golden-section search for the least half-length over [h_min, h₀].
    let ratio = (5.0_f64.sqrt() - 1.0) / 2.0;
    let (mut a, mut b) = (h_min * (1.0 + 1e-9), h0.max(h_min * (1.0 + 1e-6)));
    let mut c = b - ratio * (b - a);
    let mut d = a + ratio * (b - a);
    let (mut fc, mut fd) = (half(c)?.0, half(d)?.0);
    for _ in 0..100 {
        if (b - a) <= 1e-10 * b {
            break;
        }
        if fc < fd {
            (b, d, fd) = (d, c, fc);
            c = b - ratio * (b - a);
            fc = half(c)?.0;
        } else {
            (a, c, fc) = (c, d, fd);
            d = a + ratio * (b - a);
            fd = half(d)?.0;
        }
    }
    let (length, w) = half((a + b) / 2.0)?;
    Some(finish(&w, length))
}

#[cfg(test)]
mod tests;
