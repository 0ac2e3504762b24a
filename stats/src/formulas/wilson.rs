//! Wilson score interval for a binomial proportion.

use statrs::distribution::{ContinuousCDF, Normal};
use std::sync::LazyLock;

/// The two-sided 95% standard normal quantile, Φ⁻¹(0.975) ≈ 1.959964.
pub static Z_95: LazyLock<f64> = LazyLock::new(|| Normal::standard().inverse_cdf(0.975));

/// The Wilson score interval for `successes` out of `n` at normal quantile
/// `z`; `None` when `n` is zero (no rate to bound).
///
/// centre = (p̂ + z²/2n) / (1 + z²/n),
/// half-width = z·√(p̂(1−p̂)/n + z²/4n²) / (1 + z²/n).
pub fn wilson_interval(successes: u64, n: u64, z: f64) -> Option<(f64, f64)> {
    if n == 0 {
        return None;
    }
    wilson_interval_at(successes as f64 / n as f64, n as f64, z)
}

/// The Wilson interval for a proportion `p` observed on an effective
/// sample size `n` (Kish's: the count over the design effect), which
/// need not be whole; `None` unless `n` > 0.
pub fn wilson_interval_at(p: f64, n: f64, z: f64) -> Option<(f64, f64)> {
    if n.is_nan() || n <= 0.0 {
        return None;
    }
    let z2 = z * z;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

/// The 95% Wilson interval, the one every rate in the outputs carries.
pub fn wilson_95(successes: u64, n: u64) -> Option<(f64, f64)> {
    wilson_interval(successes, n, *Z_95)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_close(actual: (f64, f64), expected: (f64, f64)) {
        assert!(
            (actual.0 - expected.0).abs() < 5e-5 && (actual.1 - expected.1).abs() < 5e-5,
            "{actual:?} != {expected:?}"
        );
    }

    /// Newcombe R.G. (1998) "Two-sided confidence intervals for the single
    /// proportion: comparison of seven methods", Statistics in Medicine
    /// 17:857-872, Table II, method 3 (score method without continuity
    /// correction), the four worked examples, to 4 decimal places.
    #[test]
    fn matches_newcombe_1998_worked_examples() {
        assert_close(wilson_95(81, 263).unwrap(), (0.2553, 0.3662));
        assert_close(wilson_95(15, 148).unwrap(), (0.0624, 0.1605));
        assert_close(wilson_95(0, 20).unwrap(), (0.0, 0.1611));
        assert_close(wilson_95(1, 29).unwrap(), (0.0061, 0.1718));
    }

    #[test]
    fn z_is_the_975_percent_normal_quantile() {
        assert!((*Z_95 - 1.959_963_985).abs() < 1e-8);
    }

    #[test]
    fn no_interval_without_a_denominator() {
        assert_eq!(wilson_95(0, 0), None);
    }

    #[test]
    fn all_successes_reach_one() {
        let (low, high) = wilson_95(10, 10).unwrap();
        assert_eq!(high, 1.0);
        // Hand-computed: z²=3.8415, centre=(1+0.19207)/1.38415=0.86124,
        // half=1.95996·√(0.0096037)/1.38415=0.13877 → low=0.72247.
        assert!((low - 0.72247).abs() < 5e-5, "{low}");
    }
}
