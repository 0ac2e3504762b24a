//! The published values as templates and JSON see them: a count as
//! `"1,235"` or `"[c]"`, a share as `{value, interval, suppressed}`, an
//! effect with its significance, each row with its URL slug.

use super::numbers::{in_unit, percent, points};
use super::slugs::slug;
use crate::disclosure::*;
use serde::ser::{Serialize, SerializeMap, Serializer};

/// Implement `Serialize` for a published type as a map of `key => value`.
macro_rules! serialise_as_map {
    ($ty:ty, |$it:ident| { $($key:literal => $value:expr),* $(,)? }) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let $it = self;
                let mut map = serializer.serialize_map(None)?;
                $( map.serialize_entry($key, &$value)?; )*
                map.end()
            }
        }
    };
}

impl Serialize for Count {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

fn significance(s: Option<Significance>) -> Option<&'static str> {
    s.map(|s| match s {
        Significance::Above => "above",
        Significance::Below => "below",
        Significance::SpansZero => "spans_zero",
    })
}

serialise_as_map!(Share, |s| {
    "value" => s.value().map_or(SUPPRESSED.into(), percent),
    "interval" => s.interval().map(|(l, h)| format!("{} to {}", percent(l), percent(h))),
    "suppressed" => s.is_suppressed(),
});

serialise_as_map!(Effect, |e| {
    "value" => if e.is_not_estimable() {
        "not estimable".to_string()
    } else if e.is_withheld() {
        "withheld".to_string()
    } else {
        e.value().map_or(SUPPRESSED.into(), points)
    },
    "interval" => e.interval().map(|(l, h)| format!("{} to {}", points(l), points(h))),
    "suppressed" => e.is_suppressed(),
    "not_estimable" => e.is_not_estimable(),
    "withheld" => e.is_withheld(),
    "significance" => significance(e.significance()),
    "p_value" => e.p_value().map(p_value),
});

/// Below this p-value of the joint test of the leads, the pages caution
/// that programme and comparison areas may not have moved in parallel
/// before go-live (the test has few degrees of freedom with few areas:
/// issue 27, item 5).
pub const PRETREND_CAUTION: f64 = 0.10;

/// A p-value as written: to 3 decimals, or "< 0.001".
pub fn p_value(p: f64) -> String {
    if p < 0.001 {
        "< 0.001".into()
    } else {
        format!("{p:.3}")
    }
}

impl Serialize for CostPerOutcome {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        let status = match self {
            CostPerOutcome::Shown { cost, low, high } => {
                map.serialize_entry("status", "shown")?;
                map.serialize_entry("value", cost)?;
                map.serialize_entry("low", low)?;
                map.serialize_entry("high", high)?;
                return map.end();
            }
            CostPerOutcome::AtLeast(money) => {
                map.serialize_entry("status", "at_least")?;
                map.serialize_entry("value", money)?;
                return map.end();
            }
            CostPerOutcome::NotSignificant => "not_significant",
            CostPerOutcome::Suppressed => "suppressed",
            CostPerOutcome::NoFunding => "no_funding",
            CostPerOutcome::Withheld => "withheld",
            CostPerOutcome::NotHeadline => "not_headline",
        };
        map.serialize_entry("status", status)?;
        map.end()
    }
}

serialise_as_map!(Programme, |p| {
    "name" => p.name,
    "slug" => slug(&p.name),
    "referrals" => p.referrals,
    "participants" => p.participants,
    "eligible" => p.eligible,
    "in_work_6m" => p.in_work_6m,
    "co_enrolled" => p.co_enrolled,
    "exposed_to_another" => p.exposed_to_another,
    "rate" => p.rate,
    "matched" => p.matched,
    "unmatched" => p.unmatched,
    "strata_dropped" => p.strata_dropped,
    "comparison_rate" => p.comparison_rate,
    "att" => p.att,
    "own_area" => p.own_area,
    "own_area_matched" => p.own_area_matched,
    "p_adjusted" => p.p_adjusted.map(p_value),
    "randomisation_p" => p.randomisation_p.map(p_value),
    "between_area_sd" => p.between_area_sd.map(|sd| format!("{:.1} pp", sd * 100.0)),
    "areas" => p.areas,
    "comparison_areas" => p.comparison_areas,
    "mde" => p.mde.map(|m| format!("{:.1} pp", m * 100.0)),
    "e_value" => p.e_values.map(|e| format!("{:.2}", e.0)),
    "e_value_interval" => p.e_values.map(|e| format!("{:.2}", e.1)),
    "systematic_error_mean" => p.systematic_error.map(|(m, _, _)| format!("{:.1} pp", m * 100.0)),
    "systematic_error_sd" => p.systematic_error.map(|(_, s, _)| format!("{:.1} pp", s * 100.0)),
    "calibrated" => p.calibrated.map(|c| serde_json::json!({
        "interval": format!("{} to {}", points(c.interval.0), points(c.interval.1)),
        "significance": significance(Some(c.significance)),
        "p_value": p_value(c.p_value),
    })),
    "own_area_systematic_error_mean" => p.own_area_systematic_error.map(|(m, _, _)| format!("{:.1} pp", m * 100.0)),
    "own_area_systematic_error_sd" => p.own_area_systematic_error.map(|(_, s, _)| format!("{:.1} pp", s * 100.0)),
    "own_area_calibrated" => p.own_area_calibrated.map(|c| serde_json::json!({
        "interval": format!("{} to {}", points(c.interval.0), points(c.interval.1)),
        "significance": significance(Some(c.significance)),
        "p_value": p_value(c.p_value),
    })),
    "own_area_mde" => p.own_area_mde.map(|m| format!("{:.1} pp", m * 100.0)),
    "own_area_diagnostics_passed" => p.own_area_diagnostics.passed,
    "own_area_diagnostics_failed" => p.own_area_diagnostics.failed.iter().map(|(check, why)| serde_json::json!({
        "check": check,
        "why": why,
    })).collect::<Vec<_>>(),
    "diagnostics_passed" => p.diagnostics.passed,
    "diagnostics_failed" => p.diagnostics.failed.iter().map(|(check, why)| serde_json::json!({
        "check": check,
        "why": why,
    })).collect::<Vec<_>>(),
    "engaged_share" => p.engaged_share,
    "att_engaged" => p.att_engaged,
    "balance" => p.balance,
    "balance_l1_before" => p.balance_l1.map(|l| format!("{:.2}", l.0)),
    "balance_l1" => p.balance_l1.map(|l| format!("{:.2}", l.1)),
    "imbalanced" => p.balance.iter().filter(|b| b.imbalanced).map(balance_name).collect::<Vec<_>>(),
    "headline" => p.headline.as_ref().map(|h| serde_json::json!({
        "outcome": h.outcome.label(),
        "declared": h.declared,
        "rationale": h.rationale,
    })),
    "outcomes" => p.outcomes,
    "funding_gbp" => p.funding_gbp,
    "cost_per_additional_outcome" => p.cost_per_additional_outcome,
    "jobs_per_million" => p.jobs_per_million.map(|[v, l, h]| format!("{v:.1} ({l:.1} to {h:.1})")),
    "start_date" => p.start_date,
});

/// "Region: London", or a continuous covariate's label.
pub fn balance_name(b: &BalanceRow) -> String {
    let label = super::labels::covariate_label(&b.covariate);
    match &b.level {
        Some(level) => format!("{label}: {level}"),
        None => label.to_string(),
    }
}

/// A balance value as written: a share as a percentage, a mean to the
/// precision it was published at.
pub fn balance_value(b: &BalanceRow, v: f64) -> String {
    match (b.level.is_some(), b.covariate.as_str()) {
        (true, _) => percent(v),
        (false, "earnings_before") => format!("£{}", super::numbers::thousands(v.round() as u64)),
        (false, "fit_notes_before") => format!("{v:.2}"),
        (false, _) => format!("{v:.1}"),
    }
}

fn smd_text(v: Option<f64>) -> String {
    v.map_or("–".into(), |v| format!("{v:.2}"))
}

serialise_as_map!(BalanceRow, |b| {
    "covariate" => super::labels::covariate_label(&b.covariate),
    "level" => b.level.clone().unwrap_or_else(|| "mean".into()),
    "matched_on" => b.matched_on,
    "participants_before" => b.before.map_or(SUPPRESSED.into(), |v| balance_value(b, v.0)),
    "comparison_before" => b.before.map_or(SUPPRESSED.into(), |v| balance_value(b, v.1)),
    "participants_after" => b.after.map_or(SUPPRESSED.into(), |v| balance_value(b, v.0)),
    "comparison_after" => b.after.map_or(SUPPRESSED.into(), |v| balance_value(b, v.1)),
    "smd_before" => if b.before.is_some() { smd_text(b.smd_before) } else { SUPPRESSED.into() },
    "smd" => if b.after.is_some() { smd_text(b.smd) } else { SUPPRESSED.into() },
    "imbalanced" => b.imbalanced,
});

/// An effect in an outcome's unit, as `Effect` is written in points.
struct EffectIn(Effect, contract::outcomes::Unit);

serialise_as_map!(EffectIn, |e| {
    "value" => if e.0.is_not_estimable() {
        "not estimable".to_string()
    } else if e.0.is_withheld() {
        "withheld".to_string()
    } else {
        e.0.value().map_or(SUPPRESSED.into(), |v| in_unit(e.1, v, true))
    },
    "interval" => e.0.interval().map(|(l, h)| format!("{} to {}", in_unit(e.1, l, true), in_unit(e.1, h, true))),
    "suppressed" => e.0.is_suppressed(),
    "not_estimable" => e.0.is_not_estimable(),
    "withheld" => e.0.is_withheld(),
    "significance" => significance(e.0.significance()),
    "p_value" => e.0.p_value().map(p_value),
});

serialise_as_map!(OutcomeRow, |o| {
    "outcome" => o.outcome.as_str(),
    "label" => o.outcome.label(),
    "role" => o.role.as_str(),
    "eligible" => o.eligible,
    "matched" => o.matched,
    "participant" => o.participant.map_or(SUPPRESSED.into(), |v| in_unit(o.outcome.unit(), v, false)),
    "comparison" => o.comparison.map_or(SUPPRESSED.into(), |v| in_unit(o.outcome.unit(), v, false)),
    "effect" => EffectIn(o.effect, o.outcome.unit()),
    "effect_engaged" => EffectIn(o.effect_engaged, o.outcome.unit()),
    "e_value" => o.e_values.map(|e| format!("{:.2}", e.0)),
    "e_value_interval" => o.e_values.map(|e| format!("{:.2}", e.1)),
    "note" => o.note,
});

serialise_as_map!(Site, |s| {
    "programme" => s.programme,
    "programme_slug" => slug(&s.programme),
    "area_id" => s.area_id,
    "area_name" => s.area_name,
    "start_date" => s.start_date,
    "participants" => s.participants,
    "eligible" => s.eligible,
    "in_work_6m" => s.in_work_6m,
    "rate" => s.rate,
    "funnel_flag" => s.funnel_flag.map(|f| f.as_str()),
    "mde" => s.mde.map(|m| format!("{:.1} pp", m * 100.0)),
    "adjusted_flag" => crate::presentation::labels::adjusted_flag(s),
    "adjusted_rate" => s.adjusted.map(|a| crate::presentation::percent(a.adjusted_rate)),
    "expected_rate" => s.adjusted.map(|a| crate::presentation::percent(a.expected_rate)),
    "effect" => s.effect,
    "effect_flag" => s.effect_position.and_then(|p| p.flag).map(|f| f.as_str()),
    "effect_target" => s.effect_position.map(|p| format!("{:.1} pp", p.target * 100.0)),
    "effect_shrunk" => s.effect_position.and_then(|p| p.shrunk).map(|v| format!("{:.1} pp", v * 100.0)),
    "trend" => s.trend.as_str().replace('_', " "),
});

serialise_as_map!(Subgroup, |s| {
    "programme" => s.programme,
    "dimension" => s.dimension.as_str(),
    "value" => s.value,
    "participants" => s.participants,
    "eligible" => s.eligible,
    "in_work_6m" => s.in_work_6m,
    "rate" => s.rate,
    "matched" => s.matched,
    "comparison_rate" => s.comparison_rate,
    "att" => s.att,
    "p_adjusted" => s.p_adjusted.map(p_value),
});

serialise_as_map!(NotesMonth, |m| {
    "month" => m.month,
    "fit_notes" => m.fit_notes,
    "may_be_fit" => m.may_be_fit,
    "share" => m.share,
});

fn pretrend(t: &crate::disclosure::PreTrend) -> std::collections::BTreeMap<&'static str, String> {
    std::collections::BTreeMap::from([
        ("quarters", t.quarters.to_string()),
        ("p_value", p_value(t.p_value)),
        // The leads' test has few degrees of freedom with few areas, so
        // the page cautions from p < 0.10, not only when it is tiny.
        (
            "caution",
            if t.p_value < PRETREND_CAUTION {
                "yes"
            } else {
                ""
            }
            .to_string(),
        ),
    ])
}

serialise_as_map!(Did, |d| {
    "programme" => d.programme,
    "slug" => slug(&d.programme),
    "start_date" => d.start_date,
    "fit_notes" => d.fit_notes,
    "shares" => d.shares,
    "did" => d.did,
    "treated_areas" => d.treated_areas,
    "comparison_areas" => d.comparison_areas,
    "clean" => d.clean,
    "clean_areas" => d.clean_areas,
    "robust" => d.robust,
    "clean_robust" => d.clean_robust,
    "pretrend" => d.pretrend.as_ref().map(pretrend),
    "clean_pretrend" => d.clean_pretrend.as_ref().map(pretrend),
    "overlaps" => d.overlaps,
    "bundled" => d.overlaps.iter().any(|o| o.same_start),
});

serialise_as_map!(Overlap, |o| {
    "area_id" => o.area_id,
    "overlapping" => o.overlapping,
    "same_start" => o.same_start,
});

serialise_as_map!(Check, |c| {
    "table_name" => c.table_name,
    "check_name" => c.check_name,
    "rows_failed" => c.rows_failed,
    "failed" => c.failed,
});

serialise_as_map!(Input, |i| {
    "table" => i.table,
    "files" => i.files,
    "rows_read" => i.rows_read,
    "rows_used" => i.rows_used,
    "rows_quarantined" => i.rows_quarantined,
    "none_quarantined" => i.none_quarantined,
    "quarantined_share" => i.quarantined_share,
});

serialise_as_map!(Run, |r| {
    "run_id" => r.run_id,
    "version" => r.version,
    "started_at" => r.started_at,
    "finished_at" => r.finished_at,
    "as_of" => r.as_of,
    "data_root" => r.data_root,
    "inputs" => r.inputs,
    "warnings" => r.warnings,
});
