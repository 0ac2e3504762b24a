//! `programme_outcomes`: each programme's rate, matched comparison with its
//! areas' uncertainty, and what its funding bought.

use super::strata::{Comparison, Group, GroupKey, headline_effects};
use super::{programme_order, query, rate};
use crate::effect::Effect;
use crate::error::Result;
use contract::formulas::evalue::att_e_values;
use contract::formulas::multiplicity::holm;
use contract::outputs::ProgrammeOutcome;
use contract::vocabulary::{Dimension, Significance};
use datafusion::prelude::SessionContext;
use std::collections::BTreeMap;

/// Programme funding ÷ additional job outcomes (att × matched participants),
/// only where the effect is significantly above zero (its 95% interval lies
/// above zero).
pub fn cost_per_additional_outcome(
    funding_gbp: Option<i64>,
    att: Option<f64>,
    interval: (Option<f64>, Option<f64>),
    matched: u64,
) -> Option<f64> {
    let (funding, att) = (funding_gbp?, att?);
    (Significance::of(interval.0, interval.1) == Some(Significance::Above) && matched > 0)
        .then(|| funding as f64 / (att * matched as f64))
}

/// What the funding bought, with its uncertainty: the cost per additional
/// job outcome's interval (the ATT interval inverted, Fieller's solution with
/// the funding known: funding ÷ (att_high·m) to funding ÷ (att_low·m); only
/// the low end, "at least", where att_low ≤ 0 < att_high) and additional job
/// outcomes per £1m with its interval.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ValueForMoney {
    pub cost_low: Option<f64>,
    pub cost_high: Option<f64>,
    pub jobs_per_million: Option<f64>,
    pub jobs_per_million_low: Option<f64>,
    pub jobs_per_million_high: Option<f64>,
}

pub fn value_for_money(
    funding_gbp: Option<i64>,
    att: Option<f64>,
    (low, high): (Option<f64>, Option<f64>),
    matched: u64,
) -> ValueForMoney {
    let Some(funding) = funding_gbp.filter(|f| *f > 0).map(|f| f as f64) else {
        return ValueForMoney::default();
    };
    let m = matched as f64;
    let per_million = |a: Option<f64>| a.map(|a| a * m / funding * 1e6);
    let cost = |a: Option<f64>| a.filter(|a| *a > 0.0).map(|a| funding / (a * m));
    let positive_low = low.is_some_and(|l| l > 0.0);
    ValueForMoney {
        cost_low: cost(high),
        cost_high: if positive_low { cost(low) } else { None },
        jobs_per_million: per_million(att),
        jobs_per_million_low: per_million(low),
        jobs_per_million_high: per_million(high),
    }
}

pub async fn programme_outcomes(
    ctx: &SessionContext,
    groups: &BTreeMap<GroupKey, Group>,
    comparison: &Comparison,
    placebo: &(BTreeMap<String, Group>, Comparison),
    balance: &BTreeMap<String, super::balance::Overall>,
) -> Result<(Vec<ProgrammeOutcome>, BTreeMap<String, Effect>)> {
    let r = query(ctx, "programme_counts").await?;
    let programme = r.strings("programme")?;
    let referrals = r.counts("referrals")?;
    let participants = r.counts("participants")?;
    let eligible = r.counts("eligible")?;
    let in_work = r.counts("in_work_6m")?;
    let funding = r.ints("funding_gbp")?;
    let mut effects = BTreeMap::new();
    let headline_group =
        |name: &str| groups.get(&(programme_order(name), Dimension::All, "all".to_string()));
    // In contract order: the engine returns rows in no fixed order, and a
    // pooled τ̂² (strata::headline_effects) must sum them in one.
    let mut names: Vec<String> = programme
        .iter()
        .map(|p| p.clone().unwrap_or_default())
        .collect();
    names.sort_by_key(|name| programme_order(name));
    let mut headline = headline_effects(
        names
            .iter()
            .filter_map(|name| Some((name.clone(), headline_group(name)?))),
        comparison,
    );
    let mut placebo_effects =
        headline_effects(placebo.0.iter().map(|(k, g)| (k.clone(), g)), &placebo.1);
    let mut rows: Vec<ProgrammeOutcome> = (0..r.num_rows())
        .map(|i| {
            let name = programme[i].clone().unwrap_or_default();
            let group = headline_group(&name);
            let e = headline.remove(&name).unwrap_or_default();
            let m = e.matching;
            let engaged_share = group
                .filter(|_| m.matched > 0)
                .map(|g| g.engaged_matched(comparison) as f64 / m.matched as f64);
            let bloom = |v: Option<f64>| Some(v? / engaged_share.filter(|s| *s > 0.0)?);
            let overall = balance.get(&name).copied().unwrap_or_default();
            let [rate, rate_low, rate_high] = rate(in_work[i], eligible[i]);
            let interval = (e.att_low, e.att_high);
            let money = value_for_money(funding[i], m.att, interval, m.matched);
            let pe = placebo_effects.remove(&name).unwrap_or_default();
            let e_values = match (m.comparison_rate, m.att, e.att_low, e.att_high) {
                (Some(c), Some(att), Some(low), Some(high)) => att_e_values(c, att, low, high),
                _ => None,
            };
            let row = ProgrammeOutcome {
                cost_per_additional_outcome: cost_per_additional_outcome(
                    funding[i], m.att, interval, m.matched,
                ),
                programme: name.clone(),
                referrals: referrals[i],
                participants: participants[i],
                eligible: eligible[i],
                in_work_6m: in_work[i],
                rate,
                rate_low,
                rate_high,
                matched: m.matched,
                matched_in_work: m.matched_in_work,
                unmatched: m.unmatched,
                strata_matched: m.strata_matched,
                strata_dropped: m.strata_dropped,
                comparison_rate: m.comparison_rate,
                comparison_variance: m.comparison_variance,
                att: m.att,
                att_low: e.att_low,
                att_high: e.att_high,
                att_se_within: e.att_se_within,
                between_area_variance: e.between.tau2,
                between_area_df: e.between.tau2.map(|_| e.between.tau2_df),
                comparison_area_weight: e.between.tau2.map(|_| e.between.comparison_weight),
                att_area_variance: e.area_variance,
                att_df: e.df,
                att_critical: e.critical,
                areas: e.between.treated_areas as u64,
                comparison_areas: e.between.comparison_areas as u64,
                randomisation_p: e.randomisation_p,
                att_p_value: e.p_value,
                att_p_adjusted: None,
                mde: e.mde,
                e_value: e_values.map(|v| v.0),
                e_value_interval: e_values.map(|v| v.1),
                placebo_matched: pe.matching.matched,
                placebo_matched_in_work: pe.matching.matched_in_work,
                placebo_comparison_rate: pe.matching.comparison_rate,
                placebo_comparison_variance: pe.matching.comparison_variance,
                placebo_att: pe.matching.att,
                placebo_att_low: pe.att_low,
                placebo_att_high: pe.att_high,
                placebo_att_area_variance: pe.area_variance,
                placebo_between_area_df: pe.between.tau2.map(|_| pe.between.tau2_df),
                engaged_share,
                att_engaged: bloom(m.att),
                att_engaged_low: bloom(e.att_low),
                att_engaged_high: bloom(e.att_high),
                balance_l1_before: overall.l1_before,
                balance_l1: overall.l1,
                imbalanced_covariates: overall.imbalanced,
                funding_gbp: funding[i],
                cost_low: money.cost_low,
                cost_high: money.cost_high,
                jobs_per_million: money.jobs_per_million,
                jobs_per_million_low: money.jobs_per_million_low,
                jobs_per_million_high: money.jobs_per_million_high,
            };
            effects.insert(name, e);
            row
        })
        .collect();
    rows.sort_by_key(|row| programme_order(&row.programme));
    // Holm across the headline effects.
    let adjusted = holm(&rows.iter().map(|r| r.att_p_value).collect::<Vec<_>>());
    for (row, p) in rows.iter_mut().zip(adjusted) {
        row.att_p_adjusted = p;
    }
    Ok((rows, effects))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_only_where_the_effect_is_significantly_positive() {
        let (significant, spans_zero) = ((Some(0.01), Some(0.09)), (Some(-0.01), Some(0.09)));
        // £1,000,000 / (0.05 × 1000 = 50 additional outcomes) = £20,000 each.
        assert_eq!(
            cost_per_additional_outcome(Some(1_000_000), Some(0.05), significant, 1000),
            Some(20_000.0)
        );
        assert_eq!(
            cost_per_additional_outcome(Some(1_000_000), Some(0.05), spans_zero, 1000),
            None
        );
        assert_eq!(
            cost_per_additional_outcome(None, Some(0.05), significant, 1000),
            None
        );
    }

    /// £1m, 1000 matched, ATT 0.05 (0.01 to 0.09): £20,000 per outcome,
    /// between £1m/90 = £11,111 and £1m/10 = £100,000; 50 outcomes per £1m
    /// (10 to 90). Spanning zero, only "at least £11,111".
    #[test]
    fn the_cost_interval_inverts_the_effect_interval() {
        let v = value_for_money(Some(1_000_000), Some(0.05), (Some(0.01), Some(0.09)), 1000);
        assert!((v.cost_low.unwrap() - 11_111.111).abs() < 1e-2);
        assert!((v.cost_high.unwrap() - 100_000.0).abs() < 1e-6);
        assert!((v.jobs_per_million.unwrap() - 50.0).abs() < 1e-9);
        assert!((v.jobs_per_million_low.unwrap() - 10.0).abs() < 1e-9);
        let v = value_for_money(Some(1_000_000), Some(0.05), (Some(-0.01), Some(0.09)), 1000);
        assert!(v.cost_low.is_some() && v.cost_high.is_none());
        assert!((v.jobs_per_million_low.unwrap() + 10.0).abs() < 1e-9);
        let v = value_for_money(
            Some(1_000_000),
            Some(-0.05),
            (Some(-0.09), Some(-0.01)),
            1000,
        );
        assert_eq!((v.cost_low, v.cost_high), (None, None));
    }
}
