//! Funnel-plot control limits for comparing sites fairly (Spiegelhalter
//! 2005): a site's rate against its programme's pooled rate, with limits that
//! narrow as the number of eligible participants grows. The formula is part
//! of what an evidence root publishes: the pipeline flags sites with it and
//! the dashboard draws the limit curves with it.

pub use crate::vocabulary::FunnelFlag;

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
    fn flags_only_outside_the_outer_limits() {
        let limits = control_limits(0.5, 100, Z_998);
        assert_eq!(funnel_flag(Some(0.70), limits), FunnelFlag::Above);
        assert_eq!(funnel_flag(Some(0.30), limits), FunnelFlag::Below);
        // Outside the 95% limits but inside the 99.8% ones: within.
        assert_eq!(funnel_flag(Some(0.62), limits), FunnelFlag::Within);
        assert_eq!(funnel_flag(None, None), FunnelFlag::Within);
    }
}
