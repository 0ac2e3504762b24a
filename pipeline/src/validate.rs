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

use crate::columns::SmallResult;
use crate::contract::{ColumnKind, InputTable};
use crate::error::{QueryContext, Result};
use chrono::NaiveDate;
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use serde::Serialize;

/// One named check on one table's rows.
#[derive(Debug, Clone)]
pub struct Check {
    pub name: String,
    /// SQL predicate that is true for a failing row; the table is aliased
    /// `t`, its duplicated keys `__dup`, parents `__parent_<column>`.
    predicate: String,
    /// The column whose value is shown as the example of a failure.
    column: Option<String>,
}

/// The outcome of one check: a row of `data_quality`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CheckResult {
    pub table_name: String,
    pub check_name: String,
    pub rows_failed: u64,
    pub example: Option<String>,
}

/// Row counts of one validated table.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct RowCounts {
    pub read: u64,
    pub used: u64,
    pub quarantined: u64,
}

fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The checks for one table, derived from the contract: nulls in required
/// columns, enum values, impossible dates, value ranges, duplicate keys,
/// orphan references and the contract's own consistency rules.
pub fn checks(table: &InputTable, as_of: NaiveDate) -> Vec<Check> {
    let mut checks = Vec::new();
    let mut add = |name: String, predicate: String, column: Option<&str>| {
        checks.push(Check {
            name,
            predicate,
            column: column.map(str::to_string),
        })
    };
    for column in table.columns.iter().filter(|c| !c.nullable) {
        add(
            format!("missing_{}", column.name),
            format!("t.{} IS NULL", column.name),
            None,
        );
    }
    for column in &table.columns {
        if let Some(allowed) = column.allowed {
            let list = allowed
                .iter()
                .map(|v| sql_string(v))
                .collect::<Vec<_>>()
                .join(", ");
            add(
                format!("unknown_{}", column.name),
                format!("t.{} NOT IN ({list})", column.name),
                Some(column.name),
            );
        }
        if column.kind == ColumnKind::Date {
            add(
                format!("impossible_{}", column.name),
                format!(
                    "(t.{c} < DATE '1900-01-01' OR t.{c} > DATE '{as_of}')",
                    c = column.name,
                    as_of = as_of.format("%Y-%m-%d")
                ),
                Some(column.name),
            );
        }
    }
    let mut range = |column: &str, low: i64, high: Option<i64>| {
        if table.column(column).is_some() {
            let predicate = match high {
                Some(high) => format!("(t.{column} < {low} OR t.{column} > {high})"),
                None => format!("t.{column} < {low}"),
            };
            add(format!("out_of_range_{column}"), predicate, Some(column));
        }
    };
    match table.name {
        "people" => range("imd_decile", 1, Some(10)),
        "fit_notes" => range("duration_days", 1, Some(365)),
        "programmes" | "area_programmes" => range("funding_gbp", 0, None),
        _ => {}
    }
    match table.name {
        "fit_notes" => add(
            "adjustments_on_not_fit_note".into(),
            "(t.assessment = 'not_fit' AND (t.phased_return OR t.altered_hours OR t.amended_duties OR t.workplace_adaptations))"
                .into(),
            Some("assessment"),
        ),
        "employment" => {
            add(
                "month_not_first_day".into(),
                "date_part('day', t.month) <> 1".into(),
                Some("month"),
            );
            add(
                "negative_earnings_gbp".into(),
                "t.earnings_gbp < 0".into(),
                Some("earnings_gbp"),
            );
        }
        _ => {}
    }
    if !table.key.is_empty() {
        add(
            format!("duplicate_{}", table.key.join("_and_")),
            "__dup.__copies > 1".into(),
            None,
        );
    }
    for (column, _, _) in table.references {
        add(
            format!("orphan_{column}"),
            format!("(t.{column} IS NOT NULL AND __parent_{column}.__key IS NULL)"),
            Some(column),
        );
    }
    checks
}

/// The query that reads `raw_<table>` once and adds the `reason` column.
fn annotate_sql(table: &InputTable, checks: &[Check], has_duplicates: bool) -> String {
    let columns = table
        .columns
        .iter()
        .map(|c| format!("t.{}", c.name))
        .collect::<Vec<_>>()
        .join(", ");
    let reasons = checks
        .iter()
        .map(|c| {
            // Without duplicate keys, the duplicate check cannot fail.
            let predicate = if !has_duplicates && c.name.starts_with("duplicate_") {
                "FALSE"
            } else {
                &c.predicate
            };
            format!("CASE WHEN {predicate} THEN {} END", sql_string(&c.name))
        })
        .collect::<Vec<_>>()
        .join(",\n        ");
    let mut sql = format!(
        "SELECT {columns},\n    NULLIF(concat_ws('; ',\n        {reasons}), '') AS reason\nFROM raw_{} t",
        table.name
    );
    if has_duplicates {
        let on = table
            .key
            .iter()
            .map(|k| format!("__dup.{k} = t.{k}"))
            .collect::<Vec<_>>()
            .join(" AND ");
        sql += &format!("\nLEFT JOIN duplicate_keys_{} __dup ON {on}", table.name);
    }
    for (column, parent, parent_column) in table.references {
        sql += &format!(
            "\nLEFT JOIN (SELECT DISTINCT {parent_column} AS __key FROM {parent}) __parent_{column} ON __parent_{column}.__key = t.{column}"
        );
    }
    sql
}

/// A label that identifies a row in a `data_quality` example.
fn row_label(table: &InputTable) -> String {
    let parts = table
        .key
        .iter()
        .map(|k| format!("'{k}=', COALESCE(CAST({k} AS VARCHAR), 'NULL')"))
        .collect::<Vec<_>>()
        .join(", ' ', ");
    if parts.is_empty() {
        "''".into()
    } else {
        format!("concat({parts})")
    }
}

/// The outcome of validating one table.
pub struct ValidatedTable {
    pub counts: RowCounts,
    pub checks: Vec<CheckResult>,
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
    crate::write::write_query(ctx, &sql, quarantine_file, run_id).await?;
    let quarantined_table = format!("quarantined_{name}");
    ctx.register_parquet(
        &quarantined_table,
        quarantine_file,
        ParquetReadOptions::default(),
    )
    .await
    .context(format!("reading back {quarantine_file}"))?;

    let valid = format!("SELECT {columns} FROM {annotated} WHERE reason IS NULL");
    if CHECKED_WHERE_READ.contains(&name) {
        ctx.sql(&format!("CREATE VIEW {name} AS {valid}"))
            .await
            .context(format!("registering the valid rows of `{name}`"))?;
    } else {
        let location = format!("{work_dir}/valid/{name}/");
        ctx.sql(&valid)
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
            "sum(CASE WHEN {failed} THEN 1 ELSE 0 END) AS failed_{i}"
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
    let quarantined = int("quarantined")?;
    let results = checks
        .iter()
        .enumerate()
        .map(|(i, check)| {
            Ok(CheckResult {
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

/// Find the keys of `table` held by more than one row and register them as
/// `duplicate_keys_<table>` (usually empty; small enough to join against every
/// row).
///
/// A (text, date) key such as employment's (person_id, month) would need one
/// group per row. Instead rows are grouped by (text, year): within a group the
/// months are all different exactly when the sum of `1 << month` equals their
/// bitwise or. Only groups where they differ are counted exactly.
async fn find_duplicate_keys(
    ctx: &SessionContext,
    table: &InputTable,
    work_dir: &str,
) -> Result<u64> {
    let name = table.name;
    let key = table.key.join(", ");
    let duplicates = format!("{work_dir}/duplicate_keys_{name}.parquet");
    let what = format!("finding duplicate keys in `{name}`");
    let exact = format!(
        "SELECT {key}, count(*) AS __copies FROM raw_{name} GROUP BY {key} HAVING count(*) > 1"
    );
    let dated = match table.key {
        [id, date]
            if table.column(id).is_some_and(|c| c.kind == ColumnKind::Text)
                && table
                    .column(date)
                    .is_some_and(|c| c.kind == ColumnKind::Date) =>
        {
            Some((*id, *date))
        }
        _ => None,
    };
    let Some((id, date)) = dated else {
        write_single(ctx, &exact, &duplicates, &what).await?;
        return register_and_count(ctx, &format!("duplicate_keys_{name}"), &duplicates, &what)
            .await;
    };
    let bit = format!("(CAST(1 AS BIGINT) << CAST(date_part('month', {date}) - 1 AS BIGINT))");
    let candidates = format!("{work_dir}/duplicate_candidates_{name}.parquet");
    let sql = format!(
        "SELECT {id}, CAST(date_part('year', {date}) AS BIGINT) AS __year FROM raw_{name} \
         GROUP BY {id}, CAST(date_part('year', {date}) AS BIGINT) HAVING sum({bit}) <> bit_or({bit})"
    );
    write_single(ctx, &sql, &candidates, &what).await?;
    let candidate_groups = register_and_count(
        ctx,
        &format!("duplicate_candidates_{name}"),
        &candidates,
        &what,
    )
    .await?;
    if candidate_groups == 0 {
        // No (id, year) holds a repeated month, so no key is duplicated; the
        // caller then leaves the duplicate join out altogether.
        return Ok(0);
    }
    let sql = format!(
        "SELECT t.{id}, t.{date}, count(*) AS __copies FROM raw_{name} t \
         JOIN duplicate_candidates_{name} c ON c.{id} = t.{id} AND c.__year = CAST(date_part('year', t.{date}) AS BIGINT) \
         GROUP BY t.{id}, t.{date} HAVING count(*) > 1"
    );
    write_single(ctx, &sql, &duplicates, &what).await?;
    register_and_count(ctx, &format!("duplicate_keys_{name}"), &duplicates, &what).await
}

/// Register a Parquet file as `table` and return how many rows it holds.
async fn register_and_count(
    ctx: &SessionContext,
    table: &str,
    file: &str,
    what: &str,
) -> Result<u64> {
    ctx.register_parquet(table, file, ParquetReadOptions::default())
        .await
        .context(format!("{what}: reading back {file}"))?;
    let count = ctx
        .sql(&format!("SELECT count(*) AS n FROM {table}"))
        .await
        .context(what.to_string())?
        .collect()
        .await
        .context(what.to_string())?;
    Ok(SmallResult::new(&count, what)?
        .counts("n")?
        .first()
        .copied()
        .unwrap_or(0))
}

/// Write a query's result as one Parquet file (empty, with its schema, when
/// there are no rows).
async fn write_single(ctx: &SessionContext, sql: &str, file: &str, what: &str) -> Result<()> {
    ctx.sql(sql)
        .await
        .context(format!("planning: {what}"))?
        .write_parquet(
            file,
            DataFrameWriteOptions::new().with_single_file_output(true),
            None,
        )
        .await
        .context(what.to_string())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::input_tables;

    fn table(name: &str) -> InputTable {
        input_tables().into_iter().find(|t| t.name == name).unwrap()
    }

    #[test]
    fn referral_checks_cover_the_contract() {
        let as_of = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let names: Vec<_> = checks(&table("referrals"), as_of)
            .into_iter()
            .map(|c| c.name)
            .collect();
        for expected in [
            "missing_referral_id",
            "unknown_programme",
            "unknown_referral_source",
            "unknown_primary_condition",
            "impossible_referral_date",
            "duplicate_referral_id",
            "orphan_person_id",
            "orphan_area_id",
        ] {
            assert!(
                names.iter().any(|n| n == expected),
                "{expected} missing from {names:?}"
            );
        }
    }

    #[test]
    fn nullable_columns_have_no_missing_check() {
        let as_of = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let names: Vec<_> = checks(&table("employment"), as_of)
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert!(!names.iter().any(|n| n == "missing_earnings_gbp"));
        assert!(names.iter().any(|n| n == "duplicate_person_id_and_month"));
    }

    #[test]
    fn enum_values_are_quoted() {
        assert_eq!(sql_string("O'Brien"), "'O''Brien'");
    }
}
