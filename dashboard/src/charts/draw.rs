//! Drawing a [`Chart`] with plotters, on the SVG or the bitmap backend.

use super::{Chart, ForestRow, PALETTE, Plot, WIDTH};
use crate::error::DashboardError;
use crate::presentation::{percent, points};
use chrono::{Datelike, NaiveDate};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

pub(super) const FONT: &str = "sans-serif";
pub(super) const INK: RGBColor = RGBColor(11, 12, 12);
pub(super) const GRID: RGBColor = RGBColor(222, 224, 226);
/// Opacity of a simultaneous band behind its pointwise intervals.
pub(super) const BAND_ALPHA: f64 = 0.22;

pub(super) fn colour(i: usize) -> RGBColor {
    let (r, g, b) = PALETTE[i % PALETTE.len()];
    RGBColor(r, g, b)
}

pub fn svg(chart: &Chart, out: &mut String) -> Result<(), DashboardError> {
    let root = SVGBackend::with_string(out, (WIDTH, chart.height())).into_drawing_area();
    draw(chart, root)
}

pub fn png(chart: &Chart) -> Result<Vec<u8>, DashboardError> {
    let (w, h) = (WIDTH, chart.height());
    let mut pixels = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
        draw(chart, root)?;
    }
    let mut bytes = Vec::new();
    let fail = |e: &dyn std::fmt::Display| DashboardError::Chart {
        chart: chart.name.clone(),
        problem: format!("encoding PNG: {e}"),
    };
    {
        let mut encoder = png::Encoder::new(&mut bytes, w, h);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(|e| fail(&e))?;
        writer.write_image_data(&pixels).map_err(|e| fail(&e))?;
    }
    Ok(bytes)
}

fn draw<DB: DrawingBackend>(
    chart: &Chart,
    root: DrawingArea<DB, Shift>,
) -> Result<(), DashboardError> {
    let fail = |e: &dyn std::fmt::Display| DashboardError::Chart {
        chart: chart.name.clone(),
        problem: e.to_string(),
    };
    root.fill(&WHITE).map_err(|e| fail(&e))?;
    let result = match &chart.plot {
        Plot::Forest {
            rows,
            series,
            reference,
            difference,
        } => forest(chart, &root, rows, series, *reference, *difference),
        Plot::Funnel {
            target,
            tau2,
            critical,
            points,
        } => super::funnel::draw(chart, &root, *target, *tau2, *critical, points),
        Plot::Spine { rows } => super::spine::draw(chart, &root, rows),
        Plot::Result { line, points } => super::result::draw(chart, &root, *line, points),
        Plot::Trend { lines, markers } => trend(chart, &root, lines, markers),
        Plot::EventStudy { series, robust } => {
            super::fit_notes::draw_event_study(chart, &root, series, robust)
        }
        Plot::Love { rows } => super::balance::draw(chart, &root, rows),
    };
    result.map_err(|e| fail(&e))?;
    root.present().map_err(|e| fail(&e))
}

pub(super) type DrawResult<DB> =
    Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// How a legend entry is drawn.
#[derive(Clone, Copy)]
pub(super) enum Key {
    /// A line, solid or dashed (dash length).
    Line(RGBColor, Option<u32>),
    /// A filled circle or triangle.
    Dot(RGBColor),
    Triangle(RGBColor),
    /// A pale bar: a simultaneous band.
    Band(RGBColor),
}

/// The title and the legend above the plotting area, so a legend can never
/// cover a point or an interval: entries run left to right and wrap. Returns
/// the area left for the plot.
pub(super) fn header<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    entries: &[(String, Key)],
) -> Result<DrawingArea<DB, Shift>, DrawingAreaErrorKind<DB::ErrorType>> {
    let width = root.dim_in_pixel().0 as i32;
    // Lay the entries out first to know how many rows they take.
    let mut placed = Vec::new();
    let (mut x, mut row) = (16, 0);
    for (label, key) in entries {
        let w = 36 + 8 * label.chars().count() as i32 + 20;
        if x + w > width - 16 && x > 16 {
            (x, row) = (16, row + 1);
        }
        placed.push((x, row, label, *key));
        x += w;
    }
    let rows = if entries.is_empty() { 0 } else { row + 1 };
    let (top, plot) = root.split_vertically(40 + 24 * rows as u32);
    top.draw(&Text::new(title.to_string(), (16, 8), title_style()))?;
    let font = (FONT, 14).into_font().color(&INK);
    for (x, row, label, key) in placed {
        let y = 46 + 24 * row;
        match key {
            Key::Line(c, None) => top.draw(&PathElement::new(
                vec![(x, y), (x + 24, y)],
                c.stroke_width(2),
            ))?,
            Key::Line(c, Some(dash)) => {
                let mut dx = 0;
                while dx < 24 {
                    let end = (dx + dash as i32).min(24);
                    top.draw(&PathElement::new(
                        vec![(x + dx, y), (x + end, y)],
                        c.stroke_width(2),
                    ))?;
                    dx += dash as i32 + 4;
                }
            }
            Key::Dot(c) => top.draw(&Circle::new((x + 12, y), 6, c.filled()))?,
            Key::Triangle(c) => top.draw(&TriangleMarker::new((x + 12, y), 7, c.filled()))?,
            Key::Band(c) => top.draw(&Rectangle::new(
                [(x + 6, y - 9), (x + 18, y + 9)],
                c.mix(BAND_ALPHA).filled(),
            ))?,
        }
        top.draw(&Text::new(label.clone(), (x + 32, y - 8), font.clone()))?;
    }
    Ok(plot)
}

/// What a suppressed row shows where its point would be.
pub(super) const SUPPRESSED_MARK: &str = "[c] suppressed";
/// What a withheld row shows (its programme's diagnostics failed).
pub(super) const WITHHELD_MARK: &str = "withheld: diagnostics failed";

/// Text centred on its point.
pub(super) fn centred(size: u32) -> TextStyle<'static> {
    (FONT, size)
        .into_font()
        .color(&INK)
        .pos(Pos::new(HPos::Center, VPos::Center))
}

pub(super) fn title_style() -> TextStyle<'static> {
    (FONT, 20).into_font().style(FontStyle::Bold).color(&INK)
}

fn forest<DB: DrawingBackend>(
    chart: &Chart,
    root: &DrawingArea<DB, Shift>,
    rows: &[ForestRow],
    series: &[String],
    reference: Option<f64>,
    difference: bool,
) -> DrawResult<DB> {
    let values = rows
        .iter()
        .flat_map(|r| [r.value, r.interval.map(|i| i.0), r.interval.map(|i| i.1)])
        .flatten()
        .chain(reference);
    let (lo, hi) = values.fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let (lo, hi) = if lo > hi { (0.0, 1.0) } else { (lo, hi) };
    let pad = ((hi - lo) * 0.08).max(0.005);
    let (lo, hi) = if difference {
        (lo - pad, hi + pad)
    } else {
        ((lo - pad).max(0.0), (hi + pad).min(1.0))
    };
    let n = rows.len().max(1) as i32;
    let label_width = super::label_area(rows.iter().map(|r| r.label.as_str()), 42, 8);
    let keys: Vec<(String, Key)> = if series.len() > 1 {
        series
            .iter()
            .enumerate()
            .map(|(s, name)| {
                let key = if s % 2 == 0 {
                    Key::Dot(colour(s))
                } else {
                    Key::Triangle(colour(s))
                };
                (name.clone(), key)
            })
            .collect()
    } else {
        Vec::new()
    };
    let plot = header(root, &chart.title, &keys)?;
    let mut c = ChartBuilder::on(&plot)
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(label_width)
        .build_cartesian_2d(lo..hi, (0..n).into_segmented())?;
    let labels: Vec<String> = rows.iter().map(|r| r.label.clone()).collect();
    let row_label = |v: &SegmentValue<i32>| match v {
        SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
            // Row 0 is drawn at the top.
            let index = (n - 1 - *i) as usize;
            labels.get(index).cloned().unwrap_or_default()
        }
        SegmentValue::Last => String::new(),
    };
    let x_format = |v: &f64| if difference { points(*v) } else { percent(*v) };
    c.configure_mesh()
        .disable_y_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .x_desc(&chart.x_label)
        .y_desc(&chart.y_label)
        .x_label_formatter(&x_format)
        .y_label_formatter(&row_label)
        .y_labels(rows.len().max(1))
        .label_style((FONT, 14).into_font().color(&INK))
        .axis_desc_style((FONT, 15).into_font().color(&INK))
        .draw()?;
    let y = |i: usize| SegmentValue::CenterOf(n - 1 - i as i32);
    if let Some(r) = reference {
        c.draw_series(std::iter::once(PathElement::new(
            vec![(r, SegmentValue::Exact(0)), (r, SegmentValue::Last)],
            INK.stroke_width(1),
        )))?;
    }
    for s in 0..series.len() {
        let style = colour(s);
        let mine: Vec<(usize, &ForestRow)> = rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.series == s)
            .collect();
        c.draw_series(mine.iter().filter_map(|(i, r)| {
            r.interval
                .map(|(l, h)| PathElement::new(vec![(l, y(*i)), (h, y(*i))], style.stroke_width(3)))
        }))?;
        c.draw_series(mine.iter().filter_map(|(i, r)| {
            r.value.map(|v| {
                if s % 2 == 0 {
                    Circle::new((v, y(*i)), 6, style.filled()).into_dyn()
                } else {
                    TriangleMarker::new((v, y(*i)), 7, style.filled()).into_dyn()
                }
            })
        }))?;
    }
    // Suppressed rows say so where the point would be.
    let centre = (lo + hi) / 2.0;
    c.draw_series(
        rows.iter()
            .enumerate()
            .filter(|(_, r)| r.value.is_none())
            .map(|(i, r)| {
                let mark = if r.withheld {
                    WITHHELD_MARK
                } else {
                    SUPPRESSED_MARK
                };
                Text::new(mark, (centre, y(i)), centred(13))
            }),
    )?;
    Ok(())
}

/// Months since year 0, so monthly points sit on whole numbers.
fn month_index(d: NaiveDate) -> f64 {
    (d.year() * 12 + d.month0() as i32) as f64
}

fn month_label(v: f64) -> String {
    let v = v.round() as i32;
    NaiveDate::from_ymd_opt(v.div_euclid(12), v.rem_euclid(12) as u32 + 1, 1)
        .map(|d| d.format("%b %Y").to_string())
        .unwrap_or_default()
}

fn trend<DB: DrawingBackend>(
    chart: &Chart,
    root: &DrawingArea<DB, Shift>,
    lines: &[super::Line],
    markers: &[(NaiveDate, String)],
) -> DrawResult<DB> {
    let xs = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| month_index(p.0)))
        .chain(markers.iter().map(|m| month_index(m.0)));
    let (x0, x1) = xs.fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
    let (x0, x1) = if x0 > x1 {
        (0.0, 12.0)
    } else {
        (x0, x1.max(x0 + 1.0))
    };
    let ys = lines.iter().flat_map(|l| l.points.iter().map(|p| p.1));
    let (y0, y1) = ys.fold((1.0_f64, 0.0_f64), |(a, b), v| (a.min(v), b.max(v)));
    let (y0, y1) = if y0 > y1 {
        (0.0, 1.0)
    } else {
        ((y0 - 0.05).max(0.0), (y1 + 0.05).min(1.0))
    };
    let keys: Vec<(String, Key)> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            (
                l.name.clone(),
                Key::Line(colour(i), (i % 2 == 1).then_some(8)),
            )
        })
        .collect();
    let plot = header(root, &chart.title, &keys)?;
    let mut c = ChartBuilder::on(&plot)
        .margin(16)
        .margin_right(56)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(x0..x1, y0..y1)?;
    c.configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .x_desc(&chart.x_label)
        .y_desc(&chart.y_label)
        .x_labels(8)
        .x_label_formatter(&|v| month_label(*v))
        .y_label_formatter(&|v| percent(*v))
        .label_style((FONT, 14).into_font().color(&INK))
        .axis_desc_style((FONT, 15).into_font().color(&INK))
        .draw()?;
    for (i, line) in lines.iter().enumerate() {
        let style = colour(i).stroke_width(2);
        let points: Vec<(f64, f64)> = line
            .points
            .iter()
            .map(|p| (month_index(p.0), p.1))
            .collect();
        if i % 2 == 0 {
            c.draw_series(LineSeries::new(points.clone(), style))?;
        } else {
            c.draw_series(DashedLineSeries::new(points.clone(), 8, 4, style))?;
        }
        c.draw_series(
            points
                .iter()
                .map(|p| Circle::new(*p, 3, colour(i).filled())),
        )?;
    }
    for (date, label) in markers {
        let x = month_index(*date);
        c.draw_series(DashedLineSeries::new(
            vec![(x, y0), (x, y1)],
            4,
            4,
            INK.stroke_width(1),
        ))?;
        c.draw_series(std::iter::once(Text::new(
            label.clone(),
            (x, y1),
            (FONT, 13)
                .into_font()
                .color(&INK)
                .pos(Pos::new(HPos::Left, VPos::Top)),
        )))?;
    }
    Ok(())
}
