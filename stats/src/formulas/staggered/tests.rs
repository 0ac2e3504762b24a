use super::*;

/// `mpdta` (Callaway and Sant'Anna's minimum-wage example, 500 counties,
/// 2003–2007), the CSV from `d2cml-ai/csdid` `data/mpdta.csv`.
fn mpdta() -> Panel {
    let text = include_str!("mpdta.csv");
    let mut by_county: BTreeMap<u64, Unit> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let year: usize = f[0].parse().unwrap();
        let county: u64 = f[1].parse().unwrap();
        let lemp: f64 = f[3].parse().unwrap();
        let first_treat: usize = f[4].parse().unwrap();
        let unit = by_county.entry(county).or_insert_with(|| Unit {
            cohort: (first_treat > 0).then(|| first_treat - 2003),
            outcomes: vec![None; 5],
        });
        unit.outcomes[year - 2003] = Some(lemp);
    }
    Panel {
        periods: 5,
        units: by_county.into_values().collect(),
    }
}

fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

/// R `did` 2.5.1's README (`bcallaway11/did`, README.md): `att_gt(yname =
/// "lemp", tname = "year", idname = "countyreal", gname = "first.treat",
/// xformla = ~1, data = mpdta, est_method = "reg")`, then `aggte(type =
/// "dynamic")` and `aggte(type = "group")`. Point estimates to the printed
/// four decimals. (Standard errors differ by design: R's come from a
/// multiplier bootstrap over counties; ours from the pooled area spread.)
#[test]
fn reproduces_r_did_on_mpdta() {
    let s = callaway_santanna_based(&mpdta(), 3, Base::Varying, 0);
    let expected = [
        ((1, 1), -0.0105),
        ((1, 2), -0.0704),
        ((1, 3), -0.1373),
        ((1, 4), -0.1008),
        ((3, 1), 0.0065),
        ((3, 2), -0.0028),
        ((3, 3), -0.0046),
        ((3, 4), -0.0412),
        ((4, 1), 0.0305),
        ((4, 2), -0.0027),
        ((4, 3), -0.0311),
        ((4, 4), -0.0261),
    ];
    assert_eq!(s.group_time.len(), expected.len());
    for ((g, t), att) in expected {
        let cell = s
            .group_time
            .iter()
            .find(|c| (c.cohort, c.period) == (g, t))
            .unwrap();
        assert_eq!(round4(cell.att), att, "ATT({g}, {t})");
    }
    let dynamic = [
        (-3, 0.0305),
        (-2, -0.0006),
        (-1, -0.0245),
        (0, -0.0199),
        (1, -0.0510),
        (2, -0.1373),
        (3, -0.1008),
    ];
    assert_eq!(s.event_study.len(), dynamic.len());
    for ((e, estimate), (expected_e, expected)) in s.event_study.iter().zip(dynamic) {
        assert_eq!(*e, expected_e);
        assert_eq!(round4(estimate.estimate), expected, "event time {e}");
    }
    assert_eq!(round4(s.dynamic_overall.unwrap()), -0.0772);
    let cohorts: Vec<(usize, f64)> = s.cohorts.iter().map(|(g, x)| (*g, round4(*x))).collect();
    assert_eq!(cohorts, vec![(1, -0.0797), (3, -0.0229), (4, -0.0261)]);
    let overall = s.overall.unwrap();
    assert_eq!((overall.estimate * 1e3).round() / 1e3, -0.031);
    assert_eq!(
        (overall.treated_areas, overall.comparison_areas),
        (191, 309)
    );
    // With 191 treated and 309 comparison counties the area-based interval
    // is close to R's normal interval (−0.0558, −0.0062), SE 0.0126.
    let se = overall.se.unwrap();
    assert!((0.009..0.016).contains(&se), "se {se}");
    assert!(overall.high.unwrap() < 0.0);
}

fn unit(cohort: Option<usize>, outcomes: &[f64]) -> Unit {
    Unit {
        cohort,
        outcomes: outcomes.iter().copied().map(Some).collect(),
    }
}

/// Worked by hand: one cohort going live in period 1, two treated areas
/// changing by 1 and 3, three comparison areas by 0, 1 and 2.
/// θ = 2 − 1 = 1. Treated effects e = D − 1 = 0, 2 (SS 2 around θ);
/// placebo effects D_c − 1 = −1, 0, 1 (SS 2); σ² = 4 / (1 + 2) = 4/3;
/// Σλ² = 1/2, so the treated part is 2/3; the comparison mean's variance is
/// s² / n_C = 1 / 3. Var θ = 1, se = 1; Satterthwaite's
/// df = 1 / ((2/3)²/3 + (1/3)²/2) = 54/11.
#[test]
fn hand_worked_two_period_example() {
    let panel = Panel {
        periods: 2,
        units: vec![
            unit(Some(1), &[0.0, 1.0]),
            unit(Some(1), &[5.0, 8.0]),
            unit(None, &[1.0, 1.0]),
            unit(None, &[2.0, 3.0]),
            unit(None, &[0.0, 2.0]),
        ],
    };
    let s = callaway_santanna(&panel, 12);
    let o = s.overall.unwrap();
    assert!((o.estimate - 1.0).abs() < 1e-12);
    assert!((o.se.unwrap() - 1.0).abs() < 1e-12);
    assert!((o.df.unwrap() - 54.0 / 11.0).abs() < 1e-9);
    let t = StudentsT::new(0.0, 1.0, 54.0 / 11.0)
        .unwrap()
        .inverse_cdf(0.975);
    assert!((o.low.unwrap() - (1.0 - t)).abs() < 1e-9);
    assert!((o.high.unwrap() - (1.0 + t)).abs() < 1e-9);
    assert_eq!(s.pretrend, None, "no period before go-live to test");
}

/// The staggered example below: cohort 1 (one area), cohort 2 (two), two
/// comparison areas, three periods.
fn staggered_example() -> Panel {
    Panel {
        periods: 3,
        units: vec![
            unit(Some(1), &[0.0, 2.0, 3.0]),
            unit(Some(2), &[1.0, 2.0, 4.0]),
            unit(Some(2), &[2.0, 1.0, 5.0]),
            unit(None, &[0.0, 0.0, 1.0]),
            unit(None, &[0.0, 1.0, 3.0]),
        ],
    }
}

/// Staggered by hand: cohort 1 (one area) and cohort 2 (two areas), two
/// comparison areas, three periods.
/// Comparison changes from period 0 to 1: 0 and 1; from 0 to 2: 1 and 3;
/// from 1 to 2: 1 and 2.
/// ATT(1,1) = 2 − 0.5 = 1.5 (area 0: 0 → 2); ATT(1,2) = 3 − 2 = 1.
/// ATT(2,1) (a lead, base 0): treated changes 1 and −1 → 0, less 0.5 = −0.5.
/// ATT(2,2) (base 1): treated changes 2 and 4 → 3, less comparison changes
/// 1 and 2 → 1.5: 1.5.
/// Group aggregation: cohort 1 mean 1.25 (weight 1/3), cohort 2 1.5 (2/3):
/// 17/12. Event study: e = 0: (1·1.5 + 2·1.5)/3 = 1.5; e = 1: 1 (cohort 1
/// only); e = −1: −0.5 (cohort 2 only).
#[test]
fn hand_worked_staggered_example() {
    let s = callaway_santanna_based(&staggered_example(), 12, Base::Varying, 0);
    let att = |g, t| {
        s.group_time
            .iter()
            .find(|c| (c.cohort, c.period) == (g, t))
            .unwrap()
            .att
    };
    assert!((att(1, 1) - 1.5).abs() < 1e-12);
    assert!((att(1, 2) - 1.0).abs() < 1e-12);
    assert!((att(2, 1) + 0.5).abs() < 1e-12);
    assert!((att(2, 2) - 1.5).abs() < 1e-12);
    assert!((s.overall.unwrap().estimate - 17.0 / 12.0).abs() < 1e-12);
    let event: Vec<(i64, f64)> = s
        .event_study
        .iter()
        .map(|(e, x)| (*e, x.estimate))
        .collect();
    assert_eq!(event.len(), 3);
    for ((e, x), (want_e, want)) in event.into_iter().zip([(-1, -0.5), (0, 1.5), (1, 1.0)]) {
        assert_eq!(e, want_e);
        assert!((x - want).abs() < 1e-12, "event {e}: {x}");
    }
}

/// The same panel with the universal base: cohort 2's lead is now the long
/// difference from period 1 back to period 0: treated changes 1 − 2 = −1
/// and 2 − 1 = 1 → 0, comparison 0 − 0 = 0 and 0 − 1 = −1 → −0.5, so
/// ATT(2, 0) = 0.5; the references ATT(1, 0) and ATT(2, 1) are 0 with no
/// interval; the lags are unchanged. Event study: e = −2: 0.5 (cohort 2),
/// e = −1: 0 (reference), e = 0: 1.5, e = 1: 1.
#[test]
fn hand_worked_universal_base() {
    let s = callaway_santanna(&staggered_example(), 12);
    let event: Vec<(i64, f64, Option<f64>)> = s
        .event_study
        .iter()
        .map(|(e, x)| (*e, x.estimate, x.se))
        .collect();
    let want = [(-2, 0.5), (-1, 0.0), (0, 1.5), (1, 1.0)];
    assert_eq!(event.len(), want.len());
    for ((e, x, se), (want_e, want)) in event.into_iter().zip(want) {
        assert_eq!(e, want_e);
        assert!((x - want).abs() < 1e-12, "event {e}: {x}");
        if e == -1 {
            assert_eq!(se, None, "the reference month has no interval");
        }
    }
    assert!((s.overall.unwrap().estimate - 17.0 / 12.0).abs() < 1e-12);
}

/// An unbalanced panel pins the weights CONTRACT.md states: a cell's means
/// are over the areas observed in both of its months, but a cohort weighs
/// by all of its areas, observed or not. The staggered example with cohort
/// 2's second area unobserved in period 2: ATT(2, 2) = (4 − 2) − 1.5 = 0.5
/// (one area), and it keeps cohort 2's weight of 2. Event study at e = 0:
/// (1 · 1.5 + 2 · 0.5) / 3 = 5/6 (weights by observed areas would give 1);
/// overall: cohort 1 (1.5 + 1) / 2 = 1.25, cohort 2 0.5, so
/// (1 · 1.25 + 2 · 0.5) / 3 = 0.75 (observed weights: 0.875). The lead at
/// e = −2 keeps both areas (0.5) and e = 1 is cohort 1's alone (1).
#[test]
fn a_cohort_weighs_by_all_its_areas_when_one_is_unobserved() {
    let mut panel = staggered_example();
    panel.units[2].outcomes[2] = None;
    let s = callaway_santanna(&panel, 12);
    let event: Vec<(i64, f64)> = s
        .event_study
        .iter()
        .map(|(e, x)| (*e, x.estimate))
        .collect();
    let want = [(-2, 0.5), (-1, 0.0), (0, 5.0 / 6.0), (1, 1.0)];
    assert_eq!(event.len(), want.len());
    for ((e, x), (want_e, want)) in event.into_iter().zip(want) {
        assert_eq!(e, want_e);
        assert!((x - want).abs() < 1e-12, "event {e}: {x}, want {want}");
    }
    let att22 = s
        .group_time
        .iter()
        .find(|c| (c.cohort, c.period) == (2, 2))
        .unwrap()
        .att;
    assert!((att22 - 0.5).abs() < 1e-12, "ATT(2, 2) {att22}");
    let overall = s.overall.unwrap().estimate;
    assert!((overall - 0.75).abs() < 1e-12, "overall {overall}");
}

/// On `mpdta` (a balanced panel) each universal-base lead is minus the sum
/// of the varying-base leads between it and go-live, which the test above
/// checks against R `did`: ATT_u(g, t) = −Σ_{s=t+1}^{g−1} ATT_v(g, s). The
/// lags are identical.
#[test]
fn universal_leads_are_sums_of_rs_varying_leads_on_mpdta() {
    let varying = callaway_santanna_based(&mpdta(), 3, Base::Varying, 0);
    let universal = callaway_santanna(&mpdta(), 3);
    let att = |s: &Staggered, g: usize, t: usize| {
        s.group_time
            .iter()
            .find(|c| (c.cohort, c.period) == (g, t))
            .map(|c| c.att)
    };
    for g in [1usize, 3, 4] {
        for t in 0..5 {
            let Some(u) = att(&universal, g, t) else {
                continue;
            };
            let expected = if t >= g {
                att(&varying, g, t).unwrap()
            } else {
                -(t + 1..g)
                    .map(|s| att(&varying, g, s).unwrap())
                    .sum::<f64>()
            };
            assert!(
                (u - expected).abs() < 1e-12,
                "ATT({g}, {t}): {u} vs {expected}"
            );
        }
    }
    // By hand from R's printed varying leads for the 2006 cohort (ATT(2006,
    // 2004) = 0.0065, ATT(2006, 2005) = −0.0028): universal ATT(2006, 2004)
    // = 0.0028, ATT(2006, 2003) = −(0.0065 − 0.0028) = −0.0037 (±0.0001
    // from R's rounding), ATT(2006, 2005) = 0.
    assert_eq!(round4(att(&universal, 3, 1).unwrap()), 0.0028);
    assert!((att(&universal, 3, 0).unwrap() + 0.0037).abs() <= 0.00011);
    assert_eq!(att(&universal, 3, 2), Some(0.0));
}

/// A comparison area alone cannot show how areas vary: no interval.
#[test]
fn one_comparison_area_gives_no_interval() {
    let panel = Panel {
        periods: 2,
        units: vec![
            unit(Some(1), &[0.0, 1.0]),
            unit(Some(1), &[0.0, 2.0]),
            unit(None, &[0.0, 0.5]),
        ],
    };
    let o = callaway_santanna(&panel, 12).overall.unwrap();
    assert!((o.estimate - 1.0).abs() < 1e-12);
    assert_eq!((o.se, o.low, o.high), (None, None, None));
}

/// Parallel trends hold in expectation and the leads are noise: the joint
/// test's p-value is not small; a treated area drifting upwards before
/// go-live is caught.
#[test]
fn the_joint_test_of_the_leads_catches_a_pre_trend() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(3);
    let mut panel = Panel {
        periods: 24,
        units: Vec::new(),
    };
    for a in 0..20 {
        let cohort = (a < 8).then_some(13);
        let outcomes = (0..24)
            .map(|_| Some(rng.random_range(-1.0..1.0) * 0.01))
            .collect();
        panel.units.push(Unit { cohort, outcomes });
    }
    let flat = callaway_santanna(&panel, 12).pretrend.unwrap();
    assert_eq!(flat.quarters, 4);
    assert!(flat.p_value > 0.05, "{flat:?}");
    for u in panel.units.iter_mut().filter(|u| u.cohort.is_some()) {
        for (t, y) in u.outcomes.iter_mut().enumerate() {
            *y = y.map(|y| y + 0.004 * t as f64);
        }
    }
    let drifting = callaway_santanna(&panel, 12).pretrend.unwrap();
    assert!(drifting.p_value < 0.001, "{drifting:?}");
}

/// Each area's noise scale, worked by hand: 8 months, comparison areas
/// C1–C3, a programme area P going live in month 7 (its changes in months
/// 1–6 only). P's changes 0, 1, 0, 1, 0, 1 less the comparison areas' mean
/// changes 1, −1/3, 1, −1, 1, 0 are −1, 4/3, −1, 2, −1, 1: mean 2/9,
/// variance 256/135. Each comparison area's changes are taken less the
/// other two's mean, over months 1–7. With P going live in month 6 it has 5
/// changes, fewer than 6, and every scale is 1.
#[test]
fn hand_worked_noise_scales() {
    let panel = |g: usize| Panel {
        periods: 8,
        units: vec![
            unit(None, &[0., 1., 1., 3., 2., 2., 4., 5.]),
            unit(None, &[0., 0., 1., 0., 0., 1., 1., 0.]),
            unit(None, &[0., 2., 0., 2., 0., 2., 0., 2.]),
            unit(Some(g), &[0., 0., 1., 1., 2., 2., 3., 9.]),
        ],
    };
    let scales = super::spread::scales(&panel(7), &[0, 1, 2], |_| true);
    let expected = [41.0 / 21.0, 11.0 / 3.0, 395.0 / 84.0, 256.0 / 135.0];
    for (s, e) in scales.value.iter().zip(expected) {
        assert!((s - e).abs() < 1e-12, "{scales:?}");
    }
    assert_eq!(scales.df, vec![6.0, 6.0, 6.0, 5.0]);
    // σ² on 20 degrees of freedom times λ² = 1/4 and 3/4 of P's and C1's
    // scales: 1/[1/20 + (t_P²/5 + t_C1²/6)/(t_P + t_C1)²].
    let (tp, tc) = (0.25 * 256.0 / 135.0, 0.75 * 41.0 / 21.0);
    let df = scales.product_df(20.0, &[(3, tp), (0, tc)]);
    let by_hand = 1.0 / (1.0 / 20.0 + (tp * tp / 5.0 + tc * tc / 6.0) / (tp + tc).powi(2));
    assert!((df - by_hand).abs() < 1e-12 && df < 20.0, "{df}");
    let ones = super::spread::scales(&panel(6), &[0, 1, 2], |_| true);
    assert_eq!(ones.value, vec![1.0; 4]);
    assert_eq!(ones.product_df(20.0, &[(3, 1.0)]), 20.0);
    // An area outside the estimate keeps scale 1 and does not count.
    let outside = super::spread::scales(&panel(6), &[0, 1, 2], |i| i < 3);
    assert_eq!(outside.value[3], 1.0);
    assert!(outside.value[0] != 1.0);
}
