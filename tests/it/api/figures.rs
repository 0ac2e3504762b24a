//! Exact figures for analysts, from the rows the run used.

use super::*;

/// The SQL API answers analysts with the evidence root's exact figures;
/// the input tables are the rows the run used (quarantined ones apart, and
/// findable with their reasons); the metric views give the same figures.
#[tokio::test]
async fn analysts_get_exact_figures_from_the_rows_the_run_used() {
    let f = fixture();
    let api = Api::start();
    // Exact figures for an analyst, the same as the evidence table.
    let answer = json_of(api.sql(&f.analyst,
        "SELECT programme, participants, eligible, in_work_6m, att FROM programme_outcomes ORDER BY programme",
    )).await;
    let ctx = SessionContext::new();
    let expected = ctx
        .read_parquet(
            f.evidence_root
                .join("programme_outcomes.parquet")
                .to_str()
                .unwrap(),
            ParquetReadOptions::default(),
        )
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let expected = contract::small::SmallResult::new(&expected, "programme_outcomes").unwrap();
    let (names, participants, att) = (
        expected.strings("programme").unwrap(),
        expected.counts("participants").unwrap(),
        expected.floats("att").unwrap(),
    );
    let rows = answer["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"));
    assert_eq!(rows.len(), 4, "{answer}");
    for row in rows {
        let i = names
            .iter()
            .position(|n| n.as_deref() == row["programme"].as_str())
            .unwrap();
        assert_eq!(row["participants"].as_u64(), Some(participants[i]));
        // JSON's decimal text parses back to within a unit in the last place.
        let (got, want) = (row["att"].as_f64().unwrap(), att[i].unwrap());
        assert!(
            (got - want).abs() <= 4.0 * f64::EPSILON * want.abs(),
            "{got} vs {want}"
        );
    }
    assert_eq!(
        answer["columns"][1],
        json!({"name": "participants", "type": "Int64"})
    );

    // The input tables analysts query are the rows the run used: quarantined
    // rows are left out (the generator plants some), so the metric views give
    // the evidence root's figures.
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(f.evidence_root.join("run.json")).unwrap()).unwrap();
    let inputs = manifest["inputs"].as_array().unwrap();
    assert!(
        inputs
            .iter()
            .any(|i| i["rows_quarantined"].as_u64() > Some(0))
    );
    for input in inputs {
        let table = input["table"].as_str().unwrap();
        let counted =
            json_of(api.sql(&f.analyst, &format!("SELECT count(*) AS n FROM {table}"))).await;
        assert_eq!(
            counted["rows"][0]["n"].as_u64(),
            input["rows_used"].as_u64(),
            "{table}: {counted}"
        );
    }
    let mismatched = json_of(api.sql(&f.analyst,
        "SELECT c.programme FROM programme_counts c JOIN programme_outcomes o ON o.programme = c.programme \
         WHERE c.participants <> o.participants OR c.eligible <> o.eligible OR c.in_work_6m <> o.in_work_6m",
    ))
    .await;
    assert_eq!(mismatched["total_rows"], 0, "{mismatched}");
    assert_eq!(answer["total_rows"], 4);

    // The metric queries of sql/ run as views (the workbench's examples).
    let metric = json_of(api.sql(
        &f.analyst,
        "SELECT programme, participants FROM programme_counts ORDER BY programme",
    ))
    .await;
    // Over the validated inputs: the generator's deliberately misspelt
    // referral ("Workwell", quarantined by `evidence run`) is not among
    // them, but analysts find it, with its reason, in the quarantined rows.
    let programmes: Vec<&str> = metric["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["programme"].as_str().unwrap())
        .collect();
    for p in [
        "Health and Growth Accelerator",
        "Inactivity Trailblazer",
        "WorkWell",
        "Youth Guarantee Trailblazer",
    ] {
        assert!(programmes.contains(&p), "{metric}");
    }
    assert!(!programmes.contains(&"Workwell"), "{metric}");
    let misspelt = json_of(api.sql(
        &f.analyst,
        "SELECT programme, reason FROM quarantined_referrals WHERE programme = 'Workwell'",
    ))
    .await;
    let rows = misspelt["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{misspelt}");
    assert!(
        rows[0]["reason"].as_str().unwrap().contains("programme"),
        "{misspelt}"
    );
    let trend = json_of(api.sql(&f.analyst, "SELECT count(*) AS n FROM fit_note_did_counts")).await;
    assert!(trend["rows"][0]["n"].as_u64().unwrap() > 0, "{trend}");
}
