//! The diagnostics verdict in a real browser, on 100,000 people (seed 101):
//! WorkWell's design passes its diagnostics, so its page shows the effect
//! and the interval calibrated for the negative controls' systematic error;
//! the Health and Growth Accelerator's cannot detect a 10-point effect and
//! its negative controls show too much systematic error, so its page
//! withholds every effect figure and says why. (On the demo's 200,000
//! people, seed 2024, every programme passes since the generator's one
//! monthly process.)

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_programme_page_shows_its_diagnostics_and_withholds_a_failing_effect() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let evidence_root = dir.path().join("evidence");
    let downloads = dir.path().join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    generate(&data, 100_000, 101);
    run(&data, &evidence_root);
    let users = dir.path().join("users.toml");
    add_user(&users, "cora", "commissioner", "commissioner-password");
    let mut command = Command::new(EVIDENCE);
    command
        .args(["serve", "--evidence", evidence_root.to_str().unwrap()])
        .args(["--users", users.to_str().unwrap()])
        .args([
            "--audit-log",
            dir.path().join("audit.jsonl").to_str().unwrap(),
        ]);
    let (_server, url) = serve(command);
    let (_driver, webdriver) = chromedriver();
    let browser = open_browser(dir.path(), &downloads, &webdriver).await;
    let screenshots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&screenshots).unwrap();

    let result = async {
        browser.goto(&format!("{url}/login")).await?;
        sign_in(&browser, "cora", "commissioner-password").await?;

        // A passing design: the verdict, the effect, its calibrated interval.
        browser.goto(&format!("{url}/programme/workwell")).await?;
        let verdict = browser.find(Locator::Id("diagnostics")).await?;
        assert_eq!(
            verdict.attr("class").await?.as_deref(),
            Some("diagnostics diagnostics-pass")
        );
        assert!(verdict.text().await?.contains("Diagnostics passed"));
        let figures = browser
            .find(Locator::Css("dl.figures"))
            .await?
            .text()
            .await?;
        assert!(!figures.contains("Withheld"), "{figures}");
        assert!(
            browser
                .find(Locator::Css("dl.figures .effect"))
                .await
                .is_ok(),
            "WorkWell's effect is shown"
        );
        let calibration = browser
            .find(Locator::Id("calibration"))
            .await?
            .text()
            .await?;
        assert!(
            calibration.contains("Calibrated for it, the effect's interval is"),
            "{calibration}"
        );
        // The fit-note event study draws its simultaneous band behind the
        // pointwise intervals, names it in the legend, and its data carry it.
        let event_study = browser.find(Locator::Css("#chart-event-study svg")).await?;
        let svg = event_study.html(false).await?;
        assert!(
            svg.contains("95% simultaneous band"),
            "no band in the legend"
        );
        // And HonestDiD's bound: the first year's effect robust to a
        // straight-line difference in trends, dashed, named in the legend.
        assert!(
            svg.contains("first year, robust to a straight-line trend"),
            "no HonestDiD bound in the legend"
        );
        assert!(
            svg.contains("opacity=\"0.22\""),
            "no pale band drawn behind the intervals"
        );
        let data = browser
            .find(Locator::Css("#chart-event-study table"))
            .await?
            .html(false)
            .await?;
        assert!(
            data.contains("band_low") && data.contains("band_high"),
            "{data}"
        );
        assert!(data.contains("robust_first_year_low"), "{data}");
        let page = browser.source().await?;
        assert!(page.contains("with any straight-line difference in trends"));
        std::fs::write(
            screenshots.join("diagnostics-pass.png"),
            browser.screenshot().await?,
        )
        .unwrap();

        // A failing design: the verdict names the check and why, and no
        // effect, interval or cost is shown.
        browser
            .goto(&format!("{url}/programme/health-and-growth-accelerator"))
            .await?;
        let verdict = browser.find(Locator::Id("diagnostics")).await?;
        assert_eq!(
            verdict.attr("class").await?.as_deref(),
            Some("diagnostics diagnostics-fail")
        );
        let why = verdict.text().await?;
        assert!(why.contains("Effect withheld"), "{why}");
        assert!(why.contains("power"), "{why}");
        let figures = browser
            .find(Locator::Css("dl.figures"))
            .await?
            .text()
            .await?;
        assert!(figures.contains("Withheld"), "{figures}");
        assert!(
            browser
                .find(Locator::Css("dl.figures .effect"))
                .await
                .is_err(),
            "no effect figure on a failing design's page"
        );
        assert!(
            browser
                .find(Locator::Id("calibration"))
                .await
                .map(|_| ())
                .is_ok(),
            "the systematic error itself is still shown"
        );
        let page = browser.source().await?;
        assert!(
            !page.contains("Calibrated for it"),
            "no calibrated interval either"
        );
        std::fs::write(
            screenshots.join("diagnostics-fail.png"),
            browser.screenshot().await?,
        )
        .unwrap();
        Ok::<(), fantoccini::error::CmdError>(())
    }
    .await;
    browser.close().await.ok();
    result.unwrap();
}
