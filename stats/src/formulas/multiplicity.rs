//! Tests of effects and corrections for making many of them: a two-sided
//! p-value from a t statistic, Holm's step-down adjustment (the four
//! headline effects: it controls the chance of any false claim) and
//! Benjamini and Hochberg's (exploratory subgroups: it controls the share of
//! false claims among those made).

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

/// Two-sided p-value of `estimate / se` on Student's t with `df` degrees of
/// freedom (the normal for infinite `df`).
pub fn p_value(estimate: f64, se: f64, df: f64) -> Option<f64> {
    if se.is_nan() || se <= 0.0 || !estimate.is_finite() {
        return None;
    }
    let t = (estimate / se).abs();
    let tail = if df.is_finite() && df < 1e7 {
        StudentsT::new(0.0, 1.0, df.max(1.0)).ok()?.sf(t)
    } else {
        Normal::standard().sf(t)
    };
    Some((2.0 * tail).min(1.0))
}

/// Holm-adjusted p-values, in the order given (`None`s are left out of the
/// family and stay `None`).
pub fn holm(p: &[Option<f64>]) -> Vec<Option<f64>> {
    let mut order: Vec<usize> = (0..p.len()).filter(|&i| p[i].is_some()).collect();
    order.sort_by(|&a, &b| p[a].unwrap_or(1.0).total_cmp(&p[b].unwrap_or(1.0)));
    let m = order.len();
    let mut adjusted = vec![None; p.len()];
    let mut running: f64 = 0.0;
    for (rank, &i) in order.iter().enumerate() {
        let value = ((m - rank) as f64 * p[i].unwrap_or(1.0)).min(1.0);
        running = running.max(value);
        adjusted[i] = Some(running);
    }
    adjusted
}

/// Benjamini–Hochberg adjusted p-values (q-values), in the order given.
pub fn benjamini_hochberg(p: &[Option<f64>]) -> Vec<Option<f64>> {
    let mut order: Vec<usize> = (0..p.len()).filter(|&i| p[i].is_some()).collect();
    order.sort_by(|&a, &b| p[a].unwrap_or(1.0).total_cmp(&p[b].unwrap_or(1.0)));
    let m = order.len();
    let mut adjusted = vec![None; p.len()];
    let mut running: f64 = 1.0;
    for (rank, &i) in order.iter().enumerate().rev() {
        let value = (m as f64 / (rank + 1) as f64 * p[i].unwrap_or(1.0)).min(1.0);
        running = running.min(value);
        adjusted[i] = Some(running);
    }
    adjusted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[Option<f64>], b: &[f64]) {
        for (x, y) in a.iter().zip(b) {
            assert!((x.unwrap() - y).abs() < 1e-12, "{a:?} != {b:?}");
        }
    }

    /// R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") gives 0.03 0.06 0.06
    /// 0.02; "BH" gives 0.02 0.04 0.04 0.02.
    #[test]
    fn matches_r_p_adjust() {
        let p = [Some(0.01), Some(0.04), Some(0.03), Some(0.005)];
        close(&holm(&p), &[0.03, 0.06, 0.06, 0.02]);
        close(&benjamini_hochberg(&p), &[0.02, 0.04, 0.04, 0.02]);
        assert_eq!(holm(&[None, Some(0.2)]), vec![None, Some(0.2)]);
    }

    #[test]
    fn p_values_from_t() {
        // z = 1.959964: p = 0.05; t = 2.228139 on 10 df: p = 0.05.
        assert!((p_value(1.959_964, 1.0, f64::INFINITY).unwrap() - 0.05).abs() < 1e-6);
        assert!((p_value(-2.228_139, 1.0, 10.0).unwrap() - 0.05).abs() < 1e-6);
        assert_eq!(p_value(0.1, 0.0, 10.0), None);
    }
}
