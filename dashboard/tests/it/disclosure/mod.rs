//! Disclosure control over every page, chart and export, on data built to
//! have small cells: no count under 10 and no unrounded count anywhere.

use crate::common::{evidence_root, get, pages_and_charts, state};
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use regex::Regex;
use scraper::{Html, Selector};
use std::collections::BTreeSet;

mod scanner;
use scanner::*;

/// Small enough that many sites, subgroups and months fall under 10.
const PEOPLE: u64 = 2_500;

/// The balance chart's shares (to 3 decimals) and means (to 2) of a
/// covariate, and its standardised differences: always decimals.
const DECIMAL_COLUMNS: [&str; 6] = [
    "participants_before",
    "comparison_before",
    "participants_after",
    "comparison_after",
    "smd_before",
    "smd_after",
];
/// An outcome's values in the unit its row's `unit` column names: a
/// proportion is checked as one, months and pounds a month are decimals
/// (pounds to the penny, as money is written).
const UNIT_COLUMNS: [&str; 5] = [
    "participant_value",
    "comparison_value",
    "effect",
    "effect_low",
    "effect_high",
];
/// Labels, and numbers that are not counts of people or notes (areas,
/// months since go-live).
const LABEL_COLUMNS: [&str; 32] = [
    "outcome",
    "role",
    "unit",
    "note",
    "covariate",
    "level",
    "matched_on",
    "imbalanced",
    "programme",
    "area_id",
    "area_name",
    "dimension",
    "value",
    "series",
    "funnel_flag",
    "month",
    "start_date",
    "areas",
    "event_month",
    "treated_areas",
    "comparison_areas",
    "clean_areas",
    "programme_areas",
    "adjusted_flag",
    "unadjusted_flag",
    "effect_flag",
    "indicator",
    "polarity",
    "comparison",
    "quarter",
    "trend",
    // A site's position on the adjusted funnel's x axis, p0(1−p0)/s², from
    // its published counts and case mix: a size, not a count of people.
    "effective_eligible",
];

/// Every exact count in the evidence root that must never be shown: not a
/// multiple of 5 (so not already a rounded figure) and at least 10 (smaller
/// numbers are too common in ordinary text to search for; counts under 10
/// are caught by the cell checks).
async fn unpublishable_counts(evidence: &std::path::Path) -> BTreeSet<u64> {
    let ctx = SessionContext::new();
    let mut exact = BTreeSet::new();
    for table in contract::OUTPUT_TABLES {
        let path = evidence.join(format!("{table}.parquet"));
        let batches = ctx
            .read_parquet(path.to_str().unwrap(), ParquetReadOptions::default())
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        for batch in batches {
            for column in batch.columns() {
                if column.data_type() == &DataType::Int64 {
                    let values = column.as_primitive::<Int64Type>();
                    exact.extend(values.iter().flatten().map(|v| v as u64));
                }
            }
        }
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(evidence.join("run.json")).unwrap()).unwrap();
    for input in manifest["inputs"].as_array().unwrap() {
        for key in ["rows_read", "rows_used", "rows_quarantined"] {
            exact.insert(input[key].as_u64().unwrap());
        }
    }
    exact.retain(|n| *n >= 10 && n % 5 != 0 && *n < 1_000_000_000);
    exact
}

#[tokio::test]
async fn no_page_chart_or_export_reveals_a_small_or_unrounded_count() {
    let fixture = evidence_root(PEOPLE, 11);
    let forbidden = unpublishable_counts(&fixture.evidence).await;
    assert!(
        forbidden.len() > 50,
        "the fixture should have many unrounded counts"
    );

    // The fixture really has small cells to suppress.
    let state = state(fixture).await;
    let (pages, charts) = pages_and_charts(&state).await;
    let mut suppressed = 0;
    for page in &pages {
        let got = get(&state, page).await;
        assert_eq!(got.status, 200, "{page}");
        suppressed += check_page(&got.text(), page, &forbidden);
    }
    for chart in &charts {
        let csv = get(&state, &format!("{chart}.csv")).await;
        assert_eq!(csv.status, 200, "{chart}.csv");
        suppressed += check_csv(&csv.body, &format!("{chart}.csv"));
        // Every cell but the labels (which include area counts and months
        // since go-live).
        let mut reader = csv::Reader::from_reader(&csv.body[..]);
        let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        for record in reader.records() {
            let record = record.unwrap();
            for (column, cell) in header.iter().zip(record.iter()) {
                if LABEL_COLUMNS.contains(&column.as_str()) {
                    continue;
                }
                for (n, _) in bare_integers(cell) {
                    assert!(
                        !forbidden.contains(&n),
                        "{chart}.csv, {column}: exact count {n}"
                    );
                }
            }
        }
        let svg = get(&state, &format!("{chart}.svg")).await.text();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let text: Vec<&str> = doc.descendants().filter_map(|n| n.text()).collect();
        for (n, _) in bare_integers(&text.join(" ")) {
            assert!(!forbidden.contains(&n), "{chart}.svg: exact count {n}");
        }
    }
    // The commissioner's API answers the same tables, controlled the same
    // way.
    for table in dashboard::presentation::tables::names() {
        let got = get(&state, &format!("/api/tables/{table}?limit=100000")).await;
        assert_eq!(got.status, 200, "{table}");
        let answer: serde_json::Value = serde_json::from_slice(&got.body).unwrap();
        for row in answer["rows"].as_array().unwrap() {
            for (column, value) in row.as_object().unwrap() {
                let cell = value.as_str().unwrap();
                let at = format!("/api/tables/{table}, column {column}");
                if COUNT_COLUMNS.contains(&column.as_str()) {
                    check_count(cell, &at);
                } else if PROPORTION_COLUMNS.contains(&column.as_str()) {
                    check_proportion(cell, &at);
                } else {
                    assert!(
                        LABEL_COLUMNS.contains(&column.as_str()),
                        "{at}: unclassified"
                    );
                }
                suppressed += usize::from(cell == "[c]");
            }
        }
    }
    assert!(suppressed > 100, "only {suppressed} cells were suppressed");

    // Differencing: under a published programme total, never exactly one
    // suppressed site or subgroup value (secondary suppression).
    let rows = |table: &str| {
        let state = &state;
        let table = table.to_string();
        async move {
            let got = get(state, &format!("/api/tables/{table}?limit=100000")).await;
            let answer: serde_json::Value = serde_json::from_slice(&got.body).unwrap();
            answer["rows"].as_array().unwrap().clone()
        }
    };
    let programmes = rows("programme_outcomes").await;
    let (sites, subgroups) = (rows("site_outcomes").await, rows("subgroup_outcomes").await);
    let mut groups_checked = 0;
    for p in &programmes {
        let name = &p["programme"];
        for measure in ["participants", "eligible", "in_work_6m", "matched"] {
            if p[measure] == "[c]" {
                continue;
            }
            let mut groups: Vec<Vec<&serde_json::Value>> = Vec::new();
            if measure != "matched" {
                groups.push(sites.iter().filter(|s| &s["programme"] == name).collect());
            }
            for dimension in [
                "condition",
                "referral_source",
                "age_band",
                "sex",
                "imd_quintile",
            ] {
                groups.push(
                    subgroups
                        .iter()
                        .filter(|s| &s["programme"] == name && s["dimension"] == dimension)
                        .collect(),
                );
            }
            for parts in groups {
                let lone = parts.iter().filter(|s| s[measure] == "[c]").count();
                assert_ne!(
                    lone, 1,
                    "{name} {measure}: one part suppressed, recoverable by differencing"
                );
                groups_checked += 1;
            }
        }
    }
    assert!(groups_checked > 20, "only {groups_checked} groups checked");
}

/// The attacker's test on a generated root: the commissioners' API answers
/// exactly the published tables, and no row of them is consistent with only
/// one pair of exact counts, however its figures are combined
/// (`dashboard::audit`).
#[tokio::test]
async fn no_published_row_gives_back_its_exact_counts() {
    let fixture = evidence_root(PEOPLE, 11);
    let state = state(fixture).await;
    let root = contract::Root::parse(fixture.evidence.to_str().unwrap()).unwrap();
    let exact = contract::Evidence::read(&SessionContext::new(), &root)
        .await
        .unwrap();
    // The API's rates and their counts, recomputed here from the exact
    // tables by the contract's rules 1-3 alone (not by the code that
    // publishes them): each count is the exact one rounded to the nearest
    // 5 or `[c]`, and each rate is the rounded counts' ratio to 0.001.
    let round5 = |n: u64| (n + 2) / 5 * 5;
    let (mut shown, mut suppressed) = (0, 0);
    let mut check = |table: &str, row: &serde_json::Value, k: u64, n: u64| {
        let cell = |c: &str| row[c].as_str().unwrap().to_string();
        for (column, exact) in [("in_work_6m", k), ("eligible", n)] {
            let shown = cell(column);
            assert!(
                shown == "[c]" || shown == round5(exact).to_string(),
                "{table} {row}: {column} {shown} for exact {exact}"
            );
        }
        let (shown_k, shown_n) = (cell("in_work_6m"), cell("eligible"));
        let rate = cell("rate");
        if rate != "[c]" {
            assert!(
                shown_k != "[c]" && shown_n != "[c]",
                "{table} {row}: a rate beside a suppressed count"
            );
            let expected = round5(k) as f64 / round5(n) as f64;
            let got: f64 = rate.parse().unwrap();
            assert!(
                (got - expected).abs() <= 0.0005 + 1e-12,
                "{table} {row}: rate {got} for {expected}"
            );
            shown += 1;
        } else {
            suppressed += 1;
        }
    };
    let api = |table: &str| {
        let state = &state;
        let url = format!("/api/tables/{table}?limit=1000000");
        async move {
            let got = get(state, &url).await;
            assert_eq!(got.status, 200, "{url}");
            let answer: serde_json::Value = serde_json::from_slice(&got.body).unwrap();
            answer["rows"].as_array().unwrap().clone()
        }
    };
    for row in api("programme_outcomes").await {
        let p = exact
            .tables
            .programme_outcomes
            .iter()
            .find(|p| p.programme == row["programme"])
            .unwrap();
        check("programme_outcomes", &row, p.in_work_6m, p.eligible);
    }
    for row in api("site_outcomes").await {
        let s = exact
            .tables
            .site_outcomes
            .iter()
            .find(|s| s.programme == row["programme"] && s.area_id == row["area_id"])
            .unwrap();
        check("site_outcomes", &row, s.in_work_6m, s.eligible);
    }
    assert!(
        shown >= 1 && suppressed >= 1,
        "{shown} rates shown and {suppressed} suppressed: both kinds are needed to check"
    );
    let audits = dashboard::disclosure_audit::audit(&exact, &dashboard::disclosure_audit::TABLES);
    assert!(audits.len() > 200, "only {} rows audited", audits.len());
    // The own-area design's counts are published too (its matched count and
    // effect on the programme page), so they are audited with the rest.
    assert!(
        audits
            .iter()
            .any(|a| a.pair == "own_area_matched_in_work/own_area_matched"),
        "the own-area design's counts are not audited"
    );
    // One consistent pair gives the counts back; none would mean the audit
    // cannot reproduce the row from its own truth.
    let pinned: Vec<_> = audits.iter().filter(|a| a.consistent < 2).collect();
    assert!(
        pinned.is_empty(),
        "{} of {} published (row, pair)s are consistent with fewer than two exact pairs, e.g. {:?}",
        pinned.len(),
        audits.len(),
        pinned.first()
    );
}

/// Secondary suppression of fit notes: under each programme's published
/// monthly total, never exactly one of its areas' months suppressed, for
/// notes and for may-be-fit notes.
#[tokio::test]
async fn no_lone_suppressed_area_month_under_a_programme_total() {
    let fixture = evidence_root(PEOPLE, 11);
    let root = contract::Root::parse(fixture.evidence.to_str().unwrap()).unwrap();
    let exact = contract::Evidence::read(&SessionContext::new(), &root)
        .await
        .unwrap();
    let published = dashboard::disclosure::control(&exact);
    let (mut totals, mut suppressed) = (0, 0);
    for programme in &published.programmes {
        let areas: Vec<&str> = exact
            .tables
            .site_outcomes
            .iter()
            .filter(|s| s.programme == programme.name)
            .map(|s| s.area_id.as_str())
            .collect();
        for month in &published.programme_notes[&programme.name][0] {
            let parts: Vec<_> = areas
                .iter()
                .filter_map(|a| published.area_notes.get(*a))
                .filter_map(|months| months.iter().find(|m| m.month == month.month))
                .collect();
            for (what, total, lone) in [
                (
                    "notes",
                    month.fit_notes,
                    parts.iter().filter(|m| m.fit_notes.is_suppressed()).count(),
                ),
                (
                    "may be fit",
                    month.may_be_fit,
                    parts
                        .iter()
                        .filter(|m| m.may_be_fit.is_suppressed())
                        .count(),
                ),
            ] {
                totals += 1;
                suppressed += lone;
                assert!(
                    total.is_suppressed() || lone != 1,
                    "{} {}: one area's {what} suppressed under a published total",
                    programme.name,
                    month.month
                );
            }
        }
    }
    assert!(
        totals > 100 && suppressed > 0,
        "{totals} totals, {suppressed} suppressed parts"
    );
}
