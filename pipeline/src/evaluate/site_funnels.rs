//! Fair site comparison: each site's case-mix adjusted rate
//! (`stats::estimators::case_mix`, `stats::formulas::funnel::adjusted_site`) and its
//! own matched effect, each against its programme's on a funnel whose
//! limits widen by the spread between sites beyond chance
//! (`stats::formulas::overdispersion`, Spiegelhalter 2005).

use super::strata::{Comparison, Group};
use contract::outputs::{SiteFunnel, SiteOutcome};
use contract::vocabulary::{SiteIndicator, Tau2Source};
use stats::estimators::case_mix::{CaseMixCell, expected_rates};
use stats::formulas::funnel::{adjusted_limits, adjusted_site, funnel_flag};
use stats::formulas::overdispersion::{FEWEST_SITES, SpreadRule, additive_limits, spread_rules};
use stats::formulas::site_effects::{Pooled, SiteEffect, leave_one_out, pooled, shrink};
use std::collections::BTreeMap;

/// The fewest matched participants a site's effect needs to be placed on
/// the effect funnel (the disclosure threshold: below it the effect is not
/// published either).
pub(super) const FEWEST_MATCHED: u64 = 10;

/// Per site: (E/n, V/n), the expected rate and the mean p̂(1−p̂) of its
/// eligible participants under the programme's case-mix model.
pub(super) fn case_mix(group: &Group) -> BTreeMap<String, (f64, f64)> {
    type Levels = [Option<String>; 8];
    let mut by_site: BTreeMap<(&str, Levels), (u64, u64)> = BTreeMap::new();
    for (site, key, counts) in group.site_cells() {
        if counts.eligible == 0 {
            continue;
        }
        let levels: Levels = key.levels();
        let cell = by_site.entry((site, levels)).or_default();
        cell.0 += counts.eligible;
        cell.1 += counts.total;
    }
    // Each factor's levels, numbered in sorted order (the first is the
    // reference), and the people pooled over sites by combination.
    let mut factor_levels: [BTreeMap<Option<String>, usize>; 8] = Default::default();
    for (_, levels) in by_site.keys() {
        for (f, level) in levels.iter().enumerate() {
            factor_levels[f].insert(level.clone(), 0);
        }
    }
    for levels in &mut factor_levels {
        for (i, n) in levels.values_mut().enumerate() {
            *n = i;
        }
    }
    let mut combinations: BTreeMap<&Levels, (u64, u64)> = BTreeMap::new();
    for ((_, levels), (n, y)) in &by_site {
        let c = combinations.entry(levels).or_default();
        c.0 += n;
        c.1 += y;
    }
    let cells: Vec<CaseMixCell> = combinations
        .iter()
        .map(|(levels, &(eligible, in_work))| CaseMixCell {
            levels: levels
                .iter()
                .enumerate()
                .map(|(f, l)| factor_levels[f][l])
                .collect(),
            eligible,
            in_work,
        })
        .collect();
    let counts: Vec<usize> = factor_levels.iter().map(BTreeMap::len).collect();
    let Some(fitted) = expected_rates(&cells, &counts) else {
        return BTreeMap::new();
    };
    let rate: BTreeMap<&Levels, f64> = combinations.keys().copied().zip(fitted).collect();
    let mut sums: BTreeMap<String, (f64, f64, f64)> = BTreeMap::new();
    for ((site, levels), (n, _)) in &by_site {
        let p = rate[levels];
        let s = sums.entry(site.to_string()).or_default();
        s.0 += *n as f64;
        s.1 += *n as f64 * p;
        s.2 += *n as f64 * p * (1.0 - p);
    }
    sums.into_iter()
        .map(|(site, (n, e, v))| (site, (e / n, v / n)))
        .collect()
}

fn method(indicator: SiteIndicator, rule: &SpreadRule) -> String {
    let what = match indicator {
        SiteIndicator::AdjustedRate => {
            "Each site's in-work rate at 6 months, indirectly standardised: its observed count against the count expected from a main-effects logistic model of the programme's eligible participants (age band, sex, IMD quintile, condition, baseline status, work history, calendar quarter and labour-market band of the index month). Limits are Wilson's at the site's effective size (PHEindicatormethods) while the sites vary by chance alone, else target ± t·√(s² + τ²), t on (sites − 2) degrees of freedom (a prediction interval for a new site, Higgins, Thompson and Spiegelhalter 2009)."
        }
        SiteIndicator::Effect => {
            "Each site's matched effect (its eligible participants against the comparison people of the same strata) against the rest of the programme (the matched-weighted mean effect of its other sites, so a site is not judged against itself); s is the standard error of that difference from the people alone; sites with fewer than 10 matched participants are left off. Limits are the rest's effect ± t·√(s² + τ²), t as for the rates. Beside each raw effect, the effect shrunk toward the programme's sites (empirical Bayes with τ²)."
        }
    };
    let spread = "z-scores winsorised at 10% each side; φ is their mean square, τ² DerSimonian and Laird's moment estimate (Spiegelhalter 2005)";
    let source = match (rule.source, rule.dispersion) {
        (Tau2Source::Own, Some(d)) => {
            format!("φ and τ² from the programme's own {} sites", d.sites)
        }
        (Tau2Source::Pooled, Some(d)) => format!(
            "φ and τ² from all {} sites of every programme, since this programme has fewer than {FEWEST_SITES}",
            d.sites
        ),
        _ => format!(
            "fewer than {FEWEST_SITES} sites in all: the spread beyond chance cannot be estimated, so the limits are for chance alone and no site is flagged"
        ),
    };
    format!("{what} {spread}; {source}.")
}

fn funnel_row(
    programme: &str,
    indicator: SiteIndicator,
    target: Option<f64>,
    sites: usize,
    rule: &SpreadRule,
) -> SiteFunnel {
    SiteFunnel {
        programme: programme.to_string(),
        indicator,
        target,
        sites: sites as u64,
        phi: rule.dispersion.map(|d| d.phi),
        phi_p_value: rule.dispersion.map(|d| d.p_value),
        tau2: rule.dispersion.map(|_| rule.tau2()),
        tau2_source: rule.source,
        method: method(indicator, rule),
    }
}

/// Fill each site row's case-mix, effect and funnel columns, and return
/// the programmes' `site_funnels` rows. `groups` holds each programme's
/// participants by site and stratum, `targets` its matched ATT.
pub(super) fn site_funnels(
    rows: &mut [SiteOutcome],
    programmes: &[(String, &Group, Option<f64>)],
    comparison: &Comparison,
) -> Vec<SiteFunnel> {
    let pooled_comparison = comparison.pooled();
    for (name, group, _) in programmes {
        let mix = case_mix(group);
        let site_matches = group.site_matches(&pooled_comparison);
        for row in rows.iter_mut().filter(|r| &r.programme == name) {
            if let Some(&(e, v)) = mix.get(&row.area_id) {
                row.expected_rate = Some(e);
                row.expected_variance = Some(v);
            }
            let m = site_matches.get(&row.area_id).copied().unwrap_or_default();
            row.matched = m.matched;
            row.matched_in_work = m.matched_in_work;
            row.comparison_rate = m.comparison_rate;
            row.comparison_variance = m.comparison_variance;
            row.att = m.att;
            row.att_low = m.att_low;
            row.att_high = m.att_high;
            row.att_se = m.att_se;
            row.att_design_effect = m.att.map(|_| m.design_effect);
        }
    }
    // z and s on each funnel, per programme in order.
    let adjusted = |row: &SiteOutcome| {
        adjusted_site(
            row.target_rate?,
            row.eligible as f64,
            row.in_work_6m as f64,
            row.expected_rate?,
            row.expected_variance?,
        )
    };
    // The effect funnel's sites per programme: row index, the site, and
    // the rest of its programme. A site's effect from a handful of matched
    // people has a standard error that means little (0 when all or none
    // are in work): such sites are not placed on it.
    let effect_sites: Vec<Vec<(usize, SiteEffect, Option<Pooled>)>> = programmes
        .iter()
        .map(|(name, _, _)| {
            let on: Vec<(usize, SiteEffect)> = rows
                .iter()
                .enumerate()
                .filter(|(_, r)| &r.programme == name && r.matched >= FEWEST_MATCHED)
                .filter_map(|(i, r)| {
                    let (att, se) = (r.att?, r.att_se?);
                    let matched = r.matched as f64;
                    (se > 0.0).then_some((i, SiteEffect { matched, att, se }))
                })
                .collect();
            let sites: Vec<SiteEffect> = on.iter().map(|s| s.1).collect();
            on.into_iter()
                .zip(leave_one_out(&sites))
                .map(|((i, site), rest)| (i, site, rest))
                .collect()
        })
        .collect();
    let of = |f: &dyn Fn(&SiteOutcome) -> Option<(f64, f64)>| -> Vec<Vec<(f64, f64)>> {
        programmes
            .iter()
            .map(|(name, _, _)| {
                rows.iter()
                    .filter(|r| &r.programme == name)
                    .filter_map(f)
                    .collect()
            })
            .collect()
    };
    let effect_points: Vec<Vec<(f64, f64)>> = effect_sites
        .iter()
        .map(|sites| {
            sites
                .iter()
                .filter_map(|(_, site, rest)| rest.map(|r| r.standardise(site)))
                .collect()
        })
        .collect();
    let rate_rules = spread_rules(&of(&|r| adjusted(r).map(|a| (a.z, a.s))));
    let effect_rules = spread_rules(&effect_points);
    let mut funnels = Vec::new();
    for (i, (name, _, target_att)) in programmes.iter().enumerate() {
        let (rate_rule, effect_rule) = (rate_rules[i], effect_rules[i]);
        let mut counted = (0, 0);
        let mut target_rate = None;
        for row in rows.iter_mut().filter(|r| &r.programme == name) {
            target_rate = target_rate.or(row.target_rate);
            if let (Some(a), Some(p0)) = (adjusted(row), row.target_rate) {
                counted.0 += 1;
                row.adjusted_rate = Some(a.adjusted_rate);
                row.adjusted_z = Some(a.z);
                let l95 = adjusted_limits(p0, a.s, rate_rule.tau2(), rate_rule.critical(0.975));
                let l998 = adjusted_limits(p0, a.s, rate_rule.tau2(), rate_rule.critical(0.999));
                (row.adjusted_limit95_low, row.adjusted_limit95_high) =
                    (l95.map(|l| l.0), l95.map(|l| l.1));
                (row.adjusted_limit998_low, row.adjusted_limit998_high) =
                    (l998.map(|l| l.0), l998.map(|l| l.1));
                row.adjusted_flag = rate_rule
                    .flags()
                    .then(|| funnel_flag(Some(a.adjusted_rate), l998));
            }
        }
        let all = pooled(effect_sites[i].iter().map(|s| &s.1));
        for (row, site, rest) in &effect_sites[i] {
            let (row, Some(rest)) = (&mut rows[*row], rest) else {
                continue;
            };
            counted.1 += 1;
            let (z, s) = rest.standardise(site);
            row.effect_target = Some(rest.target);
            row.effect_z = Some(z);
            let limits = additive_limits(
                rest.target,
                s,
                effect_rule.tau2(),
                effect_rule.critical(0.999),
            );
            (row.effect_limit998_low, row.effect_limit998_high) = (Some(limits.0), Some(limits.1));
            if effect_rule.flags() {
                row.effect_flag = Some(funnel_flag(row.att, Some(limits)));
                row.att_shrunk = all.map(|all| shrink(site, &all, effect_rule.tau2()));
            }
        }
        funnels.push(funnel_row(
            name,
            SiteIndicator::AdjustedRate,
            target_rate,
            counted.0,
            &rate_rule,
        ));
        funnels.push(funnel_row(
            name,
            SiteIndicator::Effect,
            *target_att,
            counted.1,
            &effect_rule,
        ));
    }
    funnels
}
