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
//! ([`crate::presentation::tables`]). A candidate is consistent when its row
//! reads exactly as the real one.

use crate::disclosure::{ROUNDING_BASE, control};
use crate::presentation::tables::{Row, rows};
use contract::Evidence;
use contract::formulas::{att, did, funnel, wilson};
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

fn set_month(e: &mut Evidence, i: usize, k: u64, n: u64) {
    let m = &mut e.tables.fit_note_monthly[i];
    (m.may_be_fit, m.fit_notes) = (k, n);
    m.may_be_fit_share = (n > 0).then(|| k as f64 / n as f64);
}

/// The pairs of counts of one table: (name, the exact pair of row `i`, how
/// to put a candidate in its place).
type Pairs = Vec<(&'static str, fn(&Evidence, usize) -> (u64, u64), Apply)>;

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
            ),
            (
                "matched_in_work/matched",
                |e, i| {
                    let p = &e.tables.programme_outcomes[i];
                    (p.matched_in_work, p.matched)
                },
                set_programme_matched,
            ),
        ],
        "site_outcomes" => vec![(
            "in_work_6m/eligible",
            |e, i| {
                let s = &e.tables.site_outcomes[i];
                (s.in_work_6m, s.eligible)
            },
            place_site,
        )],
        "subgroup_outcomes" => vec![
            (
                "in_work_6m/eligible",
                |e, i| {
                    let s = &e.tables.subgroup_outcomes[i];
                    (s.in_work_6m, s.eligible)
                },
                set_subgroup_rate,
            ),
            (
                "matched_in_work/matched",
                |e, i| {
                    let s = &e.tables.subgroup_outcomes[i];
                    (s.matched_in_work, s.matched)
                },
                set_subgroup_matched,
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
            ),
            (
                "post_may_be_fit/post_fit_notes",
                |e, i| {
                    let d = &e.tables.fit_note_did[i];
                    (d.post_may_be_fit, d.post_fit_notes)
                },
                set_did_cell::<1>,
            ),
            (
                "comparison_pre_may_be_fit/comparison_pre_fit_notes",
                |e, i| {
                    let d = &e.tables.fit_note_did[i];
                    (d.comparison_pre_may_be_fit, d.comparison_pre_fit_notes)
                },
                set_did_cell::<2>,
            ),
            (
                "comparison_post_may_be_fit/comparison_post_fit_notes",
                |e, i| {
                    let d = &e.tables.fit_note_did[i];
                    (d.comparison_post_may_be_fit, d.comparison_post_fit_notes)
                },
                set_did_cell::<3>,
            ),
        ],
        "fit_note_monthly" => vec![(
            "may_be_fit/fit_notes",
            |e, i| {
                let m = &e.tables.fit_note_monthly[i];
                (m.may_be_fit, m.fit_notes)
            },
            set_month,
        )],
        _ => Vec::new(),
    }
}

/// The exact rows behind each published row of `table`, in the published
/// order, and the evidence to control for a candidate of exact row `i`
/// (the whole evidence, or, for a month of fit notes, that month's rows:
/// the same groups, far fewer rows).
fn exact_rows(exact: &Evidence, table: &str) -> Vec<usize> {
    let t = &exact.tables;
    match table {
        "programme_outcomes" => (0..t.programme_outcomes.len()).collect(),
        "site_outcomes" => (0..t.site_outcomes.len()).collect(),
        "subgroup_outcomes" => (0..t.subgroup_outcomes.len()).collect(),
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

/// The evidence a candidate of `table`'s exact row `i` is judged in.
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

/// The published row of `table` that shows exact row `i` of `evidence`.
fn published_row(evidence: &Evidence, table: &str, i: usize) -> Option<Row> {
    let published = control(evidence);
    let rows = rows(&published, table)?;
    let position = exact_rows(evidence, table).iter().position(|&r| r == i)?;
    rows.into_iter().nth(position)
}

/// Audit every row of every table in `tables` (commissioners' table names).
pub fn audit(exact: &Evidence, tables: &[&'static str]) -> Vec<RowAudit> {
    let mut audits = Vec::new();
    for &table in tables {
        for (row, &i) in exact_rows(exact, table).iter().enumerate() {
            let (scoped, at) = scope(exact, table, i);
            let Some(truth) = published_row(&scoped, table, at) else {
                continue;
            };
            for (pair, get, apply) in pairs(table) {
                let (k0, n0) = get(&scoped, at);
                let (mut consistent, mut candidates) = (0, 0);
                for n in rounding_box(n0) {
                    for k in rounding_box(k0).filter(|&k| k <= n) {
                        candidates += 1;
                        let mut candidate = scoped.clone();
                        apply(&mut candidate, at, k, n);
                        if published_row(&candidate, table, at).as_ref() == Some(&truth) {
                            consistent += 1;
                        }
                    }
                }
                audits.push(RowAudit {
                    table,
                    row,
                    pair,
                    consistent,
                    candidates,
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
