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
use stats::formulas::calibration::{Null, calibrated_interval, calibrated_p_t, fit_null};
use std::collections::BTreeMap;

/// The negative controls' rows (programmes in `programmes`' order, controls
/// in `NegativeControl::ALL` order) and each programme's null, fitted to
/// the controls it could estimate.
pub async fn negative_controls(
    ctx: &SessionContext,
    programmes: &[String],
) -> Result<(Vec<NegativeControlEffect>, BTreeMap<String, Null>)> {
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
        let (mut groups, mut comparison) = arm_strata(&r, &arm_rows, &columns)?;
        number_strata([&mut comparison], groups.values_mut());
        let mut effects =
            headline_effects(groups.iter().map(|(k, g)| (k.as_str(), g)), &comparison);
        let rows: Vec<NegativeControlEffect> = programmes
            .iter()
            .map(|programme| {
                let e = effects.remove(programme.as_str()).unwrap_or_default();
                let m = e.matching;
                NegativeControlEffect {
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
                }
            })
            .collect();
        Ok(rows)
    })?;
    let mut rows: Vec<NegativeControlEffect> = per_control.into_iter().flatten().collect();
    rows.sort_by_key(|r| (programmes.iter().position(|p| *p == r.programme), r.control));
    let mut nulls = BTreeMap::new();
    for programme in programmes {
        let estimates: Vec<(f64, f64)> = rows
            .iter()
            .filter(|r| &r.programme == programme)
            .filter_map(|r| Some((r.att?, r.att_se?)))
            .collect();
        if let Some(null) = fit_null(&estimates) {
            nulls.insert(programme.clone(), null);
        }
    }
    Ok((rows, nulls))
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
    let (low, high) = calibrated_interval(null, b, s, t);
    [Some(low), Some(high), calibrated_p_t(null, b, s, df)]
}
