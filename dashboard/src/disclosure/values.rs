//! The published value types. Their fields are private and their
//! constructors visible only inside `disclosure`, so a page, chart or export
//! can only ever hold a controlled value. How they are written (digits, %,
//! pp, £, `[c]`) is `crate::presentation`'s business.

use super::policy::{THRESHOLD, round_share, round_to_base, three_significant_figures};
pub use contract::vocabulary::Significance;
use stats::formulas::{att, staggered, wilson};

/// Whether a rate of `numerator` in `denominator` may be shown: both, and
/// their difference, at or above the threshold (a 97% rate of 105 would
/// otherwise reveal the 3 people not in work).
pub(super) fn rate_is_safe(numerator: u64, denominator: u64) -> bool {
    numerator >= THRESHOLD
        && denominator >= THRESHOLD
        && denominator.saturating_sub(numerator) >= THRESHOLD
}

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
    /// A rate of `numerator` in `denominator` with its Wilson interval,
    /// computed from the *rounded* counts (so it is consistent with every
    /// pair of exact counts that round to them), shown only when the exact
    /// counts are safe ([`rate_is_safe`]) and `hidden` is false (one of its
    /// counts is suppressed by secondary suppression).
    pub(super) fn of_counts(hidden: bool, numerator: u64, denominator: u64) -> Share {
        if hidden || !rate_is_safe(numerator, denominator) {
            return Share(None);
        }
        let (k, n) = (round_to_base(numerator), round_to_base(denominator));
        let interval = wilson::wilson_95(k, n);
        Share::unless(
            false,
            [
                Some(k as f64 / n as f64),
                interval.map(|i| i.0),
                interval.map(|i| i.1),
            ],
        )
    }
    /// A share without an interval (a month's may-be-fit share), from the
    /// rounded counts.
    pub(super) fn share_of_counts(hidden: bool, numerator: u64, denominator: u64) -> Share {
        match Share::of_counts(hidden, numerator, denominator).value() {
            Some(v) => Share(Some((v, None))),
            None => Share(None),
        }
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
/// where that interval lies against zero (decided before display rounding).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Effect(EffectState);

#[derive(Clone, Copy, Debug, PartialEq)]
enum EffectState {
    Shown(Shown),
    /// Built on counts too small to show.
    Suppressed,
    /// The counts may be shown but the data cannot support an interval (too
    /// few areas to estimate their variance).
    NotEstimable,
    /// The programme's diagnostics failed: the design's estimate is not
    /// shown (`stats::formulas::diagnostics`).
    Withheld,
    /// An event study's reference month: 0 by construction, no interval.
    Reference,
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Shown {
    /// Value, low, high, rounded for display.
    display: [f64; 3],
    significance: Significance,
    /// Value, low and high as published, before display rounding.
    published: [f64; 3],
    p_value: Option<f64>,
    /// The standard error, critical value and degrees of freedom of the
    /// published interval, where it is a matched effect's (for its
    /// calibrated interval).
    spread: Option<(f64, f64, f64)>,
}

/// What an ATT rests on besides the matched participants' counts, as the
/// evidence root gives it.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub(super) struct AttSide {
    pub comparison_rate: Option<f64>,
    pub comparison_variance: Option<f64>,
    /// τ̂²·S; `None` where too few areas to estimate τ̂².
    pub area_variance: Option<f64>,
    /// The degrees of freedom of τ̃², the τ² the interval used.
    pub tau2_df: Option<f64>,
    /// The participants' design effect (1 where not given).
    pub design_effect: Option<f64>,
}

impl Effect {
    /// The ATT of `in_work` of `matched` participants against `side`, from
    /// the rounded counts (`stats::formulas::att`, with the Satterthwaite
    /// t of the rounded counts' variance), shown only when the exact counts
    /// are safe as a rate's are and `hidden` is false.
    pub(super) fn att(hidden: bool, in_work: u64, matched: u64, side: AttSide) -> Effect {
        if hidden || !rate_is_safe(in_work, matched) {
            return Effect(EffectState::Suppressed);
        }
        let (k, m) = (round_to_base(in_work), round_to_base(matched));
        let (Some(c), Some(v)) = (side.comparison_rate, side.comparison_variance) else {
            return Effect(EffectState::Suppressed);
        };
        let (Some(area_variance), Some(tau2_df)) = (side.area_variance, side.tau2_df) else {
            return Effect(EffectState::NotEstimable);
        };
        let p = k as f64 / m as f64;
        let d = side.design_effect.unwrap_or(1.0);
        let (parts, df) =
            att::AttParts::within_strata(p * (1.0 - p), d, m, (c, v), area_variance, tau2_df);
        match att::att(k, m, parts) {
            Some(a) if a.att.is_finite() => Effect::shown(
                [a.att, a.low, a.high],
                att::att_p_value(|parts| att::att(k, m, parts), parts, df),
            )
            .with_spread(a.se, parts.critical, df),
            _ => Effect(EffectState::NotEstimable),
        }
    }

    /// The own-area design's ATT of `in_work` of `matched` participants
    /// against a comparison rate `c` with variance `v`, from the rounded
    /// counts, at z = 1.96 with no areas' part (every cell's two sides share
    /// their area: CONTRACT.md), shown only when the exact counts are safe
    /// as a rate's are and `hidden` is false.
    pub(super) fn att_within_areas(
        hidden: bool,
        in_work: u64,
        matched: u64,
        c: Option<f64>,
        v: Option<f64>,
        design_effect: Option<f64>,
    ) -> Effect {
        if hidden || !rate_is_safe(in_work, matched) {
            return Effect(EffectState::Suppressed);
        }
        let (Some(c), Some(v)) = (c, v) else {
            return Effect(EffectState::Suppressed);
        };
        let (k, m) = (round_to_base(in_work), round_to_base(matched));
        match att::att_within_areas(k, m, c, v, design_effect.unwrap_or(1.0)) {
            // No area part: the normal's critical value, infinite degrees
            // of freedom (its calibration uses them).
            Some((a, p)) if a.att.is_finite() => Effect::shown([a.att, a.low, a.high], p)
                .with_spread(a.se, att::Z_ATT, f64::INFINITY),
            _ => Effect(EffectState::NotEstimable),
        }
    }

    /// The effect on a mean outcome (months in work, earnings) of `matched`
    /// participants whose values sum to `total` (squares to `squares`),
    /// with the participants' count rounded as every count is and their
    /// mean rounded to `step` (0.1 month, £1) as published: the spread is
    /// kept and the interval is `att_mean`'s at the rounded count and mean.
    /// Suppressed below the threshold of people or when `hidden`.
    pub(super) fn mean(
        hidden: bool,
        total: u64,
        squares: u64,
        matched: u64,
        side: AttSide,
        step: f64,
    ) -> Effect {
        if hidden || matched < THRESHOLD {
            return Effect(EffectState::Suppressed);
        }
        let (Some(c), Some(v)) = (side.comparison_rate, side.comparison_variance) else {
            return Effect(EffectState::Suppressed);
        };
        let (Some(area_variance), Some(tau2_df)) = (side.area_variance, side.tau2_df) else {
            return Effect(EffectState::NotEstimable);
        };
        let m = round_to_base(matched);
        let exact_mean = total as f64 / matched as f64;
        let exact_variance = (squares as f64 / matched as f64 - exact_mean * exact_mean).max(0.0);
        let mean = (exact_mean / step).round() * step;
        let total = mean * m as f64;
        let squares = (exact_variance + mean * mean) * m as f64;
        let unit_variance = exact_variance;
        let d = side.design_effect.unwrap_or(1.0);
        let (parts, df) =
            att::AttParts::within_strata(unit_variance, d, m, (c, v), area_variance, tau2_df);
        match att::att_mean(total, squares, m, parts) {
            Some(a) if a.att.is_finite() => Effect::shown(
                [a.att, a.low, a.high],
                att::att_p_value(|parts| att::att_mean(total, squares, m, parts), parts, df),
            ),
            _ => Effect(EffectState::NotEstimable),
        }
    }

    /// An event study's reference month (e = −1, the universal base).
    pub(super) fn reference(small: bool) -> Effect {
        Effect([EffectState::Reference, EffectState::Suppressed][usize::from(small)])
    }
    /// A fit-note effect from the staggered estimator over the *rounded*
    /// monthly counts (`control::notes`): suppressed where `small` (one of
    /// the pooled cells it summarises is too small to show); not estimable
    /// where the areas cannot support an interval.
    pub(super) fn staggered(small: bool, estimate: Option<staggered::Estimate>) -> Effect {
        if small {
            return Effect(EffectState::Suppressed);
        }
        match estimate {
            Some(e) => match (e.low, e.high) {
                (Some(l), Some(h)) => Effect::shown([e.estimate, l, h], e.p_value),
                _ => Effect(EffectState::NotEstimable),
            },
            None => Effect(EffectState::NotEstimable),
        }
    }

    /// Bloom's (1984) effect on those who engaged: this effect and its
    /// limits divided by the published share engaged; suppressed with the
    /// share.
    pub(super) fn per_engaged(self, share: Share) -> Effect {
        use stats::formulas::value::per_engaged;
        match (self.0, share.value()) {
            (EffectState::Shown(s), Some(engaged)) => {
                match s.published.map(|v| per_engaged(v, engaged)) {
                    [Some(value), Some(low), Some(high)] => {
                        Effect::shown([value, low, high], s.p_value)
                    }
                    _ => Effect(EffectState::Suppressed),
                }
            }
            (EffectState::Shown(_), _) => Effect(EffectState::Suppressed),
            (other, _) => Effect(other),
        }
    }

    fn shown(published: [f64; 3], p_value: Option<f64>) -> Effect {
        match Significance::of(Some(published[1]), Some(published[2])) {
            Some(significance) => Effect(EffectState::Shown(Shown {
                display: published.map(round_share),
                significance,
                published,
                p_value,
                spread: None,
            })),
            None => Effect(EffectState::NotEstimable),
        }
    }

    fn with_spread(self, se: f64, critical: f64, df: f64) -> Effect {
        match self.0 {
            EffectState::Shown(s) => Effect(EffectState::Shown(Shown {
                spread: Some((se, critical, df)),
                ..s
            })),
            other => Effect(other),
        }
    }

    /// This effect withheld because its programme's diagnostics failed
    /// (a suppressed one stays suppressed).
    pub(super) fn withheld(self) -> Effect {
        match self.0 {
            EffectState::Suppressed => self,
            _ => Effect(EffectState::Withheld),
        }
    }

    /// The published effect's interval (rounded for display) and p-value
    /// calibrated for the systematic error N(`mean`, `sd`²) its programme's
    /// negative controls show, with the mean's own standard error `mean_se`
    /// (`stats::formulas::calibration`), at the effect's own critical value
    /// and degrees of freedom.
    pub(super) fn calibrated(self, (mean, sd, mean_se): (f64, f64, f64)) -> Option<Calibrated> {
        use stats::formulas::calibration::{Null, calibrated_interval, calibrated_p_t};
        let s = self.shown_part()?;
        let (se, critical, df) = s.spread?;
        let null = Null {
            mean,
            sd,
            controls: 0,
            mean_se,
        }
        .with_its_uncertainty();
        let (low, high) = calibrated_interval(&null, s.published[0], se, critical);
        let p = calibrated_p_t(&null, s.published[0], se, df)?;
        Some(Calibrated {
            interval: (round_share(low), round_share(high)),
            significance: Significance::of(Some(low), Some(high))?,
            p_value: p,
        })
    }

    /// The smallest effect this published effect's spread would detect
    /// with 80% power at its own two-sided 5% level: (t + z₀.₈)·se, as a
    /// programme's `mde` (`stats::formulas::att`). None where the effect is
    /// not shown or carries no spread.
    pub(super) fn minimum_detectable(self) -> Option<f64> {
        let (se, critical, _) = self.shown_part()?.spread?;
        Some(stats::formulas::att::minimum_detectable_effect_of_se(
            critical, se,
        ))
    }

    fn shown_part(self) -> Option<Shown> {
        match self.0 {
            EffectState::Shown(s) => Some(s),
            _ => None,
        }
    }
    pub fn value(self) -> Option<f64> {
        (self.is_reference().then_some(0.0)).or(self.shown_part().map(|e| e.display[0]))
    }
    /// An event study's reference month (0 by construction).
    pub fn is_reference(self) -> bool {
        self.0 == EffectState::Reference
    }
    pub fn interval(self) -> Option<(f64, f64)> {
        self.shown_part().map(|e| (e.display[1], e.display[2]))
    }
    pub fn is_suppressed(self) -> bool {
        self.0 == EffectState::Suppressed
    }
    /// Shown counts, but no interval the data can support.
    pub fn is_not_estimable(self) -> bool {
        self.0 == EffectState::NotEstimable
    }
    /// Withheld: its programme's diagnostics failed.
    pub fn is_withheld(self) -> bool {
        self.0 == EffectState::Withheld
    }
    pub fn significance(self) -> Option<Significance> {
        self.shown_part().map(|e| e.significance)
    }
    /// The two-sided p-value of the published effect.
    pub fn p_value(self) -> Option<f64> {
        self.shown_part().and_then(|e| e.p_value)
    }
    /// Value, low and high as published, before display rounding, for
    /// figures derived from them (costs, outcomes per £1m).
    pub(crate) fn published(self) -> Option<[f64; 3]> {
        self.shown_part().map(|e| e.published)
    }
}

/// An effect's interval and p-value calibrated for its design's
/// systematic error, as published.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Calibrated {
    pub interval: (f64, f64),
    pub significance: Significance,
    pub p_value: f64,
}

/// Pounds. Funding allocations are published figures; a cost per
/// additional outcome is shown to 3 significant figures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Money(f64);

impl Money {
    pub(super) fn funding(gbp: i64) -> Money {
        Money(gbp as f64)
    }
    /// A cost per outcome (`stats::formulas::value`) as shown: to three
    /// significant figures.
    pub(super) fn cost(pounds: f64) -> Money {
        Money(three_significant_figures(pounds))
    }
    pub fn value(self) -> f64 {
        self.0
    }
}

/// Cost per additional job outcome, or why it is not shown.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CostPerOutcome {
    /// The cost and its interval: the ATT interval inverted (£ at the
    /// effect's upper limit, £ at its lower limit).
    Shown {
        cost: Money,
        low: Option<Money>,
        high: Option<Money>,
    },
    /// The effect's interval spans zero but reaches above it: the cost is at
    /// least this.
    AtLeast(Money),
    /// The ATT's interval does not lie above zero.
    NotSignificant,
    /// The ATT is suppressed.
    Suppressed,
    /// The programme has no funding figure.
    NoFunding,
    /// The programme's diagnostics failed, so its effect is not shown.
    Withheld,
    /// In work at 6 months is not the programme's declared headline, so no
    /// cost per additional job is claimed for it.
    NotHeadline,
}

#[cfg(test)]
mod tests;
