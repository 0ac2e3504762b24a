//! How a candidate pair of exact counts is put in place of the truth: the
//! counts, and every figure the pipeline derives from them, by the
//! contract's formulas.

use contract::Evidence;
use contract::outcomes::Unit;
use contract::outputs::{
    FitNoteDid, MatchedEffect, ProgrammeOutcome, SiteOutcome, SubgroupOutcome,
};
use stats::formulas::{att, did, funnel, wilson};

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
    design_effect: Option<f64>,
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
    let d = design_effect.unwrap_or(1.0);
    let (parts, _) =
        att::AttParts::within_strata(p * (1.0 - p), d, m, (c, v), area_variance, tau2_df);
    match att::att(k, m, parts) {
        Some(a) => [Some(a.att), Some(a.low), Some(a.high)],
        None => [None; 3],
    }
}

pub(super) fn set_programme_rate(e: &mut Evidence, i: usize, k: u64, n: u64) {
    let p: &mut ProgrammeOutcome = &mut e.tables.programme_outcomes[i];
    (p.in_work_6m, p.eligible) = (k, n);
    [p.rate, p.rate_low, p.rate_high] = rate(k, n);
}

/// `k` in work of `m` matched in a matched effect block, with the effect
/// and its interval rebuilt on them (τ̃²'s degrees of freedom `tau2_df`).
fn place_matched(block: &mut MatchedEffect, k: u64, m: u64, tau2_df: Option<f64>) {
    (block.matched_in_work, block.matched) = (k, m);
    [block.att, block.att_low, block.att_high] = effect(
        k,
        m,
        block.comparison_rate,
        block.comparison_variance,
        block.att_area_variance,
        tau2_df,
        block.att_design_effect,
    );
}

pub(super) fn set_programme_matched(e: &mut Evidence, i: usize, k: u64, m: u64) {
    let p: &mut ProgrammeOutcome = &mut e.tables.programme_outcomes[i];
    place_matched(&mut p.effect, k, m, p.between_area_df);
}

/// The own-area design's matched participants (`k` in work of `m`), with
/// its effect and interval: the ATT's with no areas' part (CONTRACT.md,
/// the own-area design), its p-value as the interval's own.
pub(super) fn set_programme_own_area(e: &mut Evidence, i: usize, k: u64, m: u64) {
    let p: &mut ProgrammeOutcome = &mut e.tables.programme_outcomes[i];
    (p.own_area_matched_in_work, p.own_area_matched) = (k, m);
    let (Some(c), Some(v)) = (p.own_area_comparison_rate, p.own_area_comparison_variance) else {
        return;
    };
    let a = att::att_within_areas(k, m, c, v, p.own_area_design_effect.unwrap_or(1.0));
    p.own_area_att = a.map(|(a, _)| a.att);
    p.own_area_att_low = a.map(|(a, _)| a.low);
    p.own_area_att_high = a.map(|(a, _)| a.high);
    p.own_area_att_p_value = a.and_then(|(_, p)| p);
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

pub(super) fn set_subgroup_rate(e: &mut Evidence, i: usize, k: u64, n: u64) {
    let s: &mut SubgroupOutcome = &mut e.tables.subgroup_outcomes[i];
    (s.in_work_6m, s.eligible) = (k, n);
    [s.rate, s.rate_low, s.rate_high] = rate(k, n);
}

pub(super) fn set_subgroup_matched(e: &mut Evidence, i: usize, k: u64, m: u64) {
    let programme = &e.tables.subgroup_outcomes[i].programme;
    let tau2_df = e
        .tables
        .programme_outcomes
        .iter()
        .find(|p| &p.programme == programme)
        .and_then(|p| p.between_area_df);
    let s: &mut SubgroupOutcome = &mut e.tables.subgroup_outcomes[i];
    place_matched(&mut s.effect, k, m, tau2_df);
}

/// One of the four DiD cells: pre, post, comparison pre, comparison post.
pub(super) fn set_did_cell<const CELL: usize>(e: &mut Evidence, i: usize, k: u64, n: u64) {
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
pub(super) fn set_site_counts<const WHICH: usize>(e: &mut Evidence, i: usize, k: u64, n: u64) {
    let s: &mut SiteOutcome = &mut e.tables.site_outcomes[i];
    match WHICH {
        0 => (s.in_work_3m, s.eligible_3m) = (k, n),
        1 => (s.in_work_12m, s.eligible_12m) = (k, n),
        2 => {
            // Engaged of eligible: the eligible count is the rate's too.
            s.engaged = k;
            let in_work = s.in_work_6m.min(n);
            place_site(e, i, in_work, n);
        }
        _ => (s.may_be_fit, s.fit_notes) = (k, n),
    }
}

pub(super) fn set_site_matched(e: &mut Evidence, i: usize, k: u64, m: u64) {
    let s: &mut SiteOutcome = &mut e.tables.site_outcomes[i];
    (s.matched_in_work, s.matched) = (k, m);
    [s.att, s.att_low, s.att_high] = effect(
        k,
        m,
        s.comparison_rate,
        s.comparison_variance,
        Some(0.0),
        Some(f64::INFINITY),
        s.att_design_effect,
    );
}

pub(super) fn set_quarter(e: &mut Evidence, i: usize, k: u64, n: u64) {
    let q = &mut e.tables.site_quarters[i];
    (q.in_work_6m, q.eligible) = (k, n);
    [q.rate, q.rate_low, q.rate_high] = rate(k, n);
}

pub(super) fn set_outcome(e: &mut Evidence, i: usize, k: u64, m: u64) {
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
            o.att_design_effect,
        );
    } else {
        o.att = o
            .participant_mean
            .zip(o.comparison_mean)
            .map(|(p, c)| p - c);
    }
}

/// The programme row of balance row `i`.
fn programme_index(e: &Evidence, i: usize) -> Option<usize> {
    let name = &e.tables.balance[i].programme;
    e.tables
        .programme_outcomes
        .iter()
        .position(|p| &p.programme == name)
}

/// A balance level's matched participants of the programme's matched
/// (which a reader knows only rounded, so it is a candidate too, with the
/// programme's effect rebuilt on it).
pub(super) fn set_balance_after(e: &mut Evidence, i: usize, k: u64, n: u64) {
    if let Some(p) = programme_index(e, i) {
        let in_work = e.tables.programme_outcomes[p].effect.matched_in_work.min(n);
        set_programme_matched(e, p, in_work, n);
    }
    e.tables.balance[i].participants = k;
}

/// A balance level's eligible participants before matching, of the
/// programme's eligible (a candidate too, with the programme's rate
/// rebuilt on it), held as their share.
pub(super) fn set_balance_before(e: &mut Evidence, i: usize, k: u64, n: u64) {
    if let Some(p) = programme_index(e, i) {
        let programme = e.tables.programme_outcomes[p].clone();
        let in_work = programme.in_work_6m.min(n);
        set_programme_rate(e, p, in_work, n);
        // The programme's other levels keep their counts: their shares are
        // of the new total.
        let n0 = programme.eligible as f64;
        for b in e
            .tables
            .balance
            .iter_mut()
            .filter(|b| b.programme == programme.programme && b.level.is_some())
        {
            b.participant_mean_before = b
                .participant_mean_before
                .filter(|_| n > 0)
                .map(|m| (m * n0).round() / n as f64);
        }
    }
    e.tables.balance[i].participant_mean_before = (n > 0).then(|| k as f64 / n as f64);
}

pub(super) fn programme_of<'a>(e: &'a Evidence, name: &str) -> Option<&'a ProgrammeOutcome> {
    e.tables
        .programme_outcomes
        .iter()
        .find(|p| p.programme == name)
}

pub(super) fn set_month(e: &mut Evidence, i: usize, k: u64, n: u64) {
    let m = &mut e.tables.fit_note_monthly[i];
    (m.may_be_fit, m.fit_notes) = (k, n);
    m.may_be_fit_share = (n > 0).then(|| k as f64 / n as f64);
}
