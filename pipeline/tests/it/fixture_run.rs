//! The whole pipeline on the hand-built fixture of `sql/test/fixture/`,
//! written as a dataset root: the estimators' outputs must equal the values
//! worked out by hand below, and duplicate employment rows must be
//! quarantined while near-duplicates are not.

use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use std::path::Path;

/// The fixture's `CREATE TABLE` statements, as the `.slt` tests use them.
fn fixture_statements() -> Vec<String> {
    let text = include_str!("../../../sql/test/fixture/small_cohort.slt");
    text.split("statement ok\n")
        .skip(1)
        .map(|block| {
            block
                .split("\n\n")
                .next()
                .unwrap_or_default()
                .trim()
                .to_string()
        })
        .filter(|sql| sql.starts_with("CREATE TABLE"))
        .collect()
}

/// Write the fixture (plus extra employment rows) as a dataset root.
async fn write_dataset(root: &Path) {
    let ctx = SessionContext::new();
    for sql in fixture_statements() {
        ctx.sql(&sql).await.unwrap().collect().await.unwrap();
    }
    // c4 gets two identical rows for May 2025 (duplicates: both quarantined),
    // a row dated 2025-05-15 (not a duplicate: the wrong day of the month) and
    // one for May 2024 (same month of another year: fine).
    ctx.sql(
        "INSERT INTO employment VALUES
           ('c4', DATE '2025-05-01', 'inactive', NULL),
           ('c4', DATE '2025-05-01', 'inactive', NULL),
           ('c4', DATE '2025-05-15', 'inactive', NULL),
           ('c4', DATE '2024-05-01', 'inactive', NULL)",
    )
    .await
    .unwrap()
    .collect()
    .await
    .unwrap();
    // a3 runs WorkWell and no one was referred there: a site with no
    // eligible participants (CONTRACT.md) keeps its row, with no rate, no
    // limits, `within` and no adjusted or effect flag.
    for sql in [
        "INSERT INTO areas VALUES ('a3', 'Area Three', 'North East')",
        "INSERT INTO area_programmes VALUES ('a3', 'WorkWell', DATE '2025-01-01', NULL)",
    ] {
        ctx.sql(sql).await.unwrap().collect().await.unwrap();
    }
    for table in [
        "areas",
        "area_programmes",
        "programmes",
        "people",
        "referrals",
        "fit_notes",
        "employment",
    ] {
        let file = root.join(table).join("part-0.parquet");
        ctx.table(table)
            .await
            .unwrap()
            .write_parquet(
                file.to_str().unwrap(),
                DataFrameWriteOptions::new().with_single_file_output(true),
                None,
            )
            .await
            .unwrap();
    }
}

async fn query(root: &Path, table: &str, sql: &str) -> Vec<Vec<String>> {
    let ctx = SessionContext::new();
    ctx.register_parquet(
        "t",
        root.join(table).to_str().unwrap(),
        ParquetReadOptions::default(),
    )
    .await
    .unwrap();
    let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
    let options = datafusion::arrow::util::display::FormatOptions::default().with_null("NULL");
    let mut rows = Vec::new();
    for batch in batches {
        let formatters: Vec<_> = batch
            .columns()
            .iter()
            .map(|c| {
                datafusion::arrow::util::display::ArrayFormatter::try_new(c.as_ref(), &options)
                    .unwrap()
            })
            .collect();
        for r in 0..batch.num_rows() {
            rows.push(formatters.iter().map(|f| f.value(r).to_string()).collect());
        }
    }
    rows
}

fn row(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

#[tokio::test]
async fn estimators_on_the_hand_worked_fixture() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let evidence = dir.path().join("evidence");
    write_dataset(&data).await;
    let options = pipeline::RunOptions {
        data: data.to_str().unwrap().into(),
        out: evidence.to_str().unwrap().into(),
        as_of: chrono::NaiveDate::from_ymd_opt(2026, 11, 24),
        engine: pipeline::Engine::Local,
        memory_limit: None,
        spill_limit: None,
    };
    pipeline::run(&options, &pipeline::Silent).await.unwrap();

    // WorkWell: eligible p1 p2 p3, in work p1 p3 -> 2/3, Wilson (0.207660, 0.938508).
    // Matching: stratum A = (25-34, F, 1, MH, employed, 2025-Q1) has
    // participants 1/2 (site a1) and comparison c1 c2 -> 1/2 (c = 0.5, both
    // in area c1); stratum B = (50-64, M, 5, MSK, inactive, 2025-Q1) has p3
    // 1/1 (site a2) and c4 0/1 (area c2, c = 0); c3 (area c2, baseline
    // unknown) is in a stratum of its own, 1/1. matched 3, comparison rate
    // 2/3·0.5 + 1/3·0 = 1/3, att = 2/3 − 1/3 = 1/3. Each stratum's
    // comparison variance is unbiased: A 0.25/(2 − 1) = 1/4; B holds one
    // comparison person, so it takes c(1 − c) = 2/9 at the matched rate; V =
    // (2/3)²/4 + (1/3)²·2/9 = 11/81, and the within-area se² = (2/3)(1/3)/3 +
    // 11/81 = 17/81 (se 0.458123).
    // The areas (stats::estimators::between_areas): site a1 d = 1/2 − 0.5 = 0 and a2 d = 1 − 0
    // = 1 around d̄ = 1/3, w = (2/3, 1/3). Each site's chance part uses the
    // participants' variance within their stratum: A holds p1, p2 (1 of 2:
    // 1/4), B holds p3 (1 of 1: 0), so σ² = 2·(1/4)/2² = 1/8 for a1 and 0
    // for a2; Σw² = 5/9, Σw²σ² = (4/9)(1/8) = 1/18; the comparison strata's
    // noise in dₐ − d̄, Σₛ (nₐₛ/nₐ − nₛ/n)² vₛ, is (1/3)²/4 + (1/3)²·2/9 =
    // 17/324 for a1 and (2/3)²/4 + (2/3)²·2/9 = 68/324 for a2. So a1 adds
    // 1/9 − (1/8·(1 − 4/3) + 1/18 + 17/324) = 29/648 with coefficient 2/9,
    // a2 4/9 − (1/18 + 68/324) = 116/648 with 8/9; the comparison areas
    // deviate by 0 with binomial part 0 and coefficient 0 (each area alone
    // in its strata); the Inactivity Trailblazer's one site deviates by 0
    // with null 0 and coefficient 1 − 2 + 1 = 0 (areas of coefficient 0
    // are left out). Pooled over the programmes
    // (stats::estimators::between_areas::pooled_tau2): τ̂²ₘ =
    // (145/648)/(10/9) = 29/144; the nulls 43/648 and 43/162 give
    // N = 215/648 and Q = (43/648)²/(2/9) + (43/162)²/(8/9) = 9245/93312,
    // so s = √(2(τ̂⁴·10/9 + 2τ̂²N + Q))/(10/9) = √0.45 = 0.670820 and
    // τ̃² = (τ̂²ₘ + √(τ̂²ₘ² + 2s²))/2 = 0.585606 on C = 10/9 df (two areas
    // say almost nothing about τ²); ω = (2/3, 1/3), S = 10/9, A = τ̃²S =
    // 0.650674; Satterthwaite df = (17/81 + A)² / (A²/(10/9)) = 1.943495.
    // Inactivity Trailblazer: p3 only, 0/1, matched to c4 (0/1): att 0, no
    // chance part, and its one site and one comparison area carry the pooled
    // τ̃² with S = 1 + 1: A = 1.171212 on 10/9 df, so 0 − t·√A to
    // √(Wilson's upper limit² + t²A): one person says almost nothing, and
    // the interval says so.
    let outcomes = query(
        &evidence,
        "programme_outcomes.parquet",
        "SELECT programme, participants, eligible, in_work_6m, round(rate, 6), round(rate_low, 6), round(rate_high, 6),
                matched, unmatched, round(comparison_rate, 6), round(att, 6), round(att_low, 6), round(att_high, 6),
                funding_gbp, cost_per_additional_outcome
         FROM t ORDER BY programme",
    )
    .await;
    assert_eq!(
        outcomes,
        vec![
            row(&[
                "Inactivity Trailblazer",
                "2",
                "1",
                "0",
                "0.0",
                "0.0",
                "0.793451",
                "1",
                "0",
                "0.0",
                "0.0",
                "-10.891607",
                "10.936528",
                "125000000",
                "NULL"
            ]),
            row(&[
                "WorkWell",
                "4",
                "3",
                "2",
                "0.666667",
                "0.20766",
                "0.938508",
                "3",
                "0",
                "0.333333",
                "0.333333",
                "-3.637336",
                "4.270217",
                "64000000",
                "NULL"
            ]),
        ]
    );
    let areas = query(
        &evidence,
        "programme_outcomes.parquet",
        "SELECT round(att_se_within, 6), round(between_area_variance, 6), round(between_area_df, 6),
                round(comparison_area_weight, 6), round(att_area_variance, 6), round(att_df, 6),
                areas, comparison_areas
         FROM t WHERE programme = 'WorkWell'",
    )
    .await;
    assert_eq!(
        areas,
        vec![row(&[
            "0.458123", "0.585606", "1.111111", "0.555556", "0.650674", "1.943495", "2", "2"
        ])]
    );
    // The limits: MOVER at t(0.975; 1.943495) with Wilson(2, 3) at that
    // t, the comparison and area parts at t too (stats::formulas::att).
    let tau2 = stats::formulas::heterogeneity::bayes_modal(29.0 / 144.0, 0.45_f64.sqrt());
    assert!((tau2 - 0.585_606).abs() < 1e-6, "{tau2}");
    let area: f64 = tau2 * 10.0 / 9.0;
    let within: f64 = 17.0 / 81.0;
    let t = stats::formulas::att::t_975((within + area).powi(2) / (area * area / (10.0 / 9.0)));
    let (l, u) = stats::formulas::wilson::wilson_interval(2, 3, t).unwrap();
    let others = t * t * (11.0 / 81.0 + area);
    let (low, high) = (
        1.0 / 3.0 - ((2.0 / 3.0 - l).powi(2) + others).sqrt(),
        1.0 / 3.0 + ((u - 2.0 / 3.0).powi(2) + others).sqrt(),
    );
    assert!(
        (low + 3.637_336).abs() < 1e-5 && (high - 4.270_217).abs() < 1e-5,
        "{low} {high}"
    );

    // Sites: WorkWell a1 has p1 p2 eligible (1/2); its programme's rate 2/3 is
    // the target; for n = 2 the 99.8% limits 2/3 ± 3.09·√((2/9)/2) clip to [0, 1].
    let sites = query(
        &evidence,
        "site_outcomes.parquet",
        "SELECT programme, area_id, eligible, in_work_6m, round(rate, 6), round(target_rate, 6), limit998_low, limit998_high, funnel_flag
         FROM t ORDER BY programme, area_id",
    )
    .await;
    assert_eq!(
        sites[1],
        row(&[
            "WorkWell", "a1", "2", "1", "0.5", "0.666667", "0.0", "1.0", "within"
        ])
    );

    let empty = query(
        &evidence,
        "site_outcomes.parquet",
        "SELECT participants, eligible, rate, target_rate IS NOT NULL, limit998_low, funnel_flag, \
         expected_rate, adjusted_rate, adjusted_flag, att, effect_flag, mde \
         FROM t WHERE area_id = 'a3'",
    )
    .await;
    assert_eq!(
        empty,
        vec![row(&[
            "0", "0", "NULL", "true", "NULL", "within", "NULL", "NULL", "NULL", "NULL", "NULL",
            "NULL"
        ])]
    );

    // The pooled cells for WorkWell (12 months before its earliest start,
    // 2025-01-01, and after): programme 0/2 → 1/1, comparison 1/1 → 2/6.
    // The staggered DiD needs a comparison area with notes in a cohort's base
    // month: a1 goes live in January 2025, and neither c1 nor c2 has a note
    // in December 2024, so no group-time effect and no overall effect exist
    // (a2, live from March, has no notes). The hand-worked staggered examples
    // are in stats::formulas::staggered's tests.
    let did = query(
        &evidence,
        "fit_note_did.parquet",
        "SELECT programme, round(pre_share, 6), round(post_share, 6), round(comparison_pre_share, 6), round(comparison_post_share, 6), did, treated_areas, clean_areas FROM t ORDER BY programme",
    )
    .await;
    assert_eq!(
        did,
        vec![
            row(&[
                "Inactivity Trailblazer",
                "NULL",
                "NULL",
                "0.4",
                "0.5",
                "NULL",
                "0",
                "0"
            ]),
            // a1 and a3 are clean (a3 has no notes, so it adds nothing else).
            row(&[
                "WorkWell", "0.0", "1.0", "1.0", "0.333333", "NULL", "0", "2"
            ]),
        ]
    );

    // Only the two identical May 2025 rows are duplicates; the 15th of May is
    // quarantined for its day, not as a duplicate.
    let quarantined = query(
        &evidence,
        "quarantine/employment.parquet",
        "SELECT person_id, CAST(month AS VARCHAR) AS month_text, reason FROM t ORDER BY month_text, reason",
    )
    .await;
    assert_eq!(
        quarantined,
        vec![
            row(&["c4", "2025-05-01", "duplicate_person_id_and_month"]),
            row(&["c4", "2025-05-01", "duplicate_person_id_and_month"]),
            row(&["c4", "2025-05-15", "month_not_first_day"]),
        ]
    );
}
