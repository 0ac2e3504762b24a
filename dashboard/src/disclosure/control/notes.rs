//! Fit notes: each area's months, each programme's pooled months, and the
//! staggered difference in differences computed from the rounded monthly
//! counts. Counts are rounded and suppressed, shares come
//! from the rounded counts, and an area's month is suppressed as a part of
//! every published monthly total it is in (its programmes' areas, or the
//! comparison areas), so no suppressed month is a total minus the rest.

use crate::disclosure::policy::{hidden_in_overlapping_groups, round_to_base};
use crate::disclosure::published::{Did, EventPoint, NotesMonth, Overlap, PreTrend};
use crate::disclosure::values::{Count, Effect, Share, rate_is_safe};
use chrono::NaiveDate;
use contract::outputs::{FitNoteArea, FitNoteDid, FitNoteMonthly, FitNoteTrend, SiteOutcome};
use contract::vocabulary::{AreaSet, Side};
use stats::formulas::fit_note_effects::{
    AreaMonth, DesignArea, ProgrammeEffects, fit_note_effects,
};
use std::collections::{BTreeMap, BTreeSet};

fn month(month: NaiveDate, notes: (u64, bool), may_be_fit: (u64, bool)) -> NotesMonth {
    NotesMonth {
        month,
        fit_notes: Count::unless(notes.1, notes.0),
        may_be_fit: Count::unless(may_be_fit.1, may_be_fit.0),
        share: Share::share_of_counts(notes.1 || may_be_fit.1, may_be_fit.0, notes.0),
    }
}

/// Per area its months.
pub fn area_notes(
    monthly: &[FitNoteMonthly],
    trend: &[FitNoteTrend],
    sites: &[SiteOutcome],
) -> BTreeMap<String, Vec<NotesMonth>> {
    // Which published monthly totals each area's month is part of: those of
    // the programmes it is a site of, else the comparison areas'.
    let mut programmes_of: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for s in sites {
        programmes_of
            .entry(&s.area_id)
            .or_default()
            .insert(&s.programme);
    }
    let total = |programme: Option<&str>, side: Side, month: NaiveDate| {
        trend
            .iter()
            .find(|t| {
                t.side == side && t.month == month && programme.is_none_or(|p| t.programme == p)
            })
            .map_or((0, 0), |t| (t.fit_notes, t.may_be_fit))
    };
    let mut members: BTreeMap<(Option<&str>, NaiveDate), Vec<usize>> = BTreeMap::new();
    for (i, m) in monthly.iter().enumerate() {
        match programmes_of.get(m.area_id.as_str()) {
            Some(programmes) => {
                for p in programmes {
                    members.entry((Some(*p), m.month)).or_default().push(i);
                }
            }
            None => members.entry((None, m.month)).or_default().push(i),
        }
    }
    let groups = |measure: fn((u64, u64)) -> u64| -> Vec<(Vec<usize>, u64)> {
        members
            .iter()
            .map(|(&(programme, month), rows)| {
                let side = if programme.is_some() {
                    Side::Programme
                } else {
                    Side::Comparison
                };
                (rows.clone(), measure(total(programme, side, month)))
            })
            .collect()
    };
    let notes: Vec<u64> = monthly.iter().map(|m| m.fit_notes).collect();
    let may_be_fit: Vec<u64> = monthly.iter().map(|m| m.may_be_fit).collect();
    let hidden_notes = hidden_in_overlapping_groups(&notes, &groups(|t| t.0));
    let hidden_may_be_fit = hidden_in_overlapping_groups(&may_be_fit, &groups(|t| t.1));
    let mut areas: BTreeMap<String, Vec<NotesMonth>> = BTreeMap::new();
    for (i, m) in monthly.iter().enumerate() {
        areas.entry(m.area_id.clone()).or_default().push(month(
            m.month,
            (m.fit_notes, hidden_notes[i]),
            (m.may_be_fit, hidden_may_be_fit[i]),
        ));
    }
    for months in areas.values_mut() {
        months.sort_by_key(|m| m.month);
    }
    areas
}

/// Per programme, its areas' months pooled, then the comparison areas'.
/// A programme's month is part of its DiD's pre or post total, so it is
/// suppressed as a part of that total too.
pub fn programme_notes(
    trend: &[FitNoteTrend],
    did: &[FitNoteDid],
) -> BTreeMap<String, [Vec<NotesMonth>; 2]> {
    let window = |t: &FitNoteTrend| -> Option<(usize, u64, u64)> {
        let d = did.iter().find(|d| d.programme == t.programme)?;
        let start = d.start_date?;
        let pre_start = start.checked_sub_months(chrono::Months::new(12))?;
        let post = t.month >= start;
        if !post && t.month < pre_start {
            return None;
        }
        let side = usize::from(t.side == Side::Comparison);
        let (notes, may_be_fit) = match (side, post) {
            (0, false) => (d.pre_fit_notes, d.pre_may_be_fit),
            (0, true) => (d.post_fit_notes, d.post_may_be_fit),
            (_, false) => (d.comparison_pre_fit_notes, d.comparison_pre_may_be_fit),
            (_, true) => (d.comparison_post_fit_notes, d.comparison_post_may_be_fit),
        };
        Some((side * 2 + usize::from(post), notes, may_be_fit))
    };
    let mut members: BTreeMap<(&str, usize), (Vec<usize>, u64, u64)> = BTreeMap::new();
    for (i, t) in trend.iter().enumerate() {
        if let Some((cell, notes, may_be_fit)) = window(t) {
            let group =
                members
                    .entry((&t.programme, cell))
                    .or_insert((Vec::new(), notes, may_be_fit));
            group.0.push(i);
        }
    }
    let notes: Vec<u64> = trend.iter().map(|t| t.fit_notes).collect();
    let may_be_fit: Vec<u64> = trend.iter().map(|t| t.may_be_fit).collect();
    let groups = |total: fn(&(Vec<usize>, u64, u64)) -> u64| -> Vec<(Vec<usize>, u64)> {
        members.values().map(|g| (g.0.clone(), total(g))).collect()
    };
    let hidden_notes = hidden_in_overlapping_groups(&notes, &groups(|g| g.1));
    let hidden_may_be_fit = hidden_in_overlapping_groups(&may_be_fit, &groups(|g| g.2));
    let mut programmes: BTreeMap<String, [Vec<NotesMonth>; 2]> = BTreeMap::new();
    for (i, t) in trend.iter().enumerate() {
        let side = usize::from(t.side == Side::Comparison);
        programmes.entry(t.programme.clone()).or_default()[side].push(month(
            t.month,
            (t.fit_notes, hidden_notes[i]),
            (t.may_be_fit, hidden_may_be_fit[i]),
        ));
    }
    for months in programmes.values_mut().flat_map(|s| s.iter_mut()) {
        months.sort_by_key(|m| m.month);
    }
    programmes
}

/// The staggered DiD of every programme over the *rounded* monthly counts:
/// each published fit-note effect is consistent with every set of exact
/// counts that round to them.
pub fn rounded_effects(
    monthly: &[FitNoteMonthly],
    design: &[FitNoteArea],
) -> Vec<ProgrammeEffects> {
    let monthly: Vec<AreaMonth> = monthly.iter().map(|m| m.parts().into()).collect();
    let design: Vec<DesignArea> = design.iter().map(|a| a.parts().into()).collect();
    fit_note_effects(&monthly, &design, round_to_base)
}

pub fn did(d: &FitNoteDid, effects: &[ProgrammeEffects], design: &[FitNoteArea]) -> Did {
    let cells = [
        (d.pre_fit_notes, d.pre_may_be_fit),
        (d.post_fit_notes, d.post_may_be_fit),
        (d.comparison_pre_fit_notes, d.comparison_pre_may_be_fit),
        (d.comparison_post_fit_notes, d.comparison_post_may_be_fit),
    ];
    // The effects summarise the same notes as the pooled cells: where a cell
    // is too small to show, so are they.
    let small = cells
        .iter()
        .any(|&(notes, may_be_fit)| !rate_is_safe(may_be_fit, notes));
    let effects = effects.iter().find(|e| e.programme == d.programme);
    let set = |areas| effects.and_then(|e| e.set(areas));
    let all = set(AreaSet::All);
    let overall = all.and_then(|s| s.overall);
    let event_study = [AreaSet::All, AreaSet::Clean]
        .into_iter()
        .filter_map(|areas| Some((areas, set(areas)?)))
        .flat_map(|(areas, s)| {
            s.event_study.iter().map(move |(e, x)| EventPoint {
                areas,
                event_month: *e,
                // The universal base's reference month: 0 by construction.
                effect: if reference(*e, x) {
                    Effect::reference(small)
                } else {
                    Effect::staggered(small, Some(*x))
                },
                band: if reference(*e, x) {
                    Effect::reference(small)
                } else {
                    Effect::staggered(small, band(s.band_critical.get(e).copied(), x))
                },
                treated_areas: x.treated_areas,
            })
        })
        .collect();
    let overlaps = design
        .iter()
        .filter(|a| a.programme == d.programme && a.side == Side::Programme && !a.clean)
        .map(|a| Overlap {
            area_id: a.area_id.clone(),
            overlapping: a.overlapping.clone().unwrap_or_default(),
            // Another programme of the same area goes live the same day.
            same_start: design.iter().any(|o| {
                o.area_id == a.area_id
                    && o.programme != a.programme
                    && o.side == Side::Programme
                    && o.start_date == a.start_date
            }),
        })
        .collect();
    Did {
        programme: d.programme.clone(),
        start_date: d.start_date,
        fit_notes: cells.map(|(notes, _)| Count::of(notes)),
        shares: cells.map(|(notes, may_be_fit)| Share::share_of_counts(false, may_be_fit, notes)),
        did: Effect::staggered(small, overall),
        treated_areas: overall.map_or(0, |o| o.treated_areas),
        comparison_areas: overall.map_or(0, |o| o.comparison_areas),
        clean: set(AreaSet::Clean).map(|s| Effect::staggered(small, s.overall)),
        clean_areas: effects.map_or(0, |e| e.clean_areas),
        robust: Effect::staggered(small, all.and_then(|s| s.robust)),
        clean_robust: set(AreaSet::Clean).map(|s| Effect::staggered(small, s.robust)),
        pretrend: pretrend(all, small),
        clean_pretrend: pretrend(set(AreaSet::Clean), small),
        overlaps,
        event_study,
    }
}

/// The event study's reference month (the universal base's e = −1, 0 with
/// no interval).
fn reference(event_month: i64, x: &stats::formulas::staggered::Estimate) -> bool {
    event_month == -1 && x.se.is_none()
}

/// An event-study estimate with its simultaneous band in place of its
/// interval; none without a band or a standard error.
fn band(
    critical: Option<f64>,
    x: &stats::formulas::staggered::Estimate,
) -> Option<stats::formulas::staggered::Estimate> {
    let (low, high) = x.band(critical)?;
    Some(stats::formulas::staggered::Estimate {
        low: Some(low),
        high: Some(high),
        ..*x
    })
}

/// The joint test of the leads of one set of areas, from the rounded
/// counts, its p-value to 3 decimal places; none for small cells.
fn pretrend(set: Option<&stats::formulas::staggered::Staggered>, small: bool) -> Option<PreTrend> {
    set.and_then(|s| s.pretrend)
        .filter(|_| !small)
        .map(|t| PreTrend {
            quarters: t.quarters,
            p_value: (t.p_value * 1000.0).round() / 1000.0,
        })
}
