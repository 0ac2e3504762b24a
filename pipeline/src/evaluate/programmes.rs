//! `programme_outcomes`: each programme's rate, matched comparison with its
//! areas' uncertainty, and what its funding bought.

use super::negative_controls::{Nulls, calibrate};
use super::strata::{Comparison, Group, GroupKey, headline_effects};
use super::{programme_order, query, rate};
use crate::error::Result;
use contract::outcomes::{Outcome, Role};
use contract::outputs::{Balance, OutcomeEffect, ProgrammeOutcome};
use contract::vocabulary::Dimension;
use datafusion::prelude::SessionContext;
use stats::estimators::effect::Effect;
use stats::estimators::matching::MatchedComparison;
use stats::formulas::att::{AttParts, Z_ATT, minimum_detectable_effect};
use stats::formulas::calibration::expected_absolute_systematic_error;
use stats::formulas::diagnostics::{DiagnosticInputs, failures};
use stats::formulas::evalue::att_e_values;
use stats::formulas::multiplicity::holm;
use stats::formulas::value::{
    CostClaim, CostInterval, cost_claim, cost_interval, outcomes_per_million, per_engaged,
};
use std::collections::BTreeMap;

/// What the funding bought, with its uncertainty (`stats::formulas::value`):
/// the cost per additional job outcome, only where the effect is
/// significantly above zero, and its interval (only the low end, "at
/// least", where att_low ≤ 0 < att_high); additional job outcomes per £1m
/// with its interval.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ValueForMoney {
    pub cost: Option<f64>,
    pub cost_low: Option<f64>,
    pub cost_high: Option<f64>,
    pub jobs_per_million: Option<f64>,
    pub jobs_per_million_low: Option<f64>,
    pub jobs_per_million_high: Option<f64>,
}

/// What `funding_gbp` bought for `people` participants at effect `att`
/// (with its interval).
pub fn value_for_money(
    funding_gbp: Option<i64>,
    att: Option<f64>,
    (low, high): (Option<f64>, Option<f64>),
    people: u64,
) -> ValueForMoney {
    let Some(funding) = funding_gbp.map(|f| f as f64) else {
        return ValueForMoney::default();
    };
    let per_million = |a: Option<f64>| outcomes_per_million(funding, a?, people);
    let cost = match (att, low, high) {
        (Some(att), Some(low), Some(high)) => cost_interval(funding, att, low, high, people),
        _ => CostInterval::default(),
    };
    ValueForMoney {
        cost: cost.cost,
        cost_low: cost.low,
        cost_high: cost.high,
        jobs_per_million: per_million(att),
        jobs_per_million_low: per_million(low),
        jobs_per_million_high: per_million(high),
    }
}

pub async fn programme_outcomes(
    ctx: &SessionContext,
    groups: &BTreeMap<GroupKey, Group>,
    comparison: &Comparison,
    own_area: &Comparison,
    placebo: &(BTreeMap<String, Group>, Comparison),
    balance: &BTreeMap<String, super::balance::Overall>,
) -> Result<(Vec<ProgrammeOutcome>, BTreeMap<String, Effect>)> {
    let r = query(ctx, "programme_counts").await?;
    let programme = r.strings("programme")?;
    let referrals = r.counts("referrals")?;
    let participants = r.counts("participants")?;
    let eligible = r.counts("eligible")?;
    let in_work = r.counts("in_work_6m")?;
    let co_enrolled = r.counts("co_enrolled")?;
    let exposed = r.counts("exposed_to_another")?;
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
            let bloom = |v: Option<f64>| per_engaged(v?, engaged_share?);
            let overall = balance.get(&name).copied().unwrap_or_default();
            let [rate, rate_low, rate_high] = rate(in_work[i], eligible[i]);
            let interval = (e.att_low, e.att_high);
            // Every participant, not only the matched ones (a subset that
            // grows as follow-up accrues): the effect is taken to hold for
            // them all. The earlier, matched-only cost is kept beside it.
            let money = value_for_money(funding[i], m.att, interval, participants[i]);
            let per_matched = value_for_money(funding[i], m.att, interval, m.matched).cost;
            let pe = placebo_effects.remove(&name).unwrap_or_default();
            let own = group
                .map(|g| g.own_area_match(own_area))
                .unwrap_or_default();
            let e_values = match (m.comparison_rate, m.att, e.att_low, e.att_high) {
                (Some(c), Some(att), Some(low), Some(high)) => att_e_values(c, att, low, high),
                _ => None,
            };
            let row = ProgrammeOutcome {
                cost_per_additional_outcome: money.cost,
                programme: name.clone(),
                referrals: referrals[i],
                participants: participants[i],
                eligible: eligible[i],
                in_work_6m: in_work[i],
                co_enrolled: co_enrolled[i],
                exposed_to_another: exposed[i],
                rate,
                rate_low,
                rate_high,
                effect: super::matched_effect(&e),
                strata_matched: m.strata_matched,
                strata_dropped: m.strata_dropped,
                between_area_variance: e.between.tau2(),
                between_area_moment: e.between.area.map(|a| a.moment),
                between_area_moment_se: e.between.area.map(|a| a.moment_se),
                between_area_df: e.between.area.map(|a| a.df),
                comparison_area_weight: e.between.area.map(|_| e.between.comparison_weight),
                areas: e.between.treated_areas as u64,
                comparison_areas: e.between.comparison_areas as u64,
                randomisation_p: e.randomisation_p,
                att_p_adjusted: None,
                mde: e.mde,
                e_value: e_values.map(|v| v.0),
                e_value_interval: e_values.map(|v| v.1),
                own_area_matched: own.matched,
                own_area_matched_in_work: own.matched_in_work,
                own_area_unmatched: own.unmatched,
                own_area_comparison_rate: own.comparison_rate,
                own_area_comparison_variance: own.comparison_variance,
                own_area_att: own.att,
                own_area_att_low: own.att_low,
                own_area_att_high: own.att_high,
                own_area_att_p_value: own.att_p_value,
                own_area_design_effect: own.att.map(|_| own.design_effect),
                own_area_att_se: own.att_se,
                own_area_mde: own_area_mde(&own),
                placebo_matched: pe.matching.matched,
                placebo_matched_in_work: pe.matching.matched_in_work,
                placebo_comparison_rate: pe.matching.comparison_rate,
                placebo_comparison_variance: pe.matching.comparison_variance,
                placebo_att: pe.matching.att,
                placebo_att_low: pe.att_low,
                placebo_att_high: pe.att_high,
                placebo_att_area_variance: pe.area_variance,
                placebo_between_area_df: pe.between.area.map(|a| a.df),
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
                cost_per_matched_outcome: per_matched,
                jobs_per_million: money.jobs_per_million,
                jobs_per_million_low: money.jobs_per_million_low,
                jobs_per_million_high: money.jobs_per_million_high,
                // Filled by `calibrate_and_diagnose` once the negative
                // controls are estimated.
                ..ProgrammeOutcome::empty(&name)
            };
            effects.insert(name, e);
            row
        })
        .collect();
    rows.sort_by_key(|row| programme_order(&row.programme));
    Ok((rows, effects))
}

/// Holm's adjustment across the programmes' declared headlines (one per
/// programme, `contract/reference/headline_outcomes.csv`), in programme
/// order: each headline row of `outcome_effects` gets its adjusted p-value,
/// and so does `programme_outcomes` where in work at 6 months is the
/// headline. The cost per additional job outcome stands only where in work
/// at 6 months is the headline and significant after adjustment; otherwise
/// only its "at least" end, where the effect's upper limit is above zero
/// and in work is the headline.
pub fn adjust_headlines(programmes: &mut [ProgrammeOutcome], outcomes: &mut [OutcomeEffect]) {
    let mut headlines: Vec<usize> = (0..outcomes.len())
        .filter(|&i| outcomes[i].role == Role::Headline)
        .collect();
    headlines.sort_by_key(|&i| programme_order(&outcomes[i].programme));
    let p: Vec<Option<f64>> = headlines.iter().map(|&i| outcomes[i].att_p_value).collect();
    for (&i, adjusted) in headlines.iter().zip(holm(&p)) {
        outcomes[i].att_p_adjusted = adjusted;
    }
    for row in programmes {
        let headline = outcomes
            .iter()
            .find(|o| o.programme == row.programme && o.role == Role::Headline);
        let in_work_headline = headline.is_some_and(|o| o.outcome == Outcome::InWork6m);
        row.att_p_adjusted = headline
            .filter(|_| in_work_headline)
            .and_then(|o| o.att_p_adjusted);
        match cost_claim(in_work_headline, row.att_p_adjusted) {
            CostClaim::Cost => {}
            CostClaim::AtLeast => (row.cost_per_additional_outcome, row.cost_high) = (None, None),
            CostClaim::Nothing => {
                (row.cost_per_additional_outcome, row.cost_low, row.cost_high) = (None, None, None)
            }
        }
    }
}

/// The covariates balance is judged on for the diagnostics: those matching
/// should balance without matching on them. Region is left out (comparison
/// areas lie outside programme areas by design; the labour-market band
/// stands in for it) and so are fit notes in the year before (comparison
/// index events start a new spell, so they have none in the 90 days before
/// by construction).
const BALANCE_CHECKED: [&str; 3] = ["imd_decile", "months_employed_before", "earnings_before"];

/// The own-area design's minimum detectable effect: its own parts (no
/// area part, its design effect), at its matched participants' rate.
fn own_area_mde(own: &MatchedComparison) -> Option<f64> {
    let parts = AttParts::without_areas(own.comparison_rate?, own.comparison_variance?)
        .with_design_effect(own.design_effect);
    minimum_detectable_effect(own.participant_rate?, own.matched, parts)
}

/// Each programme's systematic error under both designs (the nulls from
/// the negative controls), each design's effect calibrated for its own,
/// and each design's diagnostics verdict (`stats::formulas::diagnostics`).
pub fn calibrate_and_diagnose(
    rows: &mut [ProgrammeOutcome],
    effects: &BTreeMap<String, Effect>,
    nulls: &Nulls,
    balance: &[Balance],
    own_area_smd: &BTreeMap<String, Option<f64>>,
) {
    for row in rows {
        let null = nulls.comparison.get(&row.programme);
        if let Some(n) = null {
            row.systematic_error_mean = Some(n.mean);
            row.systematic_error_sd = Some(n.sd);
            row.systematic_error_controls = n.controls as u64;
            row.systematic_error_mean_se = Some(n.mean_se);
            row.expected_systematic_error = Some(expected_absolute_systematic_error(n));
        }
        let e = effects.get(&row.programme);
        [
            row.att_calibrated_low,
            row.att_calibrated_high,
            row.att_calibrated_p,
        ] = calibrate(
            null,
            row.effect.att,
            e.and_then(|e| e.se),
            row.effect.att_df,
            row.effect.att_critical,
        );
        let max_smd = balance
            .iter()
            .filter(|b| {
                b.programme == row.programme && BALANCE_CHECKED.contains(&b.covariate.as_str())
            })
            .map(|b| b.smd.map(f64::abs))
            .try_fold(0.0f64, |m, d| d.map(|d| m.max(d)));
        let share = |matched: u64| {
            (row.eligible > 0 && matched > 0).then(|| matched as f64 / row.eligible as f64)
        };
        (row.diagnostics, row.diagnostics_failed) = verdict(&DiagnosticInputs {
            negative_controls: null.map_or(0, |n| n.controls),
            expected_systematic_error: row.expected_systematic_error,
            max_smd,
            matched_share: share(row.effect.matched),
            mde: row.mde,
        });
        let own_null = nulls.own_area.get(&row.programme);
        if let Some(n) = own_null {
            row.own_area_systematic_error_mean = Some(n.mean);
            row.own_area_systematic_error_sd = Some(n.sd);
            row.own_area_systematic_error_controls = n.controls as u64;
            row.own_area_systematic_error_mean_se = Some(n.mean_se);
            row.own_area_expected_systematic_error = Some(expected_absolute_systematic_error(n));
        }
        [
            row.own_area_att_calibrated_low,
            row.own_area_att_calibrated_high,
            row.own_area_att_calibrated_p,
        ] = calibrate(
            own_null,
            row.own_area_att,
            row.own_area_att_se,
            Some(f64::INFINITY),
            Some(Z_ATT),
        );
        row.own_area_max_smd = own_area_smd.get(&row.programme).copied().flatten();
        (row.own_area_diagnostics, row.own_area_diagnostics_failed) = verdict(&DiagnosticInputs {
            negative_controls: own_null.map_or(0, |n| n.controls),
            expected_systematic_error: row.own_area_expected_systematic_error,
            max_smd: row.own_area_max_smd,
            matched_share: share(row.own_area_matched),
            mde: row.own_area_mde,
        });
    }
}

/// `pass` or `fail`, and the failed checks as `check: why`, `; `-separated.
fn verdict(inputs: &DiagnosticInputs) -> (Option<String>, Option<String>) {
    let failed = failures(inputs);
    let verdict = if failed.is_empty() { "pass" } else { "fail" };
    let why = (!failed.is_empty()).then(|| {
        failed
            .iter()
            .map(|f| format!("{}: {}", f.check, f.why))
            .collect::<Vec<_>>()
            .join("; ")
    });
    (Some(verdict.into()), why)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The columns follow `stats::formulas::value` (its own tests work
    /// the figures by hand): a significant effect has a cost and both ends;
    /// one spanning zero only "at least"; no funding, nothing.
    #[test]
    fn value_for_money_fills_the_columns_from_the_formulas() {
        let v = value_for_money(Some(1_000_000), Some(0.05), (Some(0.01), Some(0.09)), 1000);
        assert!((v.cost.unwrap() - 20_000.0).abs() < 1e-6);
        assert!((v.cost_low.unwrap() - 11_111.111).abs() < 1e-2);
        assert!((v.cost_high.unwrap() - 100_000.0).abs() < 1e-6);
        assert!((v.jobs_per_million_low.unwrap() - 10.0).abs() < 1e-9);
        let v = value_for_money(Some(1_000_000), Some(0.05), (Some(-0.01), Some(0.09)), 1000);
        assert!(v.cost.is_none() && v.cost_low.is_some() && v.cost_high.is_none());
        assert!((v.jobs_per_million_low.unwrap() + 10.0).abs() < 1e-9);
        assert_eq!(
            value_for_money(None, Some(0.05), (Some(0.01), Some(0.09)), 1000),
            ValueForMoney::default()
        );
    }

    /// Holm over the declared headlines, worked by hand: p = 0.01
    /// (WorkWell), 0.04 (Accelerator), 0.5 (Inactivity), 0.03 (Youth
    /// Guarantee's EET). Sorted: 0.01·4 = 0.04; 0.03·3 = 0.09; 0.04·2 = 0.08,
    /// raised to 0.09; 0.5·1 = 0.5. WorkWell keeps its cost; the
    /// Accelerator, significant alone but not after adjustment, keeps only
    /// "at least"; the Youth Guarantee, whose headline is not in work, no
    /// cost at all, and its in-work ATT no adjusted p-value.
    #[test]
    fn headlines_are_adjusted_together_and_costs_follow() {
        let names = [
            "WorkWell",
            "Health and Growth Accelerator",
            "Inactivity Trailblazer",
            "Youth Guarantee Trailblazer",
        ];
        let mut programmes: Vec<ProgrammeOutcome> = names
            .iter()
            .map(|n| {
                let mut p = ProgrammeOutcome::empty(n);
                (p.cost_per_additional_outcome, p.cost_low, p.cost_high) =
                    (Some(100.0), Some(50.0), Some(200.0));
                p
            })
            .collect();
        let mut outcomes = Vec::new();
        for (name, p) in names.iter().zip([0.01, 0.04, 0.5, 0.03]) {
            for outcome in [Outcome::InWork6m, Outcome::Eet6m] {
                let mut row = super::super::outcomes::empty(name, outcome);
                row.att_p_value = Some(if row.role == Role::Headline { p } else { 0.001 });
                outcomes.push(row);
            }
        }
        adjust_headlines(&mut programmes, &mut outcomes);
        let adjusted = |name: &str, outcome: Outcome| {
            outcomes
                .iter()
                .find(|o| o.programme == name && o.outcome == outcome)
                .and_then(|o| o.att_p_adjusted)
        };
        let close = |a: Option<f64>, b: f64| (a.unwrap() - b).abs() < 1e-12;
        assert!(close(adjusted(names[0], Outcome::InWork6m), 0.04));
        assert!(close(adjusted(names[1], Outcome::InWork6m), 0.09));
        assert!(close(adjusted(names[2], Outcome::InWork6m), 0.5));
        assert!(close(adjusted(names[3], Outcome::Eet6m), 0.09));
        // Secondary outcomes are not in the family.
        assert_eq!(adjusted(names[0], Outcome::Eet6m), None);
        assert_eq!(adjusted(names[3], Outcome::InWork6m), None);
        assert!(close(programmes[0].att_p_adjusted, 0.04));
        assert_eq!(programmes[3].att_p_adjusted, None);
        let cost = |p: &ProgrammeOutcome| (p.cost_per_additional_outcome, p.cost_low, p.cost_high);
        assert_eq!(cost(&programmes[0]), (Some(100.0), Some(50.0), Some(200.0)));
        assert_eq!(cost(&programmes[1]), (None, Some(50.0), None));
        assert_eq!(cost(&programmes[3]), (None, None, None));
    }
}
