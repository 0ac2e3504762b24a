//! The average effect on the treated from its parts: the matched
//! participants' in-work count and number, and the comparison side's rate and
//! its contribution to the variance.
//!
//! att = p − c with p = k/m; se² = p(1−p)/m + V, where V is what the
//! comparison side adds (for coarsened exact matching Σₛ wₛ² cₛ(1−cₛ)/mₛ);
//! the interval is att ± 1.96·se.

/// z for the ATT's 95% interval, as the contract gives it.
pub const Z_ATT: f64 = 1.96;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Att {
    /// The matched participants' rate, p.
    pub participant_rate: f64,
    pub att: f64,
    pub se: f64,
    pub low: f64,
    pub high: f64,
}

/// The ATT for `in_work` of `matched` participants against a comparison rate
/// `comparison_rate` whose variance contribution is `comparison_variance`;
/// `None` without matched participants.
pub fn att(
    in_work: u64,
    matched: u64,
    comparison_rate: f64,
    comparison_variance: f64,
) -> Option<Att> {
    if matched == 0 {
        return None;
    }
    let n = matched as f64;
    let p = in_work as f64 / n;
    let att = p - comparison_rate;
    let se = (p * (1.0 - p) / n + comparison_variance).sqrt();
    Some(Att {
        participant_rate: p,
        att,
        se,
        low: att - Z_ATT * se,
        high: att + Z_ATT * se,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 80 of 150 against a comparison rate of 0.433333 whose variance part
    /// is 0.00078889: p = 0.533333, att = 0.1, se² is
    /// 0.533333·0.466667/150 plus 0.00078889, 0.00244815, so se = 0.0494788
    /// (the hand-worked example of `pipeline::matching`).
    #[test]
    fn hand_worked_example() {
        let a = att(80, 150, 1.3 / 3.0, 0.000_555_556 + 0.000_233_333).unwrap();
        assert!((a.att - 0.1).abs() < 1e-6);
        assert!((a.se - 0.049_478_8).abs() < 5e-7);
        assert!((a.low - 0.003_021_5).abs() < 5e-6);
        assert_eq!(att(0, 0, 0.4, 0.0), None);
    }
}
