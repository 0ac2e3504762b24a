//! `negative_controls`: each programme's negative controls estimated
//! exactly as its headline (from `sql/negative_control_strata.sql`), and the
//! systematic error distribution fitted to them
//! (`stats::formulas::calibration`), with which every yes/no effect is
//! calibrated.

use super::parallel::each_in_parallel;
use super::query;
use super::strata::{
    ArmRows, OutcomeColumns, StratumKey, arm_strata, headline_effects, number_strata,
};
use crate::error::Result;
use contract::outcomes::NegativeControl;
use contract::outputs::NegativeControlEffect;
use datafusion::prelude::SessionContext;
use stats::estimators::control_correlation::{
    MatchedCell, jackknife_correlations, with_correlated_controls,
};
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
        let cells: BTreeMap<String, ControlCells> = programmes
            .iter()
            .filter_map(|programme| {
                let g = groups.get(programme)?;
                let cells = ControlCells {
                    comparison: g.pooled_cells(&comparison),
                    own_area: g.own_area_cells(&own_area),
                };
                Some((programme.clone(), cells))
            })
            .collect();
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
        Ok((rows, cells))
    })?;
    // Each programme's matched cells per control, in control order.
    let mut cells: BTreeMap<String, Vec<ControlCells>> = BTreeMap::new();
    let mut rows: Vec<(NegativeControlEffect, Option<f64>)> = Vec::new();
    for (control_rows, mut control_cells) in per_control {
        rows.extend(control_rows);
        for programme in programmes {
            let c = control_cells.remove(programme).unwrap_or_default();
            cells.entry(programme.clone()).or_default().push(c);
        }
    }
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
        let programme_cells = cells.get(programme).map(Vec::as_slice).unwrap_or_default();
        let r_b = jackknife_correlations(
            &programme_cells
                .iter()
                .map(|c| &c.comparison)
                .collect::<Vec<_>>(),
        );
        let r_o = jackknife_correlations(
            &programme_cells
                .iter()
                .map(|c| &c.own_area)
                .collect::<Vec<_>>(),
        );
        if let Some(null) = correlated_null(&b, &r_b) {
            nulls.comparison.insert(programme.clone(), null);
        }
        if let Some(null) = correlated_null(&o, &r_o) {
            nulls.own_area.insert(programme.clone(), null);
        }
        let mine = rows.iter_mut().filter(|(r, _)| &r.programme == programme);
        for (i, (row, critical)) in mine.enumerate() {
            [row.att_calibrated_low, row.att_calibrated_high] =
                leave_one_out(&b, &r_b, i, *critical);
            [
                row.own_area_att_calibrated_low,
                row.own_area_att_calibrated_high,
            ] = leave_one_out(&o, &r_o, i, Some(Z_ATT));
        }
    }
    Ok((rows.into_iter().map(|(r, _)| r).collect(), nulls))
}

/// One programme's matched cells for one control, in both designs.
#[derive(Default)]
struct ControlCells {
    comparison: BTreeMap<StratumKey, MatchedCell>,
    own_area: BTreeMap<(String, StratumKey), MatchedCell>,
}

/// The null fitted to the controls with an estimate (`estimates`, one per
/// control, `None` where a control has none), with the standard error of
/// its mean over the controls' `correlations`
/// (`stats::estimators::control_correlation`).
fn correlated_null(estimates: &[Option<(f64, f64)>], correlations: &[Vec<f64>]) -> Option<Null> {
    let null = fit_null(&estimates.iter().flatten().copied().collect::<Vec<_>>())?;
    Some(with_correlated_controls(null, estimates, correlations))
}

/// Control `i`'s interval calibrated under the null fitted to the other
/// controls of its programme and design (`estimates`, one per control, in
/// control order, with their `correlations`), so that whether it holds
/// zero is a fair test of the calibration: the control does not calibrate
/// itself. Needs at least two other controls.
fn leave_one_out(
    estimates: &[Option<(f64, f64)>],
    correlations: &[Vec<f64>],
    i: usize,
    critical: Option<f64>,
) -> [Option<f64>; 2] {
    let (Some(Some((b, s))), Some(critical)) = (estimates.get(i), critical) else {
        return [None; 2];
    };
    let mut others = estimates.to_vec();
    others[i] = None;
    if others.iter().flatten().count() < 2 {
        return [None; 2];
    }
    // Only the interval: the degrees of freedom matter to the p-value alone.
    let [low, high, _] = calibrate(
        correlated_null(&others, correlations).as_ref(),
        Some(*b),
        Some(*s),
        Some(f64::INFINITY),
        Some(critical),
    );
    [low, high]
}

/// An effect `att` (standard error `se`, `df` degrees of freedom and
/// critical value `critical`, as its own interval) calibrated under `null`
/// with its own uncertainty (`Null::with_its_uncertainty`): (low, high, p). Student's t on the effect's own degrees of freedom
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
