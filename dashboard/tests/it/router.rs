//! Every page and chart form through the router, in-process, over a real
//! evidence root.

use crate::common::{evidence_root, get, pages_and_charts, state};
use std::cmp::Ordering;

use dashboard::charts::catalogue::{self, Scope};

const PEOPLE: u64 = 30_000;
/// The site-sorting test's own size: with co-enrolment planted, 30,000
/// people leave only 5 of WorkWell's 15 site effects unsuppressed.
const SORT_PEOPLE: u64 = 60_000;

#[tokio::test]
async fn every_page_renders_with_the_disclosure_footnote() {
    let state = state(evidence_root(PEOPLE, 7)).await;
    let (pages, _) = pages_and_charts(&state).await;
    assert!(pages.len() > 40, "{} pages", pages.len());
    for page in &pages {
        let got = get(&state, page).await;
        assert_eq!(got.status, 200, "{page}: {}", got.text());
        assert!(got.content_type.starts_with("text/html"), "{page}");
        let html = got.text();
        assert!(
            html.contains("Disclosure control: counts are rounded"),
            "{page}"
        );
        assert!(html.contains("<h1"), "{page}");
        // Charts are inline SVG with a title for screen readers.
        for svg in html.split("<svg").skip(1) {
            assert!(svg.contains("role=\"img\""), "{page}");
            assert!(svg.contains("<title>"), "{page}");
        }
    }
}

#[tokio::test]
async fn every_chart_comes_as_svg_png_and_the_csv_behind_it() {
    let state = state(evidence_root(PEOPLE, 7)).await;
    let (_, charts) = pages_and_charts(&state).await;
    for chart in &charts {
        let svg = get(&state, &format!("{chart}.svg")).await;
        assert_eq!(svg.status, 200, "{chart}.svg");
        assert_eq!(svg.content_type, "image/svg+xml");
        let text = svg.text();
        let doc = roxmltree::Document::parse(&text)
            .unwrap_or_else(|e| panic!("{chart}.svg is not XML: {e}"));
        assert_eq!(doc.root_element().tag_name().name(), "svg", "{chart}");

        let png = get(&state, &format!("{chart}.png")).await;
        assert_eq!(png.status, 200, "{chart}.png");
        assert_eq!(png.content_type, "image/png");
        assert!(png.disposition.unwrap().starts_with("attachment"));
        let decoder = png::Decoder::new(std::io::Cursor::new(png.body));
        let reader = decoder
            .read_info()
            .unwrap_or_else(|e| panic!("{chart}.png: {e}"));
        assert_eq!(reader.info().width, dashboard::charts::WIDTH, "{chart}");
        assert!(reader.info().height >= 260, "{chart}");

        let csv = get(&state, &format!("{chart}.csv")).await;
        assert_eq!(csv.status, 200, "{chart}.csv");
        assert!(csv.content_type.starts_with("text/csv"));
        assert!(csv.disposition.unwrap().contains(".csv\""));
        let mut reader = csv::Reader::from_reader(csv.body.as_slice());
        let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        let rows = reader.records().count();
        assert!(!header.is_empty() && rows > 0, "{chart}.csv is empty");
    }
}

/// Each chart's CSV download is the table the page shows beneath the
/// chart (rendered through the page's template, not the CSV writer), for
/// every chart of the overview, of every programme and of a site of each.
#[tokio::test]
async fn each_charts_csv_is_the_data_table_its_page_shows() {
    let state = state(evidence_root(PEOPLE, 7)).await;
    let published = state.published().await.unwrap();
    let figure = scraper::Selector::parse("figure.chart").unwrap();
    let header = scraper::Selector::parse("table.chart-data thead th").unwrap();
    let row = scraper::Selector::parse("table.chart-data tbody tr").unwrap();
    let cell = scraper::Selector::parse("td").unwrap();
    let text = |e: scraper::ElementRef| e.text().collect::<String>();
    let mut pages = vec![("/".to_string(), Scope::Overview)];
    for p in &published.programmes {
        let slug = dashboard::presentation::slug(&p.name);
        pages.push((format!("/programme/{slug}"), Scope::Programme(p)));
        let site = published.sites_of(p).next().unwrap();
        pages.push((
            format!("/programme/{slug}/site/{}", site.area_id),
            Scope::Site(p, site),
        ));
    }
    let mut compared = 0;
    for (page, scope) in pages {
        let got = get(&state, &page).await;
        assert_eq!(got.status, 200, "{page}");
        let html = scraper::Html::parse_document(&String::from_utf8(got.body).unwrap());
        let mut shown = Vec::new();
        for f in html.select(&figure) {
            let name = f
                .value()
                .id()
                .unwrap()
                .trim_start_matches("chart-")
                .to_string();
            let columns: Vec<String> = f.select(&header).map(text).collect();
            let rows: Vec<Vec<String>> = f
                .select(&row)
                .map(|r| r.select(&cell).map(text).collect())
                .collect();
            let url = format!("{}/{name}.csv", scope.base_url());
            let csv = get(&state, &url).await;
            assert_eq!(csv.status, 200, "{url}");
            let mut reader = csv::Reader::from_reader(csv.body.as_slice());
            let csv_columns: Vec<String> =
                reader.headers().unwrap().iter().map(String::from).collect();
            let csv_rows: Vec<Vec<String>> = reader
                .records()
                .map(|r| r.unwrap().iter().map(String::from).collect())
                .collect();
            assert_eq!(csv_columns, columns, "{url} against {page}");
            assert_eq!(csv_rows, rows, "{url} against {page}");
            compared += 1;
            shown.push(name);
        }
        // Every chart the page has is shown on it.
        for name in scope.names() {
            if catalogue::chart(&published, scope, name).is_some() {
                assert!(
                    shown.iter().any(|s| s == name),
                    "{page} does not show {name}: {shown:?}"
                );
            }
        }
    }
    assert!(compared >= 20, "only {compared} charts compared");
    // The ATT chart has one row per programme, in the contract's units.
    let att = catalogue::chart(&published, Scope::Overview, "att").unwrap();
    assert_eq!(
        att.table.columns,
        ["programme", "matched", "att", "att_low", "att_high"]
    );
    assert_eq!(att.table.rows.len(), published.programmes.len());
}

#[tokio::test]
async fn the_overview_shows_all_four_programmes_and_their_effects() {
    let state = state(evidence_root(PEOPLE, 7)).await;
    let html = get(&state, "/").await.text();
    for name in [
        "WorkWell",
        "Health and Growth Accelerator",
        "Inactivity Trailblazer",
        "Youth Guarantee Trailblazer",
    ] {
        assert!(html.contains(name), "{name}");
    }
    assert!(html.contains("Headline effect, own areas (95% CI)"));
    assert!(html.contains("Effect against comparison areas, ATT (95% CI)"));
    assert!(html.contains("Cost per additional job outcome"));
    // minijinja escapes `/` in attributes as `&#x2f;`, which browsers read
    // back as `/`.
    assert!(html.contains("att.png\" download"));
}

#[tokio::test]
async fn unknown_names_get_a_404_page() {
    let state = state(evidence_root(PEOPLE, 7)).await;
    for path in [
        "/nope",
        "/programme/no-such-programme",
        "/programme/workwell/site/no-such-area",
        "/programme/workwell/charts/no-such-chart.svg",
        "/programme/workwell/charts/funnel.gif",
        "/programme/workwell/charts/funnel",
        "/charts/..%2F..%2Frun.json",
        "/programme/..%2F..%2Fetc/site/passwd",
    ] {
        let got = get(&state, path).await;
        assert_eq!(got.status, 404, "{path}");
        assert!(got.text().contains("Go to the overview"), "{path}");
    }
}

#[tokio::test]
async fn the_site_table_sorts_by_any_column() {
    let state = state(evidence_root(SORT_PEOPLE, 7)).await;
    // Every column of the table, as its heading links sort it.
    let keys = [
        "site",
        "start",
        "participants",
        "eligible",
        "rate",
        "effect",
        "flag",
    ];
    let number = |cell: &str| -> Option<f64> {
        let first = cell.split_whitespace().next()?;
        first.trim_end_matches('%').replace(',', "").parse().ok()
    };
    let row = scraper::Selector::parse("table.sortable tbody tr").unwrap();
    let cell = scraper::Selector::parse("th, td").unwrap();
    for (column, key) in keys.iter().enumerate() {
        for dir in ["asc", "desc"] {
            let html = get(&state, &format!("/programme/workwell?sort={key}&dir={dir}"))
                .await
                .text();
            let doc = scraper::Html::parse_document(&html);
            let values: Vec<String> = doc
                .select(&row)
                .map(|r| {
                    let cells: Vec<String> = r
                        .select(&cell)
                        .map(|c| c.text().collect::<String>().trim().to_string())
                        .collect();
                    cells[column].clone()
                })
                .collect();
            assert!(values.len() > 5, "{key}: {values:?}");
            let ordered = |a: &Ordering| {
                if dir == "asc" {
                    *a != Ordering::Greater
                } else {
                    *a != Ordering::Less
                }
            };
            match *key {
                "participants" | "eligible" | "rate" | "effect" => {
                    // Shown values in order, the suppressed or not estimable
                    // after them whichever the direction.
                    let parsed: Vec<Option<f64>> = values.iter().map(|v| number(v)).collect();
                    let shown: Vec<f64> = parsed.iter().flatten().copied().collect();
                    assert!(
                        shown.windows(2).all(|w| ordered(&w[0].total_cmp(&w[1]))),
                        "{key} {dir}: {values:?}"
                    );
                    let first_hidden = parsed
                        .iter()
                        .position(Option::is_none)
                        .unwrap_or(parsed.len());
                    assert!(
                        parsed[first_hidden..].iter().all(Option::is_none),
                        "{key} {dir}: {values:?}"
                    );
                    assert!(shown.len() > 5, "{key}: too few shown to test: {values:?}");
                }
                _ => {
                    // Text: the site, its go-live, its flag ([c] last).
                    let text: Vec<String> = values
                        .iter()
                        .map(|v| match v.as_str() {
                            "–" => String::new(),
                            "[c]" => "~".to_string(),
                            v => v.to_string(),
                        })
                        .collect();
                    assert!(
                        text.windows(2).all(|w| ordered(&w[0].cmp(&w[1]))),
                        "{key} {dir}: {values:?}"
                    );
                }
            }
        }
    }
    // An unknown sort key falls back to site name rather than failing.
    assert_eq!(
        get(&state, "/programme/workwell?sort=bogus").await.status,
        200
    );
}

#[tokio::test]
async fn the_report_downloads_as_one_self_contained_file() {
    let state = state(evidence_root(PEOPLE, 7)).await;
    let got = get(&state, "/programme/workwell/report.html").await;
    assert_eq!(got.status, 200);
    assert_eq!(
        got.disposition.as_deref(),
        Some("attachment; filename=\"workwell-evidence-summary.html\"")
    );
    let html = got.text();
    assert!(html.contains("<style>"), "styles inlined");
    assert!(
        !html.contains("/static/style.css"),
        "no external stylesheet"
    );
    assert!(!html.contains("src=\""), "no external images or scripts");
    assert!(
        html.matches("<svg").count() >= 2,
        "funnel and fit-note charts inlined"
    );
    assert!(html.contains("Method and caveats"));
    assert!(html.contains("@media print"));
    // The printable page links to the stylesheet, which has a print layout.
    let page = get(&state, "/programme/workwell/report").await.text();
    assert!(page.contains("/static/style.css"));
    assert!(
        get(&state, "/static/style.css")
            .await
            .text()
            .contains("@media print")
    );
}

#[tokio::test]
async fn a_missing_or_corrupt_table_gives_an_error_page_and_recovery_needs_no_restart() {
    let fixture = evidence_root(PEOPLE, 7);
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("evidence");
    copy_dir(&fixture.evidence, &copy);
    let state = crate::common::app_over(&copy, None).await;
    assert_eq!(get(&state, "/").await.status, 200);

    // A new run (new run id) with a truncated table: pages say what is wrong.
    let table = copy.join("site_outcomes.parquet");
    let good = std::fs::read(&table).unwrap();
    std::fs::write(&table, &good[..good.len() / 2]).unwrap();
    let manifest = copy.join("run.json");
    let original = std::fs::read_to_string(&manifest).unwrap();
    let run: serde_json::Value = serde_json::from_str(&original).unwrap();
    let old_id = run["run_id"].as_str().unwrap().to_string();
    std::fs::write(&manifest, original.replace(&old_id, "corrupt-run")).unwrap();
    state.recheck();
    let got = get(&state, "/programme/workwell").await;
    assert_eq!(got.status, 503);
    assert!(
        got.text().contains("site_outcomes.parquet"),
        "{}",
        got.text()
    );

    // Whole again (the table and run.json of one run): the same server
    // shows it, without a restart. (A run.json naming another run than its
    // tables is itself refused: `contract::Evidence::read`.)
    std::fs::write(&table, &good).unwrap();
    std::fs::write(&manifest, original.replace(&old_id, "another-run")).unwrap();
    state.recheck();
    let got = get(&state, "/programme/workwell").await;
    assert_eq!(
        got.status, 503,
        "tables of one run under another's run.json"
    );
    assert!(got.text().contains("from another run"), "{}", got.text());
    std::fs::write(&manifest, &original).unwrap();
    state.recheck();
    let got = get(&state, "/data-quality").await;
    assert_eq!(got.status, 200);
    assert!(got.text().contains(&old_id));

    // No evidence root at all: an error page, not a crash.
    let state = crate::common::app_over(&dir.path().join("none"), None).await;
    let got = get(&state, "/").await;
    assert_eq!(got.status, 503);
    assert!(got.text().contains("run.json"));
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[tokio::test]
async fn a_commissioners_table_answer_reports_its_total_when_limited() {
    let state = state(evidence_root(PEOPLE, 7)).await;
    let got = get(
        &state,
        "/api/tables/site_outcomes?programme=WorkWell&limit=2",
    )
    .await;
    assert_eq!(got.status, 200);
    let answer: serde_json::Value = serde_json::from_slice(&got.body).unwrap();
    assert_eq!(answer["returned"], 2);
    assert_eq!(answer["total_rows"], 15, "WorkWell has 15 sites");
    assert_eq!(answer["truncated"], true);
}
