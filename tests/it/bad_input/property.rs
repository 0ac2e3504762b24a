//! The property: random sets of row faults, and rows always balance; and
//! quarantined parent rows that keep areas and people out of the comparison.

use super::*;

/// The faults that apply to a table, from its contract entry.
fn faults_for(table: &InputTable) -> Vec<RowFault> {
    let mut faults = vec![RowFault::Duplicate];
    for c in &table.columns {
        if !c.nullable {
            faults.push(RowFault::Null(c.name));
        }
        if c.allowed.is_some() {
            faults.push(RowFault::UnknownValue(c.name));
        }
        if c.kind == ColumnKind::Date {
            faults.push(RowFault::FutureDate(c.name));
            faults.push(RowFault::Pre1900(c.name));
        }
    }
    for (column, _, _) in table.references {
        faults.push(RowFault::Orphan(column));
    }
    // The range and consistency checks (`values_out_of_range_…`).
    faults.extend(match table.name {
        "people" => vec![RowFault::Set {
            check: "out_of_range_imd_decile",
            values: &[("imd_decile", "0")],
        }],
        "fit_notes" => vec![
            RowFault::Set {
                check: "out_of_range_duration_days",
                values: &[("duration_days", "400")],
            },
            RowFault::Set {
                check: "adjustments_on_not_fit_note",
                values: &[
                    ("assessment", "'not_fit'"),
                    ("workplace_adaptations", "true"),
                ],
            },
        ],
        "area_programmes" => vec![RowFault::Set {
            check: "out_of_range_funding_gbp",
            values: &[("funding_gbp", "-1")],
        }],
        "employment" => vec![RowFault::Set {
            check: "negative_earnings_gbp",
            values: &[("status", "'employed'"), ("earnings_gbp", "-0.01")],
        }],
        _ => Vec::new(),
    });
    faults
}

/// Rows to break in `table`: spread through the large tables, the first few
/// of the small parent tables.
fn positions(table: &str, rows: u64) -> Vec<u64> {
    (0..rows)
        .map(|r| match table {
            "programmes" => 1 + r,
            "areas" => 2 + 5 * r,
            "area_programmes" => 2 + 7 * r,
            _ => 11 + 97 * r,
        })
        .collect()
}

proptest! {
    // Failing cases are kept (proptest's default file beside this source,
    // `proptest-regressions/`) and replayed first on the next run.
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    #[test]
    fn rows_balance_whatever_is_broken(
        picks in prop::collection::vec((0usize..7, any::<prop::sample::Index>(), 1u64..4), 1..4),
    ) {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let case = case();
            // One fault per table at most, so each table is rewritten once.
            let mut broken: BTreeMap<&str, (RowFault, Vec<u64>)> = BTreeMap::new();
            for (t, fault, rows) in picks {
                let name = [
                    "people", "referrals", "fit_notes", "employment", "areas", "programmes", "area_programmes",
                ][t];
                let faults = faults_for(&table(name));
                let fault = fault.get(&faults).clone();
                let positions = positions(name, rows);
                broken.entry(name).or_insert((fault, positions));
            }
            for (name, (fault, positions)) in &broken {
                break_rows(&case.data, &table(name), fault, positions).await;
            }
            let output = run(&case.data, &case.evidence);
            assert!(output.status.success(), "{broken:?}: {}", stderr(&output));
            let quarantined = assert_rows_balance(&case.data, &case.evidence).await;
            let after = quality(&case.evidence).await;
            let before = quality(&base().evidence).await;
            for (name, (fault, positions)) in &broken {
                let (check, per_row) = fault.check(&table(name));
                let key = (name.to_string(), check.clone());
                let caught = after.get(&key).copied().unwrap_or(0)
                    - before.get(&key).copied().unwrap_or(0);
                // At least: breaking a parent can orphan more rows here.
                assert!(caught >= per_row * positions.len() as u64, "{name}.{check} caught {caught} ({broken:?})");
                assert!(quarantined[*name] >= caught, "{name}: broken rows not all quarantined");
            }
        });
    }
}

/// A quarantined parent row must not change the evaluation's design (issue
/// 18, hole 2). An area whose only `area_programmes` row is quarantined ran
/// a programme all the same: it must not become a comparison area. A person
/// whose only referral is quarantined was referred all the same: the
/// comparison pool is people with no referral at all.
#[tokio::test]
async fn quarantined_programme_rows_keep_areas_and_people_out_of_the_comparison() {
    let case = case();
    // Black Country runs WorkWell only; its row gets an impossible start.
    rewrite_table(
        &case.data,
        "area_programmes",
        "SELECT area_id, programme, CASE WHEN area_id = 'black-country' THEN DATE '1899-06-01' \
         ELSE start_date END AS start_date, funding_gbp FROM t",
    )
    .await;
    // A comparison person (no referral, a fit note in Kent) gets a referral
    // to a programme the contract does not know.
    let ctx = context();
    ctx.register_parquet(
        "fit_notes",
        case.data.join("fit_notes").to_str().unwrap(),
        ParquetReadOptions::default(),
    )
    .await
    .unwrap();
    ctx.register_parquet(
        "referrals",
        case.data.join("referrals").to_str().unwrap(),
        ParquetReadOptions::default(),
    )
    .await
    .unwrap();
    let person = batches(
        &ctx,
        "SELECT min(person_id) AS person_id FROM fit_notes WHERE area_id = 'kent-and-medway' \
         AND person_id NOT IN (SELECT person_id FROM referrals)",
    )
    .await;
    let person = strings(&person, 0)[0].clone();
    rewrite_table(
        &case.data,
        "referrals",
        &format!(
            "SELECT referral_id, person_id, programme, area_id, referral_date, referral_source, \
             primary_condition, engaged FROM t UNION ALL \
             SELECT 'R-quarantined', '{person}', 'Not a programme', 'kent-and-medway', referral_date, \
             referral_source, primary_condition, engaged FROM (SELECT * FROM t ORDER BY referral_id LIMIT 1)"
        ),
    )
    .await;
    let output = run(&case.data, &case.evidence);
    assert!(output.status.success(), "{}", stderr(&output));
    let quarantined = assert_rows_balance(&case.data, &case.evidence).await;
    let base_quarantined = assert_rows_balance(&base().data, &base().evidence).await;
    for table in ["area_programmes", "referrals"] {
        assert_eq!(quarantined[table] - base_quarantined[table], 1, "{table}");
    }
    let ctx = context();
    ctx.register_parquet(
        "design",
        case.evidence
            .join("fit_note_areas.parquet")
            .to_str()
            .unwrap(),
        ParquetReadOptions::default(),
    )
    .await
    .unwrap();
    let rows = batches(
        &ctx,
        "SELECT count(*) AS n FROM design WHERE area_id = 'black-country'",
    )
    .await;
    let rows = cast(rows.column(0), &DataType::Int64).unwrap();
    assert_eq!(
        rows.as_primitive::<Int64Type>().value(0),
        0,
        "an area with a quarantined programme row must not be a comparison area"
    );
    let pool = |evidence: &Path| {
        manifest(evidence)["cohort"]["comparison_pool"]
            .as_u64()
            .unwrap()
    };
    assert!(
        pool(&case.evidence) < pool(&base().evidence),
        "{person}, referred (the referral quarantined), must leave the comparison pool: {} then {}",
        pool(&base().evidence),
        pool(&case.evidence)
    );
}
