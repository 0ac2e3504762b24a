//! Programmes and subgroups: counts rounded and suppressed, rates and
//! effects derived from the rounded counts (sites: `sites.rs`).

use crate::disclosure::policy::hidden_in_groups;
use crate::disclosure::published::*;
use crate::disclosure::values::{AttSide, CostPerOutcome, Count, Effect, Money, Share};
use contract::outcomes::Outcome;
use contract::outputs::{MatchedEffect, ProgrammeOutcome, SubgroupOutcome};
use contract::vocabulary::{CO_ENROLLED, Dimension};
use stats::formulas::att::AttParts;
use stats::formulas::multiplicity::{benjamini_hochberg, holm};
use stats::formulas::value::{CostClaim, cost_claim, cost_interval};

/// A rate published from rounded counts, before display rounding: what the
/// funnel places.
pub(super) fn published_rate(rate: Share, in_work: Count, eligible: Count) -> Option<f64> {
    let (k, n) = (in_work.value()?, eligible.value()?);
    (!rate.is_suppressed() && n > 0).then(|| k as f64 / n as f64)
}

/// The cost per additional outcome and its interval, from the published
/// effect and participant count, by the pipeline's own rule
/// (`stats::formulas::value::cost_interval`), each sum rounded for
/// display; `adjust_programmes` then keeps it only where the pipeline
/// would (in work the declared headline, significant after adjustment).
fn cost(funding: Option<i64>, att: Effect, participants: Count) -> CostPerOutcome {
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
        participants.value().unwrap_or_default(),
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

/// A matched effect block's published ATT (`programme_outcomes` and
/// `subgroup_outcomes` carry the same block), from its rounded counts:
/// hidden where `hidden` says, with τ̃²'s degrees of freedom `tau2_df` (the
/// programme's).
fn matched_att(hidden: bool, e: &MatchedEffect, tau2_df: Option<f64>) -> Effect {
    Effect::att(
        hidden,
        e.matched_in_work,
        e.matched,
        AttSide {
            comparison_rate: e.comparison_rate,
            comparison_variance: e.comparison_variance,
            area_variance: e.att_area_variance,
            tau2_df,
            design_effect: e.att_design_effect,
        },
    )
}

pub fn programme(p: &ProgrammeOutcome, start_date: Option<chrono::NaiveDate>) -> Programme {
    let eligible = Count::of(p.eligible);
    let in_work_6m = Count::of(p.in_work_6m);
    let rate = Share::of_counts(false, p.in_work_6m, p.eligible);
    let matched = Count::of(p.effect.matched);
    // Where the participants' rate is suppressed, so is every figure that
    // would give it back (the ATT plus the comparison rate).
    let att = matched_att(rate.is_suppressed(), &p.effect, p.between_area_df);
    let own_area = Effect::att_within_areas(
        rate.is_suppressed(),
        p.own_area_matched_in_work,
        p.own_area_matched,
        p.own_area_comparison_rate,
        p.own_area_comparison_variance,
        p.own_area_design_effect,
    );
    let participants = Count::of(p.participants);
    let jobs_per_million = match (att.published(), participants.value(), p.funding_gbp) {
        (Some(effect), Some(m), Some(funding)) if funding > 0 => {
            Some(effect.map(|e| e * m as f64 / funding as f64 * 1e6))
        }
        _ => None,
    };
    let mde = match (
        p.between_area_variance,
        p.between_area_df,
        p.effect.comparison_variance,
    ) {
        (Some(tau2), Some(df), Some(v)) if !rate.is_suppressed() => {
            let (k, m) = (Count::of(p.effect.matched_in_work).value(), matched.value());
            k.zip(m).and_then(|(k, m)| {
                let rate = k as f64 / m as f64;
                let area_variance = p.effect.att_area_variance.unwrap_or(tau2);
                let d = p.effect.att_design_effect.unwrap_or(1.0);
                let (parts, _) = AttParts::within_strata(
                    rate * (1.0 - rate),
                    d,
                    m,
                    (f64::NAN, v),
                    area_variance,
                    df,
                );
                stats::formulas::att::minimum_detectable_effect(rate, m, parts)
            })
        }
        _ => None,
    };
    let e_values = match (att.published(), p.effect.comparison_rate) {
        (Some([v, l, h]), Some(c)) => stats::formulas::evalue::att_e_values(c, v, l, h)
            .map(|(e, i)| ((e * 100.0).round() / 100.0, (i * 100.0).round() / 100.0)),
        _ => None,
    };
    // Each null as published (to 0.001): μ, σ and se(μ̂); the calibrated
    // figures use all three (`Null::with_its_uncertainty`).
    let null = |mean: Option<f64>, sd: Option<f64>, mean_se: Option<f64>| {
        let round = |x: f64| round_to(x, 1000.0);
        Some((round(mean?), round(sd?), round(mean_se.unwrap_or(0.0))))
    };
    let systematic_error = null(
        p.systematic_error_mean,
        p.systematic_error_sd,
        p.systematic_error_mean_se,
    );
    let calibrated = systematic_error.and_then(|n| att.calibrated(n));
    let own_area_systematic_error = null(
        p.own_area_systematic_error_mean,
        p.own_area_systematic_error_sd,
        p.own_area_systematic_error_mean_se,
    );
    let own_area_calibrated = own_area_systematic_error.and_then(|n| own_area.calibrated(n));
    Programme {
        e_values,
        systematic_error,
        calibrated,
        diagnostics: diagnostics(p.diagnostics.as_deref(), p.diagnostics_failed.as_deref()),
        own_area_systematic_error,
        own_area_calibrated,
        own_area_mde: own_area.minimum_detectable(),
        own_area_diagnostics: diagnostics(
            p.own_area_diagnostics.as_deref(),
            p.own_area_diagnostics_failed.as_deref(),
        ),
        engaged_share: Share::unless(true, [None; 3]),
        att_engaged: Effect::att(true, 0, 0, AttSide::default()),
        balance: Vec::new(),
        balance_l1: None,
        headline: None,
        outcomes: Vec::new(),
        name: p.programme.clone(),
        referrals: Count::of(p.referrals),
        co_enrolled: Count::of(p.co_enrolled),
        exposed_to_another: Count::of(p.exposed_to_another),
        participants,
        eligible,
        in_work_6m,
        rate,
        matched,
        unmatched: Count::of(p.effect.unmatched),
        strata_dropped: p.strata_dropped,
        comparison_rate: Share::unless(
            att.value().is_none(),
            [p.effect.comparison_rate, None, None],
        ),
        cost_per_additional_outcome: cost(p.funding_gbp, att, participants),
        att,
        own_area_matched: Count::of(p.own_area_matched),
        own_area,
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

fn round_to(x: f64, per: f64) -> f64 {
    (x * per).round() / per
}

/// A verdict the pipeline decided (`pass` or `fail`, and the failed checks
/// as `check: why`, `; `-separated), read back from its columns.
fn diagnostics(verdict: Option<&str>, failed: Option<&str>) -> Diagnostics {
    Diagnostics {
        passed: verdict.map(|d| d == "pass"),
        failed: failed
            .iter()
            .flat_map(|f| f.split("; "))
            .filter_map(|f| f.split_once(": "))
            .map(|(check, why)| (check.to_string(), why.to_string()))
            .collect(),
    }
}

/// Withhold every effect figure of a design whose diagnostics failed
/// (OHDSI's "blinded until diagnostics pass"). The own-area design's
/// failing: its effect and calibrated interval. The comparison-area
/// design's failing: its ATT and calibrated interval, the effect on those
/// who engaged, every outcome's effect, the cost and outcomes per £1m
/// (all of which rest on it); and its subgroups' effects.
pub fn withhold_failed(programmes: &mut [Programme], subgroups: &mut [Subgroup]) {
    // Each design on its own verdict: the own-area effect (the headline)
    // and its calibrated interval where the own-area design's failed.
    for p in programmes
        .iter_mut()
        .filter(|p| p.own_area_diagnostics.passed == Some(false))
    {
        p.own_area = p.own_area.withheld();
        p.own_area_calibrated = None;
    }
    for p in programmes
        .iter_mut()
        .filter(|p| p.diagnostics.passed == Some(false))
    {
        p.att = p.att.withheld();
        p.att_engaged = p.att_engaged.withheld();
        p.calibrated = None;
        p.e_values = None;
        p.jobs_per_million = None;
        p.cost_per_additional_outcome = CostPerOutcome::Withheld;
        for o in &mut p.outcomes {
            o.effect = o.effect.withheld();
            o.effect_engaged = o.effect_engaged.withheld();
            o.e_values = None;
        }
        for s in subgroups.iter_mut().filter(|s| s.programme == p.name) {
            s.att = s.att.withheld();
        }
    }
}

/// Holm's adjustment across the programmes' declared headlines, from their
/// published effects (the ATT where in work at 6 months is the headline,
/// the headline outcome's effect otherwise), as the pipeline adjusts the
/// exact ones; `p_adjusted` is the ATT's where in work is the headline.
/// The cost per additional job outcome then stands only where in work is
/// the headline and significant after adjustment; otherwise only its "at
/// least" end, or, where in work is not the headline, nothing.
pub fn adjust_programmes(programmes: &mut [Programme]) {
    let in_work_headline = |p: &Programme| {
        p.headline
            .as_ref()
            .is_some_and(|h| h.outcome == Outcome::InWork6m)
    };
    let headline_p = |p: &Programme| {
        if in_work_headline(p) {
            return p.att.p_value();
        }
        let headline = p.headline.as_ref()?;
        p.outcomes
            .iter()
            .find(|o| o.outcome == headline.outcome)
            .and_then(|o| o.effect.p_value())
    };
    let p: Vec<Option<f64>> = programmes.iter().map(headline_p).collect();
    for (programme, adjusted) in programmes.iter_mut().zip(holm(&p)) {
        let in_work = in_work_headline(programme);
        programme.p_adjusted = adjusted.filter(|_| in_work);
        let claim = cost_claim(in_work, programme.p_adjusted);
        programme.cost_per_additional_outcome = match (claim, programme.cost_per_additional_outcome)
        {
            (
                CostClaim::Nothing,
                CostPerOutcome::Shown { .. }
                | CostPerOutcome::AtLeast(_)
                | CostPerOutcome::NotSignificant,
            ) => CostPerOutcome::NotHeadline,
            (CostClaim::AtLeast, CostPerOutcome::Shown { low, .. }) => {
                low.map_or(CostPerOutcome::NotSignificant, CostPerOutcome::AtLeast)
            }
            (_, other) => other,
        };
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
    let matched = hidden(|s| s.effect.matched, |p| p.effect.matched);
    rows.iter()
        .enumerate()
        .map(|(i, s)| {
            let rate = Share::of_counts(eligible[i] || in_work[i], s.in_work_6m, s.eligible);
            let programme = programmes.iter().find(|p| p.programme == s.programme);
            let att = matched_att(
                matched[i] || rate.is_suppressed(),
                &s.effect,
                programme.and_then(|p| p.between_area_df),
            );
            Subgroup {
                programme: s.programme.clone(),
                dimension: s.dimension,
                value: s.value.clone(),
                participants: Count::unless(participants[i], s.participants),
                eligible: Count::unless(eligible[i], s.eligible),
                in_work_6m: Count::unless(in_work[i], s.in_work_6m),
                rate,
                matched: Count::unless(matched[i], s.effect.matched),
                comparison_rate: Share::unless(
                    att.value().is_none(),
                    [s.effect.comparison_rate, None, None],
                ),
                att,
                p_adjusted: None,
            }
        })
        .collect()
}

/// A programme's co-enrolled participants are its `co_enrolment =
/// co-enrolled` subgroup's participants: published as that subgroup's
/// count is, so that where secondary suppression hides the subgroup (its
/// other value is small), the programme's count cannot give it back.
pub fn co_enrolled_as_subgroup(programmes: &mut [Programme], subgroups: &[Subgroup]) {
    for p in programmes.iter_mut() {
        if let Some(s) = subgroups.iter().find(|s| {
            s.programme == p.name && s.dimension == Dimension::CoEnrolment && s.value == CO_ENROLLED
        }) {
            p.co_enrolled = s.participants;
        }
    }
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

#[cfg(test)]
mod tests;
