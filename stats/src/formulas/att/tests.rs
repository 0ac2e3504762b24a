//! Hand-worked and published checks of the ATT's interval.

use super::*;
use crate::formulas::wilson::{wilson_95, wilson_interval};

/// Newcombe R.G. (1998) "Interval estimation for the difference between
/// independent proportions: comparison of eleven methods", Statistics
/// in Medicine 17:873-890, Table II, example (a): 56/70 − 48/80 = 0.2,
/// method 10 (score, no continuity correction): 0.0524 to 0.3339.
#[test]
fn square_and_add_reproduces_newcombe_1998_method_10() {
    let (l1, u1) = wilson_95(56, 70).unwrap();
    let (l2, u2) = wilson_95(48, 80).unwrap();
    let (p1, p2) = (0.8, 0.6);
    let (low, high) = mover(p1 - p2, &[p1 - l1, u2 - p2], &[u1 - p1, p2 - l2]);
    assert!((low - 0.0524).abs() < 5e-5, "{low}");
    assert!((high - 0.3339).abs() < 5e-5, "{high}");
}

/// 80 of 150 against a comparison rate of 0.433333 with variance part
/// 0.00078889 (the hand-worked example of `stats::estimators::matching`):
/// att = 0.1. Wilson (0.4537, 0.6114) at z = 1.96 for 80/150, so the
/// lower distance is √(0.0796² + (1.96·0.028087)²) = 0.0968 and the
/// upper √(0.0780² + 0.0551²) = 0.0955: (0.0032, 0.1955).
#[test]
fn hand_worked_example() {
    let parts = AttParts::without_areas(1.3 / 3.0, 0.000_555_556 + 0.000_233_333);
    let a = att(80, 150, parts).unwrap();
    assert!((a.att - 0.1).abs() < 1e-6);
    assert!((a.se - 0.049_478_8).abs() < 5e-7);
    let (l, u) = wilson_interval(80, 150, 1.96).unwrap();
    let c = 1.96 * (0.000_788_889f64).sqrt();
    assert!((a.low - (0.1 - ((0.533_333 - l).powi(2) + c * c).sqrt())).abs() < 1e-5);
    assert!((a.high - (0.1 + ((u - 0.533_333).powi(2) + c * c).sqrt())).abs() < 1e-5);
    assert!((a.low - 0.003_02).abs() < 2e-3 && (a.high - 0.195_6).abs() < 2e-3);
    assert_eq!(att(0, 0, parts), None);
}

/// within 0.0004, areas 0.0004 estimated on 10 df: df = 0.0008²/(0.0004²/10)
/// = 40, t(0.975; 40) = 2.0211.
/// A mean outcome by hand: participants 2, 4, 6, 8 (total 20, squares
/// 120): ȳ = 5, s² = (120 − 400/4)/3 = 20/3, s/√4 = 1.290994; against a
/// comparison mean of 3 with variance part 0.5 at z = 1.96, the effect
/// is 2 with distances 1.96·1.290994 = 2.530349 and 1.96·0.707107 =
/// 1.385929, so ±√(2.530349² + 1.385929²) = ±2.885042:
/// (−0.885042, 4.885042), se = √(1.666667 + 0.5) = 1.471960.
#[test]
fn a_mean_outcome_by_hand() {
    let parts = AttParts::without_areas(3.0, 0.5);
    let a = att_mean(20.0, 120.0, 4, parts).unwrap();
    assert!((a.participant_rate - 5.0).abs() < 1e-12);
    assert!((a.att - 2.0).abs() < 1e-12);
    assert!((a.low + 0.885_042).abs() < 1e-6, "{}", a.low);
    assert!((a.high - 4.885_042).abs() < 1e-6, "{}", a.high);
    assert!((a.se - 1.471_960).abs() < 1e-6);
    assert_eq!(att_mean(5.0, 25.0, 1, parts), None);
    // For a 0/1 outcome the unit variance is p(1−p), as with_areas uses.
    let (binary, _) = AttParts::with_areas(0.3, 100, 0.2, 0.001, 0.002, 5.0);
    let (general, _) = AttParts::with_areas_of_variance(0.21, 100, 0.2, 0.001, 0.002, 5.0);
    assert_eq!(binary.critical, general.critical);
}

#[test]
fn satterthwaite_by_hand() {
    let (df, t) = satterthwaite(0.0004, 0.0004, 10.0);
    assert!((df - 40.0).abs() < 1e-9);
    assert!((t - 2.021_08).abs() < 1e-4);
}

#[test]
fn the_t_critical_value_by_degrees_of_freedom() {
    assert!((t_975(f64::INFINITY) - 1.959_964).abs() < 1e-6);
    // Student's t tables: t(0.975; 2) = 4.3027, t(0.975; 10) = 2.2281.
    assert!((t_975(2.0) - 4.302_65).abs() < 1e-4);
    assert!((t_975(10.0) - 2.228_14).abs() < 1e-4);
    assert!((Z_80 - Normal::standard().inverse_cdf(0.8)).abs() < 1e-12);
}

/// (1.96 + 0.8416)·√(0.25/1000 + 0.0002 + 0.0003) = 2.8016·0.027386
/// = 0.07672.
#[test]
fn minimum_detectable_effect_by_hand() {
    let parts = AttParts {
        area_variance: 0.0003,
        ..AttParts::without_areas(0.4, 0.0002)
    };
    let mde = minimum_detectable_effect(0.5, 1000, parts).unwrap();
    assert!((mde - 0.076_72).abs() < 1e-5, "{mde}");
}

/// The hand-worked example's interval reaches zero at z* = 2.024607
/// (bisection on Wilson's lower limit and 0.028087·z), so its p-value
/// is 2·(1 − Φ(2.024607)) = 0.042908, where the Wald p-value of
/// 0.1/0.049479 is 0.043273.
#[test]
fn the_p_value_is_the_intervals_own() {
    let parts = AttParts::without_areas(1.3 / 3.0, 0.000_555_556 + 0.000_233_333);
    let p = att_p_value(|parts| att(80, 150, parts), parts, f64::INFINITY).unwrap();
    assert!((p - 0.042_908).abs() < 1e-6, "{p}");
    let z = Normal::standard().inverse_cdf(1.0 - p / 2.0);
    let at = att(
        80,
        150,
        AttParts {
            critical: z,
            ..parts
        },
    )
    .unwrap();
    assert!(at.low.abs() < 1e-9, "{at:?}");
    // A negative effect mirrors it; no effect at all is p = 1.
    let mirrored = AttParts::without_areas(1.0 - 1.3 / 3.0, parts.comparison_variance);
    let q = att_p_value(|parts| att(70, 150, parts), mirrored, f64::INFINITY).unwrap();
    assert!((q - p).abs() < 1e-9, "{q} != {p}");
    let none = AttParts::without_areas(0.5, 0.001);
    assert_eq!(
        att_p_value(|parts| att(50, 100, parts), none, 12.0),
        Some(1.0)
    );
}

/// With the areas and Student's t, p < 0.05 exactly when the 95%
/// interval leaves out zero, whatever the counts.
#[test]
fn p_below_five_percent_exactly_when_the_interval_leaves_out_zero() {
    for (k, m, c) in [
        (30, 60, 0.36),
        (30, 60, 0.34),
        (9, 10, 0.62),
        (1, 40, 0.2),
        (200, 300, 0.6),
    ] {
        let (parts, df) = AttParts::with_areas(k as f64 / m as f64, m, c, 0.002, 0.001, 4.0);
        let a = att(k, m, parts).unwrap();
        let p = att_p_value(|parts| att(k, m, parts), parts, df).unwrap();
        assert_eq!(
            p < 0.05,
            a.low > 0.0 || a.high < 0.0,
            "{k}/{m} vs {c}: {a:?}, p {p}"
        );
    }
}

/// A mean outcome's interval is ±t·se, so its own p-value is Wald's:
/// the worked mean example, 2/1.471960 on the normal, p = 0.174231.
#[test]
fn a_mean_outcomes_p_value_is_walds() {
    let parts = AttParts::without_areas(3.0, 0.5);
    let p = att_p_value(
        |parts| att_mean(20.0, 120.0, 4, parts),
        parts,
        f64::INFINITY,
    )
    .unwrap();
    let wald = super::super::multiplicity::p_value(2.0, 1.471_960_1, f64::INFINITY).unwrap();
    assert!((p - wald).abs() < 1e-7, "{p} != {wald}");
    assert!((p - 0.174_231).abs() < 1e-5, "{p}");
}

#[test]
fn everyone_in_work_still_has_an_interval() {
    let a = att(12, 12, AttParts::without_areas(0.8, 0.0001)).unwrap();
    assert!((a.att - 0.2).abs() < 1e-12);
    assert!(a.low < 0.1 && a.high > 0.2, "{a:?}");
}

#[test]
fn the_areas_widen_the_interval_and_t_widens_it_more() {
    let base = att(500, 1000, AttParts::without_areas(0.4, 0.0002)).unwrap();
    let areas = att(
        500,
        1000,
        AttParts {
            area_variance: 0.0004,
            ..AttParts::without_areas(0.4, 0.0002)
        },
    )
    .unwrap();
    let t = att(
        500,
        1000,
        AttParts {
            area_variance: 0.0004,
            critical: 2.5,
            ..AttParts::without_areas(0.4, 0.0002)
        },
    )
    .unwrap();
    assert!(base.high - base.low < areas.high - areas.low);
    assert!(areas.high - areas.low < t.high - t.low);
}

/// Two strata of 10 participants, 8 and 2 in work, and one of a single
/// participant (in work): within, (8 − 6.4) + (2 − 0.4) = 3.2 on 9 + 9
/// degrees of freedom, 0.177778; whole, m = 21, T = Q = 11:
/// (11 − 121/21)/20 = 0.261905; d = 0.678788.
#[test]
fn design_effect_pools_the_spread_within_strata() {
    let d = design_effect([(10, 8.0, 8.0), (10, 2.0, 2.0), (1, 1.0, 1.0)]);
    assert!((d - 0.678_788).abs() < 1e-6, "{d}");
    // No stratum of two: nothing to pool, 1.
    assert_eq!(design_effect([(1, 1.0, 1.0), (1, 0.0, 0.0)]), 1.0);
    // Strata that hold all the spread's opposite: never above 1.
    assert_eq!(design_effect([(2, 1.0, 1.0), (2, 1.0, 1.0)]), 1.0);
    // Pure strata: 0 within, which says nothing of their chance
    // spread: 1 rather than an interval of no width.
    assert_eq!(design_effect([(5, 5.0, 5.0), (5, 0.0, 0.0)]), 1.0);
    assert_eq!(design_effect_or_one(0.0), 1.0);
}

/// The participants' part shrinks by d: se² = d·p(1−p)/m + V, and the
/// Wilson limits are those at the effective size m/d.
#[test]
fn the_design_effect_narrows_the_participants_part() {
    let parts = AttParts::without_areas(0.4, 0.0002);
    let whole = att(10, 20, parts).unwrap();
    let within = att(10, 20, parts.with_design_effect(0.5)).unwrap();
    assert!((within.se.powi(2) - (0.5 * 0.25 / 20.0 + 0.0002)).abs() < 1e-15);
    assert!((whole.se.powi(2) - (0.25 / 20.0 + 0.0002)).abs() < 1e-15);
    // Wilson(20 of 40) at 1.96: the participants' lower distance.
    let (l, _) = crate::formulas::wilson::wilson_interval(20, 40, Z_ATT).unwrap();
    let expected = 0.1 - ((0.5 - l).powi(2) + Z_ATT * Z_ATT * 0.0002).sqrt();
    assert!((within.low - expected).abs() < 1e-12, "{within:?}");
    assert!(within.high - within.low < whole.high - whole.low);
}
