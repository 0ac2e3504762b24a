//! Programmes and subgroups: counts rounded and suppressed, rates and
//! effects derived from the rounded counts (sites: `sites.rs`).

use crate::disclosure::policy::hidden_in_groups;
use crate::disclosure::published::*;
use crate::disclosure::values::{AttSide, CostPerOutcome, Count, Effect, Money, Share};
use contract::formulas::att::AttParts;
use contract::formulas::multiplicity::{benjamini_hochberg, holm};
use contract::formulas::value::cost_interval;
use contract::outputs::{ProgrammeOutcome, SubgroupOutcome};

/// A rate published from rounded counts, before display rounding: what the
/// funnel places.
pub(super) fn published_rate(rate: Share, in_work: Count, eligible: Count) -> Option<f64> {
    let (k, n) = (in_work.value()?, eligible.value()?);
    (!rate.is_suppressed() && n > 0).then(|| k as f64 / n as f64)
}

/// The cost per additional outcome and its interval, from the published
/// effect and matched count, by the pipeline's own rule
/// (`contract::formulas::value::cost_interval`), each sum rounded for
/// display.
fn cost(funding: Option<i64>, att: Effect, matched: Count) -> CostPerOutcome {
    let Some(funding) = funding else {
        return CostPerOutcome::NoFunding;
    };
    let Some([value, low, high]) = att.published() else {
        return CostPerOutcome::Suppressed;
    };
    let interval = cost_interval(
        funding as f64,
        value,
        low,
        high,
        matched.value().unwrap_or_default(),
    );
    match (interval.cost, interval.low) {
        (Some(cost), _) => CostPerOutcome::Shown {
            cost: Money::cost(cost),
            low: interval.low.map(Money::cost),
            high: interval.high.map(Money::cost),
        },
        (None, Some(low)) => CostPerOutcome::AtLeast(Money::cost(low)),
        (None, None) => CostPerOutcome::NotSignificant,
    }
}

pub fn programme(p: &ProgrammeOutcome, start_date: Option<chrono::NaiveDate>) -> Programme {
    let eligible = Count::of(p.eligible);
    let in_work_6m = Count::of(p.in_work_6m);
    let rate = Share::of_counts(false, p.in_work_6m, p.eligible);
    let matched = Count::of(p.matched);
    // Where the participants' rate is suppressed, so is every figure that
    // would give it back (the ATT plus the comparison rate).
    let att = Effect::att(
        rate.is_suppressed(),
        p.matched_in_work,
        p.matched,
        AttSide {
            comparison_rate: p.comparison_rate,
            comparison_variance: p.comparison_variance,
            area_variance: p.att_area_variance,
            tau2_df: p.between_area_df,
        },
    );
    let jobs_per_million = match (att.published(), matched.value(), p.funding_gbp) {
        (Some(effect), Some(m), Some(funding)) if funding > 0 => {
            Some(effect.map(|e| e * m as f64 / funding as f64 * 1e6))
        }
        _ => None,
    };
    let mde = match (
        p.between_area_variance,
        p.between_area_df,
        p.comparison_variance,
    ) {
        (Some(tau2), Some(df), Some(v)) if !rate.is_suppressed() => {
            let (k, m) = (Count::of(p.matched_in_work).value(), matched.value());
            k.zip(m).and_then(|(k, m)| {
                let rate = k as f64 / m as f64;
                let area_variance = p.att_area_variance.unwrap_or(tau2);
                let (parts, _) = AttParts::with_areas(rate, m, f64::NAN, v, area_variance, df);
                contract::formulas::att::minimum_detectable_effect(rate, m, parts)
            })
        }
        _ => None,
    };
    let e_values = match (att.published(), p.comparison_rate) {
        (Some([v, l, h]), Some(c)) => contract::formulas::evalue::att_e_values(c, v, l, h)
            .map(|(e, i)| ((e * 100.0).round() / 100.0, (i * 100.0).round() / 100.0)),
        _ => None,
    };
    let placebo = Effect::att(
        false,
        p.placebo_matched_in_work,
        p.placebo_matched,
        AttSide {
            comparison_rate: p.placebo_comparison_rate,
            comparison_variance: p.placebo_comparison_variance,
            area_variance: p.placebo_att_area_variance,
            tau2_df: p.placebo_between_area_df,
        },
    );
    Programme {
        e_values,
        placebo,
        engaged_share: Share::unless(true, [None; 3]),
        att_engaged: Effect::att(true, 0, 0, AttSide::default()),
        balance: Vec::new(),
        balance_l1: None,
        headline: None,
        outcomes: Vec::new(),
        name: p.programme.clone(),
        referrals: Count::of(p.referrals),
        participants: Count::of(p.participants),
        eligible,
        in_work_6m,
        rate,
        matched,
        unmatched: Count::of(p.unmatched),
        strata_dropped: p.strata_dropped,
        comparison_rate: Share::unless(att.value().is_none(), [p.comparison_rate, None, None]),
        cost_per_additional_outcome: cost(p.funding_gbp, att, matched),
        att,
        p_adjusted: None,
        randomisation_p: p.randomisation_p,
        between_area_sd: p.between_area_variance.map(f64::sqrt),
        areas: p.areas,
        comparison_areas: p.comparison_areas,
        mde,
        funding_gbp: p.funding_gbp.map(Money::funding),
        jobs_per_million,
        start_date,
    }
}

/// Holm's adjustment across the programmes' published p-values.
pub fn adjust_programmes(programmes: &mut [Programme]) {
    let p: Vec<Option<f64>> = programmes.iter().map(|p| p.att.p_value()).collect();
    for (programme, adjusted) in programmes.iter_mut().zip(holm(&p)) {
        programme.p_adjusted = adjusted;
    }
}

pub fn subgroups(rows: &[SubgroupOutcome], programmes: &[ProgrammeOutcome]) -> Vec<Subgroup> {
    let programme_total = |name: &String, measure: fn(&ProgrammeOutcome) -> u64| {
        programmes
            .iter()
            .find(|p| &p.programme == name)
            .map(measure)
    };
    let hidden = |measure: fn(&SubgroupOutcome) -> u64, total: fn(&ProgrammeOutcome) -> u64| {
        hidden_in_groups(
            rows,
            |s| (s.programme.clone(), s.dimension),
            measure,
            |(p, _)| programme_total(p, total),
        )
    };
    let participants = hidden(|s| s.participants, |p| p.participants);
    let eligible = hidden(|s| s.eligible, |p| p.eligible);
    let in_work = hidden(|s| s.in_work_6m, |p| p.in_work_6m);
    let matched = hidden(|s| s.matched, |p| p.matched);
    rows.iter()
        .enumerate()
        .map(|(i, s)| {
            let rate = Share::of_counts(eligible[i] || in_work[i], s.in_work_6m, s.eligible);
            let programme = programmes.iter().find(|p| p.programme == s.programme);
            let att = Effect::att(
                matched[i] || rate.is_suppressed(),
                s.matched_in_work,
                s.matched,
                AttSide {
                    comparison_rate: s.comparison_rate,
                    comparison_variance: s.comparison_variance,
                    area_variance: s.att_area_variance,
                    tau2_df: programme.and_then(|p| p.between_area_df),
                },
            );
            Subgroup {
                programme: s.programme.clone(),
                dimension: s.dimension,
                value: s.value.clone(),
                participants: Count::unless(participants[i], s.participants),
                eligible: Count::unless(eligible[i], s.eligible),
                in_work_6m: Count::unless(in_work[i], s.in_work_6m),
                rate,
                matched: Count::unless(matched[i], s.matched),
                comparison_rate: Share::unless(
                    att.value().is_none(),
                    [s.comparison_rate, None, None],
                ),
                att,
                p_adjusted: None,
            }
        })
        .collect()
}

/// Benjamini and Hochberg's adjustment across each programme's subgroups'
/// published p-values.
pub fn adjust_subgroups(subgroups: &mut [Subgroup]) {
    let mut programmes: Vec<String> = subgroups.iter().map(|s| s.programme.clone()).collect();
    programmes.dedup();
    for programme in programmes {
        let members: Vec<usize> = (0..subgroups.len())
            .filter(|&i| subgroups[i].programme == programme)
            .collect();
        let p: Vec<Option<f64>> = members
            .iter()
            .map(|&i| subgroups[i].att.p_value())
            .collect();
        for (&i, q) in members.iter().zip(benjamini_hochberg(&p)) {
            subgroups[i].p_adjusted = q;
        }
    }
}
