//! The balance table worked by hand: standardised differences, L1, and
//! which levels are listed.

use super::*;
use crate::evaluate::strata::Part;

fn key(status: &str) -> StratumKey {
    StratumKey {
        baseline_status: Part::new(status),
        ..StratumKey::default()
    }
}

fn cell(participant: bool, status: &str, region: &str, people: f64, months: f64) -> BalanceCell {
    BalanceCell {
        participant,
        programme: if participant {
            "P".into()
        } else {
            String::new()
        },
        key: key(status),
        region: region.into(),
        imd_decile: 5,
        people,
        sums: [5.0 * people, months * people, 0.0, 0.0],
        squares: [25.0 * people, months * months * people, 0.0, 0.0],
    }
}

fn find<'a>(rows: &'a [Balance], covariate: &str, level: Option<&str>) -> &'a Balance {
    rows.iter()
        .find(|r| r.covariate == covariate && r.level.as_deref() == level)
        .unwrap()
}

/// Worked by hand. Participants: 30 employed (region North, 10 months
/// employed before), 10 inactive (North, 2 months). Comparison: 20
/// employed (South, 12 months), 60 inactive (South, 0 months), 5
/// unemployed (South) with no participant.
///
/// Before: employed share 0.75 vs 20/85 = 0.2353; variances 0.1875 and
/// 0.1799, pooled sd √0.1837 = 0.4286, SMD = 0.5147/0.4286 = 1.2009.
/// After: comparison weights 30/20 = 1.5 (employed), 10/60 (inactive),
/// 0 (unemployed): employed share 30/(30 + 10) = 0.75, SMD 0.
/// Months employed: participants 8 (variance 76 − 64 = 12);
/// comparison before (240 + 0)/85 = 2.8235, after (30·12 + 10·0)/40 = 9,
/// variance before 2880/85 − 2.8235² = 25.91; SMD after
/// (8 − 9)/√((12 + 25.91)/2) = −0.2297.
/// L1 over (stratum, decile): before ½(|0.75 − 20/85| + |0.25 − 60/85| +
/// |0 − 5/85|) = 43.75/85 = 0.5147, after 0. Region is left out of L1
/// (comparison areas lie outside the programme areas by design); each
/// region is constant on both sides and different, so flagged without
/// an SMD.
#[test]
fn standardised_differences_and_l1_by_hand() {
    let cells = vec![
        cell(true, "employed", "North", 30.0, 10.0),
        cell(true, "inactive", "North", 10.0, 2.0),
        cell(false, "employed", "South", 20.0, 12.0),
        cell(false, "inactive", "South", 60.0, 0.0),
        cell(false, "unemployed", "South", 5.0, 0.0),
    ];
    let (rows, overall) = balance(&cells);
    let employed = find(&rows, "baseline_status", Some("employed"));
    assert!((employed.comparison_mean_before.unwrap() - 20.0 / 85.0).abs() < 1e-12);
    let (vt, vc) = (0.75 * 0.25, (20.0 / 85.0) * (65.0 / 85.0));
    let expected = (0.75 - 20.0 / 85.0) / ((vt + vc) / 2.0f64).sqrt();
    assert!((employed.smd_before.unwrap() - expected).abs() < 1e-12);
    assert!((expected - 1.2009).abs() < 1e-4);
    assert!(employed.smd.unwrap().abs() < 1e-12);
    assert!(employed.matched_on && !employed.imbalanced);
    assert_eq!(employed.participants, 30);

    let months = find(&rows, "months_employed_before", None);
    assert_eq!(months.participant_mean, Some(8.0));
    assert!((months.comparison_mean.unwrap() - 9.0).abs() < 1e-12);
    let vc = 2880.0 / 85.0 - (240.0f64 / 85.0).powi(2);
    let expected = (8.0 - 9.0) / ((12.0 + vc) / 2.0f64).sqrt();
    assert!((months.smd.unwrap() - expected).abs() < 1e-12);
    assert!((expected + 0.2297).abs() < 1e-4);
    assert!(months.imbalanced && !months.matched_on);

    let north = find(&rows, "region", Some("North"));
    assert_eq!(north.participant_mean, Some(1.0));
    assert_eq!(north.comparison_mean, Some(0.0));
    assert_eq!(north.smd, None, "constant and different: no yardstick");
    assert!(north.imbalanced, "and flagged");
    let o = overall["P"];
    assert!((o.l1_before.unwrap() - 43.75 / 85.0).abs() < 1e-12);
    assert!(o.l1.unwrap().abs() < 1e-12);
    assert_eq!(o.imbalanced, 3, "months employed, North and South");
}

/// Within one region, matching removes the imbalance on the stratum
/// entirely: L1 before = ½(|0.75 − 0.2| + |0.25 − 0.8|) = 0.55, after 0.
#[test]
fn matching_removes_stratum_imbalance() {
    let cells = vec![
        cell(true, "employed", "North", 30.0, 10.0),
        cell(true, "inactive", "North", 10.0, 2.0),
        cell(false, "employed", "North", 20.0, 10.0),
        cell(false, "inactive", "North", 80.0, 2.0),
    ];
    let (rows, overall) = balance(&cells);
    let o = overall["P"];
    assert!((o.l1_before.unwrap() - 0.55).abs() < 1e-12);
    assert!(o.l1.unwrap().abs() < 1e-12);
    assert_eq!(o.imbalanced, 0);
    assert!(
        find(&rows, "months_employed_before", None)
            .smd
            .unwrap()
            .abs()
            < 1e-12
    );
}

/// A level is listed for a programme only when one of its eligible
/// participants or an eligible comparison person has it (CONTRACT.md,
/// Balance): programme Q's participants live in "West", which no one of
/// P's comparison has, so P lists North and South but not West, and Q
/// lists West and South but not North.
#[test]
fn a_level_no_one_on_either_side_has_is_not_listed() {
    let mut other = cell(true, "employed", "West", 10.0, 5.0);
    other.programme = "Q".into();
    let cells = vec![
        cell(true, "employed", "North", 30.0, 10.0),
        cell(false, "employed", "South", 20.0, 12.0),
        other,
    ];
    let (rows, _) = balance(&cells);
    let regions = |p: &str| -> Vec<String> {
        rows.iter()
            .filter(|r| r.programme == p && r.covariate == "region")
            .filter_map(|r| r.level.clone())
            .collect()
    };
    assert_eq!(regions("P"), ["North", "South"]);
    assert_eq!(regions("Q"), ["South", "West"]);
    // The other categorical covariates keep every level someone has.
    assert!(rows.iter().any(|r| r.programme == "P"
        && r.covariate == "baseline_status"
        && r.level.as_deref() == Some("employed")));
}
