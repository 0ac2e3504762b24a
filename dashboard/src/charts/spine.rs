//! Drawing a spine chart (Fingertips' area profile): one row per indicator,
//! the programme's benchmark at the centre, the range over every site as a
//! pale bar with its middle half darker, and the site's value as a dot
//! coloured better, similar or worse.

use super::draw::{DrawResult, FONT, GRID, INK, Key, colour, header};
use super::{Chart, SpineRow, Verdict};
use crate::presentation::{percent, points};
use plotters::coord::Shift;
use plotters::prelude::*;

const PALE: RGBColor = RGBColor(214, 219, 224);
const MIDDLE: RGBColor = RGBColor(150, 160, 170);

pub(super) fn verdict_colour(v: Verdict) -> RGBColor {
    match v {
        Verdict::Better => colour(0),
        Verdict::Similar => colour(3),
        Verdict::Worse => colour(1),
        Verdict::NotCompared => RGBColor(255, 255, 255),
    }
}

pub(super) fn draw<DB: DrawingBackend>(
    chart: &Chart,
    root: &DrawingArea<DB, Shift>,
    rows: &[SpineRow],
) -> DrawResult<DB> {
    let keys = [
        (
            "Better".to_string(),
            Key::Dot(verdict_colour(Verdict::Better)),
        ),
        (
            "Similar".to_string(),
            Key::Dot(verdict_colour(Verdict::Similar)),
        ),
        (
            "Worse".to_string(),
            Key::Dot(verdict_colour(Verdict::Worse)),
        ),
        ("Programme benchmark".to_string(), Key::Line(INK, None)),
        (
            "All sites: range, middle half".to_string(),
            Key::Line(MIDDLE, None),
        ),
    ];
    let area = header(root, &chart.title, &keys)?;
    let (width, _) = area.dim_in_pixel();
    let width = width as i32;
    let font = (FONT, 14).into_font().color(&INK);
    let bold = (FONT, 14).into_font().style(FontStyle::Bold).color(&INK);
    let (value_x, benchmark_x, left, right) = (380, 470, 560, width - 24);
    area.draw(&Text::new(
        "Indicator (higher is better)",
        (16, 8),
        bold.clone(),
    ))?;
    area.draw(&Text::new("Site", (value_x, 8), bold.clone()))?;
    area.draw(&Text::new("Programme", (benchmark_x, 8), bold.clone()))?;
    area.draw(&Text::new(
        "Lowest site ← programme → highest site",
        (left, 8),
        bold,
    ))?;
    let centre = (left + right) / 2;
    let row_height = 36;
    let top = 36;
    area.draw(&PathElement::new(
        vec![
            (centre, top - 4),
            (centre, top + row_height * rows.len() as i32),
        ],
        INK.stroke_width(2),
    ))?;
    for (i, row) in rows.iter().enumerate() {
        let y = top + row_height * i as i32 + row_height / 2;
        area.draw(&PathElement::new(
            vec![(16, y + row_height / 2), (right, y + row_height / 2)],
            GRID.stroke_width(1),
        ))?;
        let show = |v: Option<f64>| match v {
            Some(v) if row.difference => points(v),
            Some(v) => percent(v),
            None => "[c]".to_string(),
        };
        area.draw(&Text::new(row.label.clone(), (16, y - 8), font.clone()))?;
        area.draw(&Text::new(show(row.value), (value_x, y - 8), font.clone()))?;
        area.draw(&Text::new(
            show(row.benchmark),
            (benchmark_x, y - 8),
            font.clone(),
        ))?;
        let (Some(b), Some([min, q25, q75, max])) = (row.benchmark, row.range) else {
            continue;
        };
        // Each row on its own scale, the benchmark at the centre and the
        // farthest of the range or the site's value at the edge.
        let half = [min, max]
            .into_iter()
            .chain(row.value)
            .map(|v| (v - b).abs())
            .fold(1e-9, f64::max);
        let x = |v: f64| centre + ((v - b) / half * (right - centre) as f64 * 0.95) as i32;
        area.draw(&Rectangle::new(
            [(x(min), y - 9), (x(max), y + 9)],
            PALE.filled(),
        ))?;
        area.draw(&Rectangle::new(
            [(x(q25), y - 9), (x(q75), y + 9)],
            MIDDLE.filled(),
        ))?;
        if let Some(v) = row.value {
            let c = verdict_colour(row.verdict);
            area.draw(&Circle::new((x(v), y), 7, c.filled()))?;
            area.draw(&Circle::new((x(v), y), 7, INK.stroke_width(1)))?;
        }
    }
    Ok(())
}
