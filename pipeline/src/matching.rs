//! Coarsened exact matching (Iacus, King & Porro 2012) of participants to the
//! comparison pool, and the average treatment effect on the treated (ATT).
//!
//! The strata (age band × sex × IMD quintile × condition × baseline status)
//! are formed in SQL (`sql/participant_strata.sql`,
//! `sql/comparison_strata.sql`); this module only weighs them. Only eligible
//! people are counted on either side.

use contract::formulas::att::{AttParts, att};

/// Eligible people in one stratum on one side, and how many of them were in
/// work at 6 months.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StratumCounts {
    pub eligible: u64,
    pub in_work_6m: u64,
}

impl StratumCounts {
    pub fn rate(self) -> Option<f64> {
        (self.eligible > 0).then(|| self.in_work_6m as f64 / self.eligible as f64)
    }
}

/// The matched comparison for one programme or subgroup.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MatchedComparison {
    /// Eligible participants in strata that also hold comparison people.
    pub matched: u64,
    /// Of them, in work at 6 months.
    pub matched_in_work: u64,
    /// Eligible participants in strata with no comparison people (dropped).
    pub unmatched: u64,
    /// Strata with both eligible participants and comparison people.
    pub strata_matched: u64,
    /// Strata with eligible participants but no comparison people.
    pub strata_dropped: u64,
    /// In-work rate of the matched participants (p).
    pub participant_rate: Option<f64>,
    /// Participant-weighted average of the matched strata's comparison rates.
    pub comparison_rate: Option<f64>,
    /// What the comparison side adds to the ATT's variance:
    /// Σₛ wₛ² cₛ(1−cₛ)/(mₛ−1) ([`stratum_variance`]).
    pub comparison_variance: Option<f64>,
    /// participant_rate − comparison_rate.
    pub att: Option<f64>,
    /// √(p(1−p)/n + comparison_variance): the binomial-only standard error.
    pub att_se: Option<f64>,
    /// The interval from the people alone (no areas), at z = 1.96
    /// (`contract::formulas::att`); `crate::effect` adds the areas.
    pub att_low: Option<f64>,
    pub att_high: Option<f64>,
}

/// The variance of one stratum's comparison rate ĉ = y/m, estimated without
/// bias: ĉ(1−ĉ)/(m−1). The plug-in ĉ(1−ĉ)/m is biased low by (m−1)/m, and
/// with the fine strata of the matching many hold only a few comparison
/// people, where it is often exactly 0 (every one in work, or none). A
/// stratum of one comparison person says nothing about its own spread; it
/// takes the matched comparison rate's, c̄(1−c̄).
pub fn stratum_variance(comparison: StratumCounts, pooled_rate: f64) -> f64 {
    let m = comparison.eligible as f64;
    if comparison.eligible >= 2 {
        let c = comparison.in_work_6m as f64 / m;
        c * (1.0 - c) / (m - 1.0)
    } else {
        pooled_rate * (1.0 - pooled_rate)
    }
}

/// Match participants to comparison people stratum by stratum. Each item is
/// one stratum's (participants, comparison) counts; a stratum missing on one
/// side has zero counts there.
///
/// se² = p(1−p)/n + Σₛ wₛ² vₛ, where p and n are the matched participants'
/// rate and count, wₛ = nₛ/n, and vₛ = cₛ(1−cₛ)/(mₛ−1) with cₛ, mₛ the
/// comparison rate and count in stratum s ([`stratum_variance`]); the
/// interval is `contract::formulas::att`'s.
pub fn coarsened_exact_match(
    strata: impl IntoIterator<Item = (StratumCounts, StratumCounts)>,
) -> MatchedComparison {
    let mut result = MatchedComparison::default();
    let mut kept = Vec::new();
    for (participants, comparison) in strata {
        if participants.eligible == 0 {
            continue;
        }
        if comparison.eligible == 0 {
            result.unmatched += participants.eligible;
            result.strata_dropped += 1;
        } else {
            result.matched += participants.eligible;
            result.strata_matched += 1;
            kept.push((participants, comparison));
        }
    }
    if result.matched == 0 {
        return result;
    }
    let n = result.matched as f64;
    let in_work: u64 = kept.iter().map(|(p, _)| p.in_work_6m).sum();
    let mut comparison_rate = 0.0;
    let mut comparison_variance = 0.0;
    for (participants, comparison) in &kept {
        let w = participants.eligible as f64 / n;
        comparison_rate += w * comparison.in_work_6m as f64 / comparison.eligible as f64;
    }
    for (participants, comparison) in &kept {
        let w = participants.eligible as f64 / n;
        comparison_variance += w * w * stratum_variance(*comparison, comparison_rate);
    }
    result.matched_in_work = in_work;
    result.comparison_rate = Some(comparison_rate);
    result.comparison_variance = Some(comparison_variance);
    let parts = AttParts::without_areas(comparison_rate, comparison_variance);
    if let Some(a) = att(in_work, result.matched, parts) {
        result.participant_rate = Some(a.participant_rate);
        result.att = Some(a.att);
        result.att_se = Some(a.se);
        result.att_low = Some(a.low);
        result.att_high = Some(a.high);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(eligible: u64, in_work_6m: u64) -> StratumCounts {
        StratumCounts {
            eligible,
            in_work_6m,
        }
    }

    /// Worked by hand:
    ///   A: participants 60/100, comparison 100/200 (c = 0.5)
    ///   B: participants 20/50,  comparison 30/100  (c = 0.3)
    ///   C: participants 5/10,   no comparison      → dropped, 10 unmatched
    ///   D: no participants,     comparison 10/50   → ignored
    /// n = 150, p = 80/150 = 0.533333, w = (2/3, 1/3),
    /// comparison rate = 2/3·0.5 + 1/3·0.3 = 0.433333, att = 0.1,
    /// each comparison stratum's variance unbiased, c(1−c)/(m−1):
    /// se² = 0.533333·0.466667/150 + (4/9)·0.25/199 + (1/9)·0.21/99
    ///     = 0.00165926 + 0.00055835 + 0.00023569 = 0.00245330,
    /// se = 0.0495308 (the interval squares and adds, below).
    #[test]
    fn hand_worked_example() {
        let m = coarsened_exact_match([
            (counts(100, 60), counts(200, 100)),
            (counts(50, 20), counts(100, 30)),
            (counts(10, 5), counts(0, 0)),
            (counts(0, 0), counts(50, 10)),
        ]);
        assert_eq!(m.matched, 150);
        assert_eq!(m.matched_in_work, 80);
        assert_eq!(m.unmatched, 10);
        assert_eq!(m.strata_matched, 2);
        assert_eq!(m.strata_dropped, 1);
        let close = |a: Option<f64>, b: f64| (a.unwrap() - b).abs() < 5e-7;
        assert!(close(m.participant_rate, 0.533_333_3));
        assert!(close(m.comparison_rate, 0.433_333_3));
        assert!(close(m.att, 0.1));
        assert!(close(m.att_se, 0.049_530_8));
        assert!(close(m.comparison_variance, 0.000_794_04));
        // The people-only interval squares and adds (contract::formulas::att):
        // Wilson(80, 150) at z = 1.96 and 1.96²·0.00079404, so
        // 0.1 − √((p − l)² + 0.0030504) = 0.0030565 and
        // 0.1 + √((u − p)² + 0.0030504) = 0.1955801.
        assert!(close(m.att_low, 0.003_056_5));
        assert!(close(m.att_high, 0.195_580_1));
    }

    /// Unequal participant/comparison ratios across strata, so weighting by
    /// the comparison side (or pooling it) gives a different answer:
    ///   A: participants 60/100, comparison 25/50  (c = 0.5)
    ///   B: participants 20/50,  comparison 60/200 (c = 0.3)
    /// participant weights (2/3, 1/3): c = 0.433333, att = 0.1; the pooled
    /// comparison rate 85/250 = 0.34 would give 0.193333.
    /// se² = 0.533333·0.466667/150 + (4/9)·0.25/49 + (1/9)·0.21/199
    ///     = 0.00165926 + 0.00226757 + 0.00011725 = 0.00404409.
    #[test]
    fn strata_are_weighted_by_the_participants() {
        let m = coarsened_exact_match([
            (counts(100, 60), counts(50, 25)),
            (counts(50, 20), counts(200, 60)),
        ]);
        let close = |a: Option<f64>, b: f64| (a.unwrap() - b).abs() < 5e-7;
        assert!(close(m.comparison_rate, 0.433_333_3));
        assert!(close(m.att, 0.1));
        assert!(close(m.att_se, 0.004_044_09_f64.sqrt()));
    }

    /// A stratum of one comparison person borrows the matched comparison
    /// rate's spread: c = ½·1 + ½·0.5 = 0.75 (strata A: 1 of 1, B: 5 of
    /// 10), so V = ¼·0.75·0.25 + ¼·0.25/9 = 0.046875 + 0.006944 = 0.053819;
    /// the plug-in rule would have given A none at all.
    #[test]
    fn a_stratum_of_one_borrows_the_pooled_spread() {
        let m = coarsened_exact_match([
            (counts(10, 5), counts(1, 1)),
            (counts(10, 5), counts(10, 5)),
        ]);
        let close = |a: Option<f64>, b: f64| (a.unwrap() - b).abs() < 5e-7;
        assert!(close(m.comparison_rate, 0.75));
        assert!(close(m.comparison_variance, 0.046_875 + 0.25 / 36.0));
        assert_eq!(stratum_variance(counts(2, 2), 0.5), 0.0);
        assert!((stratum_variance(counts(4, 1), 0.5) - 0.1875 / 3.0).abs() < 1e-15);
    }

    #[test]
    fn nothing_matched_gives_no_estimate() {
        let m = coarsened_exact_match([(counts(10, 5), counts(0, 0))]);
        assert_eq!(m.matched, 0);
        assert_eq!(m.unmatched, 10);
        assert_eq!(m.att, None);
        assert_eq!(m.comparison_rate, None);
    }

    #[test]
    fn identical_rates_give_zero_effect() {
        let m = coarsened_exact_match([(counts(40, 10), counts(400, 100))]);
        assert!(m.att.unwrap().abs() < 1e-12);
        assert!(m.att_low.unwrap() < 0.0 && m.att_high.unwrap() > 0.0);
    }
}
