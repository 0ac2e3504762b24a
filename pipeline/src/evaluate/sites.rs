//! `site_outcomes`, `site_funnels` and `site_quarters`: each site's rate
//! against its programme's funnel limits (the contract's, unadjusted), its
//! case-mix adjusted rate and own effect on funnels with overdispersion
//! (`site_funnels.rs`), the spine chart's other indicators, and its trend by
//! quarter of referral.

use super::site_funnels::site_funnels;
use super::strata::{Comparison, Group, GroupKey};
use super::{programme_order, query, rate};
use crate::error::Result;
use contract::outputs::{ProgrammeOutcome, SiteFunnel, SiteOutcome, SiteQuarter};
use contract::small::date32;
use contract::vocabulary::{Dimension, Trend};
use datafusion::prelude::SessionContext;
use stats::estimators::effect::Effect;
use stats::formulas::att::site_minimum_detectable_effect;
use stats::formulas::funnel::{Z_95, Z_998, control_limits, funnel_flag};
use stats::formulas::trend::{consecutive_quarters, trend};
use std::collections::BTreeMap;

/// The smallest effect a site of `n` eligible participants could show with
/// 80% power (`stats::formulas::att::site_minimum_detectable_effect`).
fn site_mde(effect: &Effect, n: u64) -> Option<f64> {
    let m = &effect.matching;
    site_minimum_detectable_effect(
        m.participant_rate?,
        n,
        m.comparison_variance?,
        effect.between.tau2()?,
        effect.between.comparison_weight,
        effect.between.area?.df,
    )
}

pub struct Sites {
    pub outcomes: Vec<SiteOutcome>,
    pub funnels: Vec<SiteFunnel>,
    pub quarters: Vec<SiteQuarter>,
}

pub async fn site_outcomes(
    ctx: &SessionContext,
    programmes: &[ProgrammeOutcome],
    effects: &BTreeMap<String, Effect>,
    groups: &BTreeMap<GroupKey, Group>,
    comparison: &Comparison,
) -> Result<Sites> {
    let r = query(ctx, "site_counts").await?;
    let programme = r.strings("programme")?;
    let area_id = r.strings("area_id")?;
    let participants = r.counts("participants")?;
    let eligible = r.counts("eligible")?;
    let in_work = r.counts("in_work_6m")?;
    let eligible_3m = r.counts("eligible_3m")?;
    let in_work_3m = r.counts("in_work_3m")?;
    let eligible_12m = r.counts("eligible_12m")?;
    let in_work_12m = r.counts("in_work_12m")?;
    let engaged = r.counts("engaged")?;
    let fit_notes = r.counts("fit_notes")?;
    let may_be_fit = r.counts("may_be_fit")?;
    let area_name = r.strings("area_name")?;
    let start_date = r.dates("start_date")?;
    let target = |name: &str| {
        programmes
            .iter()
            .find(|p| p.programme == name)
            .and_then(|p| p.rate)
    };
    let quarters = site_quarters(ctx).await?;
    let mut rows: Vec<SiteOutcome> = (0..r.num_rows())
        .map(|i| {
            let name = programme[i].clone().unwrap_or_default();
            let area = area_id[i].clone().unwrap_or_default();
            let [rate, rate_low, rate_high] = rate(in_work[i], eligible[i]);
            let p0 = target(&name);
            let limits95 = p0.and_then(|p0| control_limits(p0, eligible[i], Z_95));
            let limits998 = p0.and_then(|p0| control_limits(p0, eligible[i], Z_998));
            let periods = quarterly(&quarters, &name, &area);
            SiteOutcome {
                programme: name.clone(),
                area_id: area,
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
                eligible_3m: eligible_3m[i],
                in_work_3m: in_work_3m[i],
                eligible_12m: eligible_12m[i],
                in_work_12m: in_work_12m[i],
                engaged: engaged[i],
                fit_notes: fit_notes[i],
                may_be_fit: may_be_fit[i],
                trend: if periods.is_empty() {
                    Trend::NotEnoughPoints
                } else {
                    trend(&periods)
                },
                ..SiteOutcome::empty(&name, "")
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        (programme_order(&a.programme), &a.area_id)
            .cmp(&(programme_order(&b.programme), &b.area_id))
    });
    let mut names: Vec<&ProgrammeOutcome> = programmes.iter().collect();
    names.sort_by_key(|p| programme_order(&p.programme));
    let with_groups: Vec<(String, &Group, Option<f64>)> = names
        .iter()
        .filter_map(|p| {
            let group = groups.get(&(
                programme_order(&p.programme),
                Dimension::All,
                "all".to_string(),
            ))?;
            Some((p.programme.clone(), group, p.effect.att))
        })
        .collect();
    let funnels = site_funnels(&mut rows, &with_groups, comparison);
    Ok(Sites {
        outcomes: rows,
        funnels,
        quarters,
    })
}

/// One site's quarters in time order as (eligible, in work), a quarter
/// between its first and last without eligible participants as (0, 0).
fn quarterly(quarters: &[SiteQuarter], programme: &str, area: &str) -> Vec<Option<(u64, u64)>> {
    let counted: Vec<_> = quarters
        .iter()
        .filter(|q| q.programme == programme && q.area_id == area)
        .map(|q| (q.quarter, Some((q.eligible, q.in_work_6m))))
        .collect();
    consecutive_quarters(&counted)
}

async fn site_quarters(ctx: &SessionContext) -> Result<Vec<SiteQuarter>> {
    let r = query(ctx, "site_quarters").await?;
    let programme = r.strings("programme")?;
    let area_id = r.strings("area_id")?;
    let quarter = r.dates("quarter")?;
    let eligible = r.counts("eligible")?;
    let in_work = r.counts("in_work_6m")?;
    let mut rows: Vec<SiteQuarter> = (0..r.num_rows())
        .filter_map(|i| {
            let [rate, rate_low, rate_high] = rate(in_work[i], eligible[i]);
            Some(SiteQuarter {
                programme: programme[i].clone().unwrap_or_default(),
                area_id: area_id[i].clone().unwrap_or_default(),
                quarter: quarter[i].and_then(date32)?,
                eligible: eligible[i],
                in_work_6m: in_work[i],
                rate,
                rate_low,
                rate_high,
            })
        })
        .collect();
    rows.sort_by(|a, b| {
        (programme_order(&a.programme), &a.area_id, a.quarter).cmp(&(
            programme_order(&b.programme),
            &b.area_id,
            b.quarter,
        ))
    });
    Ok(rows)
}
