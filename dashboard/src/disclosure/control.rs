//! Exact evidence in, published figures out: every rule of the policy
//! applied to every table.

use super::policy::hidden_in_groups;
use super::published::*;
use super::values::{CostPerOutcome, Count, Effect, Money, Share, Significance};
use contract::Evidence;
use contract::funnel::{Z_95, Z_998, control_limits};
use contract::outputs::{FitNoteMonthly, FitNoteTrend, ProgrammeOutcome, SiteOutcome};
use contract::vocabulary::Side;
use std::collections::BTreeMap;

fn notes_month(month: chrono::NaiveDate, fit_notes: u64, may_be_fit: u64) -> NotesMonth {
    let share = (fit_notes > 0).then(|| may_be_fit as f64 / fit_notes as f64);
    NotesMonth {
        month,
        fit_notes: Count::of(fit_notes),
        may_be_fit: Count::of(may_be_fit),
        share: Share::of(may_be_fit, fit_notes, [share, None, None]),
    }
}

fn programme(p: &ProgrammeOutcome, start_date: Option<chrono::NaiveDate>) -> Programme {
    let matched = Count::of(p.matched);
    let att = Effect::unless(matched.is_suppressed(), [p.att, p.att_low, p.att_high]);
    let cost_per_additional_outcome = match (p.funding_gbp, att.significance()) {
        (None, _) => CostPerOutcome::NoFunding,
        (_, None) => CostPerOutcome::Suppressed,
        (Some(_), Some(Significance::Above)) => p
            .cost_per_additional_outcome
            .map_or(CostPerOutcome::NotSignificant, |c| {
                CostPerOutcome::Shown(Money::cost(c))
            }),
        (Some(_), Some(_)) => CostPerOutcome::NotSignificant,
    };
    Programme {
        name: p.programme.clone(),
        participants: Count::of(p.participants),
        eligible: Count::of(p.eligible),
        in_work_6m: Count::of(p.in_work_6m),
        rate: Share::of(p.in_work_6m, p.eligible, [p.rate, p.rate_low, p.rate_high]),
        matched,
        unmatched: Count::of(p.unmatched),
        strata_dropped: p.strata_dropped,
        comparison_rate: Share::unless(matched.is_suppressed(), [p.comparison_rate, None, None]),
        att,
        funding_gbp: p.funding_gbp.map(Money::funding),
        cost_per_additional_outcome,
        start_date,
    }
}

/// The funnel limits a published site is drawn against: its programme's
/// published rate, at its published eligible count.
fn limits(target: Option<f64>, eligible: Count) -> Option<FunnelLimits> {
    let (target, n) = (target?, eligible.value()?);
    Some(FunnelLimits {
        target,
        limit95: control_limits(target, n, Z_95)?,
        limit998: control_limits(target, n, Z_998)?,
    })
}

fn sites(
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
            let rate = Share::of_unless(
                eligible[i] || in_work[i],
                s.in_work_6m,
                s.eligible,
                [s.rate, s.rate_low, s.rate_high],
            );
            let shown_eligible = Count::unless(eligible[i], s.eligible);
            let target = published
                .iter()
                .find(|p| p.name == s.programme)
                .and_then(|p| p.rate.value());
            Site {
                programme: s.programme.clone(),
                area_id: s.area_id.clone(),
                area_name: s.area_name.clone().unwrap_or_else(|| s.area_id.clone()),
                start_date: s.start_date,
                participants: Count::unless(participants[i], s.participants),
                eligible: shown_eligible,
                in_work_6m: Count::unless(in_work[i], s.in_work_6m),
                funnel_flag: (!rate.is_suppressed()).then_some(s.funnel_flag),
                limits: if rate.is_suppressed() {
                    None
                } else {
                    limits(target, shown_eligible)
                },
                rate,
            }
        })
        .collect()
}

fn subgroups(exact: &Evidence) -> Vec<Subgroup> {
    let (rows, programmes) = (
        &exact.tables.subgroup_outcomes,
        &exact.tables.programme_outcomes,
    );
    let programme_total = |name: &String, measure: fn(&ProgrammeOutcome) -> u64| {
        programmes
            .iter()
            .find(|p| &p.programme == name)
            .map(measure)
    };
    let hidden = |measure: fn(&contract::outputs::SubgroupOutcome) -> u64,
                  total: fn(&ProgrammeOutcome) -> u64| {
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
            let shown_matched = Count::unless(matched[i], s.matched);
            Subgroup {
                programme: s.programme.clone(),
                dimension: s.dimension,
                value: s.value.clone(),
                participants: Count::unless(participants[i], s.participants),
                eligible: Count::unless(eligible[i], s.eligible),
                in_work_6m: Count::unless(in_work[i], s.in_work_6m),
                rate: Share::of_unless(
                    eligible[i] || in_work[i],
                    s.in_work_6m,
                    s.eligible,
                    [s.rate, s.rate_low, s.rate_high],
                ),
                matched: shown_matched,
                comparison_rate: Share::unless(
                    shown_matched.is_suppressed(),
                    [s.comparison_rate, None, None],
                ),
                att: Effect::unless(
                    shown_matched.is_suppressed(),
                    [s.att, s.att_low, s.att_high],
                ),
            }
        })
        .collect()
}

/// Per area its months, and per programme its areas' months then the
/// comparison areas'.
type Notes = (
    BTreeMap<String, Vec<NotesMonth>>,
    BTreeMap<String, [Vec<NotesMonth>; 2]>,
);

fn notes(monthly: &[FitNoteMonthly], trend: &[FitNoteTrend]) -> Notes {
    let mut area_notes: BTreeMap<String, Vec<NotesMonth>> = Default::default();
    for n in monthly {
        area_notes
            .entry(n.area_id.clone())
            .or_default()
            .push(notes_month(n.month, n.fit_notes, n.may_be_fit));
    }
    let mut programme_notes: BTreeMap<String, [Vec<NotesMonth>; 2]> = Default::default();
    for n in trend {
        let side = usize::from(n.side == Side::Comparison);
        programme_notes.entry(n.programme.clone()).or_default()[side].push(notes_month(
            n.month,
            n.fit_notes,
            n.may_be_fit,
        ));
    }
    for months in area_notes
        .values_mut()
        .chain(programme_notes.values_mut().flat_map(|s| s.iter_mut()))
    {
        months.sort_by_key(|m| m.month);
    }
    (area_notes, programme_notes)
}

fn run(m: &contract::Manifest) -> Run {
    Run {
        run_id: m.run_id.clone(),
        version: m.version.clone(),
        started_at: m.started_at.clone(),
        finished_at: m.finished_at.clone(),
        as_of: m.as_of.clone(),
        data_root: m.data_root.clone(),
        warnings: m.warnings.clone(),
        inputs: m
            .inputs
            .iter()
            .map(|i| Input {
                table: i.loaded.table.clone(),
                files: i.loaded.files.len(),
                rows_read: Count::of(i.rows_read),
                rows_used: Count::of(i.rows_used),
                rows_quarantined: Count::of(i.rows_quarantined),
            })
            .collect(),
    }
}

/// Apply disclosure control to every figure of an evidence root.
pub fn control(exact: &Evidence) -> Published {
    let t = &exact.tables;
    let start_of = |programme: &str| {
        t.fit_note_did
            .iter()
            .find(|d| d.programme == programme)
            .and_then(|d| d.start_date)
    };
    let programmes: Vec<Programme> = t
        .programme_outcomes
        .iter()
        .map(|p| programme(p, start_of(&p.programme)))
        .collect();
    let sites = sites(&t.site_outcomes, &t.programme_outcomes, &programmes);
    let (area_notes, programme_notes) = notes(&t.fit_note_monthly, &t.fit_note_trend);
    let did = t
        .fit_note_did
        .iter()
        .map(|d| {
            let cells = [
                (d.pre_fit_notes, d.pre_may_be_fit, d.pre_share),
                (d.post_fit_notes, d.post_may_be_fit, d.post_share),
                (
                    d.comparison_pre_fit_notes,
                    d.comparison_pre_may_be_fit,
                    d.comparison_pre_share,
                ),
                (
                    d.comparison_post_fit_notes,
                    d.comparison_post_may_be_fit,
                    d.comparison_post_share,
                ),
            ];
            let shares = cells.map(|(notes, may_be_fit, share)| {
                Share::of(may_be_fit, notes, [share, None, None])
            });
            Did {
                programme: d.programme.clone(),
                start_date: d.start_date,
                fit_notes: cells.map(|(notes, _, _)| Count::of(notes)),
                did: Effect::unless(
                    shares.iter().any(|s| s.is_suppressed()),
                    [d.did, d.did_low, d.did_high],
                ),
                shares,
            }
        })
        .collect();
    let checks = t
        .data_quality
        .iter()
        .map(|c| Check {
            table_name: c.table_name.clone(),
            check_name: c.check_name.clone(),
            rows_failed: Count::of(c.rows_failed),
        })
        .collect();
    Published {
        run: run(&exact.manifest),
        subgroups: subgroups(exact),
        programmes,
        sites,
        area_notes,
        programme_notes,
        did,
        checks,
    }
}
