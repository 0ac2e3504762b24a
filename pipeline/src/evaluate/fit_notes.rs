//! The fit-note outputs: `fit_note_monthly`, `fit_note_trend` and
//! `fit_note_areas` (straight from their metric views); the staggered
//! difference in differences over the area × month panel
//! (`fit_note_group_time`, `fit_note_event_study`); and `fit_note_did`, its
//! overall effects beside the pooled cells around each programme's start.

use super::{parse, programme_order, query};
use crate::error::Result;
use contract::outputs::{
    FitNoteArea, FitNoteDid, FitNoteEventStudy, FitNoteGroupTime, FitNoteMonthly, FitNoteTrend,
};
use contract::small::date32;
use contract::vocabulary::{AreaSet, Period, Side};
use datafusion::prelude::SessionContext;
use stats::formulas::did::{NoteCounts, difference_in_differences};
use stats::formulas::fit_note_effects::{
    AreaMonth, DesignArea, ProgrammeEffects, fit_note_effects,
};
use std::collections::HashMap;

fn month(view: &str, days: Option<i32>) -> Result<chrono::NaiveDate> {
    days.and_then(date32).ok_or_else(|| {
        crate::PipelineError::Invalid(format!("sql/{view}.sql wrote a row with no month"))
    })
}

async fn fit_note_monthly(ctx: &SessionContext) -> Result<Vec<FitNoteMonthly>> {
    let r = query(ctx, "fit_note_monthly").await?;
    let (area_id, months) = (r.strings("area_id")?, r.dates("month")?);
    let (notes, may_be_fit) = (r.counts("fit_notes")?, r.counts("may_be_fit")?);
    let share = r.floats("may_be_fit_share")?;
    let mut rows = (0..r.num_rows())
        .map(|i| {
            Ok(FitNoteMonthly {
                area_id: area_id[i].clone().unwrap_or_default(),
                month: month("fit_note_monthly", months[i])?,
                fit_notes: notes[i],
                may_be_fit: may_be_fit[i],
                may_be_fit_share: share[i],
            })
        })
        .collect::<Result<Vec<_>>>()?;
    rows.sort_by(|a, b| (&a.area_id, a.month).cmp(&(&b.area_id, b.month)));
    Ok(rows)
}

async fn fit_note_trend(ctx: &SessionContext) -> Result<Vec<FitNoteTrend>> {
    let r = query(ctx, "fit_note_trend").await?;
    let (programme, side, months) = (
        r.strings("programme")?,
        r.strings("side")?,
        r.dates("month")?,
    );
    let (notes, may_be_fit) = (r.counts("fit_notes")?, r.counts("may_be_fit")?);
    let share = r.floats("may_be_fit_share")?;
    let mut rows = (0..r.num_rows())
        .map(|i| {
            Ok(FitNoteTrend {
                programme: programme[i].clone().unwrap_or_default(),
                side: parse(side[i].as_deref(), Side::parse, "fit_note_trend", "side")?,
                month: month("fit_note_trend", months[i])?,
                fit_notes: notes[i],
                may_be_fit: may_be_fit[i],
                may_be_fit_share: share[i],
            })
        })
        .collect::<Result<Vec<_>>>()?;
    rows.sort_by(|a, b| {
        (&a.programme, a.side.as_str(), a.month).cmp(&(&b.programme, b.side.as_str(), b.month))
    });
    Ok(rows)
}

async fn fit_note_areas(ctx: &SessionContext) -> Result<Vec<FitNoteArea>> {
    let view = "fit_note_areas";
    let r = query(ctx, view).await?;
    let (programme, area_id, side) = (
        r.strings("programme")?,
        r.strings("area_id")?,
        r.strings("side")?,
    );
    let (start, clean, overlapping) = (
        r.dates("start_date")?,
        r.bools("clean")?,
        r.strings("overlapping")?,
    );
    let mut rows = (0..r.num_rows())
        .map(|i| {
            Ok(FitNoteArea {
                programme: programme[i].clone().unwrap_or_default(),
                area_id: area_id[i].clone().unwrap_or_default(),
                side: parse(side[i].as_deref(), Side::parse, view, "side")?,
                start_date: start[i].and_then(date32),
                clean: clean[i].unwrap_or(false),
                overlapping: overlapping[i].clone(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    rows.sort_by(|a, b| {
        (programme_order(&a.programme), a.side.as_str(), &a.area_id).cmp(&(
            programme_order(&b.programme),
            b.side.as_str(),
            &b.area_id,
        ))
    });
    Ok(rows)
}

/// The staggered DiD of every programme over its areas' exact monthly
/// counts.
pub fn effects(monthly: &[FitNoteMonthly], design: &[FitNoteArea]) -> Vec<ProgrammeEffects> {
    let monthly: Vec<AreaMonth> = monthly.iter().map(|m| m.parts().into()).collect();
    let design: Vec<DesignArea> = design.iter().map(|a| a.parts().into()).collect();
    fit_note_effects(&monthly, &design, |n| n)
}

fn group_time(effects: &[ProgrammeEffects]) -> Vec<FitNoteGroupTime> {
    let mut rows = Vec::new();
    for p in effects {
        for set in &p.sets {
            for c in &set.estimates.group_time {
                rows.push(FitNoteGroupTime {
                    programme: p.programme.clone(),
                    areas: set.areas,
                    cohort: p.months[c.cohort],
                    month: p.months[c.period],
                    event_month: c.period as i64 - c.cohort as i64,
                    att: Some(c.att),
                    treated_areas: c.treated_areas as u64,
                    comparison_areas: c.comparison_areas as u64,
                });
            }
        }
    }
    rows
}

fn event_study(effects: &[ProgrammeEffects]) -> Vec<FitNoteEventStudy> {
    let mut rows = Vec::new();
    for p in effects {
        for set in &p.sets {
            for (e, x) in &set.estimates.event_study {
                let critical = set.estimates.band_critical.get(e).copied();
                let band = x.band(critical);
                rows.push(FitNoteEventStudy {
                    programme: p.programme.clone(),
                    areas: set.areas,
                    event_month: *e,
                    estimate: Some(x.estimate),
                    se: x.se,
                    df: x.df,
                    low: x.low,
                    high: x.high,
                    band_low: band.map(|b| b.0),
                    band_high: band.map(|b| b.1),
                    band_critical: critical,
                    treated_areas: x.treated_areas as u64,
                    comparison_areas: x.comparison_areas as u64,
                });
            }
        }
    }
    rows
}

/// Every fit-note table, from the views `fit_note_monthly` (a metric view
/// over records, or a table of the published statistics), `fit_note_areas`,
/// `fit_note_trend`, `fit_note_did_counts` and `programme_starts` (each
/// programme's earliest start date).
pub struct FitNoteTables {
    pub monthly: Vec<FitNoteMonthly>,
    pub areas: Vec<FitNoteArea>,
    pub did: Vec<FitNoteDid>,
    pub trend: Vec<FitNoteTrend>,
    pub group_time: Vec<FitNoteGroupTime>,
    pub event_study: Vec<FitNoteEventStudy>,
}

pub async fn fit_note_tables(ctx: &SessionContext) -> Result<FitNoteTables> {
    let starts = programme_starts(ctx).await?;
    let monthly = fit_note_monthly(ctx).await?;
    let areas = fit_note_areas(ctx).await?;
    let effects = effects(&monthly, &areas);
    Ok(FitNoteTables {
        did: fit_note_did(ctx, &starts, &effects).await?,
        group_time: group_time(&effects),
        event_study: event_study(&effects),
        trend: fit_note_trend(ctx).await?,
        monthly,
        areas,
    })
}

/// Each programme's earliest start date (`sql/programme_starts.sql`).
async fn programme_starts(ctx: &SessionContext) -> Result<Vec<(String, chrono::NaiveDate)>> {
    let view = "programme_starts";
    let r = query(ctx, view).await?;
    let (programme, start) = (r.strings("programme")?, r.dates("start_date")?);
    (0..r.num_rows())
        .map(|i| {
            let start = start[i].and_then(date32).ok_or_else(|| {
                crate::PipelineError::Invalid(format!(
                    "sql/{view}.sql wrote a row with no start_date"
                ))
            })?;
            Ok((programme[i].clone().unwrap_or_default(), start))
        })
        .collect()
}

async fn fit_note_did(
    ctx: &SessionContext,
    starts: &[(String, chrono::NaiveDate)],
    effects: &[ProgrammeEffects],
) -> Result<Vec<FitNoteDid>> {
    let r = query(ctx, "fit_note_did_counts").await?;
    let programme = r.strings("programme")?;
    let side = r.strings("side")?;
    let period = r.strings("period")?;
    let notes = r.counts("fit_notes")?;
    let may_be_fit = r.counts("may_be_fit")?;
    let mut cells: HashMap<(String, Side, Period), NoteCounts> = HashMap::new();
    for i in 0..r.num_rows() {
        let view = "fit_note_did_counts";
        cells.insert(
            (
                programme[i].clone().unwrap_or_default(),
                parse(side[i].as_deref(), Side::parse, view, "side")?,
                parse(period[i].as_deref(), Period::parse, view, "period")?,
            ),
            NoteCounts {
                fit_notes: notes[i],
                may_be_fit: may_be_fit[i],
            },
        );
    }
    let cell = |p: &str, side: Side, period: Period| {
        cells
            .get(&(p.to_string(), side, period))
            .copied()
            .unwrap_or_default()
    };
    let mut starts: Vec<_> = starts
        .iter()
        .map(|(p, start)| (programme_order(p), *start))
        .collect();
    starts.sort();
    Ok(starts
        .into_iter()
        .map(|((_, p), start)| {
            let [pre, post, comparison_pre, comparison_post] = [
                cell(&p, Side::Programme, Period::Pre),
                cell(&p, Side::Programme, Period::Post),
                cell(&p, Side::Comparison, Period::Pre),
                cell(&p, Side::Comparison, Period::Post),
            ];
            let d = difference_in_differences(pre, post, comparison_pre, comparison_post);
            let e = effects.iter().find(|e| e.programme == p);
            let all = e.and_then(|e| e.set(AreaSet::All));
            let overall = all.and_then(|s| s.overall);
            let clean = e
                .and_then(|e| e.set(AreaSet::Clean))
                .and_then(|s| s.overall);
            let pretrend = all.and_then(|s| s.pretrend);
            let robust = all.and_then(|s| s.robust);
            let clean_robust = e.and_then(|e| e.set(AreaSet::Clean)).and_then(|s| s.robust);
            let clean_pretrend = e
                .and_then(|e| e.set(AreaSet::Clean))
                .and_then(|s| s.pretrend);
            FitNoteDid {
                programme: p,
                start_date: Some(start),
                pre_fit_notes: pre.fit_notes,
                post_fit_notes: post.fit_notes,
                comparison_pre_fit_notes: comparison_pre.fit_notes,
                comparison_post_fit_notes: comparison_post.fit_notes,
                pre_may_be_fit: pre.may_be_fit,
                post_may_be_fit: post.may_be_fit,
                comparison_pre_may_be_fit: comparison_pre.may_be_fit,
                comparison_post_may_be_fit: comparison_post.may_be_fit,
                pre_share: d.pre_share,
                post_share: d.post_share,
                comparison_pre_share: d.comparison_pre_share,
                comparison_post_share: d.comparison_post_share,
                did: overall.map(|o| o.estimate),
                did_low: overall.and_then(|o| o.low),
                did_high: overall.and_then(|o| o.high),
                did_se: overall.and_then(|o| o.se),
                did_df: overall.and_then(|o| o.df),
                did_p_value: overall.and_then(|o| o.p_value),
                treated_areas: overall.map_or(0, |o| o.treated_areas as u64),
                comparison_areas: overall.map_or(0, |o| o.comparison_areas as u64),
                clean_areas: e.map_or(0, |e| e.clean_areas as u64),
                clean_did: clean.map(|o| o.estimate),
                clean_did_low: clean.and_then(|o| o.low),
                clean_did_high: clean.and_then(|o| o.high),
                clean_did_df: clean.and_then(|o| o.df),
                robust_did: robust.map(|r| r.estimate),
                robust_did_low: robust.and_then(|r| r.low),
                robust_did_high: robust.and_then(|r| r.high),
                clean_robust_did: clean_robust.map(|r| r.estimate),
                clean_robust_did_low: clean_robust.and_then(|r| r.low),
                clean_robust_did_high: clean_robust.and_then(|r| r.high),
                pretrend_quarters: pretrend.map_or(0, |t| t.quarters as u64),
                pretrend_f: pretrend.map(|t| t.f),
                pretrend_p_value: pretrend.map(|t| t.p_value),
                clean_pretrend_quarters: clean_pretrend.map_or(0, |t| t.quarters as u64),
                clean_pretrend_f: clean_pretrend.map(|t| t.f),
                clean_pretrend_p_value: clean_pretrend.map(|t| t.p_value),
            }
        })
        .collect())
}
