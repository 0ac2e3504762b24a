//! `negative_controls`: each programme's negative controls estimated
//! exactly as its headline (from `sql/negative_control_strata.sql`), and the
//! systematic error distribution fitted to them
//! (`stats::formulas::calibration`), with which every yes/no effect is
//! calibrated.

use super::parallel::each_in_parallel;
use super::query;
use super::strata::{ArmRows, OutcomeColumns, arm_strata, headline_effects, number_strata};
use crate::error::Result;
use contract::outcomes::NegativeControl;
use contract::outputs::NegativeControlEffect;
use datafusion::prelude::SessionContext;
use stats::estimators::matching::OutcomeKind;
use stats::formulas::att::Z_ATT;
use stats::formulas::calibration::{Null, calibrated_interval, calibrated_p_t, fit_null};
use std::collections::BTreeMap;

/// Each programme's systematic error under both designs: the
/// comparison-area design's (the headline ATT's) and the own-area design's,
/// each fitted to the controls that design could estimate.
#[derive(Debug, Default)]
pub struct Nulls {
    pub comparison: BTreeMap<String, Null>,
    pub own_area: BTreeMap<String, Null>,
}

/// The negative controls' rows (programmes in `programmes`' order, controls
/// in `NegativeControl::ALL` order), each estimated by both designs, and
/// each programme's nulls.
pub async fn negative_controls(
    ctx: &SessionContext,
    programmes: &[String],
) -> Result<(Vec<NegativeControlEffect>, Nulls)> {
    let view = "negative_control_strata";
    let r = query(ctx, view).await?;
    let arm_rows = ArmRows::read(&r, view)?;
    // One control's rows per call, the controls over one thread per core.
    let per_control = each_in_parallel(NegativeControl::ALL.len(), |i| {
        let control = NegativeControl::ALL[i];
        let columns = OutcomeColumns {
            eligible: control.column("eligible"),
            total: control.column("total"),
            squares: None,
            engaged: None,
            kind: OutcomeKind::Proportion,
        };
        let (mut groups, mut comparison, mut own_area) = arm_strata(&r, &arm_rows, &columns)?;
        number_strata([&mut comparison, &mut own_area], groups.values_mut());
        let mut effects =
            headline_effects(groups.iter().map(|(k, g)| (k.as_str(), g)), &comparison);
        let rows: Vec<(NegativeControlEffect, Option<f64>)> = programmes
            .iter()
            .map(|programme| {
                let e = effects.remove(programme.as_str()).unwrap_or_default();
                let m = e.matching;
                let own = groups
                    .get(programme)
                    .map(|g| g.own_area_match(&own_area))
                    .unwrap_or_default();
                let row = NegativeControlEffect {
                    programme: programme.clone(),
                    control,
                    months_before: control.months_before().into(),
                    eligible: groups.get(programme).map_or(0, |g| g.eligible),
                    matched: m.matched,
                    participant_rate: m.participant_rate,
                    comparison_rate: m.comparison_rate,
                    att: m.att,
                    att_se: e.se,
                    att_low: e.att_low,
                    att_high: e.att_high,
                    att_df: e.df,
                    att_p_value: e.p_value,
                    att_calibrated_low: None,
                    att_calibrated_high: None,
                    own_area_matched: own.matched,
                    own_area_comparison_rate: own.comparison_rate,
                    own_area_att: own.att,
                    own_area_att_se: own.att_se,
                    own_area_att_low: own.att_low,
                    own_area_att_high: own.att_high,
                    own_area_att_p_value: own.att_p_value,
                    own_area_att_calibrated_low: None,
                    own_area_att_calibrated_high: None,
                };
                (row, e.critical)
            })
            .collect();
        Ok(rows)
    })?;
    let mut rows: Vec<(NegativeControlEffect, Option<f64>)> =
        per_control.into_iter().flatten().collect();
    rows.sort_by_key(|(r, _)| (programmes.iter().position(|p| *p == r.programme), r.control));
    let comparison = |r: &NegativeControlEffect| Some((r.att?, r.att_se?));
    let own_area = |r: &NegativeControlEffect| Some((r.own_area_att?, r.own_area_att_se?));
    let mut nulls = Nulls::default();
    for programme in programmes {
        let of = |estimate: &dyn Fn(&NegativeControlEffect) -> Option<(f64, f64)>| {
            rows.iter()
                .filter(|(r, _)| &r.programme == programme)
                .map(|(r, _)| estimate(r))
                .collect::<Vec<_>>()
        };
        let (b, o) = (of(&comparison), of(&own_area));
        if let Some(null) = fit_null(&b.iter().flatten().copied().collect::<Vec<_>>()) {
            nulls.comparison.insert(programme.clone(), null);
        }
        if let Some(null) = fit_null(&o.iter().flatten().copied().collect::<Vec<_>>()) {
            nulls.own_area.insert(programme.clone(), null);
        }
        let mine = rows.iter_mut().filter(|(r, _)| &r.programme == programme);
        for (i, (row, critical)) in mine.enumerate() {
            [row.att_calibrated_low, row.att_calibrated_high] = leave_one_out(&b, i, *critical);
            [
                row.own_area_att_calibrated_low,
                row.own_area_att_calibrated_high,
            ] = leave_one_out(&o, i, Some(Z_ATT));
        }
    }
    Ok((rows.into_iter().map(|(r, _)| r).collect(), nulls))
}

/// Control `i`'s interval calibrated under the null fitted to the other
/// controls of its programme and design (`estimates`, one per control, in
/// control order), so that whether it holds zero is a fair test of the
/// calibration: the control does not calibrate itself. Needs at least two
/// other controls.
fn leave_one_out(
    estimates: &[Option<(f64, f64)>],
    i: usize,
    critical: Option<f64>,
) -> [Option<f64>; 2] {
    let (Some(Some((b, s))), Some(critical)) = (estimates.get(i), critical) else {
        return [None; 2];
    };
    let others: Vec<(f64, f64)> = estimates
        .iter()
        .enumerate()
        .filter(|&(j, _)| j != i)
        .filter_map(|(_, e)| *e)
        .collect();
    if others.len() < 2 {
        return [None; 2];
    }
    match fit_null(&others) {
        Some(null) => {
            let (low, high) = calibrated_interval(&null.with_its_uncertainty(), *b, *s, critical);
            [Some(low), Some(high)]
        }
        None => [None; 2],
    }
}

/// An effect `att` (standard error `se`, `df` degrees of freedom and
/// critical value `critical`, as its own interval) calibrated under `null`:
/// (low, high, p). Student's t on the effect's own degrees of freedom
/// takes the normal's place in the package's formulas
/// (`calibrated_p_t`).
pub fn calibrate(
    null: Option<&Null>,
    att: Option<f64>,
    se: Option<f64>,
    df: Option<f64>,
    critical: Option<f64>,
) -> [Option<f64>; 3] {
    let (Some(null), Some(b), Some(s), Some(df), Some(t)) = (null, att, se, df, critical) else {
        return [None; 3];
    };
    let null = &null.with_its_uncertainty();
    let (low, high) = calibrated_interval(null, b, s, t);
    [Some(low), Some(high), calibrated_p_t(null, b, s, df)]
}
