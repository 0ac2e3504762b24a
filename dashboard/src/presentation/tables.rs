//! The commissioner-safe evidence tables, row by row: the published
//! (disclosure-controlled) figures under the evidence tables' column names,
//! every value as text (`[c]` where suppressed).

use crate::disclosure::{Published, SUPPRESSED};
use crate::presentation::numbers::plain;
use serde_json::Value;
use std::collections::BTreeMap;

pub type Row = BTreeMap<String, Value>;

const NAMES: [&str; 6] = [
    "programme_outcomes",
    "site_outcomes",
    "subgroup_outcomes",
    "fit_note_monthly",
    "fit_note_did",
    "fit_note_event_study",
];

pub fn names() -> &'static [&'static str] {
    &NAMES
}

/// A proportion (a p-value, an effect size) to 3 decimals, or `[c]`.
fn proportion(v: Option<f64>) -> String {
    crate::presentation::numbers::plain(v)
}

fn row(cells: Vec<(&str, String)>) -> Row {
    cells
        .into_iter()
        .map(|(k, v)| (k.to_string(), Value::String(v)))
        .collect()
}

/// The rows of table `name`, or `None` if commissioners have no such table.
pub fn rows(published: &Published, name: &str) -> Option<Vec<Row>> {
    Some(match name {
        "programme_outcomes" => published
            .programmes
            .iter()
            .map(|p| {
                let [att, att_low, att_high] = p.att.plain();
                row(vec![
                    ("programme", p.name.clone()),
                    ("referrals", p.referrals.plain()),
                    ("participants", p.participants.plain()),
                    ("eligible", p.eligible.plain()),
                    ("in_work_6m", p.in_work_6m.plain()),
                    ("co_enrolled", p.co_enrolled.plain()),
                    ("exposed_to_another", p.exposed_to_another.plain()),
                    ("rate", p.rate.plain()),
                    ("rate_low", p.rate.plain_low()),
                    ("rate_high", p.rate.plain_high()),
                    ("matched", p.matched.plain()),
                    ("unmatched", p.unmatched.plain()),
                    ("comparison_rate", p.comparison_rate.plain()),
                    ("att", att),
                    ("att_low", att_low),
                    ("att_high", att_high),
                    ("att_p_adjusted", proportion(p.p_adjusted)),
                    ("randomisation_p", proportion(p.randomisation_p)),
                    ("mde", proportion(p.mde)),
                ])
            })
            .collect(),
        "site_outcomes" => published
            .sites
            .iter()
            .map(|s| {
                row(vec![
                    ("programme", s.programme.clone()),
                    ("area_id", s.area_id.clone()),
                    ("area_name", s.area_name.clone()),
                    ("participants", s.participants.plain()),
                    ("eligible", s.eligible.plain()),
                    ("in_work_6m", s.in_work_6m.plain()),
                    ("rate", s.rate.plain()),
                    ("rate_low", s.rate.plain_low()),
                    ("rate_high", s.rate.plain_high()),
                    (
                        "funnel_flag",
                        s.funnel_flag.map_or(SUPPRESSED, |f| f.as_str()).to_string(),
                    ),
                    ("adjusted_rate", plain(s.adjusted.map(|a| a.adjusted_rate))),
                    (
                        "adjusted_limit998_low",
                        plain(s.adjusted.map(|a| a.limit998.0)),
                    ),
                    (
                        "adjusted_limit998_high",
                        plain(s.adjusted.map(|a| a.limit998.1)),
                    ),
                    (
                        "adjusted_flag",
                        crate::presentation::labels::adjusted_flag(s).to_string(),
                    ),
                    ("att", s.effect.plain()[0].clone()),
                    ("att_low", s.effect.plain()[1].clone()),
                    ("att_high", s.effect.plain()[2].clone()),
                    ("trend", s.trend.as_str().to_string()),
                ])
            })
            .collect(),
        "subgroup_outcomes" => published
            .subgroups
            .iter()
            .map(|s| {
                let [att, att_low, att_high] = s.att.plain();
                row(vec![
                    ("programme", s.programme.clone()),
                    ("dimension", s.dimension.as_str().to_string()),
                    ("value", s.value.clone()),
                    ("eligible", s.eligible.plain()),
                    ("in_work_6m", s.in_work_6m.plain()),
                    ("rate", s.rate.plain()),
                    ("matched", s.matched.plain()),
                    ("comparison_rate", s.comparison_rate.plain()),
                    ("att", att),
                    ("att_low", att_low),
                    ("att_high", att_high),
                    ("att_p_adjusted", proportion(s.p_adjusted)),
                ])
            })
            .collect(),
        "fit_note_did" => published
            .did
            .iter()
            .map(|d| {
                let [did, did_low, did_high] = d.did.plain();
                let blank = || std::array::from_fn(|_| String::new());
                let [clean_did, clean_did_low, clean_did_high] =
                    d.clean.map_or_else(blank, |c| c.plain());
                let [robust, robust_low, robust_high] = d.robust.plain();
                let [clean_robust, clean_robust_low, clean_robust_high] =
                    d.clean_robust.map_or_else(blank, |c| c.plain());
                row(vec![
                    ("programme", d.programme.clone()),
                    ("pre_share", d.shares[0].plain()),
                    ("post_share", d.shares[1].plain()),
                    ("comparison_pre_share", d.shares[2].plain()),
                    ("comparison_post_share", d.shares[3].plain()),
                    ("did", did),
                    ("did_low", did_low),
                    ("did_high", did_high),
                    ("treated_areas", d.treated_areas.to_string()),
                    ("comparison_areas", d.comparison_areas.to_string()),
                    ("clean_areas", d.clean_areas.to_string()),
                    ("clean_did", clean_did),
                    ("clean_did_low", clean_did_low),
                    ("clean_did_high", clean_did_high),
                    ("robust_did", robust),
                    ("robust_did_low", robust_low),
                    ("robust_did_high", robust_high),
                    ("clean_robust_did", clean_robust),
                    ("clean_robust_did_low", clean_robust_low),
                    ("clean_robust_did_high", clean_robust_high),
                    (
                        "pretrend_p_value",
                        d.pretrend
                            .as_ref()
                            .map_or_else(String::new, |t| format!("{:.3}", t.p_value)),
                    ),
                ])
            })
            .collect(),
        "fit_note_event_study" => published
            .did
            .iter()
            .flat_map(|d| {
                d.event_study.iter().map(|e| {
                    let [estimate, low, high] = e.effect.plain();
                    let [_, band_low, band_high] = e.band.plain();
                    row(vec![
                        ("programme", d.programme.clone()),
                        ("areas", e.areas.as_str().to_string()),
                        ("event_month", e.event_month.to_string()),
                        ("estimate", estimate),
                        ("low", low),
                        ("high", high),
                        ("band_low", band_low),
                        ("band_high", band_high),
                        ("treated_areas", e.treated_areas.to_string()),
                    ])
                })
            })
            .collect(),
        "fit_note_monthly" => published
            .area_notes
            .iter()
            .flat_map(|(area, months)| {
                months.iter().map(move |m| {
                    row(vec![
                        ("area_id", area.clone()),
                        ("month", m.month.to_string()),
                        ("fit_notes", m.fit_notes.plain()),
                        ("may_be_fit", m.may_be_fit.plain()),
                        ("may_be_fit_share", m.share.plain()),
                    ])
                })
            })
            .collect(),
        _ => return None,
    })
}
