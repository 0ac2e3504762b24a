//! Drawing a funnel plot: sites against the programme's target with 95% and
//! 99.8% limits that narrow as sites grow and widen by the spread between
//! sites beyond chance (`stats::formulas::funnel::adjusted_limits`).

use super::FunnelPoint;
use super::draw::{DrawResult, FONT, GRID, INK, Key, colour, header};
use crate::charts::Chart;
use crate::presentation::percent;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use stats::formulas::funnel::adjusted_limits;

pub(super) fn draw<DB: DrawingBackend>(
    chart: &Chart,
    root: &DrawingArea<DB, Shift>,
    target: f64,
    tau2: f64,
    (z95, z998): (f64, f64),
    sites: &[FunnelPoint],
) -> DrawResult<DB> {
    let max_n = sites.iter().map(|s| s.size).fold(50.0, f64::max) * 1.1;
    // Start the funnel near the smallest site, so its mouth does not squash
    // the plot.
    let min_n = sites
        .iter()
        .map(|s| s.size / 2.0)
        .fold(max_n, f64::min)
        .max(10.0);
    let curve = |z: f64, upper: bool| -> Vec<(f64, f64)> {
        (0..=200)
            .map(|k| {
                let n = min_n + (max_n - min_n) * k as f64 / 200.0;
                let s = (target * (1.0 - target) / n).sqrt();
                let (l, h) = adjusted_limits(target, s, tau2, z).unwrap_or((target, target));
                (n, if upper { h } else { l })
            })
            .collect()
    };
    let lowest = curve(z998, false)
        .iter()
        .map(|p| p.1)
        .chain(sites.iter().map(|s| s.rate))
        .fold(1.0_f64, f64::min);
    let highest = curve(z998, true)
        .iter()
        .map(|p| p.1)
        .chain(sites.iter().map(|s| s.rate))
        .fold(0.0_f64, f64::max);
    let (lo, hi) = ((lowest - 0.03).max(0.0), (highest + 0.03).min(1.0));
    let keys = [
        ("Programme rate (target)".to_string(), Key::Line(INK, None)),
        ("95% limits".to_string(), Key::Line(colour(0), Some(8))),
        ("99.8% limits".to_string(), Key::Line(colour(1), Some(3))),
        ("Site".to_string(), Key::Dot(colour(2))),
        (
            "Site outside the 99.8% limits".to_string(),
            Key::Dot(colour(1)),
        ),
    ];
    let plot = header(root, &chart.title, &keys)?;
    let mut c = ChartBuilder::on(&plot)
        .margin(16)
        .margin_right(40)
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
    ))?;
    for (z, dash, style) in [
        (z95, 8, colour(0).stroke_width(2)),
        (z998, 3, colour(1).stroke_width(2)),
    ] {
        for upper in [true, false] {
            c.draw_series(DashedLineSeries::new(curve(z, upper), dash, 5, style))?;
        }
    }
    c.draw_series(sites.iter().map(|s| {
        let fill = if s.outside { colour(1) } else { colour(2) };
        Circle::new((s.size, s.rate), 6, fill.filled())
    }))?;
    c.draw_series(sites.iter().filter(|s| s.outside).map(|s| {
        Text::new(
            s.label.clone(),
            (s.size, s.rate),
            (FONT, 14)
                .into_font()
                .color(&INK)
                .pos(Pos::new(HPos::Left, VPos::Bottom)),
        )
    }))?;
    Ok(())
}
