//! The pairs of exact counts of each audited table, and the candidates a
//! reader cannot tell from the truth.

use super::place::*;
use super::rounding_box;
use contract::Evidence;
use contract::outcomes::Unit;

pub(super) type Apply = fn(&mut Evidence, usize, u64, u64);

/// Which of a pair's exact counts a reader does not know, and the
/// candidates for each. A count that is also another row's (a site's
/// eligible, a programme's matched) is varied there too, so a candidate is
/// a whole alternative evidence.
#[derive(Clone, Copy)]
pub(super) enum Unknown {
    /// Both counts, each within its rounding box.
    Both,
    /// A mean's total (not itself published: within ±2 of the truth) and
    /// its count (within its rounding box).
    Total,
}

impl Unknown {
    pub(super) fn candidates(self, k0: u64, n0: u64) -> Vec<(u64, u64)> {
        let ns: Vec<u64> = rounding_box(n0).collect();
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

/// The pairs of counts of one table: (name, the exact pair of row `i`, how
/// to put a candidate in its place).
pub(super) type Pairs = Vec<(
    &'static str,
    fn(&Evidence, usize) -> (u64, u64),
    Apply,
    Unknown,
)>;

pub(super) fn pairs(table: &str) -> Pairs {
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
                    let p = &e.tables.programme_outcomes[i].effect;
                    (p.matched_in_work, p.matched)
                },
                set_programme_matched,
                Unknown::Both,
            ),
            (
                "own_area_matched_in_work/own_area_matched",
                |e, i| {
                    let p = &e.tables.programme_outcomes[i];
                    (p.own_area_matched_in_work, p.own_area_matched)
                },
                set_programme_own_area,
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
                Unknown::Both,
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
                    let s = &e.tables.subgroup_outcomes[i].effect;
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
                    let matched = programme_of(e, &b.programme).map_or(0, |p| p.effect.matched);
                    (b.participants, matched)
                },
                set_balance_after,
                Unknown::Both,
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
                Unknown::Both,
            ),
        ],
        _ => Vec::new(),
    }
}

/// The candidates of a pair in row `i`: a mean outcome's total is not a
/// count a reader can bound by rounding.
pub(super) fn unknown_of(e: &Evidence, table: &str, i: usize, declared: Unknown) -> Unknown {
    match table {
        "outcome_effects" if e.tables.outcome_effects[i].unit != Unit::Proportion => Unknown::Total,
        _ => declared,
    }
}
