//! The fit-note effect charts: every programme's staggered difference in
//! differences (all and clean areas), and a programme's event study.

use super::catalogue::{INTERVAL_95, suppressed_note};
use super::draw::{BAND_ALPHA, DrawResult, FONT, GRID, INK, Key, colour, header};
use super::{Chart, DataTable, EventPoint, ForestRow, Plot};
use crate::disclosure::Published;
use crate::presentation::points;
use contract::vocabulary::AreaSet;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use stats::formulas::staggered::FIRST_YEAR;

pub(super) fn did(published: &Published) -> Chart {
    let mut table = DataTable::new(&[
        "programme",
        "start_date",
        "areas",
        "did",
        "did_low",
        "did_high",
        "programme_areas",
        "comparison_areas",
    ]);
    let mut rows = Vec::new();
    for d in &published.did {
        let sets = std::iter::once(("all", d.did, d.treated_areas))
            .chain(d.clean.map(|c| ("clean", c, d.clean_areas)));
        for (areas, effect, n) in sets {
            let [v, l, h] = effect.plain();
            table.push(vec![
                d.programme.clone(),
                d.start_date.map(|d| d.to_string()).unwrap_or_default(),
                areas.into(),
                v,
                l,
                h,
                n.to_string(),
                d.comparison_areas.to_string(),
            ]);
            rows.push(ForestRow {
                label: format!(
                    "{}, {}",
                    d.programme,
                    if areas == "all" {
                        "all areas"
                    } else {
                        "clean areas"
                    }
                ),
                series: usize::from(areas == "clean"),
                value: effect.value(),
                interval: effect.interval(),
                withheld: false,
            });
        }
    }
    let hidden = rows.iter().filter(|r| r.value.is_none()).count();
    Chart {
        name: "fit-note-did".into(),
        title: "Change in \"may be fit\" fit notes, difference in differences".into(),
        x_label:
            "Change in may-be-fit share, programme areas minus comparison areas (percentage points)"
                .into(),
        y_label: "Programme and areas".into(),
        caption: format!(
            "Each area's change in the share of fit notes saying \"may be fit for work\" from the month before its own go-live to each month after, minus the same change in comparison areas (Callaway and Sant'Anna 2021), averaged over months and areas; computed from the rounded monthly counts. Clean areas run no other programme starting in the analysis window. Intervals come from how much areas differ (t with Satterthwaite's degrees of freedom), not from the number of notes. {INTERVAL_95} The vertical line is no difference.{}",
            suppressed_note(hidden, "estimate")
        ),
        plot: Plot::Forest {
            rows,
            series: vec!["All areas".into(), "Clean areas".into()],
            reference: Some(0.0),
            difference: true,
        },
        table,
    }
}

pub(super) fn event_study(published: &Published, programme: &str) -> Option<Chart> {
    let d = published.did.iter().find(|d| d.programme == programme)?;
    let mut table = DataTable::new(&[
        "areas",
        "event_month",
        "estimate",
        "low",
        "high",
        "band_low",
        "band_high",
        "robust_first_year_low",
        "robust_first_year_high",
        "programme_areas",
    ]);
    let mut series: Vec<(String, Vec<EventPoint>)> = Vec::new();
    let mut robust = Vec::new();
    for areas in [AreaSet::All, AreaSet::Clean] {
        let effect = match areas {
            AreaSet::All => Some(d.robust),
            AreaSet::Clean => d.clean_robust,
        };
        let [_, rl, rh] =
            effect.map_or_else(|| std::array::from_fn(|_| String::new()), |e| e.plain());
        let mut points = Vec::new();
        for e in d.event_study.iter().filter(|e| e.areas == areas) {
            let [v, l, h] = e.effect.plain();
            let [_, bl, bh] = e.band.plain();
            // The robust first-year interval, on the months it averages.
            let (robust_low, robust_high) = if (0..FIRST_YEAR).contains(&e.event_month) {
                (rl.clone(), rh.clone())
            } else {
                Default::default()
            };
            table.push(vec![
                areas.as_str().into(),
                e.event_month.to_string(),
                v,
                l,
                h,
                bl,
                bh,
                robust_low,
                robust_high,
                e.treated_areas.to_string(),
            ]);
            if let Some(value) = e.effect.value() {
                points.push(EventPoint {
                    event_month: e.event_month,
                    value,
                    interval: e.effect.interval(),
                    band: e.band.interval(),
                });
            }
        }
        if !points.is_empty() {
            let name = match areas {
                AreaSet::All => "All programme areas",
                AreaSet::Clean => "Clean areas",
            };
            series.push((name.into(), points));
            robust.push(effect.and_then(|e| e.interval()));
        }
    }
    let pretrend = leads_test(d.pretrend.as_ref());
    Some(Chart {
        name: "event-study".into(),
        title: format!("{programme}: \"may be fit\" share by months since go-live"),
        x_label: "Months since the area's go-live (negative: before)".into(),
        y_label: "Difference from comparison areas (pp)".into(),
        caption: format!(
            "Event study (Callaway and Sant'Anna 2021): for each month before and after each area's own go-live, the change in its may-be-fit share since the month before go-live minus the same change in comparison areas, averaged over areas weighted by cohort size; the month before go-live (−1) is the reference, 0 by construction, and points before it near zero mean the areas moved in parallel. Computed from the rounded monthly counts. {INTERVAL_95} The pale band is simultaneous: it holds every month's true difference at once in 95% of samples (a sup-t band), so read a pattern across months against the band, not the pointwise intervals. The dashed lines over the first 12 months after go-live are the first year's mean effect robust to any straight-line difference in trends (Rambachan and Roth's smoothness bound at M = 0, HonestDiD): the leads' line is extrapolated and taken off.{pretrend}"
        ),
        plot: Plot::EventStudy { series, robust },
        table,
    })
}

/// The caption's sentence on the joint test of the leads, with a caution
/// from p < 0.10 ([`crate::presentation::PRETREND_CAUTION`]).
fn leads_test(pretrend: Option<&crate::disclosure::PreTrend>) -> String {
    match pretrend {
        Some(t) => format!(
            " Joint test that the leads are zero ({} quarters before go-live): p = {}{}.",
            t.quarters,
            crate::presentation::p_value(t.p_value),
            if t.p_value < crate::presentation::PRETREND_CAUTION {
                ", below 0.10: the areas may not have moved in parallel before go-live, so treat the effect with caution"
            } else {
                ""
            }
        ),
        None => " There are too few areas or months before go-live for a joint test of the leads."
            .into(),
    }
}

/// The event study: each series' points and pointwise intervals, its
/// simultaneous band behind them, and its robust first-year interval as two
/// dashed lines over months 0 to 11.
pub(super) fn draw_event_study<DB: DrawingBackend>(
    chart: &Chart,
    root: &DrawingArea<DB, Shift>,
    series: &[(String, Vec<EventPoint>)],
    robust: &[Option<(f64, f64)>],
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
            p.band.map(|b| b.0),
            p.band.map(|b| b.1),
        ]
        .into_iter()
        .flatten()
    });
    let ys = ys.chain(robust.iter().flatten().flat_map(|(l, h)| [*l, *h]));
    let (y0, y1) = ys.fold((0.0_f64, 0.0_f64), |(a, b), v| (a.min(v), b.max(v)));
    let pad = ((y1 - y0) * 0.08).max(0.005);
    let (y0, y1) = (y0 - pad, y1 + pad);
    let keys: Vec<(String, Key)> = series
        .iter()
        .enumerate()
        .flat_map(|(i, (name, points))| {
            let band = points.iter().any(|p| p.band.is_some()).then(|| {
                (
                    format!("{name}: 95% simultaneous band"),
                    Key::Band(colour(i)),
                )
            });
            let robust = robust.get(i).copied().flatten().map(|_| {
                (
                    format!("{name}: first year, robust to a straight-line trend"),
                    Key::Line(colour(i), Some(6)),
                )
            });
            std::iter::once((name.clone(), Key::Dot(colour(i))))
                .chain(band)
                .chain(robust)
        })
        .collect();
    let plot = header(root, &chart.title, &keys)?;
    let mut c = ChartBuilder::on(&plot)
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
    let last = (FIRST_YEAR - 1) as f64 + 0.4;
    for (i, (l, h)) in robust
        .iter()
        .enumerate()
        .filter_map(|(i, r)| Some((i, (*r)?)))
    {
        for y in [l, h] {
            c.draw_series(DashedLineSeries::new(
                vec![(-0.4, y), (last, y)],
                6,
                4,
                colour(i).stroke_width(2),
            ))?;
        }
    }
    for (i, (_, estimates)) in series.iter().enumerate() {
        let style = colour(i);
        let dx = offset(i);
        // The band first, pale and wider, so each interval sits inside it.
        c.draw_series(estimates.iter().filter_map(|p| {
            let (l, h) = p.band?;
            let x = p.event_month as f64 + dx;
            Some(Rectangle::new(
                [(x - 0.1, l), (x + 0.1, h)],
                style.mix(BAND_ALPHA).filled(),
            ))
        }))?;
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
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disclosure::PreTrend;

    #[test]
    fn the_leads_test_cautions_from_ten_percent() {
        let at = |p_value| {
            leads_test(Some(&PreTrend {
                quarters: 4,
                p_value,
            }))
        };
        assert!(at(0.08).contains("p = 0.080, below 0.10"), "{}", at(0.08));
        assert!(
            at(0.0005).contains("p = < 0.001, below 0.10"),
            "{}",
            at(0.0005)
        );
        assert!(!at(0.10).contains("caution"), "{}", at(0.10));
        assert!(!at(0.4).contains("caution"), "{}", at(0.4));
        assert!(leads_test(None).contains("too few areas"));
    }
}
