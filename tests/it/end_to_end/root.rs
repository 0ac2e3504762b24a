//! The evidence root as the contract describes it: every column at its grain,
//! invalid rows quarantined with reasons, exactly the declared tables, and
//! another engine (DuckDB) reading and recomputing the same figures.

use super::*;

#[tokio::test]
async fn every_contract_column_is_present_at_the_stated_grain() {
    let e = evaluated();
    let ctx = SessionContext::new();
    let contract: [(&str, &[&str], &str); 6] = [
        (
            "programme_outcomes",
            &[
                "programme",
                "participants",
                "eligible",
                "in_work_6m",
                "rate",
                "rate_low",
                "rate_high",
                "matched",
                "unmatched",
                "comparison_rate",
                "att",
                "att_low",
                "att_high",
                "funding_gbp",
                "cost_per_additional_outcome",
            ],
            "programme",
        ),
        (
            "site_outcomes",
            &[
                "programme",
                "area_id",
                "participants",
                "eligible",
                "in_work_6m",
                "rate",
                "rate_low",
                "rate_high",
                "target_rate",
                "limit95_low",
                "limit95_high",
                "limit998_low",
                "limit998_high",
                "funnel_flag",
            ],
            "programme, area_id",
        ),
        (
            "subgroup_outcomes",
            &[
                "programme",
                "dimension",
                "value",
                "eligible",
                "in_work_6m",
                "rate",
                "rate_low",
                "rate_high",
                "matched",
                "comparison_rate",
                "att",
                "att_low",
                "att_high",
            ],
            "programme, dimension, value",
        ),
        (
            "fit_note_monthly",
            &[
                "area_id",
                "month",
                "fit_notes",
                "may_be_fit",
                "may_be_fit_share",
            ],
            "area_id, month",
        ),
        (
            "fit_note_did",
            &[
                "programme",
                "pre_share",
                "post_share",
                "comparison_pre_share",
                "comparison_post_share",
                "did",
                "did_low",
                "did_high",
            ],
            "programme",
        ),
        (
            "data_quality",
            &["table_name", "check_name", "rows_failed", "example"],
            "table_name, check_name",
        ),
    ];
    for (table, columns, grain) in contract {
        read(&ctx, &e.evidence, table).await;
        let schema = ctx.table(table).await.unwrap().schema().clone();
        for column in columns {
            assert!(
                schema.field_with_unqualified_name(column).is_ok(),
                "{table}.{column} missing"
            );
        }
        let duplicates = floats(&ctx, &format!("SELECT count(*) FROM (SELECT {grain} FROM {table} GROUP BY {grain} HAVING count(*) > 1)")).await;
        assert_eq!(
            duplicates[0][0],
            Some(0.0),
            "{table} has more than one row per ({grain})"
        );
        let rows = floats(&ctx, &format!("SELECT count(*) FROM {table}")).await;
        assert!(rows[0][0].unwrap() > 0.0, "{table} is empty");
    }
    // One row per programme, per site of area_programmes, per subgroup value.
    let n = floats(&ctx, "SELECT count(*) FROM programme_outcomes").await;
    assert_eq!(n[0][0], Some(4.0));
    let sites = include_str!("../../../datasets/reference/area_programmes.csv")
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .count();
    let n = floats(&ctx, "SELECT count(*) FROM site_outcomes").await;
    assert_eq!(
        n[0][0],
        Some(sites as f64),
        "one row per site of area_programmes"
    );
    let values = {
        use contract::inputs::{AGE_BANDS, CONDITIONS, REFERRAL_SOURCES, SEXES};
        // 5 deprivation quintiles; two co-enrolment values (the generator
        // refers some participants of every programme to a second one).
        AGE_BANDS.len() + SEXES.len() + CONDITIONS.len() + REFERRAL_SOURCES.len() + 5 + 2
    };
    let n = floats(&ctx, "SELECT count(*) FROM subgroup_outcomes").await;
    assert_eq!(
        n[0][0],
        Some((4 * values) as f64),
        "one row per programme and subgroup value"
    );
    let n = floats(
        &ctx,
        "SELECT count(DISTINCT dimension) FROM subgroup_outcomes",
    )
    .await;
    assert_eq!(
        n[0][0],
        Some(contract::vocabulary::Dimension::subgroups().count() as f64)
    );
    let flags = floats(
        &ctx,
        "SELECT count(*) FROM site_outcomes WHERE funnel_flag NOT IN ('above', 'below', 'within')",
    )
    .await;
    assert_eq!(flags[0][0], Some(0.0));
}

#[tokio::test]
async fn invalid_rows_are_quarantined_with_reasons_and_counted() {
    let e = evaluated();
    let planted = planted(&e.data);
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(e.evidence.join("run.json")).unwrap())
            .unwrap();
    for input in manifest["inputs"].as_array().unwrap() {
        let table = input["table"].as_str().unwrap();
        let rows_read = input["rows_read"].as_u64().unwrap();
        let used = input["rows_used"].as_u64().unwrap();
        let quarantined = input["rows_quarantined"].as_u64().unwrap();
        assert_eq!(
            rows_read,
            used + quarantined,
            "{table}: rows read = used + quarantined"
        );
        let expected = planted["invalid_rows"][table].as_u64().unwrap_or(0);
        assert_eq!(quarantined, expected, "{table}: quarantined rows");
        // Every quarantined row is in its table's file with a reason.
        let ctx = SessionContext::new();
        read(&ctx, &e.evidence.join("quarantine"), table).await;
        let counts = floats(
            &ctx,
            &format!(
                "SELECT CAST(count(*) AS DOUBLE), \
                 CAST(count(CASE WHEN reason <> '' THEN 1 END) AS DOUBLE) FROM {table}"
            ),
        )
        .await;
        assert_eq!(
            counts[0],
            vec![Some(quarantined as f64); 2],
            "{table}: every quarantined row, each with a reason"
        );
    }
    // The planted faults, each quarantined for what is wrong with it.
    let ctx = SessionContext::new();
    read(&ctx, &e.evidence.join("quarantine"), "referrals").await;
    let batches = ctx
        .sql("SELECT reason FROM referrals ORDER BY reason")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let reasons: Vec<String> = batches
        .iter()
        .flat_map(|b| {
            let column = b.column(0).as_string_view_opt().map(|a| {
                (0..a.len())
                    .map(|i| a.value(i).to_string())
                    .collect::<Vec<_>>()
            });
            column.unwrap_or_else(|| {
                let a = b.column(0).as_string::<i32>();
                (0..a.len()).map(|i| a.value(i).to_string()).collect()
            })
        })
        .collect();
    assert_eq!(
        reasons,
        [
            "impossible_referral_date",
            "orphan_person_id",
            "unknown_programme"
        ],
        "the misspelt programme, the referral of no one and the one dated 2031"
    );
}

#[test]
fn another_engine_reads_the_same_figures() {
    let e = evaluated();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/readback.py");
    let output = Command::new("python3")
        .arg(&script)
        .arg(&e.data)
        .arg(&e.evidence)
        .output()
        .expect("python3 must be installed (.ci/run installs it with duckdb)");
    assert!(
        output.status.success(),
        "DuckDB read-back disagrees:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn the_evidence_root_holds_exactly_the_declared_tables_and_reads_back_as_written() {
    let e = evaluated();
    crate::common::assert_declared_tables(&e.evidence);
    // Every table reads back through its declared type, and the run.json
    // read back names the tables and the same run id as the files.
    let ctx = SessionContext::new();
    let root = contract::Root::parse(e.evidence.to_str().unwrap()).unwrap();
    let evidence = contract::Evidence::read(&ctx, &root).await.unwrap();
    assert_eq!(evidence.tables.programme_outcomes.len(), 4);
    let outputs: Vec<&str> = evidence
        .manifest
        .outputs
        .iter()
        .map(|o| o.table.as_str())
        .collect();
    assert_eq!(outputs, contract::OUTPUT_TABLES);
}
