//! Sites: counts rounded and suppressed; rates, the contract's funnel, the
//! case-mix adjusted funnel, each site's own effect and its funnel, the
//! spine chart's shares and benchmarks and the trend by quarter, all from
//! the rounded counts with the contract's formulas. The spread between
//! sites (φ, τ²) is recomputed from the published positions, so a flag a
//! commissioner sees follows from figures they can see.

use super::outcomes::published_rate;
use crate::disclosure::policy::{hidden_in_groups, round_share, round_to_base};
use crate::disclosure::published::*;
use crate::disclosure::values::{AttSide, Count, Effect, Share};
use contract::outputs::{ProgrammeOutcome, SiteOutcome, SiteQuarter};
use contract::vocabulary::SiteIndicator;
use stats::formulas::att::site_minimum_detectable_effect;
use stats::formulas::funnel::{
    Z_95, Z_998, adjusted_limits, adjusted_site, control_limits, funnel_flag,
};
use stats::formulas::overdispersion::{additive_limits, spread_rules};
use stats::formulas::site_effects::{Pooled, SiteEffect, leave_one_out, pooled, shrink};
use stats::formulas::trend::{consecutive_quarters, trend};

/// The spine chart's indicators, in the order the chart shows them: the
/// key, its label and its unit (a share or percentage points). Higher is
/// better for every one of them.
pub const SPINE: [(&str, &str); 7] = [
    ("in_work_3m", "In work at 3 months"),
    ("in_work_6m", "In work at 6 months"),
    ("adjusted_rate", "In work at 6 months, case-mix adjusted"),
    ("in_work_12m", "In work at 12 months"),
    ("effect", "Effect on being in work at 6 months (pp)"),
    ("engaged", "Eligible participants who engaged"),
    (
        "may_be_fit",
        "Fit notes saying \"may be fit\" since go-live",
    ),
];

/// The contract's funnel limits at a published eligible count around the
/// programme's published rate, and where the site's published rate sits.
fn funnel(target: Option<f64>, eligible: Count, rate: Option<f64>) -> Option<FunnelLimits> {
    let (target, n) = (target?, eligible.value()?);
    let limits = FunnelLimits {
        target,
        limit95: control_limits(target, n, Z_95)?,
        limit998: control_limits(target, n, Z_998)?,
        flag: funnel_flag(rate, control_limits(target, n, Z_998)),
    };
    rate.map(|_| limits)
}

/// A quarter's rate from rounded counts, and the trend over the shown ones
/// (a quarter between them without eligible participants is empty; a
/// suppressed one unknown).
fn quarters(rows: &[&SiteQuarter]) -> (Vec<QuarterRate>, contract::vocabulary::Trend) {
    let published: Vec<QuarterRate> = rows
        .iter()
        .map(|q| QuarterRate {
            quarter: q.quarter,
            eligible: Count::of(q.eligible),
            rate: Share::of_counts(false, q.in_work_6m, q.eligible),
        })
        .collect();
    let shown: Vec<_> = rows
        .iter()
        .map(|q| {
            let counts = (!Share::of_counts(false, q.in_work_6m, q.eligible).is_suppressed())
                .then(|| (round_to_base(q.eligible), round_to_base(q.in_work_6m)));
            (q.quarter, counts)
        })
        .collect();
    let periods = consecutive_quarters(&shown);
    (published, trend(&periods))
}

pub fn sites(
    exact: &[SiteOutcome],
    site_quarters: &[SiteQuarter],
    programmes: &[ProgrammeOutcome],
    published: &[Programme],
) -> (Vec<Site>, Vec<SiteSpread>, SpineBenchmarks) {
    let programme_total = |name: &String, measure: fn(&ProgrammeOutcome) -> u64| {
        programmes
            .iter()
            .find(|p| &p.programme == name)
            .map(measure)
    };
    let hidden = |measure: fn(&SiteOutcome) -> u64, total: fn(&ProgrammeOutcome) -> u64| {
        hidden_in_groups(
            exact,
            |s| s.programme.clone(),
            measure,
            |p| programme_total(p, total),
        )
    };
    let participants = hidden(|s| s.participants, |p| p.participants);
    let eligible = hidden(|s| s.eligible, |p| p.eligible);
    let in_work = hidden(|s| s.in_work_6m, |p| p.in_work_6m);
    let matched = hidden(|s| s.matched, |p| p.effect.matched);
    let matched_in_work = hidden(|s| s.matched_in_work, |p| p.effect.matched_in_work);
    let target_of = |name: &str| {
        published
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| published_rate(p.rate, p.in_work_6m, p.eligible))
    };
    let mut sites: Vec<Site> = exact
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let shown_eligible = Count::unless(eligible[i], s.eligible);
            let shown_in_work = Count::unless(in_work[i], s.in_work_6m);
            let rate = Share::of_counts(eligible[i] || in_work[i], s.in_work_6m, s.eligible);
            let target = target_of(&s.programme);
            let limits = funnel(
                target,
                shown_eligible,
                published_rate(rate, shown_in_work, shown_eligible),
            );
            let programme = programmes.iter().find(|p| p.programme == s.programme);
            let mde = match (programme, shown_eligible.value(), target) {
                (Some(p), Some(n), Some(r)) if !rate.is_suppressed() => {
                    match (p.effect.comparison_variance, p.between_area_variance) {
                        (Some(v), Some(tau2)) => site_minimum_detectable_effect(
                            r,
                            n,
                            v,
                            tau2,
                            p.comparison_area_weight.unwrap_or(0.0),
                            p.between_area_df.unwrap_or(f64::INFINITY),
                        ),
                        _ => None,
                    }
                }
                _ => None,
            };
            let effect = Effect::att(
                rate.is_suppressed() || matched[i] || matched_in_work[i],
                s.matched_in_work,
                s.matched,
                AttSide {
                    comparison_rate: s.comparison_rate,
                    comparison_variance: s.comparison_variance,
                    area_variance: Some(0.0),
                    tau2_df: Some(f64::INFINITY),
                    design_effect: s.att_design_effect,
                },
            );
            let mine: Vec<&SiteQuarter> = site_quarters
                .iter()
                .filter(|q| q.programme == s.programme && q.area_id == s.area_id)
                .collect();
            let (quarters, trend) = quarters(&mine);
            Site {
                mde,
                programme: s.programme.clone(),
                area_id: s.area_id.clone(),
                area_name: s.area_name.clone().unwrap_or_else(|| s.area_id.clone()),
                start_date: s.start_date,
                participants: Count::unless(participants[i], s.participants),
                eligible: shown_eligible,
                in_work_6m: shown_in_work,
                funnel_flag: limits.map(|l| l.flag),
                limits,
                rate,
                adjusted: None,
                effect,
                effect_position: None,
                in_work_3m: Share::of_counts(false, s.in_work_3m, s.eligible_3m),
                in_work_12m: Share::of_counts(false, s.in_work_12m, s.eligible_12m),
                engaged: Share::of_counts(eligible[i], s.engaged, s.eligible),
                may_be_fit: Share::of_counts(false, s.may_be_fit, s.fit_notes),
                quarters,
                trend,
            }
        })
        .collect();
    let spreads = place_on_funnels(&mut sites, exact, published);
    let spine = benchmarks(&sites, exact, published);
    (sites, spreads, spine)
}

/// The published adjusted-rate and effect positions of every site, and
/// each programme's spread on both funnels (`SpreadRule`s over the
/// published z-scores).
fn place_on_funnels(
    sites: &mut [Site],
    exact: &[SiteOutcome],
    published: &[Programme],
) -> Vec<SiteSpread> {
    let p0_of = |p: &Programme| published_rate(p.rate, p.in_work_6m, p.eligible);
    // The adjusted site from published figures: (z, s, adjusted, expected).
    let adjusted = |site: &Site, row: &SiteOutcome, p0: f64| {
        let (n, o) = (site.eligible.value()?, site.in_work_6m.value()?);
        if site.rate.is_suppressed() {
            return None;
        }
        let e = (row.expected_rate? * 1000.0).round() / 1000.0;
        let v = (row.expected_variance? * 10000.0).round() / 10000.0;
        adjusted_site(p0, n as f64, o as f64, e, v).map(|a| (a, e))
    };
    // The published effect's standard error from its rounded counts.
    let effect_se = |row: &SiteOutcome| {
        let (k, m) = (
            round_to_base(row.matched_in_work),
            round_to_base(row.matched),
        );
        let p = k as f64 / m as f64;
        (p * (1.0 - p) / m as f64 + row.comparison_variance?)
            .sqrt()
            .into()
    };
    let mut rate_points = Vec::new();
    let mut effect_points = Vec::new();
    // Per programme: each published site effect's index, the site and the
    // rest of its programme.
    let mut effect_sites: Vec<Vec<(usize, SiteEffect, Option<Pooled>)>> = Vec::new();
    for p in published {
        let mut rates = Vec::new();
        let mut on = Vec::new();
        for (i, (site, row)) in sites.iter().zip(exact).enumerate() {
            if site.programme != p.name {
                continue;
            }
            if let Some((a, _)) = p0_of(p).and_then(|p0| adjusted(site, row, p0)) {
                rates.push((a.z, a.s));
            }
            if let (Some(v), Some(se)) = (site.effect.published(), effect_se(row))
                && se > 0.0
            {
                let matched = round_to_base(row.matched) as f64;
                on.push((
                    i,
                    SiteEffect {
                        matched,
                        att: v[0],
                        se,
                    },
                ));
            }
        }
        let all: Vec<SiteEffect> = on.iter().map(|s| s.1).collect();
        let with_rest: Vec<_> = on
            .into_iter()
            .zip(leave_one_out(&all))
            .map(|((i, site), rest)| (i, site, rest))
            .collect();
        effect_points.push(
            with_rest
                .iter()
                .filter_map(|(_, site, rest)| rest.map(|r| r.standardise(site)))
                .collect::<Vec<_>>(),
        );
        effect_sites.push(with_rest);
        rate_points.push(rates);
    }
    let rate_rules = spread_rules(&rate_points);
    let effect_rules = spread_rules(&effect_points);
    let mut spreads = Vec::new();
    for (i, p) in published.iter().enumerate() {
        let (rate_rule, effect_rule) = (rate_rules[i], effect_rules[i]);
        let p0 = p0_of(p);
        let target_att = p.att.published().map(|a| a[0]);
        for (site, row) in sites
            .iter_mut()
            .zip(exact)
            .filter(|(s, _)| s.programme == p.name)
        {
            if let Some((a, e)) = p0.and_then(|p0| adjusted(site, row, p0)) {
                let p0 = p0.unwrap_or_default();
                let l95 = adjusted_limits(p0, a.s, rate_rule.tau2(), rate_rule.critical(0.975));
                let l998 = adjusted_limits(p0, a.s, rate_rule.tau2(), rate_rule.critical(0.999));
                if let (Some(limit95), Some(limit998)) = (l95, l998) {
                    site.adjusted = Some(AdjustedPosition {
                        expected_rate: e,
                        adjusted_rate: round_share(a.adjusted_rate),
                        effective_n: p0 * (1.0 - p0) / (a.s * a.s),
                        limit95: (round_share(limit95.0), round_share(limit95.1)),
                        limit998: (round_share(limit998.0), round_share(limit998.1)),
                        flag: rate_rule
                            .flags()
                            .then(|| funnel_flag(Some(a.adjusted_rate), Some(limit998))),
                    });
                }
            }
        }
        let all = pooled(effect_sites[i].iter().map(|s| &s.1));
        for (index, site, rest) in &effect_sites[i] {
            let Some(rest) = rest else { continue };
            let (_, s) = rest.standardise(site);
            let limits = additive_limits(
                rest.target,
                s,
                effect_rule.tau2(),
                effect_rule.critical(0.999),
            );
            let shrunk = all
                .filter(|_| effect_rule.flags())
                .map(|all| round_share(shrink(site, &all, effect_rule.tau2())));
            sites[*index].effect_position = Some(EffectPosition {
                target: round_share(rest.target),
                limit998: (round_share(limits.0), round_share(limits.1)),
                flag: effect_rule
                    .flags()
                    .then(|| funnel_flag(Some(site.att), Some(limits))),
                shrunk,
            });
        }
        for (indicator, rule, target, points) in [
            (SiteIndicator::AdjustedRate, rate_rule, p0, &rate_points[i]),
            (
                SiteIndicator::Effect,
                effect_rule,
                target_att,
                &effect_points[i],
            ),
        ] {
            spreads.push(SiteSpread {
                programme: p.name.clone(),
                indicator,
                target,
                sites: points.len(),
                phi: rule.dispersion.map(|d| d.phi),
                phi_p_value: rule.dispersion.map(|d| d.p_value),
                tau2: rule.tau2(),
                source: rule.source,
                critical: (rule.critical(0.975), rule.critical(0.999)),
            });
        }
    }
    spreads
}

/// Each site's value of a spine indicator, as published.
pub fn spine_value(site: &Site, indicator: &str) -> Option<f64> {
    match indicator {
        "in_work_3m" => site.in_work_3m.value(),
        "in_work_6m" => site.rate.value(),
        "adjusted_rate" => site.adjusted.map(|a| a.adjusted_rate),
        "in_work_12m" => site.in_work_12m.value(),
        "effect" => site.effect.value(),
        "engaged" => site.engaged.value(),
        "may_be_fit" => site.may_be_fit.value(),
        _ => None,
    }
}

/// The programme benchmarks (each share pooled over the programme's sites'
/// rounded counts; the adjusted rate's is the programme's rate and the
/// effect's its ATT) and every site's published values.
fn benchmarks(sites: &[Site], exact: &[SiteOutcome], published: &[Programme]) -> SpineBenchmarks {
    let mut spine = SpineBenchmarks::default();
    for p in published {
        let rows: Vec<&SiteOutcome> = exact.iter().filter(|s| s.programme == p.name).collect();
        // Each site's counts rounded, then summed: pooling the exact counts
        // made a benchmark that moved when one site's count moved inside
        // its rounding, giving back six sites' exact 3- and 12-month and
        // engaged counts on a 60,000-person root (`evidence
        // disclosure-audit`).
        let pooled = |k: fn(&SiteOutcome) -> u64, n: fn(&SiteOutcome) -> u64| {
            let (k, n) = rows.iter().fold((0, 0), |(a, b), r| {
                (a + round_to_base(k(r)), b + round_to_base(n(r)))
            });
            Share::of_counts(false, k, n).value()
        };
        for (key, value) in [
            ("in_work_3m", pooled(|s| s.in_work_3m, |s| s.eligible_3m)),
            ("in_work_6m", p.rate.value()),
            ("adjusted_rate", p.rate.value()),
            ("in_work_12m", pooled(|s| s.in_work_12m, |s| s.eligible_12m)),
            ("effect", p.att.value()),
            ("engaged", pooled(|s| s.engaged, |s| s.eligible)),
            ("may_be_fit", pooled(|s| s.may_be_fit, |s| s.fit_notes)),
        ] {
            if let Some(v) = value {
                spine.programme.insert((p.name.clone(), key), v);
            }
        }
    }
    for (key, _) in SPINE {
        let mut values: Vec<f64> = sites.iter().filter_map(|s| spine_value(s, key)).collect();
        values.sort_by(f64::total_cmp);
        spine.all_sites.insert(key, values);
    }
    spine
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disclosure::control::outcomes::programme;
    use contract::vocabulary::Tau2Source;

    /// A programme of `n` sites; site 0 has `k0` in work. Every other
    /// count is fixed, and the programme's totals are the sites' sums.
    fn evidence(n: usize, k0: u64) -> (Vec<SiteOutcome>, ProgrammeOutcome) {
        let mut rows = Vec::new();
        for i in 0..n as u64 {
            let mut s = SiteOutcome::empty("P", &format!("a{i:02}"));
            s.participants = 260 + 10 * i;
            s.eligible = 200 + 10 * i;
            s.in_work_6m = if i == 0 { k0 } else { 80 + 7 * i };
            s.expected_rate = Some(0.40 + 0.01 * (i % 3) as f64);
            s.expected_variance = Some(0.22);
            s.matched = 150;
            s.matched_in_work = 60 + 3 * i;
            s.comparison_rate = Some(0.35);
            s.comparison_variance = Some(0.0004);
            rows.push(s);
        }
        let mut p = ProgrammeOutcome::empty("P");
        for s in &rows {
            p.participants += s.participants;
            p.eligible += s.eligible;
            p.in_work_6m += s.in_work_6m;
            p.effect.matched += s.matched;
            p.effect.matched_in_work += s.matched_in_work;
        }
        p.effect.comparison_rate = Some(0.35);
        p.effect.comparison_variance = Some(0.00005);
        p.effect.att_area_variance = Some(0.0001);
        p.between_area_df = Some(10.0);
        (rows, p)
    }

    fn publish(n: usize, k0: u64) -> (Vec<Site>, Vec<SiteSpread>) {
        let (rows, p) = evidence(n, k0);
        let published = vec![programme(&p, None)];
        let (sites, spreads, _) = sites(&rows, &[], &[p], &published);
        (sites, spreads)
    }

    /// Site 0's exact in-work count moves within its rounding band (78 to
    /// 80 all round to 80, and the programme's total, 1420 to 1422, to
    /// 1420): every published site figure, flag, φ and τ² stays the same,
    /// so none of them gives the exact count away.
    #[test]
    fn every_exact_count_rounding_alike_publishes_the_same_site_comparison() {
        let (rows, _) = evidence(12, 78);
        let total: u64 = rows.iter().map(|s| s.in_work_6m).sum();
        assert_eq!(total, 1420);
        let (sites, spreads) = publish(12, 78);
        for k0 in [79, 80] {
            let (other_sites, other_spreads) = publish(12, k0);
            for (a, b) in sites.iter().zip(&other_sites) {
                assert_eq!(a.adjusted, b.adjusted, "{k0}");
                assert_eq!(a.effect, b.effect);
                assert_eq!(a.effect_position, b.effect_position);
            }
            assert_eq!(spreads, other_spreads);
        }
        // By hand for site 0: p₀ = 1420 ÷ rounded eligible (3060), and the
        // adjusted rate p₀·80/(200·0.400) = p₀, on the programme's own 12
        // sites.
        let eligible: u64 = rows.iter().map(|s| s.eligible).sum();
        assert_eq!(eligible, 3060);
        let a = sites[0].adjusted.unwrap();
        assert_eq!(a.adjusted_rate, round_share(1420.0 / 3060.0));
        assert_eq!(a.expected_rate, 0.4);
        let rate = spreads
            .iter()
            .find(|s| s.indicator == SiteIndicator::AdjustedRate)
            .unwrap();
        assert_eq!((rate.source, rate.sites), (Tau2Source::Own, 12));
        assert!(a.flag.is_some());
    }

    /// Three sites in all: the spread cannot be estimated, the limits are
    /// for chance alone, and no site is flagged.
    #[test]
    fn too_few_sites_are_placed_but_not_flagged() {
        let (sites, spreads) = publish(3, 80);
        assert!(
            sites
                .iter()
                .all(|s| s.adjusted.is_some_and(|a| a.flag.is_none()))
        );
        assert!(
            spreads
                .iter()
                .all(|s| s.source == Tau2Source::None && s.tau2 == 0.0)
        );
    }
}
