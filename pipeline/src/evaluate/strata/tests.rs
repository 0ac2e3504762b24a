use super::*;

fn key(condition: &str) -> StratumKey {
    StratumKey {
        condition: Part::new(condition),
        ..StratumKey::default()
    }
}

fn cell(
    area: &str,
    condition: &str,
    eligible: u64,
    yes: u64,
) -> (String, StratumKey, StratumCounts) {
    (
        area.into(),
        key(condition),
        StratumCounts::proportion(eligible, yes),
    )
}

/// Worked by hand. Participants: a1 Mental health 10 (6 in work), a1
/// Other 4 (1), a2 Mental health 6 (3). Own-area people: a1 Mental
/// health 20 (8), a2 Other 5 (5) and none of a2's in Mental health.
/// Only (a1, Mental health) holds both sides: a1's Other finds no one
/// in a1, and a2's Mental health may not borrow a1's people (the cell
/// is the area and the stratum), so 10 matched, 10 unmatched in 2
/// dropped cells; p = 0.6, c = 8/20 = 0.4, att = 0.2, V = 0.4·0.6/19.
#[test]
fn the_own_area_design_matches_within_each_site_alone() {
    let mut own = Comparison {
        cells: vec![
            cell("a1", "Mental health", 20, 8),
            cell("a2", "Other", 5, 5),
        ],
        ..Comparison::default()
    };
    let mut group = Group {
        cells: vec![
            cell("a1", "Mental health", 10, 6),
            cell("a1", "Other", 4, 1),
            cell("a2", "Mental health", 6, 3),
        ],
        ..Group::default()
    };
    number_strata([&mut own], [&mut group]);
    let m = group.own_area_match(&own);
    assert_eq!((m.matched, m.matched_in_work), (10, 6));
    assert_eq!(
        (m.unmatched, m.strata_matched, m.strata_dropped),
        (10, 1, 2)
    );
    assert!((m.comparison_rate.unwrap() - 0.4).abs() < 1e-12);
    assert!((m.att.unwrap() - 0.2).abs() < 1e-12);
    assert!((m.comparison_variance.unwrap() - 0.4 * 0.6 / 19.0).abs() < 1e-12);
    let (low, high) = (m.att_low.unwrap(), m.att_high.unwrap());
    assert!(low < 0.2 && 0.2 < high, "({low}, {high})");
}
