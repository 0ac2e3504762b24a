//! The published value types. Their fields are private and their
//! constructors visible only inside `disclosure`, so a page, chart or export
//! can only ever hold a controlled value. How they are written (digits, %,
//! pp, £, `[c]`) is `crate::presentation`'s business.

use super::policy::{THRESHOLD, round_share, round_to_base, three_significant_figures};
pub use contract::vocabulary::Significance;

/// A count of people, notes or rows, after disclosure control.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Count(Option<u64>);

impl Count {
    pub(super) fn of(exact: u64) -> Count {
        Count::unless(false, exact)
    }
    /// Suppressed when `hidden` (secondary suppression) or small.
    pub(super) fn unless(hidden: bool, exact: u64) -> Count {
        if hidden || exact < THRESHOLD {
            Count(None)
        } else {
            Count(Some(round_to_base(exact)))
        }
    }
    /// The rounded count, or `None` when suppressed.
    pub fn value(self) -> Option<u64> {
        self.0
    }
    pub fn is_suppressed(self) -> bool {
        self.0.is_none()
    }
}

/// A proportion (a rate or a share) with its 95% interval where it has one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Share(Option<(f64, Option<(f64, f64)>)>);

impl Share {
    /// A rate of `numerator` in `denominator`, shown only when both and their
    /// difference are at or above the threshold.
    pub(super) fn of(numerator: u64, denominator: u64, value: [Option<f64>; 3]) -> Share {
        Share::of_unless(false, numerator, denominator, value)
    }
    /// [`Share::of`], also suppressed when `hidden` (one of its counts is
    /// suppressed by secondary suppression).
    pub(super) fn of_unless(
        hidden: bool,
        numerator: u64,
        denominator: u64,
        value: [Option<f64>; 3],
    ) -> Share {
        let safe = !hidden
            && numerator >= THRESHOLD
            && denominator >= THRESHOLD
            && denominator.saturating_sub(numerator) >= THRESHOLD;
        Share::unless(!safe, value)
    }
    pub(super) fn unless(suppressed: bool, [value, low, high]: [Option<f64>; 3]) -> Share {
        match (suppressed, value) {
            (false, Some(v)) => Share(Some((
                round_share(v),
                low.zip(high).map(|(l, h)| (round_share(l), round_share(h))),
            ))),
            _ => Share(None),
        }
    }
    pub fn value(self) -> Option<f64> {
        self.0.map(|v| v.0)
    }
    pub fn interval(self) -> Option<(f64, f64)> {
        self.0.and_then(|v| v.1)
    }
    pub fn is_suppressed(self) -> bool {
        self.0.is_none()
    }
}

/// A difference of proportions (an ATT or a DiD) with its 95% interval, and
/// where that interval lies against zero (decided on the exact interval).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Effect(Option<([f64; 3], Significance)>);

impl Effect {
    pub(super) fn unless(suppressed: bool, [v, l, h]: [Option<f64>; 3]) -> Effect {
        match (suppressed, v, l, h, Significance::of(l, h)) {
            (false, Some(v), Some(l), Some(h), Some(significance)) => Effect(Some((
                [round_share(v), round_share(l), round_share(h)],
                significance,
            ))),
            _ => Effect(None),
        }
    }
    pub fn value(self) -> Option<f64> {
        self.0.map(|e| e.0[0])
    }
    pub fn interval(self) -> Option<(f64, f64)> {
        self.0.map(|e| (e.0[1], e.0[2]))
    }
    pub fn is_suppressed(self) -> bool {
        self.0.is_none()
    }
    pub fn significance(self) -> Option<Significance> {
        self.0.map(|e| e.1)
    }
}

/// Pounds. Funding allocations are published figures; a cost per
/// additional outcome is shown to 3 significant figures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Money(f64);

impl Money {
    pub(super) fn funding(gbp: i64) -> Money {
        Money(gbp as f64)
    }
    pub(super) fn cost(gbp: f64) -> Money {
        Money(three_significant_figures(gbp))
    }
    pub fn value(self) -> f64 {
        self.0
    }
}

/// Cost per additional job outcome, or why it is not shown.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CostPerOutcome {
    Shown(Money),
    /// The ATT's interval does not lie above zero.
    NotSignificant,
    /// The ATT is suppressed.
    Suppressed,
    /// The programme has no funding figure.
    NoFunding,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_rounded_to_five_and_small_ones_suppressed() {
        assert_eq!(Count::of(0).value(), None);
        assert_eq!(Count::of(9).value(), None);
        assert_eq!(Count::of(10).value(), Some(10));
        assert_eq!(Count::of(12).value(), Some(10));
        assert_eq!(Count::of(13).value(), Some(15));
        assert_eq!(Count::of(1_234_568).value(), Some(1_234_570));
    }

    #[test]
    fn a_rate_goes_with_any_small_count_it_is_built_on() {
        let v = [Some(0.5), Some(0.4), Some(0.6)];
        assert!(Share::of(9, 100, v).is_suppressed());
        assert!(Share::of(50, 9, v).is_suppressed());
        // 95 of 100: the 5 not in work would be revealed.
        assert!(Share::of(95, 100, v).is_suppressed());
        let shown = Share::of(50, 100, [Some(0.5), Some(0.40383), Some(0.59617)]);
        assert_eq!(shown.value(), Some(0.5));
        assert_eq!(shown.interval(), Some((0.404, 0.596)));
    }

    #[test]
    fn significance_is_decided_on_the_exact_interval() {
        // The lower limit rounds to 0.000 but lies above zero.
        let e = Effect::unless(false, [Some(0.05), Some(0.0004), Some(0.1)]);
        assert_eq!(e.interval(), Some((0.0, 0.1)));
        assert_eq!(e.significance(), Some(Significance::Above));
    }
}
