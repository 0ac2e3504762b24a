//! Funnel-plot control limits for comparing sites fairly (Spiegelhalter
//! 2005): a site's rate against its programme's pooled rate, with limits that
//! narrow as the number of eligible participants grows. The formula is part
//! of what an evidence root publishes: the pipeline flags sites with it and
//! the dashboard draws the limit curves with it.

pub use vocabulary::FunnelFlag;

/// z for the inner (95%) limits, as the contract gives it.
pub const Z_95: f64 = 1.96;
/// z for the outer (99.8%) limits, as the contract gives it.
pub const Z_998: f64 = 3.09;

/// Control limits `p0 ± z·√(p0(1−p0)/n)` clipped to [0, 1]; `None` when `n`
/// is zero.
pub fn control_limits(p0: f64, n: u64, z: f64) -> Option<(f64, f64)> {
    if n == 0 {
        return None;
    }
    let half = z * (p0 * (1.0 - p0) / n as f64).sqrt();
    Some(((p0 - half).max(0.0), (p0 + half).min(1.0)))
}

/// The exact two-sided 95% and 99.8% normal quantiles (R's `qnorm(0.975)`
/// and `qnorm(0.999)`), as PHEindicatormethods and FunnelPlotR use them:
/// the case-mix adjusted funnel's limits are theirs. The contract's
/// unadjusted columns keep its rounded 1.96 and 3.09.
pub const Z_95_EXACT: f64 = 1.959_963_984_540_054;
pub const Z_998_EXACT: f64 = 3.090_232_306_167_813;

/// Wilson's funnel limits for a proportion (PHEindicatormethods'
/// `calculate_funnel_limits(statistic = "proportion")`, its internal
/// `sigma_adjustment`): the proportions whose Wilson score interval at `n`
/// and `z` just reaches the target `p0`, clipped to [0, 1]. Unlike the
/// normal approximation they are asymmetric and stay inside [0, 1] for a
/// small `n`, and for a large `n` they meet `p0 ± z·√(p0(1−p0)/n)`. `n`
/// may be fractional (a case-mix adjusted site's effective size). `None`
/// when `n` is not positive.
pub fn wilson_limits(p0: f64, n: f64, z: f64) -> Option<(f64, f64)> {
    if n.is_nan() || n <= 0.0 {
        return None;
    }
    let z2 = z * z;
    let first = p0 * (n / z2 + 1.0);
    let adj = ((-8.0 * p0 * (n / z2 + 1.0)).powi(2)
        - 64.0 * (1.0 / z2 + 1.0 / n) * p0 * (n * (p0 * (n / z2 + 2.0) - 1.0) + z2 * (p0 - 1.0)))
        .max(0.0)
        .sqrt();
    let last = 1.0 / z2 + 1.0 / n;
    let low = (first - adj / 8.0) / last / n;
    let high = (first + adj / 8.0) / last / n;
    Some((low.max(0.0), high.min(1.0)))
}

/// A site on the case-mix adjusted funnel (indirect standardisation): its
/// observed in-work count O against E = n·e, the count expected from the
/// programme's rates for people like its own (e the expected rate), with
/// V = n·v the variance of O if the site were like the programme (v the
/// mean of p̂(1−p̂) over its people).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdjustedSite {
    /// p₀·O/E: the site's rate had it served the programme's mix.
    pub adjusted_rate: f64,
    /// (O − E)/√V.
    pub z: f64,
    /// p₀·√V/E: the adjusted rate's standard error under the target.
    pub s: f64,
}

/// `None` without an expected count or variance.
pub fn adjusted_site(
    p0: f64,
    eligible: f64,
    in_work: f64,
    expected_rate: f64,
    expected_variance: f64,
) -> Option<AdjustedSite> {
    let (e, v) = (eligible * expected_rate, eligible * expected_variance);
    (e > 0.0 && v > 0.0).then(|| AdjustedSite {
        adjusted_rate: p0 * in_work / e,
        z: (in_work - e) / v.sqrt(),
        s: p0 * v.sqrt() / e,
    })
}

/// The adjusted funnel's limits around `p0` for a site whose adjusted rate
/// has standard error `s`: Wilson's ([`wilson_limits`]) at the effective
/// size p₀(1−p₀)/s² while the sites vary by chance alone (τ² = 0), else
/// Spiegelhalter's p₀ ± z·√(s² + τ²), clipped to [0, 1].
pub fn adjusted_limits(p0: f64, s: f64, tau2: f64, z: f64) -> Option<(f64, f64)> {
    if s.is_nan() || s <= 0.0 {
        return None;
    }
    if tau2 > 0.0 {
        let (low, high) = super::overdispersion::additive_limits(p0, s, tau2, z);
        Some((low.max(0.0), high.min(1.0)))
    } else {
        wilson_limits(p0, p0 * (1.0 - p0) / (s * s), z)
    }
}

/// Flag a site `above` or `below` when its rate is outside the 99.8% limits,
/// `within` otherwise (including a site with no eligible participants, which
/// has no rate to be outside anything).
pub fn funnel_flag(rate: Option<f64>, limits_998: Option<(f64, f64)>) -> FunnelFlag {
    match (rate, limits_998) {
        (Some(rate), Some((low, _))) if rate < low => FunnelFlag::Below,
        (Some(rate), Some((_, high))) if rate > high => FunnelFlag::Above,
        _ => FunnelFlag::Within,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: (f64, f64), b: (f64, f64)) -> bool {
        (a.0 - b.0).abs() < 1e-9 && (a.1 - b.1).abs() < 1e-9
    }

    #[test]
    fn limits_by_hand() {
        // p0 = 0.5, n = 100: √(0.25/100) = 0.05.
        // 95%: 0.5 ± 1.96·0.05 = (0.402, 0.598); 99.8%: 0.5 ± 3.09·0.05 = (0.3455, 0.6545).
        assert!(close(
            control_limits(0.5, 100, Z_95).unwrap(),
            (0.402, 0.598)
        ));
        assert!(close(
            control_limits(0.5, 100, Z_998).unwrap(),
            (0.3455, 0.6545)
        ));
    }

    #[test]
    fn limits_are_clipped_to_the_unit_interval() {
        // p0 = 0.05, n = 10: √(0.0475/10) = 0.068920; 99.8% low = 0.05 − 0.21296 < 0.
        let (low, high) = control_limits(0.05, 10, Z_998).unwrap();
        assert_eq!(low, 0.0);
        assert!((high - (0.05 + 3.09 * 0.004_75_f64.sqrt())).abs() < 1e-12);
        let (_, high) = control_limits(0.97, 10, Z_998).unwrap();
        assert_eq!(high, 1.0);
    }

    #[test]
    fn the_exact_quantiles_are_the_normals() {
        use statrs::distribution::{ContinuousCDF, Normal};
        let normal = Normal::standard();
        assert!((Z_95_EXACT - normal.inverse_cdf(0.975)).abs() < 1e-12);
        assert!((Z_998_EXACT - normal.inverse_cdf(0.999)).abs() < 1e-12);
    }

    /// PHEindicatormethods' own expectations (`../tests/data/README.md`):
    /// `calculate_funnel_limits(statistic = "proportion", multiplier = 100)`
    /// over `testdata_funnel_prop_inputs.csv` gives, for 100 populations from
    /// 1 to 110,000, the 95% and 99.8% limits in
    /// `testdata_funnel_prop_outputs.csv` (to 6 decimals, in percent) around
    /// the baseline Σ numerators ÷ Σ denominators.
    #[test]
    fn wilson_limits_reproduce_phe_indicator_methods() {
        let baseline = phe_inputs().iter().map(|r| r.1).sum::<f64>()
            / phe_inputs().iter().map(|r| r.2).sum::<f64>();
        let outputs = include_str!("../../tests/data/phe_funnel_prop_outputs.csv");
        let mut rows = 0;
        for line in outputs.lines().skip(1) {
            let v: Vec<f64> = line.split(',').map(|x| x.parse().unwrap()).collect();
            let (n, low95, high95, low998, high998, published) =
                (v[0], v[1], v[2], v[3], v[4], v[5]);
            assert!((baseline * 100.0 - published).abs() < 5e-7, "baseline");
            let (l, h) = wilson_limits(baseline, n, Z_95_EXACT).unwrap();
            let (l3, h3) = wilson_limits(baseline, n, Z_998_EXACT).unwrap();
            for (ours, theirs) in [(l, low95), (h, high95), (l3, low998), (h3, high998)] {
                assert!(
                    (ours * 100.0 - theirs).abs() < 5e-6,
                    "population {n}: {} against PHEindicatormethods' {theirs}",
                    ours * 100.0
                );
            }
            rows += 1;
        }
        assert_eq!(rows, 100);
    }

    /// The areas of `testdata_funnel_prop_inputs.csv`: (name, numerator,
    /// denominator, significance label).
    fn phe_inputs() -> Vec<(String, f64, f64, String)> {
        let inputs = include_str!("../../tests/data/phe_funnel_prop_inputs.csv");
        inputs
            .lines()
            .skip(1)
            .map(|line| {
                // One name is quoted and holds commas: split from the right.
                let mut parts = line.rsplitn(4, ',');
                let label = parts.next().unwrap().to_string();
                let denominator = parts.next().unwrap().parse().unwrap();
                let numerator = parts.next().unwrap().parse().unwrap();
                (
                    parts.next().unwrap().to_string(),
                    numerator,
                    denominator,
                    label,
                )
            })
            .collect()
    }

    /// `assign_funnel_significance(statistic = "proportion")` labels each
    /// of the 303 areas High or Low at 0.001 (outside the 99.8% limits) or
    /// 0.025 (outside the 95%) or Not significant: the file's own labels.
    #[test]
    fn significance_reproduces_phe_indicator_methods() {
        let inputs = phe_inputs();
        let average =
            inputs.iter().map(|r| r.1).sum::<f64>() / inputs.iter().map(|r| r.2).sum::<f64>();
        let mut labels = std::collections::BTreeMap::new();
        for (area, numerator, denominator, expected) in &inputs {
            let p = numerator / denominator;
            let (l95, h95) = wilson_limits(average, *denominator, Z_95_EXACT).unwrap();
            let (l998, h998) = wilson_limits(average, *denominator, Z_998_EXACT).unwrap();
            let ours = if p < l998 {
                "Low (0.001)"
            } else if p < l95 {
                "Low (0.025)"
            } else if p > h998 {
                "High (0.001)"
            } else if p > h95 {
                "High (0.025)"
            } else {
                "Not significant"
            };
            assert_eq!(ours, expected, "{area}");
            *labels.entry(ours).or_insert(0) += 1;
        }
        assert_eq!(inputs.len(), 303);
        // Every label occurs, so each branch was checked.
        assert_eq!(labels.len(), 5, "{labels:?}");
    }

    #[test]
    fn wilson_limits_meet_the_normal_ones_for_large_n() {
        let (l, h) = wilson_limits(0.4, 1e7, Z_95_EXACT).unwrap();
        let half = Z_95_EXACT * (0.4f64 * 0.6 / 1e7).sqrt();
        assert!((l - (0.4 - half)).abs() < 1e-7 && (h - (0.4 + half)).abs() < 1e-7);
        assert_eq!(wilson_limits(0.4, 0.0, Z_95_EXACT), None);
    }

    /// Five people expected at 0.2 and five at 0.6: E = 4, V = 5·0.16 + 5·0.24
    /// = 2, against p₀ = 0.5 with 6 in work: adjusted 0.5·6/4 = 0.75, z =
    /// 2/√2, s = 0.5·√2/4. Without case mix (e = p₀, v = p₀(1−p₀)) the
    /// effective size is n and the limits are PHE's.
    #[test]
    fn an_adjusted_site_by_hand() {
        let a = adjusted_site(0.5, 10.0, 6.0, 0.4, 0.2).unwrap();
        assert!((a.adjusted_rate - 0.75).abs() < 1e-12);
        assert!((a.z - 2.0 / 2f64.sqrt()).abs() < 1e-12);
        assert!((a.s - 0.5 * 2f64.sqrt() / 4.0).abs() < 1e-12);
        let plain = adjusted_site(0.3, 200.0, 70.0, 0.3, 0.21).unwrap();
        assert!((plain.adjusted_rate - 0.35).abs() < 1e-12);
        let (l, h) = adjusted_limits(0.3, plain.s, 0.0, Z_998_EXACT).unwrap();
        let (wl, wh) = wilson_limits(0.3, 200.0, Z_998_EXACT).unwrap();
        assert!((l - wl).abs() < 1e-9 && (h - wh).abs() < 1e-9);
        // With τ² the limits are the additive ones.
        let (l, _) = adjusted_limits(0.3, plain.s, 0.001, 1.96).unwrap();
        assert!((l - (0.3 - 1.96 * (0.21f64 / 200.0 + 0.001).sqrt())).abs() < 1e-12);
        assert_eq!(adjusted_site(0.3, 0.0, 0.0, 0.3, 0.21), None);
    }

    #[test]
    fn flags_only_outside_the_outer_limits() {
        let limits = control_limits(0.5, 100, Z_998);
        assert_eq!(funnel_flag(Some(0.70), limits), FunnelFlag::Above);
        assert_eq!(funnel_flag(Some(0.30), limits), FunnelFlag::Below);
        // Outside the 95% limits but inside the 99.8% ones: within.
        assert_eq!(funnel_flag(Some(0.62), limits), FunnelFlag::Within);
        assert_eq!(funnel_flag(None, None), FunnelFlag::Within);
    }
}
