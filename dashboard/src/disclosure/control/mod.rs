//! Exact evidence in, published figures out: every rule of the policy
//! applied to every table. Counts are rounded (and suppressed when small or
//! when they would be a total minus the published rest); every rate,
//! interval, effect, share, funnel position and cost is then derived from
//! the rounded counts with the contract's own formulas, so a published row
//! is consistent with every pair of exact counts that round to its counts.

mod balance;
mod notes;
mod outcome_effects;
mod outcomes;
mod sites;

pub use sites::{SPINE, spine_value};

use super::published::*;
use super::values::{Count, Share};
use contract::Evidence;

fn run(m: &contract::Manifest) -> Run {
    Run {
        run_id: m.run_id.clone(),
        version: m.version.clone(),
        started_at: m.started_at.clone(),
        finished_at: m.finished_at.clone(),
        as_of: m.as_of.clone(),
        data_root: m.data_root.clone(),
        warnings: m.warnings.clone(),
        published_fit_notes: m.published_fit_notes.clone(),
        inputs: m
            .inputs
            .iter()
            .map(|i| Input {
                table: i.loaded.table.clone(),
                files: i.loaded.files.len(),
                rows_read: Count::of(i.rows_read),
                rows_used: Count::of(i.rows_used),
                rows_quarantined: Count::of(i.rows_quarantined),
                none_quarantined: i.rows_quarantined == 0,
                quarantined_share: Share::of_counts(false, i.rows_quarantined, i.rows_read),
            })
            .collect(),
    }
}

/// Apply disclosure control to every figure of an evidence root.
pub fn control(exact: &Evidence) -> Published {
    let t = &exact.tables;
    let start_of = |programme: &str| {
        t.fit_note_did
            .iter()
            .find(|d| d.programme == programme)
            .and_then(|d| d.start_date)
    };
    let mut programmes: Vec<Programme> = t
        .programme_outcomes
        .iter()
        .map(|p| {
            let mut programme = outcomes::programme(p, start_of(&p.programme));
            (programme.engaged_share, programme.att_engaged) = balance::engaged(p, programme.att);
            programme.balance = balance::balance(&t.balance, p);
            programme.balance_l1 = balance::l1(p);
            programme.headline = contract::outcomes::headlines()
                .into_iter()
                .find(|h| h.programme == p.programme);
            programme.outcomes = outcome_effects::outcomes(&t.outcome_effects, &p.programme);
            programme
        })
        .collect();
    let mut subgroups = outcomes::subgroups(&t.subgroup_outcomes, &t.programme_outcomes);
    outcomes::co_enrolled_as_subgroup(&mut programmes, &subgroups);
    outcomes::withhold_failed(&mut programmes, &mut subgroups);
    outcomes::adjust_programmes(&mut programmes);
    outcomes::adjust_subgroups(&mut subgroups);
    let (sites, site_spreads, spine) = sites::sites(
        &t.site_outcomes,
        &t.site_quarters,
        &t.programme_outcomes,
        &programmes,
    );
    let checks = t
        .data_quality
        .iter()
        .map(|c| Check {
            table_name: c.table_name.clone(),
            check_name: c.check_name.clone(),
            rows_failed: Count::of(c.rows_failed),
            failed: c.rows_failed > 0,
        })
        .collect();
    Published {
        run: run(&exact.manifest),
        subgroups,
        area_notes: notes::area_notes(&t.fit_note_monthly, &t.fit_note_trend, &t.site_outcomes),
        programme_notes: notes::programme_notes(&t.fit_note_trend, &t.fit_note_did),
        did: {
            let effects = notes::rounded_effects(&t.fit_note_monthly, &t.fit_note_areas);
            t.fit_note_did
                .iter()
                .map(|d| notes::did(d, &effects, &t.fit_note_areas))
                .collect()
        },
        programmes,
        sites,
        checks,
        site_spreads,
        spine,
    }
}
