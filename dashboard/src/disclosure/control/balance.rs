//! A programme's covariate balance and its effect on those who engaged,
//! from the exact `balance` rows and `programme_outcomes` columns.
//!
//! A participant share is the ratio of the rounded count with the level to
//! the rounded count of all (eligible before matching, matched after),
//! suppressed where a rate of those counts would be; a comparison share
//! (a weighted average over many comparison people) is rounded to a whole
//! percent; the standardised differences are computed from those published
//! shares, so they give back nothing the shares do not. Continuous means
//! are rounded to a precision that cannot place a person.

use crate::disclosure::policy::round_to_base;
use crate::disclosure::published::BalanceRow;
use crate::disclosure::values::{Effect, Share, rate_is_safe};
use contract::outputs::{Balance, ProgrammeOutcome};
use stats::formulas::balance::{imbalanced, standardised_difference};

/// How a continuous covariate's mean is rounded for publication.
fn mean_step(covariate: &str) -> f64 {
    match covariate {
        "earnings_before" => 10.0,
        "fit_notes_before" => 0.01,
        _ => 0.1,
    }
}

fn round_to(v: f64, step: f64) -> f64 {
    (v / step).round() * step
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// A participant share from exact counts, as a ratio of rounded counts.
fn participant_share(with_level: u64, of: u64) -> Option<f64> {
    rate_is_safe(with_level, of)
        .then(|| round_to_base(with_level) as f64 / round_to_base(of) as f64)
}

/// The published standardised difference: the contract's, to 2 decimals.
fn smd(t: f64, c: f64, var_t: f64, var_c: f64) -> Option<f64> {
    standardised_difference(t, c, var_t, var_c).map(round2)
}

fn categorical(row: &Balance, p: &ProgrammeOutcome) -> BalanceRow {
    let before_count = row
        .participant_mean_before
        .map(|m| (m * p.eligible as f64).round() as u64);
    let before = before_count
        .and_then(|k| participant_share(k, p.eligible))
        .zip(row.comparison_mean_before.map(round2));
    let after =
        participant_share(row.participants, p.effect.matched).zip(row.comparison_mean.map(round2));
    let variances = before.map(|(t, c)| (t * (1.0 - t), c * (1.0 - c)));
    let difference = |phase: Option<(f64, f64)>| {
        let ((t, c), (vt, vc)) = (phase?, variances?);
        smd(t, c, vt, vc)
    };
    let smd_after = difference(after);
    BalanceRow {
        covariate: row.covariate.clone(),
        level: row.level.clone(),
        matched_on: row.matched_on,
        before,
        after,
        smd_before: difference(before),
        smd: smd_after,
        imbalanced: imbalanced(smd_after, after),
    }
}

fn continuous(row: &Balance, p: &ProgrammeOutcome) -> BalanceRow {
    let step = mean_step(&row.covariate);
    let means = |enough: bool, t: Option<f64>, c: Option<f64>| {
        enough
            .then_some(())
            .and(t.zip(c))
            .map(|(t, c)| (round_to(t, step), round_to(c, step)))
    };
    let before = means(
        p.eligible >= crate::disclosure::THRESHOLD,
        row.participant_mean_before,
        row.comparison_mean_before,
    );
    let after = means(
        p.effect.matched >= crate::disclosure::THRESHOLD,
        row.participant_mean,
        row.comparison_mean,
    );
    let shown = |v: Option<f64>, phase: Option<(f64, f64)>| phase.and(v.map(round2));
    let smd_after = shown(row.smd, after);
    BalanceRow {
        covariate: row.covariate.clone(),
        level: None,
        matched_on: row.matched_on,
        before,
        after,
        smd_before: shown(row.smd_before, before),
        smd: smd_after,
        imbalanced: imbalanced(smd_after, after),
    }
}

/// The programme's balance rows, covariates in the evidence root's order.
/// A level no participant has (a quarter before go-live, a region without
/// a site) is left out: it says nothing about the comparison the effect
/// rests on, and its absence is public knowledge.
pub fn balance(rows: &[Balance], p: &ProgrammeOutcome) -> Vec<BalanceRow> {
    rows.iter()
        .filter(|r| r.programme == p.programme)
        .filter(|r| r.level.is_none() || r.participant_mean_before.is_some_and(|m| m > 0.0))
        .map(|r| match r.level {
            Some(_) => categorical(r, p),
            None => continuous(r, p),
        })
        .collect()
}

/// The L1 imbalance before and after matching, to 2 decimals.
pub fn l1(p: &ProgrammeOutcome) -> Option<(f64, f64)> {
    (p.effect.matched >= crate::disclosure::THRESHOLD)
        .then_some(())
        .and(p.balance_l1_before.zip(p.balance_l1))
        .map(|(b, a)| (round2(b), round2(a)))
}

/// The share of matched participants who engaged (from rounded counts) and
/// Bloom's effect on them.
pub fn engaged(p: &ProgrammeOutcome, att: Effect) -> (Share, Effect) {
    let engaged = stats::formulas::value::engaged_count(p.engaged_share, p.effect.matched);
    let share = Share::share_of_counts(att.is_suppressed(), engaged, p.effect.matched);
    (share, att.per_engaged(share))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(level: Option<&str>, participants: u64, means: [f64; 4]) -> Balance {
        Balance {
            programme: "P".into(),
            covariate: if level.is_some() {
                "region"
            } else {
                "earnings_before"
            }
            .into(),
            level: level.map(str::to_string),
            matched_on: false,
            participants,
            participant_mean_before: Some(means[0]),
            comparison_mean_before: Some(means[1]),
            participant_mean: Some(means[2]),
            comparison_mean: Some(means[3]),
            smd_before: Some(0.123_456),
            smd: Some(0.012_345),
            imbalanced: false,
        }
    }

    fn programme(eligible: u64, matched: u64) -> ProgrammeOutcome {
        let mut p = ProgrammeOutcome::empty("P");
        p.eligible = eligible;
        p.effect.matched = matched;
        p
    }

    /// 103 of 1,002 eligible (exact) before: rounded 105/1,000 = 0.105;
    /// 97 of 803 matched after: 95/805 = 0.118012. Comparison 0.2 and 0.123
    /// → 0.12. SMD before (0.105 − 0.2)/√((0.093975 + 0.16)/2) = −0.2666 →
    /// −0.27; after (0.118012 − 0.12)/0.356337 = −0.0056 → −0.01.
    #[test]
    fn shares_come_from_rounded_counts() {
        let p = programme(1_002, 803);
        let r = categorical(
            &row(Some("North"), 97, [103.0 / 1002.0, 0.2, 0.12, 0.123]),
            &p,
        );
        let (t, c) = r.before.unwrap();
        assert!((t - 0.105).abs() < 1e-12 && (c - 0.2).abs() < 1e-12);
        let (t, c) = r.after.unwrap();
        assert!((t - 95.0 / 805.0).abs() < 1e-12 && (c - 0.12).abs() < 1e-12);
        assert_eq!(r.smd_before, Some(-0.27));
        assert_eq!(r.smd, Some(-0.01));
        assert!(!r.imbalanced);
    }

    /// A level held by 7 matched participants (or all but 7) is suppressed,
    /// with its difference.
    #[test]
    fn small_levels_are_suppressed() {
        let p = programme(1_000, 800);
        for participants in [7, 793] {
            let r = categorical(&row(Some("North"), participants, [0.5, 0.5, 0.5, 0.5]), &p);
            assert!(r.after.is_none() && r.smd.is_none(), "{participants}");
            assert!(r.before.is_some());
        }
    }

    #[test]
    fn continuous_means_are_rounded() {
        let p = programme(1_000, 800);
        let r = continuous(&row(None, 800, [1846.9, 1382.4, 1962.8, 1960.6]), &p);
        assert_eq!(r.before, Some((1850.0, 1380.0)));
        assert_eq!(r.after, Some((1960.0, 1960.0)));
        assert_eq!(r.smd, Some(0.01));
        let r = continuous(&row(None, 8, [1.0, 1.0, 1.0, 1.0]), &programme(1_000, 8));
        assert!(r.after.is_none() && r.smd.is_none());
    }
}
