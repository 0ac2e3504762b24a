//! Disclosure control over every page, chart and export, on data built to
//! have small cells: no count under 10 and no unrounded count anywhere.

use crate::common::{evidence_root, get, pages_and_charts, state};
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use regex::Regex;
use scraper::{Html, Selector};
use std::collections::BTreeSet;

/// Small enough that many sites, subgroups and months fall under 10.
const PEOPLE: u64 = 2_500;

const COUNT_COLUMNS: [&str; 9] = [
    "referrals",
    "participants",
    "eligible",
    "in_work_6m",
    "matched",
    "unmatched",
    "fit_notes",
    "may_be_fit",
    "rows_failed",
];
const PROPORTION_COLUMNS: [&str; 45] = [
    "rate",
    "rate_low",
    "rate_high",
    "comparison_rate",
    "target_rate",
    "limit95_low",
    "limit95_high",
    "limit998_low",
    "limit998_high",
    "may_be_fit_share",
    "pre_share",
    "post_share",
    "comparison_pre_share",
    "comparison_post_share",
    "att",
    "att_low",
    "att_high",
    "did",
    "did_low",
    "did_high",
    "att_p_adjusted",
    "randomisation_p",
    "mde",
    "clean_did",
    "clean_did_low",
    "clean_did_high",
    "pretrend_p_value",
    "estimate",
    "low",
    "high",
    "expected_rate",
    "adjusted_rate",
    "adjusted_limit95_low",
    "adjusted_limit95_high",
    "adjusted_limit998_low",
    "adjusted_limit998_high",
    "programme_att",
    "effect_limit998_low",
    "effect_limit998_high",
    "site_value",
    "programme_benchmark",
    "all_sites_lowest",
    "all_sites_25th",
    "all_sites_75th",
    "all_sites_highest",
];
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

/// A published count: `[c]`, or a multiple of 5 that is at least 10.
fn check_count(cell: &str, place: &str) {
    let cell = cell.trim();
    // Suppressed, or not applicable (no clean area, no joint test).
    if cell == "[c]" || cell.is_empty() {
        return;
    }
    let n: u64 = cell
        .replace(',', "")
        .parse()
        .unwrap_or_else(|_| panic!("{place}: `{cell}` is not a count"));
    assert!(n >= 10, "{place}: count {n} is below 10");
    assert_eq!(n % 5, 0, "{place}: count {n} is not rounded to 5");
}

fn check_proportion(cell: &str, place: &str) {
    let cell = cell.trim();
    // Suppressed, or not applicable (no clean area, no joint test).
    if cell == "[c]" || cell.is_empty() {
        return;
    }
    let decimals = cell.split('.').nth(1).map_or(0, str::len);
    assert!(
        cell.parse::<f64>().is_ok() && decimals == 3,
        "{place}: `{cell}` is not a proportion to 3 decimals"
    );
}

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

/// Whole numbers in running text that could be counts: not part of a date,
/// a decimal, a percentage, a range (`16-24`), money or a duration.
fn bare_integers(text: &str) -> Vec<(u64, usize)> {
    let number = Regex::new(r"\d[\d,]*(\.\d+)?").unwrap();
    let mut found = Vec::new();
    for m in number.find_iter(text) {
        let before = text[..m.start()].chars().next_back().unwrap_or(' ');
        let after = &text[m.end()..];
        let next = after.chars().next().unwrap_or(' ');
        // A year after a month's name (chart axes: "Mar 2026").
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let after_month = MONTHS
            .iter()
            .any(|month| text[..m.start()].ends_with(&format!("{month} ")));
        if m.as_str().contains('.')
            || after_month
            // Dates, times, ranges, money, signed effects; digits inside
            // identifiers and paths (`run-20261125T0145`, `/tmp/.tmp36x`).
            || matches!(before, '-' | '£' | '.' | ':' | '+' | '/' | '_')
            || before.is_alphanumeric()
            || matches!(next, '-' | '%' | ':' | '+' | '/' | '_')
            || next.is_alphanumeric()
            || after.starts_with(" pp")
            || after.starts_with(" month")
            || after.starts_with(" in 100")
            || after.starts_with(" times")
            // Numbers of strata, sites, subgroups, areas (not of people).
            || [" strata", " site", " subgroup", " programme", " comparison areas", " areas", " level", " covariate level"]
                .iter()
                .any(|unit| after.starts_with(unit))
        {
            continue;
        }
        if let Ok(n) = m.as_str().trim_end_matches(',').replace(',', "").parse() {
            found.push((n, m.start()));
        }
    }
    found
}

fn check_csv(body: &[u8], place: &str) -> usize {
    let mut reader = csv::Reader::from_reader(body);
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let mut suppressed = 0;
    for column in &header {
        assert!(
            COUNT_COLUMNS.contains(&column.as_str())
                || PROPORTION_COLUMNS.contains(&column.as_str())
                || DECIMAL_COLUMNS.contains(&column.as_str())
                || UNIT_COLUMNS.contains(&column.as_str())
                || LABEL_COLUMNS.contains(&column.as_str()),
            "{place}: column `{column}` is not classified; decide whether it is a count"
        );
    }
    for record in reader.records() {
        let record = record.unwrap();
        let unit = header
            .iter()
            .position(|c| c == "unit")
            .and_then(|i| record.get(i))
            .unwrap_or_default()
            .to_string();
        for (column, cell) in header.iter().zip(record.iter()) {
            let at = format!("{place}, column {column}");
            if UNIT_COLUMNS.contains(&column.as_str()) {
                match unit.as_str() {
                    "proportion" if !column.starts_with("effect") => check_proportion(cell, &at),
                    "pounds_a_month" => assert!(
                        cell == "[c]"
                            || cell.is_empty()
                            || cell
                                .split_once('.')
                                .is_some_and(|(_, pence)| pence.len() == 2),
                        "{at}: `{cell}` is not pounds and pence"
                    ),
                    _ => assert!(
                        cell == "[c]"
                            || cell.is_empty()
                            || cell.contains('.') && cell.parse::<f64>().is_ok(),
                        "{at}: `{cell}` is not a decimal"
                    ),
                }
            } else if COUNT_COLUMNS.contains(&column.as_str()) {
                check_count(cell, &at);
            } else if PROPORTION_COLUMNS.contains(&column.as_str()) {
                check_proportion(cell, &at);
            } else if DECIMAL_COLUMNS.contains(&column.as_str()) {
                assert!(
                    cell == "[c]"
                        || cell == "–"
                        || (cell.contains('.') && cell.parse::<f64>().is_ok()),
                    "{at}: `{cell}` is not a decimal"
                );
            }
            suppressed += usize::from(cell == "[c]");
        }
        // A rate goes with its denominator.
        let cell = |name: &str| {
            header
                .iter()
                .position(|c| c == name)
                .map(|i| record.get(i).unwrap_or_default().to_string())
        };
        if cell("eligible").as_deref() == Some("[c]") {
            assert_eq!(
                cell("rate").unwrap_or("[c]".into()),
                "[c]",
                "{place}: {record:?}"
            );
        }
        if cell("fit_notes").as_deref() == Some("[c]") {
            assert_eq!(
                cell("may_be_fit_share").unwrap_or("[c]".into()),
                "[c]",
                "{place}: {record:?}"
            );
        }
    }
    suppressed
}

fn check_page(html: &str, place: &str, forbidden: &BTreeSet<u64>) -> usize {
    let doc = Html::parse_document(html);
    let mut suppressed = 0;
    let counts = Selector::parse(".count").unwrap();
    for element in doc.select(&counts) {
        let text: String = element.text().collect();
        check_count(&text, &format!("{place}, .count"));
        suppressed += usize::from(text.trim() == "[c]");
    }
    // The data behind each chart, by column.
    let tables = Selector::parse("table.chart-data").unwrap();
    let th = Selector::parse("thead th").unwrap();
    let row = Selector::parse("tbody tr").unwrap();
    let td = Selector::parse("td").unwrap();
    for table in doc.select(&tables) {
        let header: Vec<String> = table.select(&th).map(|h| h.text().collect()).collect();
        for r in table.select(&row) {
            for (column, cell) in header.iter().zip(r.select(&td)) {
                let text: String = cell.text().collect();
                let at = format!("{place}, chart data column {column}");
                if COUNT_COLUMNS.contains(&column.as_str()) {
                    check_count(&text, &at);
                } else if PROPORTION_COLUMNS.contains(&column.as_str()) {
                    check_proportion(&text, &at);
                }
            }
        }
    }
    // Any other cell holding a bare whole number is a count too (file
    // counts excepted).
    let plain_cells =
        Selector::parse("table:not(.chart-data) td:not(.files):not(.not-a-count)").unwrap();
    let whole = Regex::new(r"^\s*\d[\d,]*\s*$").unwrap();
    for cell in doc.select(&plain_cells) {
        let text: String = cell.text().collect();
        if whole.is_match(&text) {
            check_count(&text, &format!("{place}, table cell"));
        }
    }
    // Nowhere in the page's text or its charts' text: an exact count.
    // (File counts, area counts and months since go-live are not counts of
    // records; the pages mark them `not-a-count`.)
    let text: String = doc
        .tree
        .nodes()
        .filter_map(|node| {
            let text = node.value().as_text()?;
            let in_files = node.ancestors().any(|a| {
                a.value()
                    .as_element()
                    .and_then(|e| e.attr("class"))
                    .is_some_and(|c| {
                        c.split_whitespace()
                            .any(|c| c == "files" || c == "not-a-count")
                    })
            });
            (!in_files).then(|| text.to_string())
        })
        .collect::<Vec<_>>()
        .join(" ");
    for (n, at) in bare_integers(&text) {
        if forbidden.contains(&n) {
            let from = (0..=at.saturating_sub(80))
                .rev()
                .find(|i| text.is_char_boundary(*i))
                .unwrap_or(0);
            let context: String = text[from..].chars().take(160).collect();
            panic!("{place}: the exact count {n} appears in the page: …{context}…");
        }
    }
    suppressed
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

#[test]
fn the_number_scanner_skips_dates_rates_and_ranges_but_finds_counts() {
    assert_eq!(
        bare_integers(
            "2025-01-01 45.3% +3.2 pp £12,300 16-24 6 months Mar 2026 1,234 people and 17"
        )
        .into_iter()
        .map(|(n, _)| n)
        .collect::<Vec<_>>(),
        vec![1234, 17]
    );
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
    let published = dashboard::disclosure::control(&exact);
    let tables = dashboard::presentation::tables::names();
    for table in tables {
        let got = get(&state, &format!("/api/tables/{table}?limit=1000000")).await;
        assert_eq!(got.status, 200, "{table}");
        let answer: serde_json::Value = serde_json::from_slice(&got.body).unwrap();
        let expected: Vec<serde_json::Value> =
            dashboard::presentation::tables::rows(&published, table)
                .unwrap()
                .into_iter()
                .map(|row| serde_json::Value::Object(row.into_iter().collect()))
                .collect();
        assert_eq!(answer["rows"].as_array().unwrap(), &expected, "{table}");
    }
    let audits = dashboard::audit::audit(&exact, tables);
    assert!(audits.len() > 200, "only {} rows audited", audits.len());
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
