//! Drawing a [`Chart`] with plotters, on the SVG or the bitmap backend.

use super::{Chart, ForestRow, PALETTE, Plot, WIDTH};
use crate::error::DashboardError;
use crate::presentation::{percent, points};
use chrono::{Datelike, NaiveDate};
use contract::formulas::funnel::{Z_95, Z_998, control_limits};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

pub(super) const FONT: &str = "sans-serif";
pub(super) const INK: RGBColor = RGBColor(11, 12, 12);
pub(super) const GRID: RGBColor = RGBColor(222, 224, 226);

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
        Plot::Funnel { target, points } => funnel(chart, &root, *target, points),
        Plot::Trend { lines, markers } => trend(chart, &root, lines, markers),
        Plot::EventStudy { series } => event_study(chart, &root, series),
        Plot::Love { rows } => super::balance::draw(chart, &root, rows),
    };
    result.map_err(|e| fail(&e))?;
    root.present().map_err(|e| fail(&e))
}

pub(super) type DrawResult<DB> =
    Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// The legend, in the house style, at `position`.
fn legend<'a, DB, CT>(
    c: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> DrawResult<DB>
where
    DB: DrawingBackend + 'a,
    CT: CoordTranslate,
{
    c.configure_series_labels()
        .background_style(WHITE.mix(0.9))
        .border_style(GRID)
        .label_font((FONT, 14).into_font().color(&INK))
        .position(position)
        .draw()
}

/// What a suppressed row shows where its point would be.
pub(super) const SUPPRESSED_MARK: &str = "[c] suppressed";

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
    let mut c = ChartBuilder::on(root)
        .caption(&chart.title, title_style())
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
    for (s, name) in series.iter().enumerate() {
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
        let shape = c.draw_series(mine.iter().filter_map(|(i, r)| {
            r.value.map(|v| {
                if s % 2 == 0 {
                    Circle::new((v, y(*i)), 6, style.filled()).into_dyn()
                } else {
                    TriangleMarker::new((v, y(*i)), 7, style.filled()).into_dyn()
                }
            })
        }))?;
        if series.len() > 1 {
            shape.label(name.as_str()).legend(move |(x, y)| {
                if s % 2 == 0 {
                    Circle::new((x + 8, y), 6, style.filled()).into_dyn()
                } else {
                    TriangleMarker::new((x + 8, y), 7, style.filled()).into_dyn()
                }
            });
        }
    }
    // Suppressed rows say so where the point would be.
    let centre = (lo + hi) / 2.0;
    c.draw_series(
        rows.iter()
            .enumerate()
            .filter(|(_, r)| r.value.is_none())
            .map(|(i, _)| Text::new(SUPPRESSED_MARK, (centre, y(i)), centred(13))),
    )?;
    if series.len() > 1 {
        legend(&mut c, SeriesLabelPosition::LowerRight)?;
    }
    Ok(())
}

fn funnel<DB: DrawingBackend>(
    chart: &Chart,
    root: &DrawingArea<DB, Shift>,
    target: f64,
    sites: &[super::FunnelPoint],
) -> DrawResult<DB> {
    let max_n = sites
        .iter()
        .map(|s| s.eligible)
        .max()
        .unwrap_or(100)
        .max(50) as f64
        * 1.1;
    // Start the funnel near the smallest site, so its mouth does not squash
    // the plot.
    let min_n = sites
        .iter()
        .map(|s| s.eligible as f64 / 2.0)
        .fold(max_n, f64::min)
        .max(10.0);
    let curve = |z: f64, upper: bool| -> Vec<(f64, f64)> {
        (0..=200)
            .map(|k| {
                let n = min_n + (max_n - min_n) * k as f64 / 200.0;
                let (l, h) =
                    control_limits(target, n.round() as u64, z).unwrap_or((target, target));
                (n, if upper { h } else { l })
            })
            .collect()
    };
    let lowest = curve(Z_998, false)
        .iter()
        .map(|p| p.1)
        .chain(sites.iter().map(|s| s.rate))
        .fold(1.0_f64, f64::min);
    let highest = curve(Z_998, true)
        .iter()
        .map(|p| p.1)
        .chain(sites.iter().map(|s| s.rate))
        .fold(0.0_f64, f64::max);
    let (lo, hi) = ((lowest - 0.03).max(0.0), (highest + 0.03).min(1.0));
    let mut c = ChartBuilder::on(root)
        .caption(&chart.title, title_style())
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(0.0..max_n, lo..hi)?;
    c.configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .x_desc(&chart.x_label)
        .y_desc(&chart.y_label)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| percent(*v))
        .label_style((FONT, 14).into_font().color(&INK))
        .axis_desc_style((FONT, 15).into_font().color(&INK))
        .draw()?;
    c.draw_series(LineSeries::new(
        vec![(0.0, target), (max_n, target)],
        INK.stroke_width(2),
    ))?
    .label("Programme rate (target)")
    .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], INK.stroke_width(2)));
    for (z, name, style) in [
        (Z_95, "95% limits", colour(0).stroke_width(2)),
        (Z_998, "99.8% limits", colour(1).stroke_width(2)),
    ] {
        let dashed = |points: Vec<(f64, f64)>| {
            DashedLineSeries::new(points, if z == Z_95 { 8 } else { 3 }, 5, style)
        };
        c.draw_series(dashed(curve(z, true)))?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
        c.draw_series(dashed(curve(z, false)))?;
    }
    c.draw_series(sites.iter().map(|s| {
        Circle::new(
            (s.eligible as f64, s.rate),
            6,
            if s.outside {
                colour(1).filled()
            } else {
                colour(2).filled()
            },
        )
    }))?
    .label("Site")
    .legend(|(x, y)| Circle::new((x + 10, y), 6, colour(2).filled()));
    c.draw_series(sites.iter().filter(|s| s.outside).map(|s| {
        Text::new(
            s.label.clone(),
            (s.eligible as f64, s.rate),
            (FONT, 14)
                .into_font()
                .color(&INK)
                .pos(Pos::new(HPos::Left, VPos::Bottom)),
        )
    }))?;
    legend(&mut c, SeriesLabelPosition::UpperRight)?;
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

fn event_study<DB: DrawingBackend>(
    chart: &Chart,
    root: &DrawingArea<DB, Shift>,
    series: &[(String, Vec<super::EventPoint>)],
) -> DrawResult<DB> {
    let all = || series.iter().flat_map(|(_, p)| p.iter());
    let (x0, x1) = all().fold((-1.0_f64, 1.0_f64), |(a, b), p| {
        (a.min(p.event_month as f64), b.max(p.event_month as f64))
    });
    let ys = all().flat_map(|p| {
        [
            Some(p.value),
            p.interval.map(|i| i.0),
            p.interval.map(|i| i.1),
        ]
        .into_iter()
        .flatten()
    });
    let (y0, y1) = ys.fold((0.0_f64, 0.0_f64), |(a, b), v| (a.min(v), b.max(v)));
    let pad = ((y1 - y0) * 0.08).max(0.005);
    let (y0, y1) = (y0 - pad, y1 + pad);
    let mut c = ChartBuilder::on(root)
        .caption(&chart.title, title_style())
        .margin(16)
        .margin_right(40)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d((x0 - 0.5)..(x1 + 0.5), y0..y1)?;
    c.configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .x_desc(&chart.x_label)
        .y_desc(&chart.y_label)
        .x_label_formatter(&|v| format!("{:+}", v.round() as i64))
        .y_label_formatter(&|v| points(*v))
        .label_style((FONT, 14).into_font().color(&INK))
        .axis_desc_style((FONT, 15).into_font().color(&INK))
        .draw()?;
    c.draw_series(LineSeries::new(
        vec![(x0 - 0.5, 0.0), (x1 + 0.5, 0.0)],
        INK.stroke_width(1),
    ))?;
    c.draw_series(DashedLineSeries::new(
        vec![(-0.5, y0), (-0.5, y1)],
        4,
        4,
        INK.stroke_width(1),
    ))?;
    c.draw_series(std::iter::once(Text::new(
        "go-live".to_string(),
        (-0.4, y1),
        (FONT, 13)
            .into_font()
            .color(&INK)
            .pos(Pos::new(HPos::Left, VPos::Top)),
    )))?;
    let offset = |i: usize| (i as f64 - (series.len() as f64 - 1.0) / 2.0) * 0.25;
    for (i, (name, estimates)) in series.iter().enumerate() {
        let style = colour(i);
        let dx = offset(i);
        c.draw_series(estimates.iter().filter_map(|p| {
            let (l, h) = p.interval?;
            let x = p.event_month as f64 + dx;
            Some(PathElement::new(
                vec![(x, l), (x, h)],
                style.stroke_width(2),
            ))
        }))?;
        c.draw_series(
            estimates
                .iter()
                .map(|p| Circle::new((p.event_month as f64 + dx, p.value), 4, style.filled())),
        )?
        .label(name.as_str())
        .legend(move |(x, y)| Circle::new((x + 10, y), 4, style.filled()));
    }
    legend(&mut c, SeriesLabelPosition::UpperLeft)?;
    Ok(())
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
    let mut c = ChartBuilder::on(root)
        .caption(&chart.title, title_style())
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
        let series = if i % 2 == 0 {
            c.draw_series(LineSeries::new(points.clone(), style))?
        } else {
            c.draw_series(DashedLineSeries::new(points.clone(), 8, 4, style))?
        };
        series
            .label(line.name.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
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
    legend(&mut c, SeriesLabelPosition::LowerRight)?;
    Ok(())
}
