//! Sensitivity to unmeasured confounding: the E-value (VanderWeele and Ding
//! 2017), the smallest risk ratio an unmeasured confounder would need with
//! both the programme and being in work, beyond the matching strata, to
//! explain an effect away.
//!
//! E = RR + √(RR·(RR − 1)) for RR ≥ 1 (for RR < 1, of 1/RR). For the ATT on
//! being in work, RR = (c + att) / c with c the matched comparison rate; the
//! interval's limits convert the same way, with c held at its estimate. The
//! E-value of the interval is that of its limit nearer 1, and 1 when the
//! interval includes 1 (no confounding is needed to explain it away).

/// The E-value of a risk ratio; `None` for a ratio that is not positive and
/// finite.
pub fn e_value(rr: f64) -> Option<f64> {
    if !(rr > 0.0 && rr.is_finite()) {
        return None;
    }
    let r = if rr < 1.0 { 1.0 / rr } else { rr };
    Some(r + (r * (r - 1.0)).sqrt())
}

/// The E-value of the interval (`low`, `high`) of a risk ratio `rr`: its
/// limit nearer 1, or 1 when the interval includes 1.
pub fn e_value_of_interval(rr: f64, low: f64, high: f64) -> Option<f64> {
    if low <= 1.0 && 1.0 <= high {
        return Some(1.0);
    }
    e_value(if rr >= 1.0 { low } else { high })
}

/// The E-values of an ATT on a proportion and of its interval, through the
/// risk ratio (c + att) / c.
pub fn att_e_values(comparison_rate: f64, att: f64, low: f64, high: f64) -> Option<(f64, f64)> {
    if comparison_rate.is_nan() || comparison_rate <= 0.0 {
        return None;
    }
    let ratio = |d: f64| (comparison_rate + d).max(1e-12) / comparison_rate;
    let (rr, rr_low, rr_high) = (ratio(att), ratio(low), ratio(high));
    Some((e_value(rr)?, e_value_of_interval(rr, rr_low, rr_high)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 5e-6, "{a} != {b}");
    }

    /// The EValue package's vignette (Mathur, Ding, Riddell and VanderWeele,
    /// CRAN `EValue`, "unmeasured-confounding"): Hammond and Horn's smoking
    /// and lung cancer, RR 10.73 (8.02, 14.36): `evalues.RR` gives 20.94777
    /// for the estimate and 15.52336 for the lower limit.
    #[test]
    fn reproduces_the_evalue_package_vignette() {
        close(e_value(10.73).unwrap(), 20.94777);
        close(e_value_of_interval(10.73, 8.02, 14.36).unwrap(), 15.52336);
    }

    /// VanderWeele and Ding (2017): an observed RR of 3.9 has E-value
    /// 3.9 + √(3.9·2.9) = 7.263034; a protective RR is inverted first
    /// (0.8 → 1.25 + √(1.25·0.25) = 1.809017), and its interval's limit
    /// nearer 1 is the upper one (0.91 → 1.428571...).
    #[test]
    fn hand_worked_ratios() {
        close(e_value(3.9).unwrap(), 7.263034);
        close(e_value(0.8).unwrap(), 1.809017);
        let upper: f64 = 1.0 / 0.91;
        close(
            e_value_of_interval(0.8, 0.71, 0.91).unwrap(),
            upper + (upper * (upper - 1.0)).sqrt(),
        );
        assert_eq!(e_value_of_interval(1.2, 0.9, 1.6), Some(1.0));
        assert_eq!(e_value(0.0), None);
    }

    /// An ATT of +5 points on a comparison rate of 40%: RR = 0.45/0.40 =
    /// 1.125, E = 1.125 + √(1.125·0.125) = 1.5; with an interval (+1, +9)
    /// points the lower limit's RR is 1.025: 1.025 + √(1.025·0.025) =
    /// 1.185078.
    #[test]
    fn an_att_through_its_risk_ratio() {
        let (point, limit) = att_e_values(0.40, 0.05, 0.01, 0.09).unwrap();
        close(point, 1.5);
        close(limit, 1.025 + (1.025_f64 * 0.025).sqrt());
        assert_eq!(att_e_values(0.40, 0.05, -0.01, 0.09).unwrap().1, 1.0);
    }
}
