//! The scanner the disclosure tests read every page, chart and CSV with:
//! which cells are counts (a published count is `[c]` or a multiple of 5 of
//! at least 10), which are proportions, and bare integers in page text.

use super::*;

pub(super) const COUNT_COLUMNS: [&str; 11] = [
    "referrals",
    "co_enrolled",
    "exposed_to_another",
    "participants",
    "eligible",
    "in_work_6m",
    "matched",
    "unmatched",
    "fit_notes",
    "may_be_fit",
    "rows_failed",
];

pub(super) const PROPORTION_COLUMNS: [&str; 58] = [
    "rate",
    "robust_first_year_low",
    "robust_first_year_high",
    "robust_did",
    "robust_did_low",
    "robust_did_high",
    "clean_robust_did",
    "clean_robust_did_low",
    "clean_robust_did_high",
    "band_low",
    "band_high",
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
    "clean_pretrend_p_value",
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
    "effect_target",
    "effect_limit998_low",
    "effect_limit998_high",
    "att_shrunk",
    "site_value",
    "programme_benchmark",
    "all_sites_lowest",
    "all_sites_25th",
    "all_sites_75th",
    "all_sites_highest",
];

/// A published count: `[c]`, or a multiple of 5 that is at least 10.
pub(super) fn check_count(cell: &str, place: &str) {
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

pub(super) fn check_proportion(cell: &str, place: &str) {
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

/// Whole numbers in running text that could be counts: not part of a date,
/// a decimal, a percentage, a range (`16-24`), money or a duration.
pub(super) fn bare_integers(text: &str) -> Vec<(u64, usize)> {
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

pub(super) fn check_csv(body: &[u8], place: &str) -> usize {
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

pub(super) fn check_page(html: &str, place: &str, forbidden: &BTreeSet<u64>) -> usize {
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

#[test]
pub(super) fn the_number_scanner_skips_dates_rates_and_ranges_but_finds_counts() {
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
