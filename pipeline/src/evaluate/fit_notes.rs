//! The fit-note outputs: `fit_note_monthly` and `fit_note_trend` (straight
//! from their metric views) and `fit_note_did`, the difference in
//! differences around each programme's start.

use super::coverage::Coverage;
use super::{parse, programme_order, query};
use crate::error::Result;
use contract::formulas::did::{NoteCounts, difference_in_differences};
use contract::outputs::{FitNoteDid, FitNoteMonthly, FitNoteTrend};
use contract::small::date32;
use contract::vocabulary::{Period, Side};
use datafusion::prelude::SessionContext;
use std::collections::HashMap;

fn month(view: &str, days: Option<i32>) -> Result<chrono::NaiveDate> {
    days.and_then(date32).ok_or_else(|| {
        crate::PipelineError::Invalid(format!("sql/{view}.sql wrote a row with no month"))
    })
}

pub async fn fit_note_monthly(ctx: &SessionContext) -> Result<Vec<FitNoteMonthly>> {
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

pub async fn fit_note_trend(ctx: &SessionContext) -> Result<Vec<FitNoteTrend>> {
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

pub async fn fit_note_did(ctx: &SessionContext, coverage: &[Coverage]) -> Result<Vec<FitNoteDid>> {
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
    let mut starts: Vec<_> = coverage
        .iter()
        .filter_map(|c| Some((programme_order(&c.programme), c.start_date?)))
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
                did: d.did,
                did_low: d.did_low,
                did_high: d.did_high,
            }
        })
        .collect())
}
