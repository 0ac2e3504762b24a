//! The fit-note effect from the published statistics, through the real
//! binary: a fixture in the publication's layout with planted lifts, `*`
//! cells and a revision; the tables a DuckDB reading of CONTRACT.md gets;
//! bad files stopped with their file and line; the fit-notes page showing
//! where its numbers came from.

use crate::common::{EVIDENCE, evidence, serve};
use datafusion::arrow::array::{Array, Float64Array, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use std::path::Path;
use std::process::Command;

fn fixture(dir: &Path, seed: u64) {
    evidence(&[
        "generate-fit-notes",
        "--out",
        dir.to_str().unwrap(),
        "--seed",
        &seed.to_string(),
        "--size",
        "0.3",
    ]);
}

fn run(folder: &Path, out: &Path) -> std::process::Output {
    Command::new(EVIDENCE)
        .args([
            "fit-notes",
            "--published",
            folder.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap()
}

/// (programme, did, did_se, clean_did) of `fit_note_did`.
async fn effects(root: &Path) -> Vec<(String, Option<f64>, Option<f64>, Option<f64>)> {
    let ctx = SessionContext::new();
    let file = root.join("fit_note_did.parquet");
    let batches = ctx
        .read_parquet(file.to_str().unwrap(), ParquetReadOptions::default())
        .await
        .unwrap()
        .select_columns(&["programme", "did", "did_se", "clean_did"])
        .unwrap()
        .collect()
        .await
        .unwrap();
    let mut rows = Vec::new();
    for b in batches {
        let names = cast(b.column(0), &DataType::Utf8).unwrap();
        let p = names.as_any().downcast_ref::<StringArray>().unwrap();
        let f = |i: usize| {
            b.column(i)
                .as_any()
                .downcast_ref::<Float64Array>()
                .unwrap()
                .clone()
        };
        let (d, se, c) = (f(1), f(2), f(3));
        let opt = |a: &Float64Array, r: usize| (!a.is_null(r)).then(|| a.value(r));
        for r in 0..b.num_rows() {
            rows.push((p.value(r).to_string(), opt(&d, r), opt(&se, r), opt(&c, r)));
        }
    }
    rows
}

#[tokio::test]
async fn the_published_statistics_give_the_planted_fit_note_lifts() {
    let dir = tempfile::tempdir().unwrap();
    let (data, root) = (dir.path().join("published"), dir.path().join("evidence"));
    fixture(&data, 11);
    let out = run(&data, &root);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("release 2026-03"), "{stdout}");

    // Exactly the declared tables, the fit-note ones filled.
    crate::common::assert_declared_tables(&root);

    // Each programme's effect within 3 standard errors of the truth the
    // generator computed on expected shares (seed fixed: this is a check
    // of the whole path, the coverage study is in VALIDATION.md).
    let planted: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("_planted.json")).unwrap()).unwrap();
    let rows = effects(&root).await;
    assert_eq!(rows.len(), 4);
    for t in planted["truth"].as_array().unwrap() {
        let name = t["programme"].as_str().unwrap();
        let (_, did, se, clean) = rows.iter().find(|r| r.0 == name).unwrap();
        let (did, se) = (did.unwrap(), se.unwrap());
        let truth = t["did"].as_f64().unwrap();
        assert!(
            (did - truth).abs() < 3.0 * se,
            "{name}: {did} ± {se} against {truth}"
        );
        assert_eq!(clean.is_some(), t["clean_did"].as_f64().is_some(), "{name}");
    }

    // Where the numbers came from.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("run.json")).unwrap()).unwrap();
    let source = &manifest["published_fit_notes"];
    assert_eq!(source["releases"].as_array().unwrap().len(), 2);
    assert!(source["revised_cells"].as_u64().unwrap() > 0);
    assert!(source["suppressed_cells"].as_u64().unwrap() > 0);
    assert_eq!(source["areas_not_covered"], serde_json::json!(["wales"]));
    assert_eq!(
        source["releases"][0]["months_used"], 3,
        "the earlier release alone holds the first 3 months"
    );

    // An outside reading of CONTRACT.md gets the same area × month panel.
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/readback_published.py");
    let check = Command::new("python3")
        .arg(&script)
        .arg(&data)
        .arg(&root)
        .output()
        .expect("python3 must be installed (.ci/run installs it with duckdb)");
    assert!(
        check.status.success(),
        "DuckDB read-back disagrees:\n{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );

    // The fit-notes page says where its numbers came from.
    let users = dir.path().join("users.toml");
    let mut add = Command::new(EVIDENCE)
        .args([
            "user",
            "add",
            "reader",
            "--role",
            "commissioner",
            "--token-only",
            "--users",
        ])
        .arg(&users)
        .output()
        .unwrap();
    assert!(add.status.success());
    let token = String::from_utf8(std::mem::take(&mut add.stdout)).unwrap();
    let token = token.lines().last().unwrap().trim().to_string();
    let mut command = Command::new(EVIDENCE);
    command
        .args(["serve", "--evidence"])
        .arg(&root)
        .arg("--users")
        .arg(&users);
    let (_server, url) = serve(command);
    let client = reqwest::Client::new();
    let get = |path: &str| {
        client
            .get(format!("{url}{path}"))
            .bearer_auth(&token)
            .send()
    };
    let page = get("/fit-notes").await.unwrap().text().await.unwrap();
    assert!(page.contains("Where these figures come from"), "{page}");
    assert!(page.contains("gp-fit-note-eng-csv-sicbl-mar-26.csv"));
    assert!(page.contains("Fit Notes Issued by GP Practices, England"));
    let csv = get("/fit-notes/workwell/charts/event-study.csv")
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    let overview = get("/").await.unwrap().text().await.unwrap();
    assert!(overview.contains("built from the published fit-note statistics alone"));
    // Only the fit-note chart: the effects on work have no data here.
    // (the page escapes `/` in attributes as `&#x2f;`)
    let link = |name: &str| {
        overview.contains(&format!("&#x2f;{name}.png"))
            || overview.contains(&format!("/{name}.png"))
    };
    assert!(!link("att") && !link("rates"), "{overview}");
    assert!(link("fit-note-did"), "{overview}");
}

#[test]
fn bad_published_files_stop_the_run_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("published");
    fixture(&data, 3);
    let root = dir.path().join("evidence");
    let good = run(&data, &root);
    assert!(good.status.success());
    let before = std::fs::read(root.join("run.json")).unwrap();
    let file = data.join("gp-fit-note-eng-csv-sicbl-mar-26.csv");
    let original = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<String> = original.lines().map(String::from).collect();
    type Change = Box<dyn Fn(&mut Vec<String>)>;
    let cases: Vec<(&str, Change, &str)> = vec![
        (
            "a missing column",
            Box::new(|l: &mut Vec<String>| {
                for line in l.iter_mut() {
                    *line = line.rsplit_once(',').unwrap().0.to_string();
                }
            }),
            "line 1: required column `Count of fit notes` is missing",
        ),
        (
            "a changed header",
            Box::new(|l: &mut Vec<String>| {
                l[0] = l[0].replace("Fitness for work", "Fitness to work")
            }),
            "line 1: column \"Fitness to work\" is not in the publication's layout",
        ),
        (
            "a * where a month must be",
            Box::new(|l: &mut Vec<String>| l[5] = format!("*{}", &l[5][6..])),
            "line 6: `Date` is \"*\", not a month",
        ),
        (
            "an unknown geography code",
            Box::new(|l: &mut Vec<String>| l[7] = l[7].replacen(",00L,", ",Q99,", 1)),
            "line 8: `Sub ICB location code` \"Q99\" is not a sub-ICB location",
        ),
    ];
    for (what, change, expected) in cases {
        let mut changed = lines.clone();
        change(&mut changed);
        std::fs::write(&file, changed.join("\n") + "\n").unwrap();
        let out = run(&data, &root);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{what}: the run succeeded");
        assert!(
            stderr.contains("gp-fit-note-eng-csv-sicbl-mar-26.csv"),
            "{what}: {stderr}"
        );
        assert!(stderr.contains(expected), "{what}: {stderr}");
        assert_eq!(
            std::fs::read(root.join("run.json")).unwrap(),
            before,
            "{what}: the root changed"
        );
    }
    std::fs::write(&file, original).unwrap();
}
