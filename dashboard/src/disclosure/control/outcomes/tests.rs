use super::*;

/// 600 matched, 300 in work, a comparison at 0.4 with its variance and
/// the areas' part: an ATT of 0.1. Calibrated for N(0.01, 0.005²) with
/// se(μ̂) 0.003 it is 0.09 ± t·√(0.005² + 0.003² + se²), the published se
/// and t; a failing verdict withholds it, with its cost and outcomes per
/// £1m, and says why.
fn row(diagnostics: &str, failed: Option<&str>) -> ProgrammeOutcome {
    ProgrammeOutcome {
        eligible: 700,
        in_work_6m: 350,
        effect: MatchedEffect {
            matched: 600,
            matched_in_work: 300,
            comparison_rate: Some(0.4),
            comparison_variance: Some(0.0002),
            att_area_variance: Some(0.0001),
            ..MatchedEffect::default()
        },
        between_area_df: Some(20.0),
        funding_gbp: Some(1_000_000),
        systematic_error_mean: Some(0.01),
        systematic_error_sd: Some(0.005),
        systematic_error_mean_se: Some(0.003),
        diagnostics: Some(diagnostics.into()),
        diagnostics_failed: failed.map(str::to_string),
        ..ProgrammeOutcome::empty("P")
    }
}

#[test]
fn the_calibrated_interval_is_the_published_effects() {
    let p = programme(&row("pass", None), None);
    let [att, ..] = p.att.published().unwrap();
    let c = p.calibrated.unwrap();
    // Recomputed from the published parts: t on Satterthwaite's df.
    let (parts, df) = AttParts::with_areas(0.5, 600, 0.4, 0.0002, 0.0001, 20.0);
    let se = (0.25 / 600.0 + 0.0002 + 0.0001f64).sqrt();
    // The null with its own uncertainty: σ² + se(μ̂)² = 0.005² + 0.003².
    let half = parts.critical * (0.005f64.powi(2) + 0.003f64.powi(2) + se * se).sqrt();
    assert!((att - 0.1).abs() < 1e-12);
    let rounded = |x: f64| (x * 1000.0).round() / 1000.0;
    assert_eq!(c.interval, (rounded(0.09 - half), rounded(0.09 + half)));
    assert!(df.is_finite() && c.p_value < 0.05);
    assert_eq!(p.diagnostics.passed, Some(true));
}

/// The headline design's effect, calibrated interval and MDE, all from
/// its published figures: 300 of 600 matched (rounded counts as
/// published, here unchanged) against c = 0.4, V = 0.0002, d = 1, so
/// se = √(0.25/600 + 0.0002) and the MDE is (1.96 + z₀.₈)·se; its
/// calibrated interval is 0.1 − 0.01 ± 1.96·√(0.005² + 0.003² + se²).
#[test]
fn the_headline_designs_figures_are_its_published_effects() {
    let mut row = row("pass", None);
    (row.own_area_matched, row.own_area_matched_in_work) = (600, 300);
    (
        row.own_area_comparison_rate,
        row.own_area_comparison_variance,
    ) = (Some(0.4), Some(0.0002));
    row.own_area_design_effect = Some(1.0);
    (
        row.own_area_systematic_error_mean,
        row.own_area_systematic_error_sd,
    ) = (Some(0.01), Some(0.005));
    row.own_area_systematic_error_mean_se = Some(0.003);
    row.own_area_diagnostics = Some("pass".into());
    let p = programme(&row, None);
    let se = (0.25 / 600.0 + 0.0002f64).sqrt();
    let z80 = stats::formulas::att::Z_80;
    assert!((p.own_area_mde.unwrap() - (1.96 + z80) * se).abs() < 1e-12);
    let half = 1.96 * (0.005f64.powi(2) + 0.003f64.powi(2) + se * se).sqrt();
    let rounded = |x: f64| (x * 1000.0).round() / 1000.0;
    let c = p.own_area_calibrated.unwrap();
    assert_eq!(c.interval, (rounded(0.09 - half), rounded(0.09 + half)));
    assert_eq!(p.own_area_diagnostics.passed, Some(true));
    // A failing verdict withholds the effect and its calibrated interval.
    row.own_area_diagnostics = Some("fail".into());
    row.own_area_diagnostics_failed = Some("overlap: only 10.0% matched".into());
    let mut programmes = vec![programme(&row, None)];
    withhold_failed(&mut programmes, &mut []);
    assert!(programmes[0].own_area.is_withheld());
    assert_eq!(programmes[0].own_area_calibrated, None);
    assert!(
        !programmes[0].att.is_withheld(),
        "the other design keeps its own verdict"
    );
    assert_eq!(
        programmes[0].own_area_diagnostics.failed,
        vec![("overlap".to_string(), "only 10.0% matched".to_string())]
    );
}

#[test]
fn a_failed_verdict_withholds_every_effect_figure_and_says_why() {
    let mut programmes = vec![programme(
        &row("fail", Some("power: too weak; overlap: too few matched")),
        None,
    )];
    let mut subgroups = Vec::new();
    assert!(programmes[0].att.published().is_some());
    withhold_failed(&mut programmes, &mut subgroups);
    let p = &programmes[0];
    assert!(p.att.is_withheld() && p.att.published().is_none());
    assert_eq!(p.calibrated, None);
    assert_eq!(p.cost_per_additional_outcome, CostPerOutcome::Withheld);
    assert_eq!(p.jobs_per_million, None);
    assert_eq!(p.diagnostics.passed, Some(false));
    assert_eq!(
        p.diagnostics.failed,
        [
            ("power".to_string(), "too weak".to_string()),
            ("overlap".to_string(), "too few matched".to_string())
        ]
    );
    // The counts stay.
    assert_eq!(p.matched.value(), Some(600));
}

/// The published cost counts every participant (rounded): £1m over
/// ATT 0.1 × 1,000 participants = £10,000 (over the 600 matched it was
/// £16,667). Where in work is not the declared headline, no cost is
/// claimed; the adjusted p-value is the ATT's only where it is.
#[test]
fn the_cost_is_per_participant_and_only_for_an_in_work_headline() {
    let mut programmes: Vec<Programme> = ["WorkWell", "Youth Guarantee Trailblazer"]
        .into_iter()
        .map(|name| {
            let exact = ProgrammeOutcome {
                programme: name.into(),
                participants: 1_002,
                ..row("pass", None)
            };
            let mut p = programme(&exact, None);
            p.headline = contract::outcomes::headlines()
                .into_iter()
                .find(|h| h.programme == name);
            p
        })
        .collect();
    adjust_programmes(&mut programmes);
    let CostPerOutcome::Shown { cost, .. } = &programmes[0].cost_per_additional_outcome else {
        panic!("{:?}", programmes[0].cost_per_additional_outcome)
    };
    assert_eq!(*cost, Money::cost(1_000_000.0 / (0.1 * 1_000.0)));
    assert!(programmes[0].p_adjusted.is_some_and(|p| p < 0.05));
    assert_eq!(
        programmes[1].cost_per_additional_outcome,
        CostPerOutcome::NotHeadline
    );
    assert_eq!(programmes[1].p_adjusted, None);
}
