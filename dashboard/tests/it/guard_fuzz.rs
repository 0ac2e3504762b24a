//! Fuzzing the read-only guard with statements generated from a small
//! grammar (queries nested to any depth, with writes, DDL, COPY and SET
//! wherever a query may stand, EXPLAIN, several statements, comments and
//! letter case): whatever passes `guard::check`, run with *no* other
//! restriction, leaves the catalog and the data as they were and writes no
//! file; every statement with nothing harmful in it passes, and every one
//! with something harmful at any depth is refused.

use dashboard::analysts::guard;
use datafusion::prelude::SessionContext;
use proptest::prelude::*;

/// A generated statement, and whether anything in it would change the
/// catalog or the data, write a file or a setting, or is not one statement.
#[derive(Clone, Debug)]
struct Sql {
    text: String,
    harmful: bool,
}

fn sql(text: impl Into<String>, harmful: bool) -> Sql {
    Sql {
        text: text.into(),
        harmful,
    }
}

const FILES: [&str; 3] = [
    "/tmp/evidence-guard-fuzz.csv",
    "/tmp/evidence-guard-fuzz.parquet",
    "/tmp/evidence-guard-fuzz.json",
];

/// Queries of any depth: selections from tables, views and subqueries,
/// CTEs, set operations, `VALUES`; any of them may hold a write where a
/// query is expected (a CTE's body, a subquery, a set operation's side).
fn query() -> BoxedStrategy<Sql> {
    let leaf = prop_oneof![
        Just(sql("SELECT x FROM t", false)),
        Just(sql("SELECT * FROM v WHERE x > 1", false)),
        Just(sql("SELECT count(*) AS n FROM t", false)),
        Just(sql("VALUES (1)", false)),
        Just(sql("SELECT 1 AS x", false)),
    ];
    leaf.prop_recursive(4, 24, 2, |inner| {
        let inner_or_write = prop_oneof![3 => inner.clone(), 1 => write(inner.clone())].boxed();
        prop_oneof![
            inner_or_write
                .clone()
                .prop_map(|q| sql(format!("SELECT * FROM ({}) AS q", q.text), q.harmful)),
            (inner_or_write.clone(), inner.clone()).prop_map(|(c, q)| with(&c, &q)),
            (inner.clone(), inner_or_write.clone()).prop_map(|(c, q)| with(&c, &q)),
            (inner.clone(), inner.clone()).prop_map(|(l, r)| sql(
                format!("({}) UNION ALL ({})", l.text, r.text),
                l.harmful || r.harmful
            )),
            inner_or_write.clone().prop_map(|q| sql(
                format!("SELECT x FROM t WHERE x IN ({})", q.text),
                q.harmful
            )),
        ]
    })
    .boxed()
}

/// `WITH a AS (c) q`; a `q` that is itself a `WITH` becomes a subquery
/// (SQL has no `WITH … WITH …`), a write stays the statement's body.
fn with(c: &Sql, q: &Sql) -> Sql {
    let body = if q.text.starts_with("WITH") {
        format!("SELECT * FROM ({}) AS b", q.text)
    } else {
        q.text.clone()
    };
    sql(
        format!("WITH a AS ({}) {body}", c.text),
        c.harmful || q.harmful,
    )
}

/// Statements that change something, around a generated query.
fn write(query: BoxedStrategy<Sql>) -> BoxedStrategy<Sql> {
    let file = prop::sample::select(&FILES[..]);
    prop_oneof![
        query
            .clone()
            .prop_map(|q| sql(format!("INSERT INTO t {}", q.text), true)),
        Just(sql("INSERT INTO t VALUES (9)", true)),
        Just(sql("DELETE FROM t", true)),
        Just(sql("UPDATE t SET x = 0", true)),
        Just(sql("TRUNCATE TABLE t", true)),
        Just(sql("DROP TABLE t", true)),
        Just(sql("DROP VIEW v", true)),
        Just(sql("ALTER TABLE t RENAME TO z", true)),
        Just(sql("CREATE SCHEMA s", true)),
        Just(sql("PREPARE p AS SELECT 1", true)),
        Just(sql("SET datafusion.execution.batch_size = 1", true)),
        query
            .clone()
            .prop_map(|q| sql(format!("CREATE TABLE u AS {}", q.text), true)),
        query
            .clone()
            .prop_map(|q| sql(format!("CREATE VIEW w AS {}", q.text), true)),
        (query.clone(), file.clone())
            .prop_map(|(q, f)| sql(format!("COPY ({}) TO '{f}'", q.text), true)),
        file.clone()
            .prop_map(|f| sql(format!("COPY t TO '{f}'"), true)),
        file.prop_map(|f| sql(
            format!("CREATE EXTERNAL TABLE e STORED AS CSV LOCATION '{f}'"),
            true
        )),
    ]
    .boxed()
}

/// A whole statement: a query, a write, `EXPLAIN [ANALYZE]` of either, the
/// catalog's own listings, or two statements at once; in any letter case,
/// between comments and whitespace.
fn statement() -> impl Strategy<Value = (String, bool)> {
    let one = prop_oneof![
        4 => query(),
        2 => write(query()),
        1 => Just(sql("SHOW TABLES", false)),
        1 => Just(sql("DESCRIBE t", false)),
    ]
    .boxed();
    let body = prop_oneof![
        4 => one.clone(),
        1 => one.clone().prop_map(|s| sql(format!("EXPLAIN {}", s.text), s.harmful)),
        1 => one.clone().prop_map(|s| sql(format!("EXPLAIN ANALYZE {}", s.text), s.harmful)),
        // Two statements are refused whatever they are.
        1 => (one.clone(), one).prop_map(|(a, b)| sql(format!("{}; {}", a.text, b.text), true)),
    ];
    let prefix = prop::sample::select(&["", " ", "\n", "/* c */ ", "-- c\n", "  \t"][..]);
    let tail = prop::sample::select(&["", ";", " ;", " -- x", " /* ; DROP TABLE t */"][..]);
    (
        prefix,
        body,
        tail,
        prop::collection::vec(any::<bool>(), 1..8),
    )
        .prop_map(|(p, b, t, flips)| (format!("{p}{}{t}", case(&b.text, &flips)), b.harmful))
}

fn case(s: &str, flips: &[bool]) -> String {
    // Only keywords and names change case: quoted file names stay as
    // they are.
    let mut quoted = false;
    s.chars()
        .zip(flips.iter().cycle())
        .map(|(c, up)| {
            if c == '\'' {
                quoted = !quoted;
            }
            match (quoted, *up) {
                (true, _) => c,
                (false, true) => c.to_ascii_uppercase(),
                (false, false) => c.to_ascii_lowercase(),
            }
        })
        .collect()
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
    fn nothing_that_passes_the_guard_changes_anything((sql, harmful) in statement()) {
        let sql = sql.as_str();
        // The guard decides exactly: a query with nothing harmful anywhere
        // in it passes (a guard that refused everything would pass the
        // property below), and anything harmful, at any depth, is refused
        // (DataFusion cannot run most nested writes, so "nothing changed"
        // alone would not notice a guard that let them through).
        prop_assert_eq!(
            guard::check(sql).is_ok(),
            !harmful,
            "{} ({}): {:?}",
            sql,
            if harmful { "harmful" } else { "harmless" },
            guard::check(sql)
        );
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let ctx = fresh().await;
            let before = state(&ctx).await;
            if guard::check(sql).is_ok() {
                // No SQLOptions here: the guard alone stands between the
                // statement and the engine.
                if let Ok(df) = ctx.sql(sql).await {
                    let _ = df.collect().await;
                }
                let after = state(&ctx).await;
                prop_assert_eq!(before, after, "{} changed the catalog or data", sql);
                for f in FILES {
                    prop_assert!(!std::path::Path::new(f).exists(), "{} wrote {}", sql, f);
                }
            }
            Ok(())
        })?;
    }
}
