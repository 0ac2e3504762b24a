//! Faults in rows, each quarantined and counted exactly; a programme that
//! starts after the data end; a table split over many files.

use super::*;

async fn quarantine_case(table_name: &str, fault: RowFault, positions: &[u64]) {
    let case = case();
    let table = table(table_name);
    break_rows(&case.data, &table, &fault, positions).await;
    let (check, per_row) = fault.check(&table);
    assert_quarantined(&case, table_name, &check, per_row * positions.len() as u64).await;
}

#[tokio::test]
async fn duplicate_ids_are_quarantined() {
    quarantine_case("referrals", RowFault::Duplicate, &[10, 20, 30]).await;
}

#[tokio::test]
async fn unknown_enum_values_are_quarantined() {
    quarantine_case("people", RowFault::UnknownValue("sex"), &[5, 6]).await;
}

#[tokio::test]
async fn dates_in_the_future_are_quarantined() {
    quarantine_case("fit_notes", RowFault::FutureDate("issue_date"), &[40]).await;
}

#[tokio::test]
async fn dates_before_1900_are_quarantined() {
    quarantine_case("employment", RowFault::Pre1900("month"), &[100, 200]).await;
}

#[tokio::test]
async fn nulls_in_required_columns_are_quarantined() {
    quarantine_case("referrals", RowFault::Null("engaged"), &[7]).await;
}

#[tokio::test]
async fn an_employment_row_for_an_unknown_person_is_quarantined() {
    quarantine_case("employment", RowFault::Orphan("person_id"), &[50]).await;
}

/// The range and consistency checks, each on rows broken to fail it alone.
#[tokio::test]
async fn values_out_of_range_or_inconsistent_are_quarantined() {
    let cases: [(&str, RowFault, &[u64]); 6] = [
        (
            "people",
            RowFault::Set {
                check: "out_of_range_imd_decile",
                values: &[("imd_decile", "11")],
            },
            &[3, 4],
        ),
        (
            "fit_notes",
            RowFault::Set {
                check: "out_of_range_duration_days",
                values: &[("duration_days", "0")],
            },
            &[12],
        ),
        (
            "area_programmes",
            RowFault::Set {
                check: "out_of_range_funding_gbp",
                values: &[("funding_gbp", "-5")],
            },
            &[1],
        ),
        (
            "area_footprints",
            RowFault::Set {
                check: "out_of_range_share",
                values: &[("share", "1.5")],
            },
            &[2],
        ),
        (
            "fit_notes",
            RowFault::Set {
                check: "adjustments_on_not_fit_note",
                values: &[("assessment", "'not_fit'"), ("phased_return", "true")],
            },
            &[20, 21],
        ),
        (
            "employment",
            RowFault::Set {
                check: "negative_earnings_gbp",
                values: &[("status", "'employed'"), ("earnings_gbp", "-100.0")],
            },
            &[30],
        ),
    ];
    for (table_name, fault, positions) in cases {
        quarantine_case(table_name, fault, positions).await;
    }
}

// Data that are valid but do not cover everything: run, and say so.

#[tokio::test]
async fn a_programme_starting_after_the_data_end_runs_with_a_warning() {
    let case = case();
    rewrite_table(
        &case.data,
        "area_programmes",
        "SELECT area_id, programme, CASE WHEN programme = 'Health and Growth Accelerator' \
         THEN DATE '2026-10-01' ELSE start_date END AS start_date, funding_gbp FROM t",
    )
    .await;
    let output = run(&case.data, &case.evidence);
    assert!(output.status.success(), "{}", stderr(&output));
    let expected = "Health and Growth Accelerator starts on 2026-10-01, after the last fit note (2026-09-30): its fit-note difference in differences cannot be estimated";
    assert!(String::from_utf8_lossy(&output.stdout).contains(expected));
    let warnings = manifest(&case.evidence)["warnings"].clone();
    assert_eq!(warnings.as_array().unwrap().len(), 1, "{warnings}");
    assert!(warnings[0].as_str().unwrap().starts_with(expected));
    // Its DiD is missing, not made up; the others are still estimated.
    let ctx = context();
    let did = case.evidence.join("fit_note_did.parquet");
    ctx.register_parquet("d", did.to_str().unwrap(), ParquetReadOptions::default())
        .await
        .unwrap();
    let b = batches(
        &ctx,
        "SELECT programme, did IS NULL FROM d ORDER BY programme",
    )
    .await;
    let missing: Vec<(String, bool)> = strings(&b, 0)
        .into_iter()
        .zip(b.column(1).as_boolean().values().iter())
        .collect();
    assert_eq!(
        missing,
        [
            ("Health and Growth Accelerator".to_string(), true),
            ("Inactivity Trailblazer".to_string(), false),
            ("WorkWell".to_string(), false),
            ("Youth Guarantee Trailblazer".to_string(), false),
        ]
    );
    // The base data have no such warning.
    assert_eq!(
        manifest(&base().evidence)["warnings"],
        serde_json::json!([])
    );
}

/// Footprints are optional: without them every area is its own footprint,
/// so Birmingham and Solihull's WorkWell is clean again (with them it lies
/// inside the West Midlands' Youth Guarantee Trailblazer).
#[tokio::test]
async fn a_dataset_root_without_footprints_runs_each_area_its_own() {
    let case = case();
    std::fs::remove_dir_all(case.data.join("area_footprints")).unwrap();
    let output = run(&case.data, &case.evidence);
    assert!(output.status.success(), "{}", stderr(&output));
    let clean = "SELECT CAST(clean AS VARCHAR) FROM a \
        WHERE programme = 'WorkWell' AND area_id = 'birmingham-and-solihull'";
    assert_eq!(fit_note_areas(&case.evidence, clean).await, ["true"]);
    assert_eq!(fit_note_areas(&base().evidence, clean).await, ["false"]);
}

/// The first column of `sql` over an evidence root's `fit_note_areas`
/// (registered as `a`).
async fn fit_note_areas(evidence: &std::path::Path, sql: &str) -> Vec<String> {
    let ctx = context();
    let file = evidence.join("fit_note_areas.parquet");
    ctx.register_parquet("a", file.to_str().unwrap(), ParquetReadOptions::default())
        .await
        .unwrap();
    strings(&batches(&ctx, sql).await, 0)
}

#[tokio::test]
async fn a_table_split_over_many_files_gives_the_same_figures() {
    // A multi-gigabyte table arrives as many files; the reader must list and
    // stream all of them, dropping none. 1,000 files of employment.
    let case = case();
    let folder = case.data.join("employment");
    let ctx = context();
    ctx.register_parquet("t", folder.to_str().unwrap(), ParquetReadOptions::default())
        .await
        .unwrap();
    let all = batches(&ctx, "SELECT * FROM t").await;
    std::fs::remove_dir_all(&folder).unwrap();
    let files = 1000;
    let per_file = all.num_rows().div_ceil(files);
    for i in 0..files {
        let start = (i * per_file).min(all.num_rows());
        let len = per_file.min(all.num_rows() - start);
        let part = folder.join(format!("batch={:04}", i / 100));
        std::fs::create_dir_all(&part).unwrap();
        write_parquet(
            &part.join(format!("part-{i:04}.parquet")),
            &[all.slice(start, len)],
        );
    }
    let output = run(&case.data, &case.evidence);
    assert!(output.status.success(), "{}", stderr(&output));
    let files_read = manifest(&case.evidence)["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["table"] == "employment")
        .unwrap()["files"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(files_read, files);
    assert_rows_balance(&case.data, &case.evidence).await;
    for output in ["programme_outcomes", "site_outcomes", "fit_note_did"] {
        let file = format!("{output}.parquet");
        assert_eq!(
            rows(&case.evidence.join(&file)).await,
            rows(&base().evidence.join(&file)).await,
            "{output} differs"
        );
    }
}

/// An area that runs no programme but shares residents with one that does
/// is no comparison area (CONTRACT.md, Comparison areas): Kent and Medway,
/// given a footprint in Birmingham (where WorkWell runs), leaves every
/// programme's comparison side.
#[tokio::test]
async fn an_area_overlapping_a_programme_area_is_no_comparison_area() {
    let case = case();
    rewrite_table(
        &case.data,
        "area_footprints",
        "SELECT * FROM t UNION ALL \
         SELECT 'kent-and-medway' AS area_id, * EXCLUDE (area_id) FROM t \
         WHERE area_id = 'birmingham-and-solihull' AND lad_code = 'E08000025'",
    )
    .await;
    let output = run(&case.data, &case.evidence);
    assert!(output.status.success(), "{}", stderr(&output));
    let comparison_sides =
        "SELECT DISTINCT area_id FROM a WHERE side = 'comparison' ORDER BY area_id";
    let before = fit_note_areas(&base().evidence, comparison_sides).await;
    let after = fit_note_areas(&case.evidence, comparison_sides).await;
    assert!(
        before.contains(&"kent-and-medway".to_string()),
        "{before:?}"
    );
    let expected: Vec<String> = before
        .into_iter()
        .filter(|a| a != "kent-and-medway")
        .collect();
    assert_eq!(after, expected);
}
