//! Covariate balance: the standardised mean difference (Austin 2009; Stuart
//! 2010) and when it flags an imbalance. The pipeline applies them to the
//! exact shares and means, disclosure control to the published ones.

/// An absolute standardised difference above this flags a covariate.
pub const IMBALANCE_THRESHOLD: f64 = 0.1;

/// The standardised difference (t − c)/√((v_t + v_c)/2), the variances from
/// before matching so that before and after share one yardstick; 0 when
/// both sides are constant and equal, none when constant and different.
pub fn standardised_difference(t: f64, c: f64, var_t: f64, var_c: f64) -> Option<f64> {
    let sd = ((var_t + var_c) / 2.0).sqrt();
    if sd > 1e-12 {
        Some((t - c) / sd)
    } else {
        ((t - c).abs() < 1e-12).then_some(0.0)
    }
}

/// Whether a level is imbalanced after matching: its standardised
/// difference beyond the threshold, or, without one, participants and
/// comparison (`after`) constant but different: the worst imbalance of all.
pub fn imbalanced(smd: Option<f64>, after: Option<(f64, f64)>) -> bool {
    match (smd, after) {
        (Some(s), _) => s.abs() > IMBALANCE_THRESHOLD,
        (None, Some((t, c))) => (t - c).abs() > 1e-12,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_hand() {
        // (0.6 − 0.4)/√((0.24 + 0.24)/2) = 0.2/0.489898 = 0.408248.
        let d = standardised_difference(0.6, 0.4, 0.24, 0.24).unwrap();
        assert!((d - 0.408_248).abs() < 1e-6);
        assert_eq!(standardised_difference(1.0, 1.0, 0.0, 0.0), Some(0.0));
        assert_eq!(standardised_difference(1.0, 0.0, 0.0, 0.0), None);
        assert!(imbalanced(Some(-0.11), None) && !imbalanced(Some(0.1), None));
        assert!(imbalanced(None, Some((1.0, 0.0))) && !imbalanced(None, Some((1.0, 1.0))));
    }
}
