//! Validate: check every row of every input table, keep the rows that pass
//! as the table under its contract name, and quarantine the rest with a
//! `reason` — never dropping a row silently.
//!
//! Each table is read once to find its duplicated keys and once to write the
//! rows that fail a check, with a `reason` (every failed check's name joined
//! by `"; "`), to its quarantine file; the `data_quality` counts come from
//! that file. The good rows are kept in the work folder, except for the
//! largest table (`employment`), whose good rows are a view applying the same
//! checks where it is read. Tables are
//! validated in the contract's dependency order so that orphan checks look up
//! the parent's *valid* rows: a referral of a quarantined person is an orphan.

mod checks;
mod duplicates;

pub use checks::{Check, checks};

use crate::error::{PipelineError, Result};
use checks::{annotate_sql, row_label, sql_string};
use chrono::NaiveDate;
use contract::QueryContext;
use contract::inputs::InputTable;
use contract::outputs::DataQuality;
use contract::small::SmallResult;
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use duplicates::{find_duplicate_keys, rows_read};

/// Row counts of one validated table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowCounts {
    pub read: u64,
    pub used: u64,
    pub quarantined: u64,
}

/// The outcome of validating one table.
pub struct ValidatedTable {
    pub counts: RowCounts,
    pub checks: Vec<DataQuality>,
}

/// Tables too large to copy: their valid rows are a view that applies the
/// checks where the table is read (only ever joined against the cohort).
const CHECKED_WHERE_READ: &[&str] = &["employment"];

/// Validate one table (already registered as `raw_<name>`, holding `rows`
/// rows). Registers the good rows as `<name>` and writes the failed ones to
/// `quarantine_file`, reading the table once for that (plus once for its
/// duplicate keys).
pub async fn validate_table(
    ctx: &SessionContext,
    table: &InputTable,
    rows: u64,
    as_of: NaiveDate,
    work_dir: &str,
    quarantine_file: &str,
    run_id: &str,
) -> Result<ValidatedTable> {
    let name = table.name;
    let work_dir = work_dir.trim_end_matches('/');
    let checks = checks(table, as_of);
    let columns = table
        .columns
        .iter()
        .map(|c| c.name)
        .collect::<Vec<_>>()
        .join(", ");

    // Joining an empty set of duplicate keys is wasted work (and a Ballista
    // stage over an empty file never finishes), so skip it when there are none.
    let duplicates = if table.key.is_empty() {
        0
    } else {
        find_duplicate_keys(ctx, table, work_dir).await?
    };
    let annotated = format!("annotated_{name}");
    ctx.sql(&format!(
        "CREATE VIEW {annotated} AS {}",
        annotate_sql(table, &checks, duplicates > 0)
    ))
    .await
    .context(format!("planning the checks of table `{name}`"))?;

    let sql = format!("SELECT * FROM {annotated} WHERE reason IS NOT NULL");
    // An output of the run: stamped with its id like every other.
    let quarantined =
        crate::write::write_query(ctx, &sql, Vec::new(), quarantine_file, run_id).await?;
    let quarantined_table = format!("quarantined_{name}");
    ctx.register_parquet(
        &quarantined_table,
        quarantine_file,
        ParquetReadOptions::default(),
    )
    .await
    .context(format!("reading back {quarantine_file}"))?;

    let valid = format!("SELECT {columns} FROM {annotated} WHERE reason IS NULL");
    let read = if CHECKED_WHERE_READ.contains(&name) {
        ctx.sql(&format!("CREATE VIEW {name} AS {valid}"))
            .await
            .context(format!("registering the valid rows of `{name}`"))?;
        rows_read(ctx, table).await?
    } else {
        let location = format!("{work_dir}/valid/{name}/");
        let written = ctx
            .sql(&valid)
            .await
            .context(format!("planning the valid rows of `{name}`"))?
            .write_parquet(&location, DataFrameWriteOptions::new(), None)
            .await
            .context(format!("keeping the valid rows of `{name}`"))?;
        ctx.register_parquet(
            name,
            &location,
            ParquetReadOptions::default().schema(&table.read_schema()),
        )
        .await
        .context(format!("reading back the valid rows of `{name}`"))?;
        crate::write::rows_written(&written, &location)? + quarantined
    };
    // Every row the footers promise was read, and went one way or the other.
    if read != rows {
        return Err(PipelineError::Invalid(format!(
            "table `{name}`: the files' footers promise {rows} rows but {read} were read; a file may be corrupt. Replace the table's files and rerun"
        )));
    }

    let label = row_label(table);
    let mut aggregates = vec!["count(*) AS quarantined".to_string()];
    for (i, check) in checks.iter().enumerate() {
        let failed = format!(
            "strpos(concat('; ', reason, '; '), {}) > 0",
            sql_string(&format!("; {}; ", check.name))
        );
        let example = match &check.column {
            Some(column) if !table.key.contains(&column.as_str()) => format!(
                "concat({label}, ' {column}=', COALESCE(CAST({column} AS VARCHAR), 'NULL'))"
            ),
            _ => label.clone(),
        };
        aggregates.push(format!(
            "COALESCE(sum(CASE WHEN {failed} THEN 1 ELSE 0 END), 0) AS failed_{i}"
        ));
        aggregates.push(format!(
            "min(CASE WHEN {failed} THEN {example} END) AS example_{i}"
        ));
    }
    let what = format!("counting the failed checks of `{name}`");
    let summary = ctx
        .sql(&format!(
            "SELECT {} FROM {quarantined_table}",
            aggregates.join(", ")
        ))
        .await
        .context(what.clone())?
        .collect()
        .await
        .context(what.clone())?;
    let summary = SmallResult::new(&summary, what)?;
    let int =
        |column: &str| -> Result<u64> { Ok(summary.counts(column)?.first().copied().unwrap_or(0)) };
    let text = |column: &str| -> Result<Option<String>> {
        Ok(summary.strings(column)?.into_iter().next().flatten())
    };
    let results = checks
        .iter()
        .enumerate()
        .map(|(i, check)| {
            Ok(DataQuality {
                table_name: name.into(),
                check_name: check.name.clone(),
                rows_failed: int(&format!("failed_{i}"))?,
                example: text(&format!("example_{i}"))?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(ValidatedTable {
        counts: RowCounts {
            read: rows,
            used: rows.saturating_sub(quarantined),
            quarantined,
        },
        checks: results,
    })
}
