//! Programmes, sites and subgroups: counts rounded and suppressed, rates,
//! effects and funnel positions derived from the rounded counts.

use crate::disclosure::policy::hidden_in_groups;
use crate::disclosure::published::*;
use crate::disclosure::values::{CostPerOutcome, Count, Effect, Money, Share, Significance};
use contract::formulas::funnel::{Z_95, Z_998, control_limits, funnel_flag};
use contract::outputs::{ProgrammeOutcome, SiteOutcome, SubgroupOutcome};

/// A rate published from rounded counts, before display rounding: what the
/// funnel places.
fn published_rate(rate: Share, in_work: Count, eligible: Count) -> Option<f64> {
    let (k, n) = (in_work.value()?, eligible.value()?);
    (!rate.is_suppressed() && n > 0).then(|| k as f64 / n as f64)
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
        p.comparison_rate,
        p.comparison_variance,
    );
    let cost_per_additional_outcome = match (p.funding_gbp, att.significance()) {
        (None, _) => CostPerOutcome::NoFunding,
        (_, None) => CostPerOutcome::Suppressed,
        (Some(funding), Some(Significance::Above)) => Money::cost(funding, att, matched)
            .map_or(CostPerOutcome::NotSignificant, CostPerOutcome::Shown),
        (Some(_), Some(_)) => CostPerOutcome::NotSignificant,
    };
    Programme {
        name: p.programme.clone(),
        participants: Count::of(p.participants),
        eligible,
        in_work_6m,
        rate,
        matched,
        unmatched: Count::of(p.unmatched),
        strata_dropped: p.strata_dropped,
        comparison_rate: Share::unless(att.is_suppressed(), [p.comparison_rate, None, None]),
        att,
        funding_gbp: p.funding_gbp.map(Money::funding),
        cost_per_additional_outcome,
        start_date,
    }
}

/// The funnel limits at a published eligible count around the programme's
/// published rate, and where the site's published rate sits.
fn funnel(target: Option<f64>, eligible: Count, rate: Option<f64>) -> Option<FunnelLimits> {
    let (target, n) = (target?, eligible.value()?);
    let limits = FunnelLimits {
        target,
        limit95: control_limits(target, n, Z_95)?,
        limit998: control_limits(target, n, Z_998)?,
        flag: funnel_flag(rate, control_limits(target, n, Z_998)),
    };
    rate.map(|_| limits)
}

pub fn sites(
    exact: &[SiteOutcome],
    programmes: &[ProgrammeOutcome],
    published: &[Programme],
) -> Vec<Site> {
    let programme_total = |name: &String, measure: fn(&ProgrammeOutcome) -> u64| {
        programmes
            .iter()
            .find(|p| &p.programme == name)
            .map(measure)
    };
    let hidden = |measure: fn(&SiteOutcome) -> u64, total: fn(&ProgrammeOutcome) -> u64| {
        hidden_in_groups(
            exact,
            |s| s.programme.clone(),
            measure,
            |p| programme_total(p, total),
        )
    };
    let participants = hidden(|s| s.participants, |p| p.participants);
    let eligible = hidden(|s| s.eligible, |p| p.eligible);
    let in_work = hidden(|s| s.in_work_6m, |p| p.in_work_6m);
    exact
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let shown_eligible = Count::unless(eligible[i], s.eligible);
            let shown_in_work = Count::unless(in_work[i], s.in_work_6m);
            let rate = Share::of_counts(eligible[i] || in_work[i], s.in_work_6m, s.eligible);
            let target = published
                .iter()
                .find(|p| p.name == s.programme)
                .and_then(|p| published_rate(p.rate, p.in_work_6m, p.eligible));
            let limits = funnel(
                target,
                shown_eligible,
                published_rate(rate, shown_in_work, shown_eligible),
            );
            Site {
                programme: s.programme.clone(),
                area_id: s.area_id.clone(),
                area_name: s.area_name.clone().unwrap_or_else(|| s.area_id.clone()),
                start_date: s.start_date,
                participants: Count::unless(participants[i], s.participants),
                eligible: shown_eligible,
                in_work_6m: shown_in_work,
                funnel_flag: limits.map(|l| l.flag),
                limits,
                rate,
            }
        })
        .collect()
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
            let att = Effect::att(
                matched[i] || rate.is_suppressed(),
                s.matched_in_work,
                s.matched,
                s.comparison_rate,
                s.comparison_variance,
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
                    att.is_suppressed(),
                    [s.comparison_rate, None, None],
                ),
                att,
            }
        })
        .collect()
}
