//! `outcome_effects`: every outcome of `contract::outcomes` for every
//! programme, with the headline's estimator (the same strata, matching,
//! areas' variance and interval), from `sql/outcome_strata.sql`; each
//! programme's declared headline marked.

use super::negative_controls::calibrate;
use super::parallel::each_in_parallel;
use super::query;
use super::strata::{ArmRows, OutcomeColumns, arm_strata, headline_effects, number_strata};
use crate::error::Result;
use contract::inputs::PROGRAMMES;
use contract::outcomes::{Outcome, Role, Unit};
use contract::outputs::OutcomeEffect;
use contract::small::SmallResult;
use datafusion::prelude::SessionContext;
use stats::formulas::calibration::Null;
use stats::formulas::evalue::att_e_values;
use stats::formulas::value::per_engaged;
use std::collections::BTreeMap;

/// One row per (programme, outcome), programmes in contract order (those of
/// `programmes`, the programmes with participants), outcomes in
/// `Outcome::ALL` order. The view is read once; each outcome's cells are
/// built, matched and dropped in turn, the outcomes shared out over one
/// thread per core (so as many outcomes' cells at a time as there are
/// cores). Each outcome's estimate reads only its own cells, so the rows
/// are the same whatever the number of threads.
pub async fn outcome_effects(
    ctx: &SessionContext,
    programmes: &[String],
    nulls: &BTreeMap<String, Null>,
) -> Result<Vec<OutcomeEffect>> {
    let view = "outcome_strata";
    let r = query(ctx, view).await?;
    let arm_rows = ArmRows::read(&r, view)?;
    let per_outcome = each_in_parallel(Outcome::ALL.len(), |i| {
        one_outcome(&r, &arm_rows, Outcome::ALL[i], programmes, nulls)
    })?;
    let mut rows: Vec<OutcomeEffect> = per_outcome.into_iter().flatten().collect();
    rows.sort_by_key(|r| {
        (
            PROGRAMMES
                .iter()
                .position(|p| *p == r.programme)
                .unwrap_or(PROGRAMMES.len()),
            r.programme.clone(),
            r.outcome,
        )
    });
    Ok(rows)
}

/// One outcome's rows, one per programme of `programmes`.
fn one_outcome(
    r: &SmallResult,
    arm_rows: &ArmRows,
    outcome: Outcome,
    programmes: &[String],
    nulls: &BTreeMap<String, Null>,
) -> Result<Vec<OutcomeEffect>> {
    let mut rows = Vec::with_capacity(programmes.len());
    let (mut groups, mut comparison, _) = arm_strata(r, arm_rows, &OutcomeColumns::of(outcome))?;
    number_strata([&mut comparison], groups.values_mut());
    let mut effects = headline_effects(groups.iter().map(|(k, g)| (k.as_str(), g)), &comparison);
    for programme in programmes {
        let row = match groups.get(programme) {
            Some(group) => {
                let e = effects.remove(programme.as_str()).unwrap_or_default();
                let m = e.matching;
                let engaged_share = (m.matched > 0)
                    .then(|| group.engaged_matched(&comparison) as f64 / m.matched as f64);
                let bloom = |v: Option<f64>| per_engaged(v?, engaged_share?);
                let note = if group.eligible == 0 {
                    Some(beyond_the_data(outcome))
                } else if m.matched == 0 {
                    Some("no eligible participant has comparison people in their stratum".into())
                } else if e.att_low.is_none() {
                    Some("too few areas or people to put an interval on the effect".into())
                } else {
                    None
                };
                let e_values = match (
                    outcome.unit(),
                    m.comparison_rate,
                    m.att,
                    e.att_low,
                    e.att_high,
                ) {
                    (Unit::Proportion, Some(c), Some(att), Some(low), Some(high)) => {
                        att_e_values(c, att, low, high)
                    }
                    _ => None,
                };
                // Calibrated for the systematic error of the programme's
                // design: on the proportion scale the controls are on.
                let [calibrated_low, calibrated_high, calibrated_p] =
                    if outcome.unit() == Unit::Proportion {
                        calibrate(nulls.get(programme), m.att, e.se, e.df, e.critical)
                    } else {
                        [None; 3]
                    };
                OutcomeEffect {
                    att_calibrated_low: calibrated_low,
                    att_calibrated_high: calibrated_high,
                    att_calibrated_p: calibrated_p,
                    e_value: e_values.map(|v| v.0),
                    e_value_interval: e_values.map(|v| v.1),
                    eligible: group.eligible,
                    matched: m.matched,
                    unmatched: m.unmatched,
                    matched_total: m.matched_in_work,
                    matched_squares: m.matched_squares,
                    participant_mean: m.participant_rate,
                    comparison_mean: m.comparison_rate,
                    comparison_variance: m.comparison_variance,
                    att: m.att,
                    att_low: e.att_low,
                    att_high: e.att_high,
                    att_design_effect: m.att.map(|_| m.design_effect),
                    between_area_variance: e.between.tau2(),
                    between_area_df: e.between.area.map(|a| a.df),
                    att_area_variance: e.area_variance,
                    att_df: e.df,
                    att_p_value: e.p_value,
                    att_p_adjusted: None,
                    engaged_share,
                    att_engaged: bloom(m.att),
                    att_engaged_low: bloom(e.att_low),
                    att_engaged_high: bloom(e.att_high),
                    note,
                    ..empty(programme, outcome)
                }
            }
            None => empty(programme, outcome),
        };
        rows.push(row);
    }
    Ok(rows)
}

/// Why an outcome has no estimate when no participant is eligible for it.
fn beyond_the_data(outcome: Outcome) -> String {
    format!(
        "no participant's data reach {} months after referral yet",
        outcome.horizon_months()
    )
}

/// A row with no estimate (no eligible participant).
pub(crate) fn empty(programme: &str, outcome: Outcome) -> OutcomeEffect {
    OutcomeEffect {
        programme: programme.to_string(),
        outcome,
        role: Role::of(programme, outcome),
        unit: outcome.unit(),
        horizon_months: outcome.horizon_months().into(),
        eligible: 0,
        matched: 0,
        unmatched: 0,
        matched_total: 0,
        matched_squares: 0,
        participant_mean: None,
        comparison_mean: None,
        comparison_variance: None,
        att: None,
        att_low: None,
        att_high: None,
        att_design_effect: None,
        between_area_variance: None,
        between_area_df: None,
        att_area_variance: None,
        att_df: None,
        att_p_value: None,
        att_p_adjusted: None,
        att_calibrated_low: None,
        att_calibrated_high: None,
        att_calibrated_p: None,
        e_value: None,
        e_value_interval: None,
        engaged_share: None,
        att_engaged: None,
        att_engaged_low: None,
        att_engaged_high: None,
        note: Some(beyond_the_data(outcome)),
    }
}
