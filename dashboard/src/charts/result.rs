//! A chart of a workbench result (analysts, exact figures): one numeric
//! column against another column's values, as bars or a line, in the
//! dashboard's style and with the same SVG, PNG and CSV exports.

use super::draw::{DrawResult, FONT, GRID, INK, colour, header};
use super::{Chart, DataTable, Plot};
use plotters::coord::Shift;
use plotters::prelude::*;

pub fn chart(x: &str, y: &str, line: bool, points: Vec<(String, f64)>, total: u64) -> Chart {
    let mut table = DataTable::new(&[x, y]);
    for (label, value) in &points {
        table.push(vec![label.clone(), value.to_string()]);
    }
    let shown = points.len();
    Chart {
        name: "result".into(),
        title: format!("{y} by {x}"),
        x_label: x.to_string(),
        y_label: y.to_string(),
        caption: format!(
            "The query's result as {}: {shown} of its {total} rows, in the order the query returned them (rows with no value of `{y}` are left out; at most 500 are drawn). Exact figures, for analysts.",
            if line { "a line" } else { "bars" }
        ),
        plot: Plot::Result { line, points },
        table,
    }
}

pub(super) fn draw<DB: DrawingBackend>(
    chart: &Chart,
    root: &DrawingArea<DB, Shift>,
    line: bool,
    points: &[(String, f64)],
) -> DrawResult<DB> {
    let n = points.len().max(1);
    let (lo, hi) = points.iter().fold((0.0_f64, 0.0_f64), |(lo, hi), (_, v)| {
        (lo.min(*v), hi.max(*v))
    });
    let pad = ((hi - lo) * 0.08).max(1e-9);
    let (lo, hi) = (if lo < 0.0 { lo - pad } else { 0.0 }, hi + pad);
    let plot = header(root, &chart.title, &[])?;
    let mut c = ChartBuilder::on(&plot)
        .margin(16)
        .margin_right(32)
        .x_label_area_size(72)
        .y_label_area_size(80)
        .build_cartesian_2d((0..n as i32).into_segmented(), lo..hi)?;
    // Label at most about 20 categories, evenly.
    let step = n.div_ceil(20).max(1);
    let labels: Vec<String> = points
        .iter()
        .map(|(l, _)| l.chars().take(14).collect())
        .collect();
    c.configure_mesh()
        .disable_x_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .x_desc(&chart.x_label)
        .y_desc(&chart.y_label)
        .x_labels(n.min(400))
        .x_label_formatter(&|v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(i) if *i >= 0 && (*i as usize).is_multiple_of(step) => {
                labels.get(*i as usize).cloned().unwrap_or_default()
            }
            _ => String::new(),
        })
        .label_style((FONT, 12).into_font().color(&INK))
        .axis_desc_style((FONT, 15).into_font().color(&INK))
        .draw()?;
    if line {
        c.draw_series(LineSeries::new(
            points
                .iter()
                .enumerate()
                .map(|(i, (_, v))| (SegmentValue::CenterOf(i as i32), *v)),
            colour(0).stroke_width(2),
        ))?;
        c.draw_series(points.iter().enumerate().map(|(i, (_, v))| {
            Circle::new(
                (SegmentValue::CenterOf(i as i32), *v),
                3,
                colour(0).filled(),
            )
        }))?;
    } else {
        let base = 0.0_f64.max(lo);
        c.draw_series(points.iter().enumerate().map(|(i, (_, v))| {
            let mut bar = Rectangle::new(
                [
                    (SegmentValue::Exact(i as i32), base),
                    (SegmentValue::Exact(i as i32 + 1), *v),
                ],
                colour(0).filled(),
            );
            bar.set_margin(0, 0, 4, 4);
            bar
        }))?;
    }
    Ok(())
}
