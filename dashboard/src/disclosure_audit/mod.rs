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
//! built on: the rate and matched pairs of programmes (and the own-area
//! design's matched pair), sites (and each spine indicator) and subgroups;
//! the four cells of the fit-note DiD; each area-month of fit notes; each
//! quarter of a site (`site_quarters`); each outcome's matched total and
//! count (`outcome_effects`); and each balance level's participants before
//! and after matching (`balance`). Each count
//! is varied within its rounding, and a count that is also another row's
//! (a site's eligible, a programme's matched or eligible) is varied there
//! too; a mean outcome's total is varied by ±2 around the truth, so a row
//! reported unpinned has at least two consistent candidates.

pub mod flips;
mod pairs;
mod place;

use crate::charts::catalogue::{self, Scope};
use crate::disclosure::{Published, ROUNDING_BASE, control};
use crate::presentation::tables::rows;
use contract::Evidence;
use pairs::{pairs, unknown_of};
pub use place::{effect, place_site, rate};

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
pub(super) fn rounding_box(exact: u64) -> impl Iterator<Item = u64> {
    let half = ROUNDING_BASE / 2;
    let centre = (exact + half) / ROUNDING_BASE * ROUNDING_BASE;
    (centre.saturating_sub(half)..=centre + half)
        .filter(move |v| (v + half) / ROUNDING_BASE * ROUNDING_BASE == centre)
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
    scopes.extend(published.did.iter().map(|d| Scope::FitNotes(&d.programme)));
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
