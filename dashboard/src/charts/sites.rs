//! The charts that compare sites: the case-mix adjusted funnel and the site
//! effects (programme page), a site's spine chart and its trend (site page).

use super::catalogue::{INTERVAL_95, suppressed_note};
use super::{Chart, DataTable, ForestRow, FunnelPoint, Line, Plot, SpineRow, Verdict};
use crate::disclosure::{Programme, Published, SPINE, SUPPRESSED, Site, spine_value};
use crate::presentation::numbers::plain;
use contract::vocabulary::{FunnelFlag, SiteIndicator, Tau2Source, Trend};
use stats::formulas::overdispersion::FEWEST_SITES;

fn flag_text(flag: Option<FunnelFlag>) -> String {
    flag.map_or("not flagged", |f| f.as_str()).to_string()
}

/// What the limits of a programme's funnel include, in words.
pub fn spread_sentence(
    published: &Published,
    programme: &Programme,
    indicator: SiteIndicator,
) -> String {
    let Some(s) = published.spread_of(programme, indicator) else {
        return String::new();
    };
    let phi = s.phi.map_or("–".to_string(), |p| format!("{p:.2}"));
    match s.source {
        Tau2Source::Own => format!(
            "The limits allow for real differences between sites as well as chance (Spiegelhalter 2005): the {} sites' dispersion ratio φ is {phi} and the between-site standard deviation √τ² is {:.1} points.",
            s.sites,
            s.tau2.sqrt() * 100.0
        ),
        Tau2Source::Pooled => format!(
            "With fewer than {FEWEST_SITES} sites, the spread between sites is estimated over every programme's sites (φ {phi}, √τ² {:.1} points), and the limits allow for it as well as chance.",
            s.tau2.sqrt() * 100.0
        ),
        Tau2Source::None => format!(
            "There are too few sites in all (fewer than {FEWEST_SITES}) to estimate the real spread between sites, so the limits are for chance alone and no site is flagged."
        ),
    }
}

pub(super) fn funnel(published: &Published, programme: &Programme) -> Chart {
    let target = programme.rate.value();
    let mut table = DataTable::new(&[
        "area_id",
        "area_name",
        "eligible",
        "in_work_6m",
        "rate",
        "expected_rate",
        "adjusted_rate",
        "effective_eligible",
        "target_rate",
        "adjusted_limit95_low",
        "adjusted_limit95_high",
        "adjusted_limit998_low",
        "adjusted_limit998_high",
        "adjusted_flag",
        "unadjusted_flag",
    ]);
    let mut points = Vec::new();
    let mut hidden = 0;
    for s in published.sites_of(programme) {
        let a = s.adjusted;
        table.push(vec![
            s.area_id.clone(),
            s.area_name.clone(),
            s.eligible.plain(),
            s.in_work_6m.plain(),
            s.rate.plain(),
            plain(a.map(|a| a.expected_rate)),
            plain(a.map(|a| a.adjusted_rate)),
            a.map_or(SUPPRESSED.to_string(), |a| format!("{:.0}", a.effective_n)),
            plain(target),
            plain(a.map(|a| a.limit95.0)),
            plain(a.map(|a| a.limit95.1)),
            plain(a.map(|a| a.limit998.0)),
            plain(a.map(|a| a.limit998.1)),
            crate::presentation::labels::adjusted_flag(s).to_string(),
            s.funnel_flag.map_or(SUPPRESSED, |f| f.as_str()).to_string(),
        ]);
        match a {
            Some(a) => points.push(FunnelPoint {
                label: s.area_name.clone(),
                size: a.effective_n,
                rate: a.adjusted_rate,
                outside: matches!(a.flag, Some(FunnelFlag::Above | FunnelFlag::Below)),
            }),
            None => hidden += 1,
        }
    }
    let spread = published.spread_of(programme, SiteIndicator::AdjustedRate);
    let tau2 = spread.map_or(0.0, |s| s.tau2);
    let critical = spread.map_or((1.959_964, 3.090_232), |s| s.critical);
    Chart {
        name: "funnel".into(),
        title: format!(
            "{}: sites' in-work rates, adjusted for who they serve",
            programme.name
        ),
        x_label: "Eligible participants (effective number, from rounded counts)".into(),
        y_label: "In work at 6 months, case-mix adjusted (%)".into(),
        caption: format!(
            "Each point is a site's in-work rate at 6 months had it served the programme's mix of people (indirectly standardised on age band, sex, deprivation, condition, status and work history). The solid line is the programme's rate; a site between the dashed 95% limits differs from it no more than expected, and one outside the dotted 99.8% limits (labelled) stands out. {} Limits narrow as sites grow, so large and small sites are compared fairly.{}",
            spread_sentence(published, programme, SiteIndicator::AdjustedRate),
            suppressed_note(hidden, "site")
        ),
        plot: Plot::Funnel {
            target: target.unwrap_or(0.0),
            tau2,
            critical,
            points,
        },
        table,
    }
}

pub(super) fn site_effects(published: &Published, programme: &Programme) -> Chart {
    let mut table = DataTable::new(&[
        "area_id",
        "area_name",
        "att",
        "att_low",
        "att_high",
        "programme_att",
        "effect_target",
        "effect_limit998_low",
        "effect_limit998_high",
        "effect_flag",
        "att_shrunk",
    ]);
    let mut sites: Vec<&Site> = published.sites_of(programme).collect();
    sites.sort_by(|a, b| {
        b.effect
            .value()
            .unwrap_or(f64::MIN)
            .total_cmp(&a.effect.value().unwrap_or(f64::MIN))
    });
    let mut rows = Vec::new();
    for s in sites {
        let [v, l, h] = s.effect.plain();
        let p = s.effect_position;
        let shrunk = p.and_then(|p| p.shrunk);
        table.push(vec![
            s.area_id.clone(),
            s.area_name.clone(),
            v,
            l,
            h,
            plain(programme.att.value()),
            plain(p.map(|p| p.target)),
            plain(p.map(|p| p.limit998.0)),
            plain(p.map(|p| p.limit998.1)),
            p.map_or(SUPPRESSED.to_string(), |p| flag_text(p.flag)),
            plain(shrunk),
        ]);
        let outside = matches!(
            p.and_then(|p| p.flag),
            Some(FunnelFlag::Above | FunnelFlag::Below)
        );
        rows.push(ForestRow {
            label: s.area_name.clone(),
            series: usize::from(outside),
            value: s.effect.value(),
            interval: s.effect.interval(),
            withheld: false,
        });
        if let Some(v) = shrunk {
            rows.push(ForestRow {
                label: format!("{}, shrunk", s.area_name),
                series: 2,
                value: Some(v),
                interval: None,
                withheld: false,
            });
        }
    }
    let hidden = rows.iter().filter(|r| r.value.is_none()).count();
    let shrinkage = if rows.iter().any(|r| r.series == 2) {
        " Beneath each site, its effect shrunk toward the programme's sites (empirical Bayes: the noisier the site and the less sites differ beyond chance, the nearer the programme it is drawn); read it as the best guess of the site's effect, the raw one as what its own people show. The shrunken effect has no interval: in our coverage study intervals for it were too narrow (91% for a nominal 95%)."
    } else {
        ""
    };
    Chart {
        name: "site-effects".into(),
        title: format!("{}: effect by site", programme.name),
        x_label: "Site's participants' rate minus their matched comparison (percentage points)"
            .into(),
        y_label: "Site".into(),
        caption: format!(
            "Each site's own matched comparison: its eligible participants against comparison people of the same strata. {INTERVAL_95} The vertical line is the programme's effect; sites are sorted by effect. A site outside its 99.8% limits around the rest of the programme (its other sites' effect, so that no site is judged against itself) is drawn as a triangle.{shrinkage} {}{}",
            spread_sentence(published, programme, SiteIndicator::Effect),
            suppressed_note(hidden, "site")
        ),
        plot: Plot::Forest {
            rows,
            series: vec![
                "Site".into(),
                "Outside the 99.8% limits".into(),
                "Shrunk toward the programme".into(),
            ],
            reference: programme.att.value(),
            difference: true,
        },
        table,
    }
}

/// Better, similar or worse than the programme on one indicator: the
/// site's 95% interval against the benchmark (the adjusted rate: against
/// its 95% limits; not compared where its funnel flags nothing).
fn verdict(site: &Site, key: &str, benchmark: Option<f64>) -> Verdict {
    let interval = match key {
        "in_work_3m" => site.in_work_3m.interval(),
        "in_work_6m" => site.rate.interval(),
        "in_work_12m" => site.in_work_12m.interval(),
        "effect" => site.effect.interval(),
        "engaged" => site.engaged.interval(),
        "may_be_fit" => site.may_be_fit.interval(),
        "adjusted_rate" => {
            return match site.adjusted {
                Some(a) if a.flag.is_some() && a.adjusted_rate > a.limit95.1 => Verdict::Better,
                Some(a) if a.flag.is_some() && a.adjusted_rate < a.limit95.0 => Verdict::Worse,
                Some(a) if a.flag.is_some() => Verdict::Similar,
                _ => Verdict::NotCompared,
            };
        }
        _ => None,
    };
    match (interval, benchmark) {
        (Some((low, _)), Some(b)) if low > b => Verdict::Better,
        (Some((_, high)), Some(b)) if high < b => Verdict::Worse,
        (Some(_), Some(_)) => Verdict::Similar,
        _ => Verdict::NotCompared,
    }
}

fn quantile(sorted: &[f64], p: f64) -> Option<f64> {
    stats::formulas::overdispersion::quantile_type7(sorted, p)
}

pub(super) fn spine(published: &Published, programme: &Programme, site: &Site) -> Chart {
    let mut table = DataTable::new(&[
        "indicator",
        "polarity",
        "site_value",
        "programme_benchmark",
        "all_sites_lowest",
        "all_sites_25th",
        "all_sites_75th",
        "all_sites_highest",
        "comparison",
    ]);
    let mut rows = Vec::new();
    for (key, label) in SPINE {
        let value = spine_value(site, key);
        let benchmark = published
            .spine
            .programme
            .get(&(programme.name.clone(), key))
            .copied();
        let all = published
            .spine
            .all_sites
            .get(key)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let range = match (
            all.first(),
            all.last(),
            quantile(all, 0.25),
            quantile(all, 0.75),
        ) {
            (Some(&min), Some(&max), Some(q25), Some(q75)) => Some([min, q25, q75, max]),
            _ => None,
        };
        let verdict = verdict(site, key, benchmark);
        table.push(vec![
            key.to_string(),
            "higher is better".to_string(),
            plain(value),
            plain(benchmark),
            plain(range.map(|r| r[0])),
            plain(range.map(|r| r[1])),
            plain(range.map(|r| r[2])),
            plain(range.map(|r| r[3])),
            verdict.as_str().to_string(),
        ]);
        rows.push(SpineRow {
            label: label.to_string(),
            value,
            benchmark,
            range,
            verdict,
            difference: key == "effect",
        });
    }
    Chart {
        name: "spine".into(),
        title: format!("{} ({}): indicators against the programme", site.area_name, programme.name),
        x_label: String::new(),
        y_label: String::new(),
        caption: "Each row is one indicator, on its own scale: the black line is the programme's value over all its sites, the pale bar the range over every site of every programme and the darker bar its middle half (25th to 75th percentile). The dot is this site: better or worse when its 95% interval lies wholly above or below the programme's value (the adjusted rate: outside its 95% funnel limits), otherwise similar; for every indicator higher is better. A suppressed value ([c]) is not drawn.".into(),
        plot: Plot::Spine { rows },
        table,
    }
}

pub(super) fn trend(programme: &Programme, site: &Site) -> Chart {
    let mut table = DataTable::new(&["quarter", "eligible", "rate", "rate_low", "rate_high"]);
    let mut points = Vec::new();
    let mut hidden = 0;
    for q in &site.quarters {
        table.push(vec![
            q.quarter.to_string(),
            q.eligible.plain(),
            q.rate.plain(),
            q.rate.plain_low(),
            q.rate.plain_high(),
        ]);
        match q.rate.value() {
            Some(v) => points.push((q.quarter, v)),
            None => hidden += 1,
        }
    }
    let mark = match site.trend {
        Trend::Increasing => {
            "Over the last five quarters the rate is increasing (χ² test for trend, p < 0.001)."
        }
        Trend::Decreasing => {
            "Over the last five quarters the rate is decreasing (χ² test for trend, p < 0.001)."
        }
        Trend::NoSignificantChange => {
            "Over the last five quarters there is no significant change (χ² test for trend at p < 0.001)."
        }
        Trend::NotEnoughPoints => {
            "There are fewer than five quarters with a shown rate, too few to judge a trend."
        }
    };
    Chart {
        name: "trend".into(),
        title: format!(
            "{} ({}): in work at 6 months by quarter of referral",
            site.area_name, programme.name
        ),
        x_label: "Quarter of referral".into(),
        y_label: "In work at 6 months (%)".into(),
        caption: format!(
            "{mark} Quarters too recent for the 6-month outcome are not shown.{}",
            suppressed_note(hidden, "quarter")
        ),
        plot: Plot::Trend {
            lines: vec![Line {
                name: site.area_name.clone(),
                points,
            }],
            markers: Vec::new(),
        },
        table,
    }
}
