//! Coarsened exact matching (Iacus, King & Porro 2012) of participants to the
//! comparison pool, and the average treatment effect on the treated (ATT).
//!
//! The strata (age band × sex × IMD quintile × condition × baseline status)
//! are formed in SQL (`sql/participant_strata.sql`,
//! `sql/comparison_strata.sql`); this module only weighs them. Only eligible
//! people are counted on either side.

use crate::formulas::att::{Att, AttParts, att, att_mean, att_p_value, design_effect};

/// What kind of outcome the counts hold: a proportion (each person 0 or 1,
/// Wilson's interval for the participants) or a mean (months in work,
/// earnings: the t interval).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OutcomeKind {
    #[default]
    Proportion,
    Mean,
}

/// Eligible people in one stratum on one side, and the sum of their
/// outcome and of its squares: for a proportion (in work at 6 months, the
/// headline) `total` counts those with the outcome and equals `squares`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StratumCounts {
    pub eligible: u64,
    pub total: u64,
    pub squares: u64,
}

impl StratumCounts {
    /// `eligible` people of whom `yes` have a 0/1 outcome.
    pub fn proportion(eligible: u64, yes: u64) -> Self {
        StratumCounts {
            eligible,
            total: yes,
            squares: yes,
        }
    }

    pub fn add(&mut self, other: StratumCounts) {
        self.eligible += other.eligible;
        self.total += other.total;
        self.squares += other.squares;
    }

    pub fn rate(self) -> Option<f64> {
        (self.eligible > 0).then(|| self.total as f64 / self.eligible as f64)
    }

    /// One person's variance, by plug-in: Σy²/n − ȳ², which for a 0/1
    /// outcome is p(1−p). 0 without people.
    pub fn unit_variance(self) -> f64 {
        if self.eligible == 0 {
            return 0.0;
        }
        let n = self.eligible as f64;
        let mean = self.total as f64 / n;
        (self.squares as f64 / n - mean * mean).max(0.0)
    }
}

/// The matched comparison for one programme or subgroup.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MatchedComparison {
    /// Eligible participants in strata that also hold comparison people.
    pub matched: u64,
    /// Of them, in work at 6 months (for a mean outcome: the sum of their
    /// values).
    pub matched_in_work: u64,
    /// The sum of the matched participants' squared values.
    pub matched_squares: u64,
    /// Eligible participants in strata with no comparison people (dropped).
    pub unmatched: u64,
    /// Strata with both eligible participants and comparison people.
    pub strata_matched: u64,
    /// Strata with eligible participants but no comparison people.
    pub strata_dropped: u64,
    /// In-work rate (or mean) of the matched participants (p).
    pub participant_rate: Option<f64>,
    /// Participant-weighted average of the matched strata's comparison rates.
    pub comparison_rate: Option<f64>,
    /// What the comparison side adds to the ATT's variance:
    /// Σₛ wₛ² vₛ ([`stratum_variance`]).
    pub comparison_variance: Option<f64>,
    /// participant_rate − comparison_rate.
    pub att: Option<f64>,
    /// The matched participants' design effect d: their variance within
    /// strata over their whole variance (`crate::formulas::att::design_effect`;
    /// 0 before matching, which the formulas read as 1).
    pub design_effect: f64,
    /// √(d·p(1−p)/n + comparison_variance): the standard error from the
    /// people alone.
    pub att_se: Option<f64>,
    /// The interval from the people alone (no areas), at z = 1.96
    /// (`crate::formulas::att`); `crate::estimators::effect` adds the areas.
    pub att_low: Option<f64>,
    pub att_high: Option<f64>,
    /// That interval's own p-value for no effect, on the normal
    /// (`crate::formulas::att::att_p_value`).
    pub att_p_value: Option<f64>,
}

impl MatchedComparison {
    /// The matched participants' effect against `parts`: Wilson's interval
    /// for a proportion, the t interval for a mean
    /// (`crate::formulas::att`).
    pub fn estimate(&self, kind: OutcomeKind, parts: AttParts) -> Option<Att> {
        match kind {
            OutcomeKind::Proportion => att(self.matched_in_work, self.matched, parts),
            OutcomeKind::Mean => att_mean(
                self.matched_in_work as f64,
                self.matched_squares as f64,
                self.matched,
                parts,
            ),
        }
    }

    /// One matched participant's variance: p(1−p), or s² for a mean.
    pub fn unit_variance(&self) -> f64 {
        StratumCounts {
            eligible: self.matched,
            total: self.matched_in_work,
            squares: self.matched_squares,
        }
        .unit_variance()
    }
}

/// The variance of one stratum's comparison mean ĉ = Σy/m, estimated
/// without bias: s²/m with s² = (Σy² − (Σy)²/m)/(m−1), which for a 0/1
/// outcome is ĉ(1−ĉ)/(m−1). The plug-in ĉ(1−ĉ)/m is biased low by (m−1)/m,
/// and with the fine strata of the matching many hold only a few comparison
/// people, where it is often exactly 0 (every one in work, or none). A
/// stratum of one comparison person says nothing about its own spread; it
/// takes `pooled`, one person's variance over the matched comparison
/// (c̄(1−c̄) for a proportion).
pub fn stratum_variance(comparison: StratumCounts, pooled: f64) -> f64 {
    let m = comparison.eligible as f64;
    if comparison.eligible >= 2 {
        let (total, squares) = (comparison.total as f64, comparison.squares as f64);
        ((squares - total * total / m) / (m - 1.0)).max(0.0) / m
    } else {
        pooled
    }
}

/// Match participants to comparison people stratum by stratum. Each item is
/// one stratum's (participants, comparison) counts; a stratum missing on one
/// side has zero counts there.
///
/// se² = d·p(1−p)/n + Σₛ wₛ² vₛ, where p and n are the matched participants'
/// rate and count, wₛ = nₛ/n, and vₛ = cₛ(1−cₛ)/(mₛ−1) with cₛ, mₛ the
/// comparison rate and count in stratum s ([`stratum_variance`]); the
/// interval is `crate::formulas::att`'s. A mean outcome has s² in place
/// of p(1−p) and the t interval in place of Wilson's.
pub fn coarsened_exact_match(
    strata: impl IntoIterator<Item = (StratumCounts, StratumCounts)>,
) -> MatchedComparison {
    coarsened_exact_match_of(OutcomeKind::Proportion, strata)
}

/// [`coarsened_exact_match`] for either kind of outcome.
pub fn coarsened_exact_match_of(
    kind: OutcomeKind,
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
    let mut comparison_rate = 0.0;
    let mut comparison_squares = 0.0;
    for (participants, comparison) in &kept {
        let w = participants.eligible as f64 / n;
        let m = comparison.eligible as f64;
        comparison_rate += w * comparison.total as f64 / m;
        comparison_squares += w * comparison.squares as f64 / m;
        result.matched_in_work += participants.total;
        result.matched_squares += participants.squares;
    }
    // One person's variance over the matched comparison, E_w[y²] − c̄²:
    // c̄(1−c̄) for a proportion.
    let pooled = (comparison_squares - comparison_rate * comparison_rate).max(0.0);
    let mut comparison_variance = 0.0;
    for (participants, comparison) in &kept {
        let w = participants.eligible as f64 / n;
        comparison_variance += w * w * stratum_variance(*comparison, pooled);
    }
    result.comparison_rate = Some(comparison_rate);
    result.comparison_variance = Some(comparison_variance);
    result.design_effect = design_effect(kept.iter().map(|(participants, _)| {
        let p = participants;
        (p.eligible, p.total as f64, p.squares as f64)
    }));
    let parts = AttParts::without_areas(comparison_rate, comparison_variance)
        .with_design_effect(result.design_effect);
    if let Some(a) = result.estimate(kind, parts) {
        result.participant_rate = Some(a.participant_rate);
        result.att = Some(a.att);
        result.att_se = Some(a.se);
        result.att_low = Some(a.low);
        result.att_high = Some(a.high);
        result.att_p_value =
            att_p_value(|parts| result.estimate(kind, parts), parts, f64::INFINITY);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(eligible: u64, total: u64) -> StratumCounts {
        StratumCounts::proportion(eligible, total)
    }

    /// Worked by hand:
    ///   A: participants 60/100, comparison 100/200 (c = 0.5)
    ///   B: participants 20/50,  comparison 30/100  (c = 0.3)
    ///   C: participants 5/10,   no comparison      → dropped, 10 unmatched
    ///   D: no participants,     comparison 10/50   → ignored
    /// n = 150, p = 80/150 = 0.533333, w = (2/3, 1/3),
    /// comparison rate = 2/3·0.5 + 1/3·0.3 = 0.433333, att = 0.1,
    /// each comparison stratum's variance unbiased, c(1−c)/(m−1); the
    /// participants' design effect d = ((60 − 36) + (20 − 8))/148 over
    /// (80 − 6400/150)/149 = 0.243243/0.250559 = 0.970801:
    /// se² = d·0.533333·0.466667/150 + (4/9)·0.25/199 + (1/9)·0.21/99
    ///     = 0.00161081 + 0.00055835 + 0.00023569 = 0.00240485,
    /// se = 0.0490393 (the interval squares and adds, below).
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
        assert!((m.design_effect - 0.970_801).abs() < 1e-6);
        assert!(close(m.att_se, 0.049_039_3));
        assert!(close(m.comparison_variance, 0.000_794_04));
        // The people-only interval squares and adds (crate::formulas::att):
        // Wilson(p = 80/150) on 150/d = 154.512 at z = 1.96, (0.454816,
        // 0.610233), and 1.96²·0.00079404, so
        // 0.1 − √((p − l)² + 0.0030504) = 0.0040035 and
        // 0.1 + √((u − p)² + 0.0030504) = 0.1946783.
        assert!(close(m.att_low, 0.004_003_5));
        assert!(close(m.att_high, 0.194_678_3));
        // Its own p-value (the own-area design's `own_area_att_p_value`,
        // which is this estimator on its cells): the critical value at
        // which the lower limit reaches 0, found by bisection by hand,
        // z* = 2.042581 (0.1 = √((p − l(z*))² + z*²·0.00079404), l(z) the
        // Wilson lower limit at z on 154.512), so p = 2(1 − Φ(z*)) =
        // 0.041094.
        assert!((m.att_p_value.unwrap() - 0.041_094).abs() < 5e-6);
    }

    /// Unequal participant/comparison ratios across strata, so weighting by
    /// the comparison side (or pooling it) gives a different answer:
    ///   A: participants 60/100, comparison 25/50  (c = 0.5)
    ///   B: participants 20/50,  comparison 60/200 (c = 0.3)
    /// participant weights (2/3, 1/3): c = 0.433333, att = 0.1; the pooled
    /// comparison rate 85/250 = 0.34 would give 0.193333.
    /// se² = d·0.533333·0.466667/150 + (4/9)·0.25/49 + (1/9)·0.21/199
    ///     = 0.00161081 + 0.00226757 + 0.00011725 = 0.00399564 (d =
    /// 0.970801, as in the example above).
    #[test]
    fn strata_are_weighted_by_the_participants() {
        let m = coarsened_exact_match([
            (counts(100, 60), counts(50, 25)),
            (counts(50, 20), counts(200, 60)),
        ]);
        let close = |a: Option<f64>, b: f64| (a.unwrap() - b).abs() < 5e-7;
        assert!(close(m.comparison_rate, 0.433_333_3));
        assert!(close(m.att, 0.1));
        assert!(close(m.att_se, 0.003_995_64_f64.sqrt()));
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
        assert_eq!(stratum_variance(counts(2, 2), 0.25), 0.0);
        assert!((stratum_variance(counts(4, 1), 0.25) - 0.1875 / 3.0).abs() < 1e-15);
        assert_eq!(stratum_variance(counts(1, 1), 0.25), 0.25);
    }

    /// A mean outcome (months in work), by hand, with unequal ratios and a
    /// comparison stratum of one:
    ///   A: participants 1, 3 (total 4, squares 10); comparison 0, 1, 2
    ///      (total 3, squares 5, mean 1, v = (5 − 9/3)/2/3 = 1/3)
    ///   B: participants 2, 2 (total 4, squares 8); comparison 4 alone
    /// w = (½, ½): ȳ = 2, c̄ = ½·1 + ½·4 = 2.5, att = −0.5; the pooled spread
    /// E_w[y²] − c̄² = ½·5/3 + ½·16 − 6.25 = 2.583333 is B's v, so
    /// V = ¼·⅓ + ¼·2.583333 = 0.729167; s² = (18 − 16)/3 = ⅔, and
    /// se = √(⅔/4 + 0.729167) = 0.946485; the interval squares and adds
    /// 1.96·√(⅔/4) and 1.96·√V: −0.5 ∓ 1.855110.
    #[test]
    fn a_mean_outcome_by_hand() {
        let sums = |eligible, total, squares| StratumCounts {
            eligible,
            total,
            squares,
        };
        let m = coarsened_exact_match_of(
            OutcomeKind::Mean,
            [
                (sums(2, 4, 10), sums(3, 3, 5)),
                (sums(2, 4, 8), sums(1, 4, 16)),
            ],
        );
        let close = |a: Option<f64>, b: f64| (a.unwrap() - b).abs() < 5e-7;
        assert!(close(m.participant_rate, 2.0));
        assert!(close(m.comparison_rate, 2.5));
        assert!(close(m.comparison_variance, 0.729_166_7));
        assert!(close(m.att, -0.5));
        assert!(close(m.att_se, 0.946_484_7));
        assert!(close(m.att_low, -2.355_110_1));
        assert!(close(m.att_high, 1.355_110_1));
        assert!((m.unit_variance() - 0.5).abs() < 1e-12);
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
