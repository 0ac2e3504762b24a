//! A programme's outcomes (`outcome_effects`): counts rounded and
//! suppressed, each effect rebuilt from the rounded matched count, the
//! declared headline first.

use crate::disclosure::policy::round_share;
use crate::disclosure::published::OutcomeRow;
use crate::disclosure::values::{AttSide, Count, Effect, Share};
use contract::outcomes::{Outcome, Unit};
use contract::outputs::OutcomeEffect;

/// A mean as published: months to 0.1, pounds to £1.
fn rounded_mean(unit: Unit, v: f64) -> f64 {
    match unit {
        Unit::Months => (v * 10.0).round() / 10.0,
        _ => v.round(),
    }
}

fn row(o: &OutcomeEffect, outcome: Outcome) -> OutcomeRow {
    let side = AttSide {
        comparison_rate: o.comparison_mean,
        comparison_variance: o.comparison_variance,
        area_variance: o.att_area_variance,
        tau2_df: o.between_area_df,
        design_effect: o.att_design_effect,
    };
    let unit = outcome.unit();
    let (participant, effect) = match unit {
        Unit::Proportion => {
            let share = Share::of_counts(false, o.matched_total, o.matched);
            let effect = Effect::att(share.is_suppressed(), o.matched_total, o.matched, side);
            (share.value(), effect)
        }
        Unit::Months | Unit::Pounds => {
            // Both means as published (months to 0.1, pounds to £1), so the
            // effect is the difference of published figures, never an
            // exact mean to the penny (issue 28, hole 9).
            let step = if unit == Unit::Months { 0.1 } else { 1.0 };
            let side = AttSide {
                comparison_rate: side.comparison_rate.map(|c| rounded_mean(unit, c)),
                ..side
            };
            let effect = Effect::mean(
                false,
                o.matched_total,
                o.matched_squares,
                o.matched,
                side,
                step,
            );
            let mean = (!effect.is_suppressed())
                .then_some(o.participant_mean)
                .flatten()
                .map(|v| rounded_mean(unit, v));
            (mean, effect)
        }
    };
    // The comparison's value beside a suppressed effect would give the
    // participants' back.
    let comparison = (!effect.is_suppressed())
        .then_some(o.comparison_mean)
        .flatten()
        .map(|v| match unit {
            Unit::Proportion => round_share(v),
            _ => rounded_mean(unit, v),
        });
    let engaged = stats::formulas::value::engaged_count(o.engaged_share, o.matched);
    let share = Share::share_of_counts(effect.is_suppressed(), engaged, o.matched);
    let e_values = match (unit, effect.published(), o.comparison_mean) {
        (Unit::Proportion, Some([v, l, h]), Some(c)) => {
            stats::formulas::evalue::att_e_values(c, v, l, h)
                .map(|(e, i)| ((e * 100.0).round() / 100.0, (i * 100.0).round() / 100.0))
        }
        _ => None,
    };
    OutcomeRow {
        e_values,
        outcome,
        role: o.role,
        eligible: Count::of(o.eligible),
        matched: Count::of(o.matched),
        participant,
        comparison,
        effect,
        effect_engaged: effect.per_engaged(share),
        note: o.note.clone(),
    }
}

/// The programme's outcome rows, the headline first.
pub fn outcomes(all: &[OutcomeEffect], programme: &str) -> Vec<OutcomeRow> {
    let mut rows: Vec<OutcomeRow> = all
        .iter()
        .filter(|o| o.programme == programme)
        .map(|o| row(o, o.outcome))
        .collect();
    rows.sort_by_key(|r| (r.role, r.outcome));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use contract::outcomes::Role;

    fn effect(outcome: Outcome, matched: u64, total: u64, squares: u64) -> OutcomeEffect {
        OutcomeEffect {
            programme: "P".into(),
            outcome,
            role: if outcome == Outcome::InWork6m {
                Role::Headline
            } else {
                Role::Secondary
            },
            unit: outcome.unit(),
            horizon_months: outcome.horizon_months().into(),
            eligible: matched + 3,
            matched,
            unmatched: 3,
            matched_total: total,
            matched_squares: squares,
            participant_mean: Some(total as f64 / matched as f64),
            comparison_mean: Some(0.5),
            comparison_variance: Some(0.0004),
            att: None,
            att_low: None,
            att_high: None,
            att_design_effect: None,
            between_area_variance: Some(0.0),
            between_area_df: Some(10.0),
            att_area_variance: Some(0.0001),
            att_df: None,
            att_p_value: None,
            att_p_adjusted: None,
            att_calibrated_low: None,
            att_calibrated_high: None,
            att_calibrated_p: None,
            e_value: None,
            e_value_interval: None,
            engaged_share: Some(0.5),
            att_engaged: None,
            att_engaged_low: None,
            att_engaged_high: None,
            note: None,
        }
    }

    /// 123 matched, 74 in work at 12 months: shown as 75 of 125 (0.6), the
    /// effect from those rounded counts; the headline comes first; a mean
    /// over 7 people is suppressed with its comparison.
    #[test]
    fn outcomes_are_published_from_rounded_counts() {
        let rows = outcomes(
            &[
                effect(Outcome::InWork12m, 123, 74, 74),
                effect(Outcome::InWork6m, 200, 120, 120),
                effect(Outcome::MonthsInWork12m, 7, 50, 400),
            ],
            "P",
        );
        assert_eq!(rows[0].outcome, Outcome::InWork6m);
        assert_eq!(rows[0].role, Role::Headline);
        let twelve = &rows[1];
        assert_eq!(twelve.matched.value(), Some(125));
        assert_eq!(twelve.participant, Some(0.6));
        let expected = Effect::att(false, 75, 125, AttSide::default());
        assert!(expected.is_suppressed(), "no comparison side: suppressed");
        assert!((twelve.effect.value().unwrap() - 0.1).abs() < 1e-9);
        // RR = 0.6/0.5 = 1.2: E = 1.2 + √(1.2·0.2) = 1.69.
        assert_eq!(twelve.e_values.map(|e| e.0), Some(1.69));
        let months = &rows[2];
        assert!(months.effect.is_suppressed());
        assert_eq!((months.participant, months.comparison), (None, None));
    }

    /// A mean outcome keeps its exact mean and spread at the rounded count:
    /// 42 matched with mean 6 and s² ≈ 4 → 40 at the same mean.
    #[test]
    fn a_mean_is_shown_at_the_rounded_count() {
        let rows = outcomes(
            &[effect(Outcome::MonthsInWork12m, 42, 252, 252 * 6 + 4 * 42)],
            "P",
        );
        let r = &rows[0];
        assert_eq!(r.matched.value(), Some(40));
        assert_eq!(r.participant, Some(6.0));
        assert!((r.effect.value().unwrap() - 5.5).abs() < 1e-9);
        assert!(r.effect_engaged.value().unwrap() > r.effect.value().unwrap());
    }

    /// Earnings: 40 matched with exact mean £1,234.567 against a comparison
    /// of £1,100.499 were published to the penny (£134.07, giving the exact
    /// mean back); now both means are rounded to £1 first, so the effect is
    /// £1,235 − £1,100 = £135 exactly (issue 28, hole 9).
    #[test]
    fn an_earnings_effect_is_the_difference_of_published_means() {
        let total = 49_383u64; // 40 × 1,234.575, so the mean rounds to £1,235
        let mut row = effect(Outcome::Earnings1To6m, 40, total, 61_000_000);
        row.comparison_mean = Some(1_100.499);
        row.comparison_variance = Some(100.0);
        row.att_area_variance = Some(50.0);
        let rows = outcomes(&[row], "P");
        let r = &rows[0];
        assert_eq!(r.participant, Some(1_235.0));
        assert_eq!(r.comparison, Some(1_100.0));
        let [value, ..] = r.effect.published().unwrap();
        assert!((value - 135.0).abs() < 1e-9, "{value}");
    }
}
