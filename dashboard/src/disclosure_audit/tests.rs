//! Random small-cell data through `control`, the function every page,
//! chart, CSV and API answer uses: its rules hold, and the attacker finds no
//! row that gives back its exact counts.

use crate::disclosure::*;
use contract::Evidence;
use contract::outputs::{MatchedEffect, ProgrammeOutcome, SiteOutcome, SubgroupOutcome, Tables};
use contract::vocabulary::Dimension;
use std::collections::BTreeMap;

/// The areas' part of every ATT's variance, and its degrees of freedom.
const AREA_VARIANCE: f64 = 0.0002;
const TAU2_DF: f64 = 12.0;

/// One random person of a random programme: (programme, site, sex,
/// condition, eligible, in work, matched).
type Person = (usize, usize, usize, usize, bool, bool, bool);

#[derive(Default, Clone, Copy)]
struct Cell {
    participants: u64,
    eligible: u64,
    in_work: u64,
    matched: u64,
    matched_in_work: u64,
}

impl Cell {
    fn add(&mut self, p: &Person) {
        self.participants += 1;
        self.eligible += u64::from(p.4);
        self.in_work += u64::from(p.4 && p.5);
        self.matched += u64::from(p.4 && p.6);
        self.matched_in_work += u64::from(p.4 && p.5 && p.6);
    }
    /// The rate and ATT as the pipeline derives them from these counts.
    fn rate(&self) -> [Option<f64>; 3] {
        super::rate(self.in_work, self.eligible)
    }
    fn att(&self) -> [Option<f64>; 3] {
        super::effect(
            self.matched_in_work,
            self.matched,
            Some(0.4),
            Some(0.0001),
            Some(AREA_VARIANCE),
            Some(TAU2_DF),
            None,
        )
    }
    /// The matched effect block a programme or subgroup row carries.
    fn effect(&self) -> MatchedEffect {
        let [att, att_low, att_high] = self.att();
        MatchedEffect {
            matched: self.matched,
            matched_in_work: self.matched_in_work,
            unmatched: self.eligible - self.matched,
            comparison_rate: Some(0.4),
            comparison_variance: Some(0.0001),
            att,
            att_low,
            att_high,
            att_area_variance: Some(AREA_VARIANCE),
            ..MatchedEffect::default()
        }
    }
}

fn manifest() -> contract::Manifest {
    serde_json::from_value(serde_json::json!({
        "tool": "evidence", "version": "v", "run_id": "r", "started_at": "s",
        "finished_at": "f", "as_of": "2026-01-01", "data_root": "d", "evidence_root": "e",
        "inputs": [], "outputs": []
    }))
    .unwrap()
}

/// Exact evidence aggregated from `people`, so that sites and subgroup
/// values add up to their programme as in a real run.
fn evidence_of(people: &[Person]) -> Evidence {
    let mut programmes: BTreeMap<usize, Cell> = BTreeMap::new();
    let mut sites: BTreeMap<(usize, usize), Cell> = BTreeMap::new();
    let mut subgroups: BTreeMap<(usize, Dimension, usize), Cell> = BTreeMap::new();
    for p in people {
        programmes.entry(p.0).or_default().add(p);
        sites.entry((p.0, p.1)).or_default().add(p);
        subgroups
            .entry((p.0, Dimension::Sex, p.2))
            .or_default()
            .add(p);
        subgroups
            .entry((p.0, Dimension::Condition, p.3))
            .or_default()
            .add(p);
    }
    let name = |p: usize| format!("Programme {p}");
    let tables = Tables {
        programme_outcomes: programmes
            .iter()
            .map(|(&p, c)| {
                let [rate, rate_low, rate_high] = c.rate();
                let [att, att_low, _] = c.att();
                ProgrammeOutcome {
                    programme: name(p),
                    referrals: c.participants,
                    participants: c.participants,
                    eligible: c.eligible,
                    in_work_6m: c.in_work,
                    rate,
                    rate_low,
                    rate_high,
                    effect: c.effect(),
                    strata_matched: 1,
                    strata_dropped: 0,
                    between_area_variance: Some(AREA_VARIANCE),
                    between_area_df: Some(TAU2_DF),
                    comparison_area_weight: Some(0.1),
                    areas: 3,
                    comparison_areas: 12,
                    randomisation_p: Some(0.5),
                    att_p_adjusted: None,
                    mde: None,
                    e_value: None,
                    e_value_interval: None,
                    funding_gbp: Some(1_000_000),
                    cost_per_additional_outcome: att
                        .filter(|_| att_low > Some(0.0))
                        .map(|a| 1_000_000.0 / (a * c.matched as f64)),
                    ..ProgrammeOutcome::empty(&name(p))
                }
            })
            .collect(),
        site_outcomes: sites
            .iter()
            .map(|(&(p, s), c)| {
                let [rate, rate_low, rate_high] = c.rate();
                SiteOutcome {
                    programme: name(p),
                    area_id: format!("area-{s}"),
                    area_name: None,
                    start_date: None,
                    participants: c.participants,
                    eligible: c.eligible,
                    in_work_6m: c.in_work,
                    rate,
                    rate_low,
                    rate_high,
                    target_rate: None,
                    limit95_low: None,
                    limit95_high: None,
                    limit998_low: None,
                    limit998_high: None,
                    ..SiteOutcome::empty(&name(p), &format!("area-{s}"))
                }
            })
            .collect(),
        subgroup_outcomes: subgroups
            .iter()
            .map(|(&(p, dimension, v), c)| {
                let [rate, rate_low, rate_high] = c.rate();
                SubgroupOutcome {
                    programme: name(p),
                    dimension,
                    value: v.to_string(),
                    participants: c.participants,
                    eligible: c.eligible,
                    in_work_6m: c.in_work,
                    rate,
                    rate_low,
                    rate_high,
                    effect: c.effect(),
                    att_p_adjusted: None,
                }
            })
            .collect(),
        ..Tables::default()
    };
    let mut evidence = Evidence {
        manifest: manifest(),
        tables,
    };
    // Each site's funnel limits around its programme's rate, as the pipeline
    // sets them.
    for i in 0..evidence.tables.site_outcomes.len() {
        let site = &evidence.tables.site_outcomes[i];
        let target = evidence
            .tables
            .programme_outcomes
            .iter()
            .find(|p| p.programme == site.programme)
            .and_then(|p| p.rate);
        let (k, n) = (site.in_work_6m, site.eligible);
        evidence.tables.site_outcomes[i].target_rate = target;
        super::place_site(&mut evidence, i, k, n);
    }
    evidence
}

/// Within one total, never exactly one suppressed part.
fn assert_no_lone_suppression(total: Count, parts: &[Count], what: &str) {
    let suppressed = parts.iter().filter(|c| c.is_suppressed()).count();
    assert!(
        total.is_suppressed() || suppressed != 1,
        "{what}: one part suppressed under a published total"
    );
}

/// Random people of up to `programmes` programmes, `sites` sites and
/// `conditions` conditions, mostly eligible and mostly matched.
fn people(
    programmes: usize,
    sites: usize,
    conditions: usize,
    most: usize,
) -> impl proptest::strategy::Strategy<Value = Vec<Person>> {
    use proptest::bool::{ANY, weighted};
    proptest::collection::vec(
        (
            0..programmes,
            0..sites,
            0usize..2,
            0..conditions,
            weighted(0.8),
            ANY,
            weighted(0.9),
        ),
        0..most,
    )
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]

    /// Random small-cell data: every published count is rounded and at
    /// least 10; no suppressed part can be had by differencing; a rate
    /// goes with the counts it is built on.
    #[test]
    fn no_count_is_small_unrounded_or_recoverable_by_differencing(
        people in people(3, 6, 4, 400)
    ) {
        let published = control(&evidence_of(&people));
        let mut counts: Vec<Count> = Vec::new();
        for p in &published.programmes {
            counts.extend([p.participants, p.eligible, p.in_work_6m, p.matched, p.unmatched]);
            let sites: Vec<&Site> = published.sites_of(p).collect();
            for (what, total, part) in [
                ("participants", p.participants, (|s: &Site| s.participants) as fn(&Site) -> Count),
                ("eligible", p.eligible, |s: &Site| s.eligible),
                ("in work", p.in_work_6m, |s: &Site| s.in_work_6m),
            ] {
                let parts: Vec<Count> = sites.iter().map(|s| part(s)).collect();
                assert_no_lone_suppression(total, &parts, &format!("{} sites, {what}", p.name));
            }
            for dimension in [Dimension::Sex, Dimension::Condition] {
                let values: Vec<&Subgroup> = published
                    .subgroups_of(p)
                    .filter(|s| s.dimension == dimension)
                    .collect();
                for (what, total, part) in [
                    ("participants", p.participants, (|s: &Subgroup| s.participants) as fn(&Subgroup) -> Count),
                    ("eligible", p.eligible, |s: &Subgroup| s.eligible),
                    ("in work", p.in_work_6m, |s: &Subgroup| s.in_work_6m),
                    ("matched", p.matched, |s: &Subgroup| s.matched),
                ] {
                    let parts: Vec<Count> = values.iter().map(|s| part(s)).collect();
                    assert_no_lone_suppression(total, &parts, &format!("{} by {dimension}, {what}", p.name));
                }
            }
        }
        for s in &published.sites {
            counts.extend([s.participants, s.eligible, s.in_work_6m]);
            if s.eligible.is_suppressed() || s.in_work_6m.is_suppressed() {
                assert!(s.rate.is_suppressed() && s.funnel_flag.is_none() && s.limits.is_none());
            }
        }
        for s in &published.subgroups {
            counts.extend([s.participants, s.eligible, s.in_work_6m, s.matched]);
            if s.eligible.is_suppressed() || s.in_work_6m.is_suppressed() {
                assert!(s.rate.is_suppressed());
            }
            if s.matched.is_suppressed() {
                assert!(s.att.is_suppressed() && s.comparison_rate.is_suppressed());
            }
        }
        for c in counts {
            if let Some(n) = c.value() {
                assert!(n >= THRESHOLD && n % ROUNDING_BASE == 0, "published count {n}");
            }
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

    /// The attacker's test: no published programme, site or subgroup row of
    /// random small-cell data is consistent with only one pair of exact
    /// counts, however its figures are combined.
    #[test]
    fn no_published_row_gives_back_its_exact_counts(people in people(2, 3, 2, 300)) {
        let evidence = evidence_of(&people);
        for audit in super::audit(&evidence, &super::TABLES) {
            assert!(
                audit.consistent >= 2,
                "{} row {} ({}): {} exact pair(s) of {} fit what is published",
                audit.table, audit.row, audit.pair, audit.consistent, audit.candidates
            );
        }
    }
}

/// The flips count: every effect with an exact interval is compared or
/// counted as unpublished, and an exact mark the published one cannot
/// have (a negative interval for a positive effect) is a flip.
#[test]
fn significance_flips_compare_every_exact_mark() {
    use super::flips::significance_flips;
    // One programme, 400 eligible matched people, 60% in work against a
    // comparison rate of 40%.
    let people: Vec<Person> = (0..400)
        .map(|i| (0, i % 4, i % 2, i % 3, true, i % 5 < 3, true))
        .collect();
    let mut exact = evidence_of(&people);
    let with_interval = |e: &Evidence| {
        e.tables
            .programme_outcomes
            .iter()
            .filter(|p| p.effect.att_low.is_some())
            .count()
            + e.tables
                .subgroup_outcomes
                .iter()
                .filter(|s| s.effect.att_low.is_some())
                .count()
    };
    let marks = significance_flips(&exact, &control(&exact));
    let counted: usize = marks.iter().map(|m| m.compared + m.unpublished).sum();
    assert_eq!(counted, with_interval(&exact), "{marks:?}");
    assert_eq!(marks[0].compared, 1, "{marks:?}");
    assert_eq!(marks[0].flipped, 0, "{marks:?}");
    exact.tables.programme_outcomes[0].effect.att_low = Some(-0.9);
    exact.tables.programme_outcomes[0].effect.att_high = Some(-0.8);
    let marks = significance_flips(&exact, &control(&exact));
    assert_eq!(marks[0].flipped, 1, "{marks:?}");
    assert!(marks[0].examples[0].contains("Below ->"), "{marks:?}");
}
