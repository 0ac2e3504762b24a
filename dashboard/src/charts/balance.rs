//! The balance chart (a Love plot): each covariate level's standardised
//! difference between participants and comparison people before matching
//! and after, against the 0.1 that flags an imbalance.

use super::draw::{DrawResult, FONT, GRID, INK, SUPPRESSED_MARK, centred, colour, title_style};
use super::{Chart, DataTable, LoveRow, Plot};
use crate::disclosure::Programme;
use crate::presentation::serialise::balance_name;
use plotters::coord::Shift;
use plotters::prelude::*;

use stats::formulas::balance::IMBALANCE_THRESHOLD as THRESHOLD;

pub(super) fn chart(programme: &Programme) -> Chart {
    let mut table = DataTable::new(&[
        "covariate",
        "level",
        "matched_on",
        "participants_before",
        "comparison_before",
        "smd_before",
        "participants_after",
        "comparison_after",
        "smd_after",
        "imbalanced",
    ]);
    let mut rows = Vec::new();
    // An SMD is `[c]` with its shares, and `–` where both sides are
    // constant (no yardstick).
    let text = |phase: Option<(f64, f64)>, smd: Option<f64>| match (phase, smd) {
        (None, _) => crate::disclosure::SUPPRESSED.to_string(),
        (Some(_), Some(v)) => format!("{v:.2}"),
        (Some(_), None) => "–".to_string(),
    };
    for b in &programme.balance {
        // Shares as proportions to 3 decimals, means to 2: never a bare
        // whole number, so never mistaken for a count.
        let value = |phase: Option<(f64, f64)>, side: usize| {
            phase.map_or(crate::disclosure::SUPPRESSED.to_string(), |v| {
                let v = if side == 0 { v.0 } else { v.1 };
                if b.level.is_some() {
                    format!("{v:.3}")
                } else {
                    format!("{v:.2}")
                }
            })
        };
        table.push(vec![
            b.covariate.clone(),
            b.level.clone().unwrap_or_default(),
            b.matched_on.to_string(),
            value(b.before, 0),
            value(b.before, 1),
            text(b.before, b.smd_before),
            value(b.after, 0),
            value(b.after, 1),
            text(b.after, b.smd),
            b.imbalanced.to_string(),
        ]);
        rows.push(LoveRow {
            label: format!(
                "{}{}",
                balance_name(b),
                if b.matched_on { "" } else { " *" }
            ),
            before: b.before.and(b.smd_before),
            after: b.after.and(b.smd),
        });
    }
    let hidden = rows.iter().filter(|r| r.after.is_none()).count();
    Chart {
        name: "balance".into(),
        title: format!("{}: balance before and after matching", programme.name),
        x_label: "Standardised difference, participants minus comparison".into(),
        y_label: "Covariate".into(),
        caption: format!(
            "Each covariate level's standardised mean difference between participants and comparison people: hollow before matching, filled after, with the matching's weights. Differences beyond the dashed lines at ±0.1 are conventionally too large (Austin 2009). Covariates marked * are not matched on; those without a mark are matched exactly, so they balance by construction. Shares come from the rounded counts.{}",
            super::catalogue::suppressed_note(hidden, "level")
        ),
        plot: Plot::Love { rows },
        table,
    }
}

pub(super) fn draw<DB: DrawingBackend>(
    chart: &Chart,
    root: &DrawingArea<DB, Shift>,
    rows: &[LoveRow],
) -> DrawResult<DB> {
    let values = rows.iter().flat_map(|r| [r.before, r.after]).flatten();
    let (lo, hi) = values.fold((-THRESHOLD, THRESHOLD), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let pad = (hi - lo) * 0.05;
    let (lo, hi) = (lo - pad, hi + pad);
    let n = rows.len().max(1) as i32;
    let label_width = super::label_area(rows.iter().map(|r| r.label.as_str()), 52, 7);
    // The legend sits above the plot, so it can never cover a point.
    let (top, plot) = root.split_vertically(64);
    top.draw(&Text::new(chart.title.clone(), (16, 8), title_style()))?;
    let legend_font = (FONT, 14).into_font().color(&INK);
    let (before, after) = (colour(1), colour(0));
    top.draw(&Circle::new((24, 46), 6, before.stroke_width(2)))?;
    top.draw(&Text::new("Before matching", (36, 38), legend_font.clone()))?;
    top.draw(&Circle::new((204, 46), 6, after.filled()))?;
    top.draw(&Text::new("After matching", (216, 38), legend_font))?;
    let mut c = ChartBuilder::on(&plot)
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(label_width)
        .build_cartesian_2d(lo..hi, (0..n).into_segmented())?;
    let labels: Vec<String> = rows.iter().map(|r| r.label.clone()).collect();
    let row_label = |v: &SegmentValue<i32>| match v {
        SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => labels
            .get((n - 1 - *i) as usize)
            .cloned()
            .unwrap_or_default(),
        SegmentValue::Last => String::new(),
    };
    c.configure_mesh()
        .disable_y_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .x_desc(&chart.x_label)
        .y_desc(&chart.y_label)
        .x_label_formatter(&|v: &f64| format!("{v:.2}"))
        .y_label_formatter(&row_label)
        .y_labels(rows.len().max(1))
        .label_style((FONT, 12).into_font().color(&INK))
        .axis_desc_style((FONT, 15).into_font().color(&INK))
        .draw()?;
    let line = |x: f64| vec![(x, SegmentValue::Exact(0)), (x, SegmentValue::Last)];
    c.draw_series(std::iter::once(PathElement::new(
        line(0.0),
        INK.stroke_width(1),
    )))?;
    for x in [-THRESHOLD, THRESHOLD] {
        c.draw_series(DashedLineSeries::new(
            line(x),
            6,
            4,
            INK.mix(0.6).stroke_width(1),
        ))?;
    }
    let y = |i: usize| SegmentValue::CenterOf(n - 1 - i as i32);
    c.draw_series(rows.iter().enumerate().filter_map(|(i, r)| {
        r.before
            .map(|v| Circle::new((v, y(i)), 5, before.stroke_width(2)))
    }))?;
    c.draw_series(
        rows.iter()
            .enumerate()
            .filter_map(|(i, r)| r.after.map(|v| Circle::new((v, y(i)), 5, after.filled()))),
    )?;
    let centre = (lo + hi) / 2.0;
    c.draw_series(
        rows.iter()
            .enumerate()
            .filter(|(_, r)| r.after.is_none() && r.before.is_none())
            .map(|(i, _)| Text::new(SUPPRESSED_MARK, (centre, y(i)), centred(12))),
    )?;
    Ok(())
}
