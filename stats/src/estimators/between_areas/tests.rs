//! Hand-worked checks of the between-area variance and the placebo-in-space
//! test, CONTRACT.md's worked example among them.

use super::draws::splitmix64;
use super::*;
use crate::formulas::heterogeneity::MomentSums;

fn cell(area: usize, stratum: usize, eligible: u64, total: u64) -> AreaCell {
    AreaCell {
        area,
        stratum,
        counts: StratumCounts::proportion(eligible, total),
    }
}

/// SplitMix64's published first outputs for seed 0 (the state advanced
/// once, as `splitmix64(0)` does): 0xE220A8397B1DCDAF, then
/// splitmix64(0x9E3779B97F4A7C15) = 0x6E789E6AA1B965F4.
#[test]
fn draws_enumerate_or_follow_splitmix64() {
    assert_eq!(splitmix64(0), 0xE220_A839_7B1D_CDAF);
    assert_eq!(splitmix64(0x9E37_79B9_7F4A_7C15), 0x6E78_9E6A_A1B9_65F4);
    let all = draws(4, 2, 100);
    assert_eq!(all.len(), 16);
    assert_eq!(all[1], vec![1, 0]);
    assert_eq!(all[15], vec![3, 3]);
    let sampled = draws(12, 15, 5_000);
    assert_eq!(sampled.len(), 5_000);
    assert_eq!(sampled[0][0], (splitmix64(0) % 12) as usize);
    assert_eq!(sampled[2][3], (splitmix64(2 * 15 + 3) % 12) as usize);
    // Every place reaches every area.
    for j in 0..15 {
        let mut seen = [false; 12];
        for d in &sampled {
            seen[d[j]] = true;
        }
        assert!(seen.iter().all(|&s| s), "place {j}");
    }
    // Too many to count (12^40 overflows): sampled, not enumerated.
    assert_eq!(draws(12, 40, 10).len(), 10);
}

/// Two programme areas and two comparison areas, one stratum, worked by
/// hand. Comparison: 60/100 and 40/100, pooled c = 0.5; deviations
/// e = ±0.1, each with binomial part 0.5·0.5·0.5/100 = 0.00125 and
/// coefficient g = (1 − 0.5)² + 0.5² = 0.5. Programme areas: 70/100 and
/// 50/100, p̄ = 0.6, w = ½ each, d = 0.2 and 0.0 around d̄ = 0.1; each
/// (d − d̄)² = 0.01, binomial part 0.6·0.4/100·(1 − 1) + ¼·0.0024·2 =
/// 0.0012, coefficient 1 − 1 + ½ = ½.
/// τ̂²ₘ = (2·(0.01 − 0.0012) + 2·(0.01 − 0.00125)) / (½ + ½ + ½ + ½)
///    = (0.0176 + 0.0175)/2 = 0.01755.
/// Its standard error at 0.01755: Σn = 0.0049, Σn²/k = 2·(0.0012² +
/// 0.00125²)/½ = 0.000012010, √(2·(0.01755²·2 + 2·0.01755·0.0049 +
/// 0.00001201))/2 = 0.0200001; τ̃² = (0.01755 + √(0.01755² +
/// 2·0.0200001²))/2 = 0.0254184, on Σk = 2 degrees of freedom.
/// S = ¼ + ¼ + ω² + ω² with ω = ½ each: 1.0.
#[test]
fn hand_worked_example() {
    let treated = [cell(0, 0, 100, 70), cell(1, 0, 100, 50)];
    let comparison = [cell(0, 0, 100, 60), cell(1, 0, 100, 40)];
    let b = between_areas(&treated, 2, &comparison, 2, 1);
    assert_eq!((b.treated_areas, b.comparison_areas), (2, 2));
    assert!((b.area.unwrap().moment - 0.017_55).abs() < 1e-9, "{b:?}");
    assert!(
        (b.area.unwrap().moment_se - 0.020_000_1).abs() < 1e-7,
        "{b:?}"
    );
    assert!(
        (b.tau2().unwrap() - 0.025_418_4).abs() < 1e-7,
        "{:?}",
        b.tau2()
    );
    assert!((b.weight - 1.0).abs() < 1e-12);
    assert!(
        (b.area.unwrap().df - 2.0).abs() < 1e-12,
        "{}",
        b.area.unwrap().df
    );
    // Fewer than 3 placebo areas: no placebo test.
    assert_eq!(b.randomisation_p(2.0), None);
}

/// CONTRACT.md's worked example of τ̂², step by step (two strata, two
/// programme areas of unequal size, three comparison areas): every
/// intermediate figure is in the contract's text, and an independent
/// implementation of that text (not of this code) gave the same.
#[test]
fn the_contracts_worked_example() {
    let treated = [
        cell(0, 0, 40, 12),
        cell(0, 1, 10, 1),
        cell(1, 0, 20, 14),
        cell(1, 1, 40, 16),
    ];
    let comparison = [
        cell(0, 0, 50, 25),
        cell(0, 1, 50, 13),
        cell(1, 0, 30, 12),
        cell(1, 1, 20, 2),
        cell(2, 0, 20, 3),
        cell(2, 1, 30, 3),
    ];
    let b = between_areas(&treated, 2, &comparison, 3, 2);
    let close = |a: f64, b: f64| (a - b).abs() < 5e-7;
    let m = b.moments;
    assert!(close(m.programme.excess, 0.054_387_7), "{m:?}");
    assert!(close(m.programme.coefficient, 1.008_264_5), "{m:?}");
    assert!(close(m.comparison.excess, 0.024_322_5), "{m:?}");
    assert!(close(m.comparison.coefficient, 2.085_4), "{m:?}");
    let all = m.programme.plus(m.comparison);
    assert!(close(all.null, 0.011_513_3), "{all:?}");
    assert!(close(all.null_squares, 0.000_044_688_8), "{all:?}");
    assert!(close(b.area.unwrap().moment, 0.025_442_4), "{b:?}");
    assert!(close(b.area.unwrap().moment_se, 0.023_457_2), "{b:?}");
    assert!(close(b.tau2().unwrap(), 0.033_624_6), "{:?}", b.tau2());
    assert!(
        close(b.area.unwrap().df, 3.093_664),
        "{}",
        b.area.unwrap().df
    );
    assert!(close(
        b.comparison_weight,
        0.25 + 0.254_545_5_f64.powi(2) + 0.245_454_5_f64.powi(2)
    ));
    assert!(close(b.weight, 0.879_173_6), "{}", b.weight);
    assert!(close(b.variance().unwrap(), 0.029_561_8));
}

/// Areas that agree exactly: the moment estimate is below zero (every
/// square falls short of its null), yet the interval keeps an area part,
/// on finite degrees of freedom: agreeing areas are not proof of no
/// area variation.
#[test]
fn identical_areas_still_leave_an_area_part() {
    let treated: Vec<_> = (0..3).map(|a| cell(a, 0, 400, 200)).collect();
    let comparison: Vec<_> = (0..6).map(|b| cell(b, 0, 400, 200)).collect();
    let b = between_areas(&treated, 3, &comparison, 6, 1);
    let (moment, se) = (b.area.unwrap().moment, b.area.unwrap().moment_se);
    assert!(moment < 0.0 && se > 0.0, "{b:?}");
    assert!(b.tau2().unwrap() > 0.0, "{b:?}");
    let (df, critical) = satterthwaite(0.0004, b.variance().unwrap(), b.area.unwrap().df);
    assert!(df.is_finite(), "{df}");
    assert!(critical > 1.96, "{critical}");
    // 6³ = 216 draws of 3 from 6, all with no deviation: p = 217/217 for
    // no effect, 1/217 for any effect at all.
    assert_eq!(b.randomisation_p(0.0), Some(1.0));
    assert_eq!(b.randomisation_p(0.5), Some(1.0 / 217.0));
}

/// Pooling the hand-worked example with a second programme of two areas
/// whose deviations match the null exactly (excess 0, coefficient ½ +
/// ½, null 0): τ̂²ₘ = (0.0176 + 0 + 0.0175)/(1 + 1 + 1) = 0.0117; the
/// comparison areas count once.
#[test]
fn pooled_over_programmes_counts_the_comparison_areas_once() {
    let treated = [cell(0, 0, 100, 70), cell(1, 0, 100, 50)];
    let comparison = [cell(0, 0, 100, 60), cell(1, 0, 100, 40)];
    let one = between_areas(&treated, 2, &comparison, 2, 1);
    assert!((one.moments.programme.excess - 0.0176).abs() < 1e-12);
    assert!((one.moments.comparison.excess - 0.0175).abs() < 1e-12);
    let mut two = one.clone();
    two.moments.programme = MomentSums::default();
    two.moments.programme.add(0.0, 0.0, 0.5);
    two.moments.programme.add(0.0, 0.0, 0.5);
    let pooled = pooled_tau2(&[&one, &two]).unwrap();
    assert!((pooled.moment - 0.0351 / 3.0).abs() < 1e-12, "{pooled:?}");
    // The second programme's moments enter its standard error: with them,
    // Σk = 3, Σn = 0.0049, Σn²/k = 0.00001201.
    let sums = one.moments.programme.plus(one.moments.comparison);
    assert!((sums.null - 0.0049).abs() < 1e-12, "{sums:?}");
    let m: f64 = 0.0351 / 3.0;
    let se = (2.0 * (m * m * 3.0 + 2.0 * m * 0.0049 + 0.000_012_01)).sqrt() / 3.0;
    assert!((pooled.moment_se - se).abs() < 1e-12, "{pooled:?}");
    // Alone, the pooled value is the programme's own.
    let alone = pooled_tau2(&[&one]).unwrap();
    assert!((alone.tau2 - one.tau2().unwrap()).abs() < 1e-12);
    assert!((alone.df - one.area.unwrap().df).abs() < 1e-12);
}

#[test]
fn too_few_areas_cannot_estimate_it() {
    let b = between_areas(&[cell(0, 0, 100, 50)], 1, &[cell(0, 0, 100, 40)], 1, 1);
    assert_eq!(b.tau2(), None);
    assert_eq!(b.variance(), None);
}

/// The placebo-in-space check predicts each comparison area from the other
/// comparison areas (leave-one-out). Programme areas 70/100 and 50/100;
/// comparison areas 60/100, 40/100 and 50/100 in one stratum (r = 0.25).
/// Left out: e = 0.6 − 90/200 = 0.15, 0.4 − 110/200 = −0.15 and 0;
/// chance variance 0.25·(1/100 + 1/200) = 0.00375 each; shock coefficient
/// 1 + 0.5² + 0.5² = 1.5. τ̂²: X_P = 2·(0.01 − 0.0012) = 0.0176 on C_P = 1;
/// comparison e = ±0.1 and 0 around c = 0.5, null 0.25·(2/3)/100 each,
/// g = 2/3 each: X_C = 0.02 − 0.005 = 0.015 on C_C = 2; τ̂²ₘ = 0.0326/3,
/// se 0.0108867 (Σn = 0.0074, Σn²/k = 0.00001826), τ̃² = 0.0148557.
/// The placebo areas' own τ²: (0.045 − 3·0.00375)/(3·1.5) = 0.0075.
/// The 3² = 9 draws with replacement, weights ½ and ½, each over
/// √(½·(0.00375 + 1.5·0.0075)) = 0.0866025: (0, 0) and (1, 1) give
/// ±1.732; (0, 2), (2, 0), (1, 2) and (2, 1) give ±0.866 (in-sample
/// predictions would have given less); (0, 1), (1, 0) and (2, 2) give 0.
/// So p = (1 + 6)/10 at |t| = 0.86, (1 + 2)/10 at 0.87 and at 1.7, 1/10
/// at 1.74.
#[test]
fn placebo_areas_are_predicted_from_the_other_comparison_areas() {
    let treated = [cell(0, 0, 100, 70), cell(1, 0, 100, 50)];
    let comparison = [
        cell(0, 0, 100, 60),
        cell(1, 0, 100, 40),
        cell(2, 0, 100, 50),
    ];
    let b = between_areas(&treated, 2, &comparison, 3, 1);
    assert!(
        (b.area.unwrap().moment - 0.0326 / 3.0).abs() < 1e-12,
        "{b:?}"
    );
    assert!((b.tau2().unwrap() - 0.014_855_7).abs() < 1e-7, "{b:?}");
    let mut deviations: Vec<f64> = b.placebo_areas.iter().map(|a| a.deviation).collect();
    deviations.sort_by(f64::total_cmp);
    for (got, want) in deviations.iter().zip([-0.15, 0.0, 0.15]) {
        assert!((got - want).abs() < 1e-12, "{deviations:?}");
    }
    for area in &b.placebo_areas {
        assert!((area.variance - 0.003_75).abs() < 1e-12, "{area:?}");
        assert!((area.shock - 1.5).abs() < 1e-12, "{area:?}");
    }
    assert!((b.placebo_tau2() - 0.0075).abs() < 1e-12);
    assert_eq!(b.randomisation_p(0.0), Some(1.0));
    assert_eq!(b.randomisation_p(0.86), Some(0.7));
    assert_eq!(b.randomisation_p(0.87), Some(0.3));
    assert_eq!(b.randomisation_p(1.7), Some(0.3));
    assert_eq!(b.randomisation_p(1.74), Some(0.1));
}

/// A comparison area alone in its only stratum cannot be predicted by the
/// others: it is no placebo area.
#[test]
fn an_area_no_other_area_can_predict_is_left_out() {
    let treated = [cell(0, 0, 100, 70)];
    let comparison = [cell(0, 0, 100, 60), cell(1, 0, 100, 40), cell(2, 1, 50, 20)];
    let b = between_areas(&treated, 1, &comparison, 3, 2);
    assert_eq!(b.placebo_areas.len(), 2);
}
