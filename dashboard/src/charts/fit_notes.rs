//! The fit-note effect charts: every programme's staggered difference in
//! differences (all and clean areas), and a programme's event study.

use super::catalogue::{INTERVAL_95, suppressed_note};
use super::{Chart, DataTable, EventPoint, ForestRow, Plot};
use crate::disclosure::Published;
use contract::vocabulary::AreaSet;

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
        "programme_areas",
    ]);
    let mut series: Vec<(String, Vec<EventPoint>)> = Vec::new();
    for areas in [AreaSet::All, AreaSet::Clean] {
        let mut points = Vec::new();
        for e in d.event_study.iter().filter(|e| e.areas == areas) {
            let [v, l, h] = e.effect.plain();
            let [_, bl, bh] = e.band.plain();
            table.push(vec![
                areas.as_str().into(),
                e.event_month.to_string(),
                v,
                l,
                h,
                bl,
                bh,
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
        }
    }
    let pretrend = leads_test(d.pretrend.as_ref());
    Some(Chart {
        name: "event-study".into(),
        title: format!("{programme}: \"may be fit\" share by months since go-live"),
        x_label: "Months since the area's go-live (negative: before)".into(),
        y_label: "Difference from comparison areas (pp)".into(),
        caption: format!(
            "Event study (Callaway and Sant'Anna 2021): for each month before and after each area's own go-live, the change in its may-be-fit share since the month before go-live minus the same change in comparison areas, averaged over areas weighted by cohort size; the month before go-live (−1) is the reference, 0 by construction, and points before it near zero mean the areas moved in parallel. Computed from the rounded monthly counts. {INTERVAL_95} The pale band is simultaneous: it holds every month's true difference at once in 95% of samples (a sup-t band), so read a pattern across months against the band, not the pointwise intervals.{pretrend}"
        ),
        plot: Plot::EventStudy { series },
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
