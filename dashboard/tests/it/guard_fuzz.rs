//! Fuzzing the read-only guard with generated statements: whatever passes
//! `guard::check`, run with *no* other restriction, leaves the catalog and
//! the data as they were and writes no file.

use dashboard::analysts::guard;
use datafusion::prelude::SessionContext;
use proptest::prelude::*;

/// Statement openings, harmless and harmful, in any case.
const HEADS: &[&str] = &[
    "SELECT * FROM t",
    "SELECT count(*) FROM t",
    "WITH a AS (SELECT x FROM t) SELECT * FROM a",
    "EXPLAIN SELECT x FROM t",
    "VALUES (1)",
    "SHOW TABLES",
    "DESCRIBE t",
    "DROP TABLE t",
    "DROP VIEW v",
    "CREATE TABLE u AS SELECT * FROM t",
    "CREATE VIEW w AS SELECT 1",
    "CREATE EXTERNAL TABLE e STORED AS CSV LOCATION '/tmp/evidence-guard-fuzz'",
    "INSERT INTO t VALUES (9)",
    "INSERT INTO t SELECT * FROM t",
    "WITH a AS (SELECT x FROM t) INSERT INTO t SELECT * FROM a",
    "WITH a AS (SELECT 1) DELETE FROM t",
    "WITH a AS (SELECT 1) UPDATE t SET x = 0",
    "SELECT * FROM (WITH a AS (SELECT x FROM t) INSERT INTO t SELECT * FROM a) q",
    "UPDATE t SET x = 0",
    "COPY t TO '/tmp/evidence-guard-fuzz.csv'",
    "COPY (SELECT * FROM t) TO '/tmp/evidence-guard-fuzz.parquet'",
    "SET datafusion.execution.batch_size = 1",
    "EXPLAIN ANALYZE INSERT INTO t VALUES (9)",
    "EXPLAIN COPY t TO '/tmp/evidence-guard-fuzz.json'",
    "TRUNCATE TABLE t",
    "ALTER TABLE t RENAME TO z",
    "CREATE SCHEMA s",
    "PREPARE p AS SELECT 1",
];

fn case(s: &str, flips: &[bool]) -> String {
    s.chars()
        .zip(flips.iter().cycle())
        .map(|(c, up)| {
            if *up {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

fn statement() -> impl Strategy<Value = String> {
    let head = prop::sample::select(HEADS);
    let prefix = prop::sample::select(&["", " ", "\n", "/* c */ ", "-- c\n", "  \t"][..]);
    let tail = prop::sample::select(
        &[
            "",
            ";",
            " ;",
            "; SELECT 1",
            "; DROP TABLE t",
            " -- x",
            " /* ; DROP TABLE t */",
        ][..],
    );
    (
        prefix,
        head,
        tail,
        prop::collection::vec(any::<bool>(), 1..8),
    )
        .prop_map(|(p, h, t, flips)| format!("{p}{}{t}", case(h, &flips)))
}

async fn fresh() -> SessionContext {
    let ctx = SessionContext::new();
    ctx.sql("CREATE TABLE t (x INT) AS VALUES (1), (2), (3)")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    ctx.sql("CREATE VIEW v AS SELECT x FROM t").await.unwrap();
    ctx
}

async fn state(ctx: &SessionContext) -> (Vec<String>, i64) {
    let mut tables: Vec<String> = ctx
        .catalog("datafusion")
        .unwrap()
        .schema("public")
        .unwrap()
        .table_names();
    tables.sort();
    let batches = ctx
        .sql("SELECT sum(x) FROM t")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let sum = batches[0]
        .column(0)
        .as_any()
        .downcast_ref::<datafusion::arrow::array::Int64Array>()
        .unwrap()
        .value(0);
    (tables, sum)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn nothing_that_passes_the_guard_changes_anything(sql in statement()) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let ctx = fresh().await;
            let before = state(&ctx).await;
            if guard::check(&sql).is_ok() {
                // No SQLOptions here: the guard alone stands between the
                // statement and the engine.
                if let Ok(df) = ctx.sql(&sql).await {
                    let _ = df.collect().await;
                }
                let after = state(&ctx).await;
                prop_assert_eq!(before, after, "{} changed the catalog or data", sql);
                for f in ["/tmp/evidence-guard-fuzz.csv", "/tmp/evidence-guard-fuzz.parquet", "/tmp/evidence-guard-fuzz.json"] {
                    prop_assert!(!std::path::Path::new(f).exists(), "{} wrote {}", sql, f);
                }
            }
            Ok(())
        })?;
    }
}
