//! `site_outcomes`: each site's rate against its programme's funnel limits.

use super::{programme_order, query, rate};
use crate::effect::Effect;
use crate::error::Result;
use contract::formulas::att::site_minimum_detectable_effect;
use contract::formulas::funnel::{Z_95, Z_998, control_limits, funnel_flag};
use contract::outputs::{ProgrammeOutcome, SiteOutcome};
use contract::small::date32;
use datafusion::prelude::SessionContext;
use std::collections::BTreeMap;

/// The smallest effect a site of `n` eligible participants could show with
/// 80% power (`contract::formulas::att::site_minimum_detectable_effect`).
fn site_mde(effect: &Effect, n: u64) -> Option<f64> {
    let m = &effect.matching;
    site_minimum_detectable_effect(
        m.participant_rate?,
        n,
        m.comparison_variance?,
        effect.between.tau2?,
        effect.between.comparison_weight,
        effect.between.tau2_df,
    )
}

pub async fn site_outcomes(
    ctx: &SessionContext,
    programmes: &[ProgrammeOutcome],
    effects: &BTreeMap<String, Effect>,
) -> Result<Vec<SiteOutcome>> {
    let r = query(ctx, "site_counts").await?;
    let programme = r.strings("programme")?;
    let area_id = r.strings("area_id")?;
    let participants = r.counts("participants")?;
    let eligible = r.counts("eligible")?;
    let in_work = r.counts("in_work_6m")?;
    let area_name = r.strings("area_name")?;
    let start_date = r.dates("start_date")?;
    let target = |name: &str| {
        programmes
            .iter()
            .find(|p| p.programme == name)
            .and_then(|p| p.rate)
    };
    let mut rows: Vec<SiteOutcome> = (0..r.num_rows())
        .map(|i| {
            let name = programme[i].clone().unwrap_or_default();
            let [rate, rate_low, rate_high] = rate(in_work[i], eligible[i]);
            let p0 = target(&name);
            let limits95 = p0.and_then(|p0| control_limits(p0, eligible[i], Z_95));
            let limits998 = p0.and_then(|p0| control_limits(p0, eligible[i], Z_998));
            SiteOutcome {
                programme: name.clone(),
                area_id: area_id[i].clone().unwrap_or_default(),
                area_name: area_name[i].clone(),
                start_date: start_date[i].and_then(date32),
                participants: participants[i],
                eligible: eligible[i],
                in_work_6m: in_work[i],
                rate,
                rate_low,
                rate_high,
                target_rate: p0,
                limit95_low: limits95.map(|l| l.0),
                limit95_high: limits95.map(|l| l.1),
                limit998_low: limits998.map(|l| l.0),
                limit998_high: limits998.map(|l| l.1),
                funnel_flag: funnel_flag(rate, limits998),
                mde: effects
                    .get(&name)
                    .and_then(|e| site_mde(e, eligible[i]))
                    .filter(|_| eligible[i] > 0),
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        (programme_order(&a.programme), &a.area_id)
            .cmp(&(programme_order(&b.programme), &b.area_id))
    });
    Ok(rows)
}
