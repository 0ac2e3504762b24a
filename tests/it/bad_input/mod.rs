//! The bad-input corpus: datasets made here from one generated dataset, each
//! with one fault, run through the real binary over an existing evidence
//! root. Every fault has an exact outcome:
//!
//! - a fault in the files themselves (a missing or mistyped column, a
//!   truncated or non-Parquet file, an empty table, a missing table folder)
//!   fails with exit code 1 and a message naming table, file or column and
//!   what to do, with no panic and the old evidence root untouched;
//! - a fault in rows (duplicate ids, unknown enum values, dates in the future
//!   or before 1900, nulls in required columns, an employment row for an
//!   unknown person) is quarantined and counted in `data_quality`, exactly;
//! - a programme that starts after the data end runs, with a warning saying
//!   why its DiD is missing; a table split over many files gives the same
//!   figures as one file.
//!
//! A property test then applies random sets of row faults and checks that
//! rows balance table by table: read = used + quarantined, nothing read is
//! lost, and every broken row is in quarantine.

use contract::inputs::{ColumnKind, InputTable, input_tables};
use datafusion::arrow::array::Array;
use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::compute::{cast, concat_batches};
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use crate::common::{EVIDENCE, generate, rows};

mod files;
mod property;
mod row_faults;

/// The dataset every case starts from, and its evidence root.
pub(super) struct Base {
    pub(super) _dir: tempfile::TempDir,
    pub(super) data: PathBuf,
    pub(super) evidence: PathBuf,
}

pub(super) fn base() -> &'static Base {
    static BASE: OnceLock<Base> = OnceLock::new();
    BASE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let evidence = dir.path().join("evidence");
        generate(&data, 3000, 5);
        let output = run(&data, &evidence);
        assert!(output.status.success(), "{}", stderr(&output));
        Base {
            _dir: dir,
            data,
            evidence,
        }
    })
}

/// A copy of the base dataset and evidence root to break.
pub(super) struct Case {
    pub(super) dir: tempfile::TempDir,
    pub(super) data: PathBuf,
    pub(super) evidence: PathBuf,
}

pub(super) fn case() -> Case {
    let base = base();
    let dir = tempfile::tempdir().unwrap();
    let (data, evidence) = (dir.path().join("data"), dir.path().join("evidence"));
    copy_dir(&base.data, &data);
    copy_dir(&base.evidence, &evidence);
    Case {
        dir,
        data,
        evidence,
    }
}

pub(super) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

pub(super) fn run(data: &Path, evidence: &Path) -> Output {
    Command::new(EVIDENCE)
        .args(["run", "--data", data.to_str().unwrap(), "--out"])
        .arg(evidence)
        .output()
        .unwrap()
}

pub(super) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string()
}

pub(super) fn table(name: &str) -> InputTable {
    input_tables().into_iter().find(|t| t.name == name).unwrap()
}

pub(super) async fn batches(ctx: &SessionContext, sql: &str) -> RecordBatch {
    let frame = ctx.sql(sql).await.unwrap();
    let schema = frame.schema().inner().clone();
    concat_batches(&schema, &frame.collect().await.unwrap()).unwrap()
}

/// Replace `table`'s files with one file holding a SQL projection of its
/// rows (registered as `t`).
pub(super) async fn rewrite_table(data: &Path, table: &str, select: &str) {
    let ctx = context();
    let folder = data.join(table);
    ctx.register_parquet("t", folder.to_str().unwrap(), ParquetReadOptions::default())
        .await
        .unwrap();
    let batch = batches(&ctx, select).await;
    std::fs::remove_dir_all(&folder).unwrap();
    std::fs::create_dir_all(&folder).unwrap();
    write_parquet(&folder.join("part-0.parquet"), &[batch]);
}

pub(super) fn write_parquet(file: &Path, batches: &[RecordBatch]) {
    let mut writer = ArrowWriter::try_new(
        std::fs::File::create(file).unwrap(),
        batches[0].schema(),
        None,
    )
    .unwrap();
    for batch in batches {
        writer.write(batch).unwrap();
    }
    writer.close().unwrap();
}

/// One fault in rows of one table, on rows picked by their position in key
/// order (`positions`, 1-based), so the same case always breaks the same rows.
#[derive(Debug, Clone)]
pub(super) enum RowFault {
    /// A required column set to null.
    Null(&'static str),
    /// A text enum column set to a value outside the contract's list.
    UnknownValue(&'static str),
    /// A date column set after the run date.
    FutureDate(&'static str),
    /// A date column set before 1900.
    Pre1900(&'static str),
    /// A reference set to an id its parent table does not have.
    Orphan(&'static str),
    /// The rows appended a second time.
    Duplicate,
    /// Columns set to values a named check must catch (out of range,
    /// inconsistent with each other).
    Set {
        check: &'static str,
        values: &'static [(&'static str, &'static str)],
    },
}

impl RowFault {
    /// The `data_quality` check that must catch it, and the rows it fails
    /// per broken row (both copies of a duplicate fail).
    fn check(&self, table: &InputTable) -> (String, u64) {
        match self {
            RowFault::Null(c) => (format!("missing_{c}"), 1),
            RowFault::UnknownValue(c) => (format!("unknown_{c}"), 1),
            RowFault::FutureDate(c) | RowFault::Pre1900(c) => (format!("impossible_{c}"), 1),
            RowFault::Orphan(c) => (format!("orphan_{c}"), 1),
            RowFault::Duplicate => (format!("duplicate_{}", table.key.join("_and_")), 2),
            RowFault::Set { check, .. } => (check.to_string(), 1),
        }
    }

    /// The value `column` takes in a broken row, if the fault changes it.
    fn replacement(&self, column: &str) -> Option<&'static str> {
        let (c, value) = match self {
            RowFault::Null(c) => (*c, "NULL"),
            RowFault::UnknownValue(c) => (*c, "'Not a contract value'"),
            RowFault::FutureDate(c) => (*c, "DATE '2100-01-01'"),
            RowFault::Pre1900(c) => (*c, "DATE '1899-06-01'"),
            RowFault::Orphan(c) => (*c, "concat('NOBODY-', __rn)"),
            RowFault::Duplicate => return None,
            RowFault::Set { values, .. } => {
                return values.iter().find(|(c, _)| *c == column).map(|(_, v)| *v);
            }
        };
        (c == column).then_some(value)
    }
}

/// Apply `fault` to the rows of `table` at `positions`.
pub(super) async fn break_rows(
    data: &Path,
    table: &InputTable,
    fault: &RowFault,
    positions: &[u64],
) {
    let rows = count_rows(&data.join(table.name)).await;
    assert!(
        positions.iter().all(|&p| p <= rows),
        "{} has only {rows} rows to break",
        table.name
    );
    let picked = positions
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let columns: Vec<String> = table
        .columns
        .iter()
        .map(|c| match fault.replacement(c.name) {
            Some(value) => format!(
                "CASE WHEN __rn IN ({picked}) THEN {value} ELSE {column} END AS {column}",
                column = c.name
            ),
            None => c.name.to_string(),
        })
        .collect();
    let numbered = format!(
        "(SELECT *, row_number() OVER (ORDER BY {}) AS __rn FROM t) n",
        table.key.join(", ")
    );
    let mut sql = format!("SELECT {} FROM {numbered}", columns.join(", "));
    if matches!(fault, RowFault::Duplicate) {
        let plain: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
        sql += &format!(
            " UNION ALL SELECT {} FROM {numbered} WHERE __rn IN ({picked})",
            plain.join(", ")
        );
    }
    rewrite_table(data, table.name, &sql).await;
}

/// A session that reads text as plain `Utf8`, so that batches of one result
/// (some from a literal, some from a file) share one schema.
pub(super) fn context() -> SessionContext {
    let mut config = datafusion::prelude::SessionConfig::new();
    let options = config.options_mut();
    options.execution.parquet.schema_force_view_types = false;
    options.sql_parser.map_string_types_to_utf8view = false;
    SessionContext::new_with_config(config)
}

/// Column `i` of `b` as text, whatever string type the engine chose.
pub(super) fn strings(b: &RecordBatch, i: usize) -> Vec<String> {
    let column = cast(b.column(i), &DataType::Utf8).unwrap();
    let column = column.as_string::<i32>();
    (0..column.len())
        .map(|r| column.value(r).to_string())
        .collect()
}

/// `data_quality` as (table, check) → rows failed.
pub(super) async fn quality(evidence: &Path) -> BTreeMap<(String, String), u64> {
    let ctx = context();
    let file = evidence.join("data_quality.parquet");
    ctx.register_parquet("q", file.to_str().unwrap(), ParquetReadOptions::default())
        .await
        .unwrap();
    let b = batches(&ctx, "SELECT table_name, check_name, rows_failed FROM q").await;
    let n = b.column(2).as_primitive::<Int64Type>();
    strings(&b, 0)
        .into_iter()
        .zip(strings(&b, 1))
        .zip(n.values().iter().map(|&v| v as u64))
        .collect()
}

pub(super) fn manifest(evidence: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(evidence.join("run.json")).unwrap()).unwrap()
}

/// Rows in a Parquet file or folder of files.
pub(super) async fn count_rows(path: &Path) -> u64 {
    let ctx = context();
    ctx.register_parquet("c", path.to_str().unwrap(), ParquetReadOptions::default())
        .await
        .unwrap();
    let b = batches(&ctx, "SELECT count(*) FROM c").await;
    b.column(0).as_primitive::<Int64Type>().value(0) as u64
}

/// The row balance every run must keep, table by table: rows read equal the
/// rows in the input files, and used + quarantined; the quarantine file holds
/// exactly the quarantined rows; each quarantined row failed some check.
/// Returns rows quarantined per table.
pub(super) async fn assert_rows_balance(data: &Path, evidence: &Path) -> BTreeMap<String, u64> {
    let manifest = manifest(evidence);
    let quality = quality(evidence).await;
    let mut quarantined = BTreeMap::new();
    for input in manifest["inputs"].as_array().unwrap() {
        let name = input["table"].as_str().unwrap();
        let read = input["rows_read"].as_u64().unwrap();
        let used = input["rows_used"].as_u64().unwrap();
        let set_aside = input["rows_quarantined"].as_u64().unwrap();
        assert_eq!(read, used + set_aside, "{name}: read = used + quarantined");
        assert_eq!(
            read,
            count_rows(&data.join(name)).await,
            "{name}: rows read = rows in its files"
        );
        assert_eq!(
            count_rows(&evidence.join(format!("quarantine/{name}.parquet"))).await,
            set_aside,
            "{name}: the quarantine file holds the quarantined rows"
        );
        let failures: u64 = quality
            .iter()
            .filter(|((t, _), _)| t == name)
            .map(|(_, n)| n)
            .sum();
        assert!(
            failures >= set_aside,
            "{name}: {set_aside} rows quarantined but only {failures} check failures"
        );
        quarantined.insert(name.to_string(), set_aside);
    }
    quarantined
}

/// Run over the case's evidence root; it must succeed, keep the row balance,
/// count exactly `rows` more failures of `table`'s `check` than the base, and
/// quarantine exactly `rows` more rows of `table` (no valid row set aside
/// with them).
pub(super) async fn assert_quarantined(case: &Case, table: &str, check: &str, rows: u64) -> Output {
    let output = run(&case.data, &case.evidence);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!stderr(&output).contains("panicked"));
    let quarantined = assert_rows_balance(&case.data, &case.evidence).await;
    let base_quarantined = assert_rows_balance(&base().data, &base().evidence).await;
    assert_eq!(
        quarantined[table] - base_quarantined[table],
        rows,
        "{table}: rows quarantined beyond the base"
    );
    // No valid row anywhere else is set aside or dropped: every table a
    // fault here cannot orphan quarantines and uses exactly what the base
    // run did, and the total quarantined grows only where it may.
    let reached = reached_from(table);
    let (case_manifest, base_manifest) = (manifest(&case.evidence), manifest(&base().evidence));
    let used = |m: &serde_json::Value, name: &str| {
        m["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["table"] == name)
            .map(|i| i["rows_used"].as_u64().unwrap())
    };
    for (name, n) in &quarantined {
        if !reached.contains(name) {
            assert_eq!(
                n, &base_quarantined[name],
                "{name}: rows set aside by a fault in {table}"
            );
            assert_eq!(
                used(&case_manifest, name),
                used(&base_manifest, name),
                "{name}: rows used changed by a fault in {table}"
            );
        }
    }
    let total = |q: &BTreeMap<String, u64>| q.values().sum::<u64>();
    if reached.len() == 1 {
        assert_eq!(
            total(&quarantined) - total(&base_quarantined),
            rows,
            "total quarantined"
        );
    }
    let key = (table.to_string(), check.to_string());
    let before = quality(&base().evidence).await;
    let after = quality(&case.evidence).await;
    let (was, now) = (before.get(&key), after.get(&key));
    assert!(now.is_some(), "data_quality has no row for {key:?}");
    assert_eq!(
        now.unwrap() - was.copied().unwrap_or(0),
        rows,
        "{table}.{check}: rows failed"
    );
    output
}

/// `table` and every table that references it, directly or through
/// others: where a fault in `table` may quarantine rows as orphans.
pub(super) fn reached_from(table: &str) -> Vec<String> {
    let mut reached = vec![table.to_string()];
    let mut grew = true;
    while grew {
        grew = false;
        for t in input_tables() {
            if !reached.iter().any(|r| r == t.name)
                && t.references
                    .iter()
                    .any(|(_, parent, _)| reached.iter().any(|r| r == parent))
            {
                reached.push(t.name.to_string());
                grew = true;
            }
        }
    }
    reached
}

/// Run over the case's evidence root on broken data: it must fail with exit
/// code 1 and a message containing every `expected` fragment, not panic, and
/// leave the old root exactly as it was with no staging folder behind.
pub(super) fn assert_rejected(case: &Case, expected: &[&str]) {
    let before = std::fs::read(case.evidence.join("run.json")).unwrap();
    let output = run(&case.data, &case.evidence);
    let stderr = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "must fail: {stderr}");
    assert!(!stderr.contains("panicked"), "must not panic: {stderr}");
    for fragment in expected {
        assert!(
            stderr.contains(fragment),
            "message lacks `{fragment}`: {stderr}"
        );
    }
    assert_eq!(
        std::fs::read(case.evidence.join("run.json")).unwrap(),
        before,
        "old evidence root changed"
    );
    let leftovers: Vec<_> = std::fs::read_dir(case.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("staging"))
        .collect();
    assert!(leftovers.is_empty(), "staging left behind: {leftovers:?}");
}

// Faults in the files: rejected.
