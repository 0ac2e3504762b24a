use super::*;

/// The `HonestDiD` README's example (`asheshrambachan/HonestDiD`,
/// README.md, "Sensitivity Analysis Using Smoothness Restrictions"): the
/// Medicaid expansion event study (`ehec_data`, TWFE with state clusters),
/// its `betahat` and `sigma` read from the README's knitr cache
/// (`README_cache/gfm/unnamed-chunk-8_*.rdb`), 5 pre and 2 post
/// coefficients, θ = the first post-period effect.
#[allow(clippy::excessive_precision)] // R's doubles as the cache stores them
fn medicaid() -> (DVector<f64>, DMatrix<f64>) {
    let beta = DVector::from_vec(vec![
        -0.00550345940206875,
        -0.01122778820363205,
        -0.00246761262044779,
        -0.00166616164647801,
        -0.00023921671607232,
        0.04657319112632091,
        0.06929652113913157,
    ]);
    #[rustfmt::skip]
    let sigma = DMatrix::from_row_slice(7, 7, &[
        7.9619116258438136e-05, 6.4127802461290482e-05, 4.6519083061812765e-05, 3.6171764713886395e-05, 4.6858154911574167e-05, 5.0261460010562322e-05, 2.6050451033468366e-05,
        6.4127802461290482e-05, 7.5157983520605885e-05, 3.9528649627876766e-05, 3.0421758561458543e-05, 4.8454431326260225e-05, 4.6091638300571147e-05, 2.8441237766766671e-05,
        4.6519083061812765e-05, 3.9528649627876766e-05, 5.1280561974409923e-05, 2.8370598827861421e-05, 2.9572913502559405e-05, 3.3266756470467304e-05, 1.1617401205213651e-05,
        3.6171764713886395e-05, 3.0421758561458543e-05, 2.8370598827861421e-05, 4.1381738876967879e-05, 2.5909365667858778e-05, 2.5711066354935596e-05, 4.5997383637136792e-06,
        4.6858154911574167e-05, 4.8454431326260225e-05, 2.9572913502559405e-05, 2.5909365667858778e-05, 5.7882669746285320e-05, 3.9816015149934929e-05, 1.1712581058450754e-05,
        5.0261460010562322e-05, 4.6091638300571147e-05, 3.3266756470467304e-05, 2.5711066354935596e-05, 3.9816015149934929e-05, 8.4278488176576998e-05, 6.2477784207613403e-05,
        2.6050451033468366e-05, 2.8441237766766671e-05, 1.1617401205213651e-05, 4.5997383637136792e-06, 1.1712581058450754e-05, 6.2477784207613403e-05, 1.0607763842677617e-04,
    ]);
    (beta, sigma)
}

/// The FLCI for the first post-period effect, 5 pre-periods.
fn first_post(m: f64) -> Flci {
    let (beta, sigma) = medicaid();
    let study = EventStudy {
        beta: &beta,
        sigma: &sigma,
        pre: 5,
    };
    flci(&study, &DVector::from_vec(vec![1.0, 0.0]), m).unwrap()
}

/// `createSensitivityResults(betahat, sigma, numPrePeriods = 5,
/// numPostPeriods = 2, Mvec = seq(0, 0.05, by = 0.01))`, the FLCI for
/// Δ^SD(M) as the README's cache holds it (6 decimals).
///
/// Not reproduced to the last digit: our intervals are within 0.0011 of
/// the README's (2–3% of their length) and share their structure (from
/// M = 0.02 on, the worst-case bias is exactly M, so both widen by exactly
/// 0.01 per 0.01 of M), but ours are 0.0003–0.0006 *longer* from M = 0.02
/// and 0.0005 shorter at M = 0. At M = 0 HonestDiD's bisection starts at
/// the least-variance h, where the bias programme is numerically
/// infeasible, and falls back to a grid whose first feasible point lies
/// above it; from M = 0.02 its interval is shorter than any estimator in
/// the stated programme allows (`no_estimator_beats_ours`), which points at
/// its cone solver's tolerance (ECOS, `optimal_inaccurate` accepted). Left
/// open: reproduce with R at hand. The test pins the agreement we have.
#[test]
fn close_to_the_honestdid_readme_smoothness_bounds() {
    let published = [
        (0.00, 0.025941, 0.060726),
        (0.01, 0.013197, 0.078671),
        (0.02, 0.002857, 0.090716),
        (0.03, -0.007143, 0.100716),
        (0.04, -0.017143, 0.110716),
        (0.05, -0.027143, 0.120716),
    ];
    for (m, low, high) in published {
        let f = first_post(m);
        eprintln!(
            "M = {m}: ({:.6}, {:.6}) published ({low}, {high})",
            f.low, f.high
        );
        assert!(
            (f.low - low).abs() < 1.1e-3,
            "M = {m}: low {} vs {low}",
            f.low
        );
        assert!(
            (f.high - high).abs() < 1.1e-3,
            "M = {m}: high {} vs {high}",
            f.high
        );
        if m >= 0.02 {
            // Worst-case bias exactly M: the half-length is M + 1.645 × sd.
            let next = first_post(m + 0.01);
            assert!((next.half_length - f.half_length - 0.01).abs() < 1e-5);
        }
    }
}

/// q(0) = Φ⁻¹(0.975) = 1.959964; for large μ, q(μ) ≈ μ + 1.644854.
#[test]
fn folded_normal_quantiles_by_hand() {
    assert!((folded_normal_quantile(0.95, 0.0) - 1.959964).abs() < 1e-6);
    assert!((folded_normal_quantile(0.95, 10.0) - 11.644854).abs() < 1e-6);
}

/// Optimality within the stated programme, by brute force: no estimator
/// with weights w = (0, 0, a, b, 1 − a − b) on a grid beats our FLCI's
/// half-length at M = 0.02 (worst-case bias Σ|w₁ + … + wᵢ|, sd from Σ).
#[test]
fn no_estimator_beats_ours() {
    let (_, sigma) = medicaid();
    let ours = first_post(0.02).half_length;
    let mut d = DMatrix::identity(5, 5);
    for i in 1..5 {
        d[(i, i - 1)] = -1.0;
    }
    for ia in -20..=20 {
        for ib in -20..=20 {
            let (a, b) = (ia as f64 / 20.0, ib as f64 / 20.0);
            let w = DVector::from_vec(vec![0.0, 0.0, a, b, 1.0 - a - b]);
            let bias: f64 = (0..5).map(|i| w.rows(0, i + 1).sum().abs()).sum();
            let mut full = DVector::zeros(7);
            full.rows_mut(0, 5).copy_from(&(&d * &w));
            full[5] = 1.0;
            let sd = (full.transpose() * &sigma * &full)[(0, 0)].sqrt();
            let half = folded_normal_quantile(0.95, 0.02 * bias / sd) * sd;
            assert!(half >= ours - 1e-9, "w = {w}: {half} < {ours}");
        }
    }
}
