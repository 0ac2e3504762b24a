//! The estimator-level coverage study: area-level counts simulated directly
//! (no pipeline), many replications per design, through the estimator the
//! pipeline uses (`stats::estimators::effect::estimate`). Each design has programme
//! areas and 12 comparison areas whose shocks move everyone's chance of
//! being in work alike, four matching strata with different base rates and
//! different participant and comparison mixes, and a planted effect of 5
//! points. VALIDATION.md records the same study's figures.

use rand::{Rng, SeedableRng};
use rand_distr::{Binomial, Distribution, Normal};
use rand_pcg::Pcg64Mcg;
use stats::estimators::between_areas::AreaCell;
use stats::estimators::effect::{Cells, estimate};
use stats::estimators::matching::StratumCounts;

const EFFECT: f64 = 0.05;
const COMPARISON_AREAS: usize = 12;
const BASE: [f64; 4] = [0.25, 0.45, 0.6, 0.72];
/// Participants lean to the strata with lower base rates (selection).
const TREATED_MIX: [f64; 4] = [0.4, 0.3, 0.2, 0.1];
const COMPARISON_MIX: [f64; 4] = [0.2, 0.25, 0.3, 0.25];

struct Design {
    treated_areas: usize,
    sd: f64,
}

/// One replication's cells.
fn simulate(design: &Design, rng: &mut Pcg64Mcg) -> Cells {
    let shock = Normal::new(0.0, design.sd.max(1e-12)).unwrap();
    let mut cells = Cells {
        treated_areas: design.treated_areas,
        comparison_areas: COMPARISON_AREAS,
        strata: BASE.len(),
        ..Cells::default()
    };
    let draw = |area: usize, n: u64, mix: &[f64; 4], lift: f64, u: f64, rng: &mut Pcg64Mcg| {
        (0..BASE.len())
            .map(|s| {
                let eligible = (n as f64 * mix[s]).round() as u64;
                let p = (BASE[s] + lift + u).clamp(0.0, 1.0);
                let in_work_6m = Binomial::new(eligible, p).unwrap().sample(rng);
                AreaCell {
                    area,
                    stratum: s,
                    counts: StratumCounts::proportion(eligible, in_work_6m),
                }
            })
            .collect::<Vec<_>>()
    };
    for a in 0..design.treated_areas {
        let n = rng.random_range(150..=600);
        let u = if design.sd > 0.0 {
            shock.sample(rng)
        } else {
            0.0
        };
        cells
            .treated
            .extend(draw(a, n, &TREATED_MIX, EFFECT, u, rng));
    }
    for b in 0..COMPARISON_AREAS {
        let m = rng.random_range(800..=3000);
        let u = if design.sd > 0.0 {
            shock.sample(rng)
        } else {
            0.0
        };
        cells
            .comparison
            .extend(draw(b, m, &COMPARISON_MIX, 0.0, u, rng));
    }
    cells
}

struct Result {
    coverage: f64,
    /// The binomial-only interval's coverage (today's before the areas).
    coverage_within: f64,
    /// Mean width of the interval over the binomial-only interval's.
    width_ratio: f64,
    mean_bias: f64,
}

fn study(design: &Design, replications: usize, seed: u64) -> Result {
    let mut rng = Pcg64Mcg::seed_from_u64(seed);
    let (mut covered, mut covered_within, mut ratio, mut bias, mut n) = (0, 0, 0.0, 0.0, 0);
    for _ in 0..replications {
        let effect = estimate(&simulate(design, &mut rng), None);
        let (Some(att), Some(low), Some(high), Some(se)) = (
            effect.matching.att,
            effect.att_low,
            effect.att_high,
            effect.att_se_within,
        ) else {
            continue;
        };
        n += 1;
        covered += usize::from(low <= EFFECT && EFFECT <= high);
        covered_within += usize::from((att - EFFECT).abs() <= 1.96 * se);
        ratio += (high - low) / (2.0 * 1.96 * se);
        bias += att - EFFECT;
    }
    assert_eq!(n, replications, "every replication gives an interval");
    let n = n as f64;
    Result {
        coverage: covered as f64 / n,
        coverage_within: covered_within as f64 / n,
        width_ratio: ratio / n,
        mean_bias: bias / n,
    }
}

const REPLICATIONS: usize = 2_000;

#[test]
fn intervals_cover_the_planted_effect_whatever_the_areas() {
    let mut failures = Vec::new();
    println!("treated areas, area sd, coverage (MC se), binomial-only coverage, width ratio, bias");
    for (d, treated_areas) in [3, 7, 15].into_iter().enumerate() {
        for (s, sd) in [0.0, 0.01, 0.02, 0.03].into_iter().enumerate() {
            let design = Design { treated_areas, sd };
            let r = study(&design, REPLICATIONS, 1_000 + (d * 10 + s) as u64);
            let mc_se = (r.coverage * (1.0 - r.coverage) / REPLICATIONS as f64).sqrt();
            println!(
                "{treated_areas:>2}, {sd:.2}, {:.3} ({mc_se:.3}), {:.3}, {:.3}, {:+.4}",
                r.coverage, r.coverage_within, r.width_ratio, r.mean_bias
            );
            // Where the areas differ by 2 points or more, 93–97%. Where they
            // barely differ, the interval still carries an area part (τ̃²
            // is never 0 while τ² is uncertain: CONTRACT.md, step 5), and
            // pays for it with some over-coverage, allowed up to 98.5%.
            let most = if sd >= 0.02 { 0.97 } else { 0.985 };
            if !(0.93..=most).contains(&r.coverage) {
                failures.push(format!(
                    "{treated_areas} areas, sd {sd}: coverage {:.3}",
                    r.coverage
                ));
            }
            if sd == 0.0 && r.width_ratio > 1.25 {
                failures.push(format!(
                    "{treated_areas} areas, no area variation: intervals {:.2}× today's",
                    r.width_ratio
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// The study can fail: without the areas' variance (today's binomial-only
/// interval) coverage with 3 points of area variation is far below 95%.
#[test]
fn the_binomial_only_interval_undercovers_with_area_variation() {
    let r = study(
        &Design {
            treated_areas: 3,
            sd: 0.03,
        },
        500,
        7,
    );
    assert!(r.coverage_within < 0.85, "{}", r.coverage_within);
    assert!(r.coverage > 0.9, "{}", r.coverage);
}
