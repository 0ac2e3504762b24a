//! The monthly process against hand-worked values and its own simulation.

use super::*;

#[test]
fn a_lower_level_means_fewer_in_work() {
    let at = |level| status_weights(2, 3, level);
    assert!((at(0.0)[EMPLOYED] - at(-0.03)[EMPLOYED] - 0.03).abs() < 1e-12);
    assert!((at(0.0).iter().sum::<f64>() - 1.0).abs() < 1e-12);
}

#[test]
fn since_counts_months_out_of_work_and_stops_past_recent() {
    let employed = State {
        status: EMPLOYED,
        since: 0,
    };
    let left = employed.after(INACTIVE);
    assert_eq!(
        left,
        State {
            status: INACTIVE,
            since: 1
        }
    );
    assert!(left.recently_left());
    let mut long = left;
    for _ in 0..30 {
        long = long.after(INACTIVE);
    }
    assert_eq!(long.since, RECENT + 1);
    assert!(!long.recently_left());
    assert_eq!(long.after(EMPLOYED).since, 0);
}

fn world() -> World {
    let reference = crate::reference::Reference::load().expect("reference data");
    World::new(
        reference,
        7,
        0.0,
        Difficulties::NONE,
        None,
        crate::generate::RegionGap::default(),
    )
    .expect("world")
}

#[test]
fn an_uplift_in_the_support_months_moves_the_six_month_chance_by_its_reach() {
    // Without the dip, clamping or education, the process is linear in
    // the chance of work: adding u to it in months 1 to 6 moves the
    // chance of being in work at month 6 by u(1 − 0.9⁶) = 0.4685590 u,
    // and at month 12 by that times 0.9⁶ as the effect fades.
    let world = world();
    let process = Process {
        world: &world,
        area: 0,
        age: 2,
        quintile: 3,
        own: 0.0,
    };
    let support = Support {
        month: 20,
        uplift: 0.1,
        education: 0.0,
    };
    for status in [EMPLOYED, INACTIVE] {
        let state = State {
            status,
            since: if status == EMPLOYED { 0 } else { RECENT + 1 },
        };
        let all = process.effects(20, state, &support, 2000.0, 2000.0);
        // The 6-month effect every participant's truth sums, reached or not.
        assert!(
            (all.in_work_6m - 0.04685590).abs() < 1e-8,
            "{}",
            all.in_work_6m
        );
        let effects = all.outcomes;
        let six = effects[Outcome::ALL
            .iter()
            .position(|o| *o == Outcome::InWork6m)
            .unwrap()];
        assert!((six.unwrap() - 0.04685590).abs() < 1e-8, "{six:?}");
        let twelve = effects[Outcome::ALL
            .iter()
            .position(|o| *o == Outcome::InWork12m)
            .unwrap()];
        assert!(
            (twelve.unwrap() - 0.04685590 * 0.531441).abs() < 1e-8,
            "{twelve:?}"
        );
        // The window ends at month 35: 24 months after month 20 is out of
        // reach.
        let last = effects[Outcome::ALL
            .iter()
            .position(|o| *o == Outcome::InWork24m)
            .unwrap()];
        assert_eq!(last, None);
    }
    let state = State {
        status: EMPLOYED,
        since: 0,
    };
    assert!(
        process
            .effects(
                10,
                state,
                &Support {
                    uplift: 0.0,
                    ..support
                },
                2000.0,
                2000.0
            )
            .outcomes
            .iter()
            .flatten()
            .all(|e| e.abs() < 1e-12),
        "no support, no effect"
    );
}

#[test]
fn the_expected_path_is_what_simulated_paths_average() {
    let mut world = world();
    world.difficulties.dip = true;
    let process = Process {
        world: &world,
        area: 3,
        age: 0,
        quintile: 2,
        own: -0.02,
    };
    let support = Support {
        month: 12,
        uplift: 0.2,
        education: 0.1,
    };
    let mut rng = Pcg64Mcg::seed_from_u64(11);
    let runs = 20_000;
    let (mut at_18, mut states) = (vec![0.0; 2], 0);
    let start = State {
        status: INACTIVE,
        since: 3,
    };
    let expected = process.expected(12, start, Some(&support));
    for _ in 0..runs {
        let mut state = start;
        for m in 13..=18 {
            state = process.step(m, state, Some(&support), rng.random(), rng.random());
        }
        states += 1;
        at_18[0] += f64::from(u8::from(state.status == EMPLOYED));
        at_18[1] += f64::from(u8::from(matches!(state.status, EMPLOYED | EDUCATION)));
    }
    let (work, eet) = (at_18[0] / states as f64, at_18[1] / states as f64);
    // Monte Carlo error about 0.0035 each.
    assert!(
        (work - expected[5].0).abs() < 0.015,
        "{work} against {}",
        expected[5].0
    );
    assert!(
        (eet - expected[5].1).abs() < 0.015,
        "{eet} against {}",
        expected[5].1
    );
}

#[test]
fn two_paths_from_the_same_draws_differ_only_after_the_index_month() {
    let world = world();
    let process = Process {
        world: &world,
        area: 1,
        age: 1,
        quintile: 4,
        own: 0.0,
    };
    let mut rng = Pcg64Mcg::seed_from_u64(3);
    let support = Support {
        month: 20,
        uplift: 0.5,
        education: 0.0,
    };
    let mut differ = 0;
    for _ in 0..500 {
        let draws = Draws::new(&mut rng);
        let without = process.path(&draws, None);
        let with = process.path(&draws, Some(&support));
        assert_eq!(without.len(), MONTHS);
        assert_eq!(without[..=20], with[..=20]);
        differ += usize::from(without != with);
    }
    assert!(differ > 100, "{differ}");
}
