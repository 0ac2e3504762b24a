//! End to end in a real browser: headless Chromium (Debian's `chromium` and
//! `chromium-driver`, installed by `.ci/run`) driven over WebDriver against
//! the real `evidence serve`. Opens the overview, follows a programme and a
//! site, downloads a PNG and a CSV, the programme's chart archive, reads
//! the data-quality summary, saves a parameterised query and reopens it from
//! its link, charts its result, and saves screenshots to
//! `$CARGO_TARGET_TMPDIR/screenshots/`.

use fantoccini::{ClientBuilder, Locator};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{EVIDENCE, Running, generate, run, serve};
mod diagnostics;
mod driver;
use driver::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commissioner_follows_a_programme_to_a_site_and_downloads_its_charts_and_an_analyst_runs_sql()
 {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let evidence_root = dir.path().join("evidence");
    let downloads = dir.path().join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    generate(&data, 30_000, 5);
    run(&data, &evidence_root);
    let users = dir.path().join("users.toml");
    add_user(&users, "cora", "commissioner", "commissioner-password");
    add_user(&users, "ana", "analyst", "analyst-password");
    let audit = dir.path().join("audit.jsonl");
    let mut command = Command::new(EVIDENCE);
    command
        .args(["serve", "--evidence", evidence_root.to_str().unwrap()])
        .args(["--data", data.to_str().unwrap()])
        .args(["--users", users.to_str().unwrap()])
        .args(["--audit-log", audit.to_str().unwrap()])
        .args([
            "--saved-queries",
            dir.path().join("saved.json").to_str().unwrap(),
        ]);
    let (_server, url) = serve(command);
    let (_driver, webdriver) = chromedriver();
    let screenshots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&screenshots).unwrap();

    let browser = open_browser(dir.path(), &downloads, &webdriver).await;

    let result = async {
        let shot = |name: &str, png: Vec<u8>| {
            let path = screenshots.join(format!("{name}.png"));
            std::fs::write(&path, png).unwrap();
            eprintln!("screenshot: {}", path.display());
        };
        // Signed out, the dashboard sends the browser to sign in first.
        browser.goto(&format!("{url}/")).await?;
        assert!(browser.current_url().await?.path().ends_with("/login"));
        sign_in(&browser, "cora", "commissioner-password").await?;
        let h1 = browser.find(Locator::Css("h1")).await?.text().await?;
        assert_eq!(h1, "Work and health pilots: how the programmes compare");
        let rows = browser
            .find_all(Locator::Css("table.summary tbody tr"))
            .await?;
        assert_eq!(rows.len(), 4, "four programmes");
        shot("overview", browser.screenshot().await?);

        browser
            .find(Locator::Css("table.summary a[href='/programme/workwell']"))
            .await?
            .click()
            .await?;
        browser
            .wait()
            .for_element(Locator::XPath("//h1[text()='WorkWell']"))
            .await?;
        assert!(
            browser
                .current_url()
                .await?
                .path()
                .ends_with("/programme/workwell")
        );
        let funnel = browser.find(Locator::Css("#chart-funnel svg")).await?;
        assert!(
            !funnel.text().await?.is_empty(),
            "the funnel plot is drawn inline"
        );
        // Beside the funnel, the spread between sites it allows for.
        let spread = browser
            .find(Locator::Css("#site-spread tbody"))
            .await?
            .text()
            .await?;
        assert!(
            spread.contains("Case-mix adjusted in-work rate") && spread.contains("Site effects"),
            "{spread}"
        );
        browser
            .find(Locator::Css("#chart-site-effects svg"))
            .await?;
        shot("programme", browser.screenshot().await?);

        let site = browser
            .find(Locator::Css("table.sortable tbody th a"))
            .await?;
        let site_name = site.text().await?;
        site.click().await?;
        // Wait for the site's own heading (the programme page has an h1 too).
        let heading = format!("//h1[text()=\"{site_name}\"]");
        browser.wait().for_element(Locator::XPath(&heading)).await?;
        assert!(browser.current_url().await?.path().contains("/site/"));
        shot("site", browser.screenshot().await?);
        // The site's spine chart: every indicator against the programme,
        // drawn and downloadable as its data.
        let spine = browser
            .find(Locator::Css("#chart-spine svg"))
            .await?
            .text()
            .await?;
        assert!(
            spine.contains("case-mix adjusted") && spine.contains("Programme benchmark"),
            "{spine}"
        );
        let page = browser.find(Locator::Css("main")).await?.text().await?;
        assert!(page.contains("Trend over the last five quarters"), "{page}");
        browser
            .find(Locator::Css("#chart-spine a[href$='spine.csv']"))
            .await?
            .click()
            .await?;
        let spine_csv = std::fs::read_to_string(downloaded(&downloads, "csv").await).unwrap();
        assert!(
            spine_csv.starts_with("indicator,polarity,site_value,programme_benchmark,"),
            "{spine_csv}"
        );
        assert_eq!(spine_csv.lines().count(), 8, "{spine_csv}");
        std::fs::remove_file(downloaded(&downloads, "csv").await).unwrap();

        browser
            .find(Locator::Css("#chart-rates a[href$='rates.png']"))
            .await?
            .click()
            .await?;
        let png = std::fs::read(downloaded(&downloads, "png").await).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG image");
        browser
            .find(Locator::Css("#chart-rates a[href$='rates.csv']"))
            .await?
            .click()
            .await?;
        let csv = std::fs::read_to_string(downloaded(&downloads, "csv").await).unwrap();
        assert!(
            csv.starts_with("series,eligible,rate,rate_low,rate_high\n"),
            "{csv}"
        );
        assert!(csv.contains(&site_name), "{csv}");
        // The downloaded chart is the one on the page: its data row for row
        // the table behind the drawn chart, its picture the drawn chart's
        // size.
        let on_page = table_rows(&browser, "#chart-rates table.chart-data").await?;
        let downloaded_rows = csv_rows(&csv);
        assert_eq!(downloaded_rows[1..], on_page[..], "the CSV is the page's table");
        let svg = browser.find(Locator::Css("#chart-rates svg")).await?;
        let (w, h) = (svg.attr("width").await?.unwrap(), svg.attr("height").await?.unwrap());
        let header = png::Decoder::new(std::io::Cursor::new(&png)).read_info().unwrap();
        assert_eq!(
            (header.info().width.to_string(), header.info().height.to_string()),
            (w, h),
            "the PNG is the drawn chart's size"
        );
        std::fs::copy(
            downloaded(&downloads, "png").await,
            screenshots.join("downloaded-chart.png"),
        )
        .unwrap();
        std::fs::remove_file(downloaded(&downloads, "csv").await).unwrap();

        // Every chart of the programme in one archive, listed.
        clear(&downloads);
        browser
            .goto(&format!("{url}/programme/workwell"))
            .await?;
        browser.find(Locator::Css("a#archive")).await?.click().await?;
        let archive = downloaded(&downloads, "zip").await;
        let listing = Command::new("python3")
            .args(["-c", "import sys, zipfile; print('\\n'.join(zipfile.ZipFile(sys.argv[1]).namelist()))"])
            .arg(&archive)
            .output()
            .unwrap();
        let listing = String::from_utf8(listing.stdout).unwrap();
        for name in ["funnel.svg", "funnel.png", "funnel.csv", "site-effects.png", "outcomes.csv", "README.txt"] {
            assert!(listing.lines().any(|l| l == name), "{name} not in the archive: {listing}");
        }
        std::fs::remove_file(archive).unwrap();

        // Data quality leads with how much of each table was used.
        browser.goto(&format!("{url}/data-quality")).await?;
        let summary = browser
            .find(Locator::Css("#quality-summary tbody"))
            .await?
            .text()
            .await?;
        for table in ["people", "referrals", "fit_notes", "employment"] {
            assert!(summary.contains(table), "{summary}");
        }
        let failed = browser.find(Locator::Css("#failed-checks")).await?.text().await?;
        assert!(!failed.contains(" 0\n") && !failed.is_empty(), "{failed}");
        shot("data-quality", browser.screenshot().await?);

        // A commissioner has no workbench: not in the navigation, refused
        // at its address.
        assert!(
            browser
                .find(Locator::LinkText("SQL workbench"))
                .await
                .is_err()
        );
        browser.goto(&format!("{url}/workbench")).await?;
        let h1 = browser.find(Locator::Css("h1")).await?.text().await?;
        assert_eq!(h1, "Forbidden");
        shot("commissioner-workbench", browser.screenshot().await?);

        // Sign out, and in as the analyst.
        browser.goto(&format!("{url}/")).await?;
        browser
            .find(Locator::Css(".signout button"))
            .await?
            .click()
            .await?;
        // Wait for the sign-in page to load before looking at the address.
        browser
            .wait()
            .for_element(Locator::Css("form.signin"))
            .await?;
        assert!(browser.current_url().await?.path().ends_with("/login"));
        sign_in(&browser, "ana", "analyst-password").await?;
        browser
            .find(Locator::LinkText("SQL workbench"))
            .await?
            .click()
            .await?;
        let editor = browser
            .wait()
            .for_element(Locator::Css("textarea#sql"))
            .await?;
        editor
            .send_keys(
                "SELECT programme, participants, att FROM programme_outcomes ORDER BY programme",
            )
            .await?;
        press(&browser, "Run").await?;
        let count = browser
            .wait()
            .for_element(Locator::Css("#row-count"))
            .await?;
        assert_eq!(count.text().await?, "4");
        let rows = browser
            .find_all(Locator::Css("table.results tbody tr"))
            .await?;
        assert_eq!(rows.len(), 4);
        shot("workbench", browser.screenshot().await?);
        browser
            .find(Locator::Css("#download-form button[value='csv']"))
            .await?
            .click()
            .await?;
        let csv = std::fs::read_to_string(downloaded(&downloads, "csv").await).unwrap();
        let mut lines = csv.lines();
        assert_eq!(lines.next(), Some("programme,participants,att"));
        assert_eq!(lines.count(), 4, "{csv}");
        // The export is the result the page shows: the same rows, each value
        // the same (numbers to the last digit either prints).
        let shown = table_rows(&browser, "table.results").await?;
        let exported = csv_rows(&csv);
        assert_eq!(exported.len() - 1, shown.len());
        for (e, s) in exported[1..].iter().zip(&shown) {
            for (a, b) in e.iter().zip(s) {
                match (a.parse::<f64>(), b.parse::<f64>()) {
                    (Ok(x), Ok(y)) => assert!((x - y).abs() <= 1e-12 * x.abs().max(1.0), "{a} against {b}"),
                    _ => assert_eq!(a, b),
                }
            }
        }
        // The analyst's query is in the audit log.
        let log = std::fs::read_to_string(&audit).unwrap();
        assert!(
            log.contains("\"user\":\"ana\"") && log.contains("FROM programme_outcomes"),
            "{log}"
        );

        // Earlier downloads out of the way, so each check reads its own.
        clear(&downloads);
        // A query with a parameter: asked for, filled in, run, saved, and
        // reopened from its link with another value.
        browser.goto(&format!("{url}/workbench")).await?;
        let editor = browser.find(Locator::Css("textarea#sql")).await?;
        editor
            .send_keys("SELECT area_id, eligible FROM site_outcomes WHERE programme = :programme ORDER BY eligible DESC")
            .await?;
        press(&browser, "Run").await?;
        let parameter = browser
            .wait()
            .for_element(Locator::Css("input#param-programme"))
            .await?;
        parameter.send_keys("WorkWell").await?;
        press(&browser, "Run").await?;
        let count = browser.wait().for_element(Locator::Css("#row-count")).await?;
        assert_eq!(count.text().await?, "15", "WorkWell's 15 sites");
        browser.find(Locator::Css("input#save-name")).await?.send_keys("Sites of a programme").await?;
        press(&browser, "Save").await?;
        browser.wait().for_element(Locator::Css("#saved-query")).await?;
        assert!(browser.current_url().await?.as_str().contains("saved=sites-of-a-programme"));
        browser
            .goto(&format!("{url}/workbench?saved=sites-of-a-programme&programme=Youth%20Guarantee%20Trailblazer"))
            .await?;
        // A link fills the editor and runs nothing until Run is pressed.
        browser.wait().for_element(Locator::Css("#ready")).await?;
        assert!(browser.find(Locator::Css("#row-count")).await.is_err());
        press(&browser, "Run").await?;
        let count = browser.wait().for_element(Locator::Css("#row-count")).await?;
        assert_eq!(count.text().await?, "7", "the Youth Guarantee's 7 sites");
        let link = browser.find(Locator::Css("a#saved-link")).await?.attr("href").await?.unwrap();
        assert!(link.contains("saved=sites-of-a-programme") && link.contains("programme=Youth"), "{link}");
        // Chart the result, and download the chart and its data.
        browser
            .find(Locator::XPath("//form[@id='chart-form']//button[text()='Draw']"))
            .await?
            .click()
            .await?;
        browser.wait().for_element(Locator::Css("#chart-result svg")).await?;
        shot("workbench-chart", browser.screenshot().await?);
        browser.find(Locator::Css("#chart-png button")).await?.click().await?;
        let png = std::fs::read(downloaded(&downloads, "png").await).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG image");
        browser.find(Locator::Css("#chart-csv button")).await?.click().await?;
        let chart_csv = std::fs::read_to_string(downloaded(&downloads, "csv").await).unwrap();
        assert!(chart_csv.starts_with("area_id,eligible\n"), "{chart_csv}");
        assert_eq!(chart_csv.lines().count(), 8, "{chart_csv}");
        // The history lists the analyst's own queries.
        let history = browser.find(Locator::Css("ol.history")).await?.text().await?;
        assert!(history.contains("FROM site_outcomes"), "{history}");
        // Ctrl+Enter runs the query (the page's one script; without it the
        // Run button does).
        let editor = browser.find(Locator::Css("textarea#sql")).await?;
        editor.clear().await?;
        editor.send_keys("SELECT 42 AS answer").await?;
        editor.send_keys("\u{E009}\u{E007}\u{E000}").await?;
        browser
            .wait()
            .for_element(Locator::XPath("//table[contains(@class, 'results')]//td[text()='42']"))
            .await?;
        Ok::<_, fantoccini::error::CmdError>(())
    }
    .await;
    let _ = browser.close().await;
    result.expect("browser steps");
}
