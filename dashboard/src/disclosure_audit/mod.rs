//! The attacker's view of the commissioners' tables: for every published row
//! and every pair of counts a figure in it is built on, how many pairs of
//! exact counts are consistent with everything the row publishes (counts,
//! rates, intervals, effects, comparison rates, shares, funnel flags),
//! knowing the method, as a reader with a pencil and the documentation
//! would. Disclosure control holds where no row admits exactly one.
//!
//! The candidates for a pair are the exact pairs whose rounded counts equal
//! the truth's (the pairs a reader cannot tell apart by the counts alone).
//! Each is put in place of the truth in the exact evidence, with every
//! figure the pipeline derives from it recomputed by the contract's
//! formulas; the evidence goes through [`crate::disclosure::control`] and
//! the row is published as the commissioners' API publishes it
//! ([`crate::presentation::tables`]) and as every chart's CSV and caption
//! shows it ([`crate::charts::catalogue`]: the overview's, each programme's
//! and each site's, which is every table and CSV a commissioner can
//! download; the pages, PNGs, SVGs and archives draw the same published
//! figures). A candidate is consistent when everything it publishes reads
//! exactly as the real evidence's.
//!
//! The pairs audited are every pair of exact counts a published figure is
//! built on: the rate and matched pairs of programmes, sites (and each
//! spine indicator) and subgroups; the four cells of the fit-note DiD; each
//! area-month of fit notes; each quarter of a site (`site_quarters`); each
//! outcome's matched total and count (`outcome_effects`); and each balance
//! level's participants before and after matching (`balance`). Where only
//! the numerator is unknown (a balance level of a known total), only it is
//! varied; a mean outcome's total is varied by ±2 around the truth, so a
//! row reported unpinned has at least two consistent candidates.

use crate::charts::catalogue::{self, Scope};
use crate::disclosure::{Published, ROUNDING_BASE, control};
use crate::presentation::tables::rows;
use contract::Evidence;
use contract::formulas::{att, did, funnel, wilson};
use contract::outcomes::Unit;
use contract::outputs::{FitNoteDid, ProgrammeOutcome, SiteOutcome, SubgroupOutcome};

/// One published row and one pair of counts in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowAudit {
    pub table: &'static str,
    /// The row's position in the table.
    pub row: usize,
    /// The pair of counts: `numerator/denominator` column names.
    pub pair: &'static str,
    /// Exact pairs consistent with the published row (the truth among them).
    pub consistent: usize,
    pub candidates: usize,
}

/// The exact values that round to the same published count as `exact`.
fn rounding_box(exact: u64) -> impl Iterator<Item = u64> {
    let half = ROUNDING_BASE / 2;
    let centre = (exact + half) / ROUNDING_BASE * ROUNDING_BASE;
    (centre.saturating_sub(half)..=centre + half)
        .filter(move |v| (v + half) / ROUNDING_BASE * ROUNDING_BASE == centre)
}

/// A rate and its Wilson interval, as the pipeline derives them.
pub fn rate(k: u64, n: u64) -> [Option<f64>; 3] {
    let interval = wilson::wilson_95(k, n);
    [
        (n > 0).then(|| k as f64 / n as f64),
        interval.map(|i| i.0),
        interval.map(|i| i.1),
    ]
}

/// A matched comparison's ATT, as the pipeline derives it: the interval
/// needs the areas' variance (and the degrees of freedom it was estimated
/// with), without which only the point estimate exists.
pub fn effect(
    k: u64,
    m: u64,
    comparison_rate: Option<f64>,
    comparison_variance: Option<f64>,
    area_variance: Option<f64>,
    tau2_df: Option<f64>,
) -> [Option<f64>; 3] {
    let (Some(c), Some(v)) = (comparison_rate, comparison_variance) else {
        return [None; 3];
    };
    if m == 0 {
        return [None; 3];
    }
    let p = k as f64 / m as f64;
    let (Some(area_variance), Some(tau2_df)) = (area_variance, tau2_df) else {
        return [Some(p - c), None, None];
    };
    let (parts, _) = att::AttParts::with_areas(p, m, c, v, area_variance, tau2_df);
    match att::att(k, m, parts) {
        Some(a) => [Some(a.att), Some(a.low), Some(a.high)],
        None => [None; 3],
    }
}

type Apply = fn(&mut Evidence, usize, u64, u64);

/// Which of a pair's exact counts a reader does not know, and the
/// candidates for each.
#[derive(Clone, Copy)]
enum Unknown {
    /// Both counts, each within its rounding box.
    Both,
    /// The numerator only (the denominator is another row's, held fixed).
    Numerator,
    /// A mean's total (not itself published: within ±2 of the truth) and
    /// its count (within its rounding box).
    Total,
}

impl Unknown {
    fn candidates(self, k0: u64, n0: u64) -> Vec<(u64, u64)> {
        let ns: Vec<u64> = match self {
            Unknown::Numerator => vec![n0],
            _ => rounding_box(n0).collect(),
        };
        let ks: Vec<u64> = match self {
            Unknown::Total => (k0.saturating_sub(2)..=k0 + 2).collect(),
            _ => rounding_box(k0).collect(),
        };
        let mut out = Vec::new();
        for &n in &ns {
            for &k in &ks {
                if matches!(self, Unknown::Total) || k <= n {
                    out.push((k, n));
                }
            }
        }
        out
    }
}

fn set_programme_rate(e: &mut Evidence, i: usize, k: u64, n: u64) {
    let p: &mut ProgrammeOutcome = &mut e.tables.programme_outcomes[i];
    (p.in_work_6m, p.eligible) = (k, n);
    [p.rate, p.rate_low, p.rate_high] = rate(k, n);
}

fn set_programme_matched(e: &mut Evidence, i: usize, k: u64, m: u64) {
    let p: &mut ProgrammeOutcome = &mut e.tables.programme_outcomes[i];
    (p.matched_in_work, p.matched) = (k, m);
    [p.att, p.att_low, p.att_high] = effect(
        k,
        m,
        p.comparison_rate,
        p.comparison_variance,
        p.att_area_variance,
        p.between_area_df,
    );
}

/// Put `k` in work of `n` eligible in site row `i`, with its rate, interval,
/// funnel limits and flag as the pipeline derives them.
pub fn place_site(e: &mut Evidence, i: usize, k: u64, n: u64) {
    let s: &mut SiteOutcome = &mut e.tables.site_outcomes[i];
    (s.in_work_6m, s.eligible) = (k, n);
    [s.rate, s.rate_low, s.rate_high] = rate(k, n);
    let limits = |z| {
        s.target_rate
            .and_then(|p0| funnel::control_limits(p0, n, z))
    };
    let (l95, l998) = (limits(funnel::Z_95), limits(funnel::Z_998));
    (s.limit95_low, s.limit95_high) = (l95.map(|l| l.0), l95.map(|l| l.1));
    (s.limit998_low, s.limit998_high) = (l998.map(|l| l.0), l998.map(|l| l.1));
    s.funnel_flag = funnel::funnel_flag(s.rate, l998);
}

fn set_subgroup_rate(e: &mut Evidence, i: usize, k: u64, n: u64) {
    let s: &mut SubgroupOutcome = &mut e.tables.subgroup_outcomes[i];
    (s.in_work_6m, s.eligible) = (k, n);
    [s.rate, s.rate_low, s.rate_high] = rate(k, n);
}

fn set_subgroup_matched(e: &mut Evidence, i: usize, k: u64, m: u64) {
    let programme = &e.tables.subgroup_outcomes[i].programme;
    let tau2_df = e
        .tables
        .programme_outcomes
        .iter()
        .find(|p| &p.programme == programme)
        .and_then(|p| p.between_area_df);
    let s: &mut SubgroupOutcome = &mut e.tables.subgroup_outcomes[i];
    (s.matched_in_work, s.matched) = (k, m);
    [s.att, s.att_low, s.att_high] = effect(
        k,
        m,
        s.comparison_rate,
        s.comparison_variance,
        s.att_area_variance,
        tau2_df,
    );
}

/// One of the four DiD cells: pre, post, comparison pre, comparison post.
fn set_did_cell<const CELL: usize>(e: &mut Evidence, i: usize, k: u64, n: u64) {
    let d: &mut FitNoteDid = &mut e.tables.fit_note_did[i];
    let mut cells = [
        (d.pre_fit_notes, d.pre_may_be_fit),
        (d.post_fit_notes, d.post_may_be_fit),
        (d.comparison_pre_fit_notes, d.comparison_pre_may_be_fit),
        (d.comparison_post_fit_notes, d.comparison_post_may_be_fit),
    ];
    cells[CELL] = (n, k);
    [
        (d.pre_fit_notes, d.pre_may_be_fit),
        (d.post_fit_notes, d.post_may_be_fit),
        (d.comparison_pre_fit_notes, d.comparison_pre_may_be_fit),
        (d.comparison_post_fit_notes, d.comparison_post_may_be_fit),
    ] = cells;
    let [a, b, c, dd] = cells.map(|(fit_notes, may_be_fit)| did::NoteCounts {
        fit_notes,
        may_be_fit,
    });
    let estimate = did::difference_in_differences(a, b, c, dd);
    (d.pre_share, d.post_share) = (estimate.pre_share, estimate.post_share);
    (d.comparison_pre_share, d.comparison_post_share) = (
        estimate.comparison_pre_share,
        estimate.comparison_post_share,
    );
    (d.did, d.did_low, d.did_high) = (estimate.did, estimate.did_low, estimate.did_high);
}

/// A site's other indicator (3 and 12 months, engaged, may-be-fit notes).
fn set_site_counts<const WHICH: usize>(e: &mut Evidence, i: usize, k: u64, n: u64) {
    let s: &mut SiteOutcome = &mut e.tables.site_outcomes[i];
    match WHICH {
        0 => (s.in_work_3m, s.eligible_3m) = (k, n),
        1 => (s.in_work_12m, s.eligible_12m) = (k, n),
        2 => s.engaged = k,
        _ => (s.may_be_fit, s.fit_notes) = (k, n),
    }
}

fn set_site_matched(e: &mut Evidence, i: usize, k: u64, m: u64) {
    let s: &mut SiteOutcome = &mut e.tables.site_outcomes[i];
    (s.matched_in_work, s.matched) = (k, m);
    [s.att, s.att_low, s.att_high] = effect(
        k,
        m,
        s.comparison_rate,
        s.comparison_variance,
        Some(0.0),
        Some(f64::INFINITY),
    );
}

fn set_quarter(e: &mut Evidence, i: usize, k: u64, n: u64) {
    let q = &mut e.tables.site_quarters[i];
    (q.in_work_6m, q.eligible) = (k, n);
    [q.rate, q.rate_low, q.rate_high] = rate(k, n);
}

fn set_outcome(e: &mut Evidence, i: usize, k: u64, m: u64) {
    let o = &mut e.tables.outcome_effects[i];
    let tau2_df = o.between_area_df;
    (o.matched_total, o.matched) = (k, m);
    o.unmatched = o.eligible.saturating_sub(m);
    o.participant_mean = (m > 0).then(|| k as f64 / m as f64);
    if o.unit == Unit::Proportion {
        [o.att, o.att_low, o.att_high] = effect(
            k,
            m,
            o.comparison_mean,
            o.comparison_variance,
            o.att_area_variance,
            tau2_df,
        );
    } else {
        o.att = o
            .participant_mean
            .zip(o.comparison_mean)
            .map(|(p, c)| p - c);
    }
}

/// A balance level's matched participants (of the programme's matched).
fn set_balance_after(e: &mut Evidence, i: usize, k: u64, _n: u64) {
    let b = &mut e.tables.balance[i];
    b.participants = k;
}

/// A balance level's eligible participants before matching (of the
/// programme's eligible), held as their share.
fn set_balance_before(e: &mut Evidence, i: usize, k: u64, n: u64) {
    let b = &mut e.tables.balance[i];
    b.participant_mean_before = (n > 0).then(|| k as f64 / n as f64);
}

fn programme_of<'a>(e: &'a Evidence, name: &str) -> Option<&'a ProgrammeOutcome> {
    e.tables
        .programme_outcomes
        .iter()
        .find(|p| p.programme == name)
}

fn set_month(e: &mut Evidence, i: usize, k: u64, n: u64) {
    let m = &mut e.tables.fit_note_monthly[i];
    (m.may_be_fit, m.fit_notes) = (k, n);
    m.may_be_fit_share = (n > 0).then(|| k as f64 / n as f64);
}

/// The pairs of counts of one table: (name, the exact pair of row `i`, how
/// to put a candidate in its place).
type Pairs = Vec<(
    &'static str,
    fn(&Evidence, usize) -> (u64, u64),
    Apply,
    Unknown,
)>;

fn pairs(table: &str) -> Pairs {
    match table {
        "programme_outcomes" => vec![
            (
                "in_work_6m/eligible",
                |e, i| {
                    let p = &e.tables.programme_outcomes[i];
                    (p.in_work_6m, p.eligible)
                },
                set_programme_rate,
                Unknown::Both,
            ),
            (
                "matched_in_work/matched",
                |e, i| {
                    let p = &e.tables.programme_outcomes[i];
                    (p.matched_in_work, p.matched)
                },
                set_programme_matched,
                Unknown::Both,
            ),
        ],
        "site_outcomes" => vec![
            (
                "in_work_6m/eligible",
                |e, i| {
                    let s = &e.tables.site_outcomes[i];
                    (s.in_work_6m, s.eligible)
                },
                place_site,
                Unknown::Both,
            ),
            (
                "matched_in_work/matched",
                |e, i| {
                    let s = &e.tables.site_outcomes[i];
                    (s.matched_in_work, s.matched)
                },
                set_site_matched,
                Unknown::Both,
            ),
            (
                "in_work_3m/eligible_3m",
                |e, i| {
                    let s = &e.tables.site_outcomes[i];
                    (s.in_work_3m, s.eligible_3m)
                },
                set_site_counts::<0>,
                Unknown::Both,
            ),
            (
                "in_work_12m/eligible_12m",
                |e, i| {
                    let s = &e.tables.site_outcomes[i];
                    (s.in_work_12m, s.eligible_12m)
                },
                set_site_counts::<1>,
                Unknown::Both,
            ),
            (
                "engaged/eligible",
                |e, i| {
                    let s = &e.tables.site_outcomes[i];
                    (s.engaged, s.eligible)
                },
                set_site_counts::<2>,
                Unknown::Numerator,
            ),
            (
                "may_be_fit/fit_notes",
                |e, i| {
                    let s = &e.tables.site_outcomes[i];
                    (s.may_be_fit, s.fit_notes)
                },
                set_site_counts::<3>,
                Unknown::Both,
            ),
        ],
        "subgroup_outcomes" => vec![
            (
                "in_work_6m/eligible",
                |e, i| {
                    let s = &e.tables.subgroup_outcomes[i];
                    (s.in_work_6m, s.eligible)
                },
                set_subgroup_rate,
                Unknown::Both,
            ),
            (
                "matched_in_work/matched",
                |e, i| {
                    let s = &e.tables.subgroup_outcomes[i];
                    (s.matched_in_work, s.matched)
                },
                set_subgroup_matched,
                Unknown::Both,
            ),
        ],
        "fit_note_did" => vec![
            (
                "pre_may_be_fit/pre_fit_notes",
                |e, i| {
                    let d = &e.tables.fit_note_did[i];
                    (d.pre_may_be_fit, d.pre_fit_notes)
                },
                set_did_cell::<0>,
                Unknown::Both,
            ),
            (
                "post_may_be_fit/post_fit_notes",
                |e, i| {
                    let d = &e.tables.fit_note_did[i];
                    (d.post_may_be_fit, d.post_fit_notes)
                },
                set_did_cell::<1>,
                Unknown::Both,
            ),
            (
                "comparison_pre_may_be_fit/comparison_pre_fit_notes",
                |e, i| {
                    let d = &e.tables.fit_note_did[i];
                    (d.comparison_pre_may_be_fit, d.comparison_pre_fit_notes)
                },
                set_did_cell::<2>,
                Unknown::Both,
            ),
            (
                "comparison_post_may_be_fit/comparison_post_fit_notes",
                |e, i| {
                    let d = &e.tables.fit_note_did[i];
                    (d.comparison_post_may_be_fit, d.comparison_post_fit_notes)
                },
                set_did_cell::<3>,
                Unknown::Both,
            ),
        ],
        "fit_note_monthly" => vec![(
            "may_be_fit/fit_notes",
            |e, i| {
                let m = &e.tables.fit_note_monthly[i];
                (m.may_be_fit, m.fit_notes)
            },
            set_month,
            Unknown::Both,
        )],
        "site_quarters" => vec![(
            "in_work_6m/eligible",
            |e, i| {
                let q = &e.tables.site_quarters[i];
                (q.in_work_6m, q.eligible)
            },
            set_quarter,
            Unknown::Both,
        )],
        "outcome_effects" => vec![(
            "matched_total/matched",
            |e, i| {
                let o = &e.tables.outcome_effects[i];
                (o.matched_total, o.matched)
            },
            set_outcome,
            // Which candidates depends on the row's unit: see `unknown_of`.
            Unknown::Both,
        )],
        "balance" => vec![
            (
                "participants/matched",
                |e, i| {
                    let b = &e.tables.balance[i];
                    let matched = programme_of(e, &b.programme).map_or(0, |p| p.matched);
                    (b.participants, matched)
                },
                set_balance_after,
                Unknown::Numerator,
            ),
            (
                "participants_before/eligible",
                |e, i| {
                    let b = &e.tables.balance[i];
                    let eligible = programme_of(e, &b.programme).map_or(0, |p| p.eligible);
                    let before = b
                        .participant_mean_before
                        .map_or(0, |m| (m * eligible as f64).round() as u64);
                    (before, eligible)
                },
                set_balance_before,
                Unknown::Numerator,
            ),
        ],
        _ => Vec::new(),
    }
}

/// The candidates of a pair in row `i`: a mean outcome's total is not a
/// count a reader can bound by rounding.
fn unknown_of(e: &Evidence, table: &str, i: usize, declared: Unknown) -> Unknown {
    match table {
        "outcome_effects" if e.tables.outcome_effects[i].unit != Unit::Proportion => Unknown::Total,
        _ => declared,
    }
}

/// The exact tables audited: every one a published count is built on.
pub const TABLES: [&str; 8] = [
    "programme_outcomes",
    "site_outcomes",
    "site_quarters",
    "subgroup_outcomes",
    "outcome_effects",
    "balance",
    "fit_note_monthly",
    "fit_note_did",
];

/// The exact rows of `table`, in the order they are reported (a month of
/// fit notes by area and month).
fn exact_rows(exact: &Evidence, table: &str) -> Vec<usize> {
    let t = &exact.tables;
    match table {
        "programme_outcomes" => (0..t.programme_outcomes.len()).collect(),
        "site_outcomes" => (0..t.site_outcomes.len()).collect(),
        "site_quarters" => (0..t.site_quarters.len()).collect(),
        "subgroup_outcomes" => (0..t.subgroup_outcomes.len()).collect(),
        "outcome_effects" => (0..t.outcome_effects.len()).collect(),
        // A level no participant has is not published at all.
        "balance" => (0..t.balance.len())
            .filter(|&i| {
                let b = &t.balance[i];
                b.level.is_some() && b.participant_mean_before.is_some_and(|m| m > 0.0)
            })
            .collect(),
        "fit_note_did" => (0..t.fit_note_did.len()).collect(),
        "fit_note_monthly" => {
            let mut order: Vec<usize> = (0..t.fit_note_monthly.len()).collect();
            order.sort_by(|&a, &b| {
                let (a, b) = (&t.fit_note_monthly[a], &t.fit_note_monthly[b]);
                (&a.area_id, a.month).cmp(&(&b.area_id, b.month))
            });
            order
        }
        _ => Vec::new(),
    }
}

/// The evidence a candidate of `table`'s exact row `i` is judged in: the
/// whole evidence, or, for a month of fit notes, that month's rows (the
/// same groups, far fewer rows).
fn scope(exact: &Evidence, table: &str, i: usize) -> (Evidence, usize) {
    let mut scoped = exact.clone();
    if table == "fit_note_monthly" {
        let month = exact.tables.fit_note_monthly[i].month;
        let area = exact.tables.fit_note_monthly[i].area_id.clone();
        scoped.tables.fit_note_monthly.retain(|m| m.month == month);
        scoped.tables.fit_note_trend.retain(|t| t.month == month);
        let at = scoped
            .tables
            .fit_note_monthly
            .iter()
            .position(|m| m.area_id == area)
            .unwrap_or(0);
        return (scoped, at);
    }
    scoped.tables.fit_note_monthly.clear();
    scoped.tables.fit_note_trend.clear();
    (scoped, i)
}

/// Everything a commissioner can download from `published`, as text:
/// every API table's rows, and every chart's title, caption and data on
/// the overview, each programme's page and each site's page.
pub fn downloads(published: &Published) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for table in crate::presentation::tables::names() {
        out.push(format!("{table}: {:?}", rows(published, table)));
    }
    let mut scopes = vec![Scope::Overview];
    for p in &published.programmes {
        scopes.push(Scope::Programme(p));
        scopes.extend(published.sites_of(p).map(|s| Scope::Site(p, s)));
    }
    for scope in scopes {
        for chart in catalogue::charts(published, scope) {
            out.push(format!(
                "{}: {} | {} | {:?} | {:?}",
                chart.name, chart.title, chart.caption, chart.table.columns, chart.table.rows
            ));
        }
    }
    out
}

/// Audit every row with counts of every table in `tables` (exact table
/// names; [`TABLES`] is all of them).
pub fn audit(exact: &Evidence, tables: &[&'static str]) -> Vec<RowAudit> {
    let mut audits = Vec::new();
    for &table in tables {
        for (row, &i) in exact_rows(exact, table).iter().enumerate() {
            let (scoped, at) = scope(exact, table, i);
            let truth = downloads(&control(&scoped));
            for (pair, get, apply, unknown) in pairs(table) {
                let (k0, n0) = get(&scoped, at);
                let candidates = unknown_of(&scoped, table, at, unknown).candidates(k0, n0);
                if candidates.len() < 2 {
                    // Nothing a reader does not know already: a level of
                    // no one, where the total it is part of is 0.
                    continue;
                }
                let consistent = candidates
                    .iter()
                    .filter(|&&(k, n)| {
                        let mut candidate = scoped.clone();
                        apply(&mut candidate, at, k, n);
                        downloads(&control(&candidate)) == truth
                    })
                    .count();
                audits.push(RowAudit {
                    table,
                    row,
                    pair,
                    consistent,
                    candidates: candidates.len(),
                });
            }
        }
    }
    audits
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod rounding_box {
    use super::*;

    #[test]
    fn holds_the_values_that_round_alike() {
        assert_eq!(
            rounding_box(266).collect::<Vec<_>>(),
            [263, 264, 265, 266, 267]
        );
        assert_eq!(rounding_box(1).collect::<Vec<_>>(), [0, 1, 2]);
    }
}
