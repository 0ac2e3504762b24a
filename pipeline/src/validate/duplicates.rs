//! Counting and keying a table's rows: its duplicated keys, found without a
//! group per row, and the rows actually read.

use crate::error::Result;
use contract::QueryContext;
use contract::inputs::{ColumnKind, InputTable};
use contract::small::SmallResult;
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::prelude::{ParquetReadOptions, SessionContext};

/// The rows of a table checked where it is read, counted by reading them
/// (a predicate on a column keeps the engine from answering from the files'
/// footers, which is what the count is checked against).
pub(super) async fn rows_read(ctx: &SessionContext, table: &InputTable) -> Result<u64> {
    let name = table.name;
    // A narrow column: the date of the key if it has one.
    let column = table
        .key
        .iter()
        .copied()
        .find(|k| table.column(k).is_some_and(|c| c.kind == ColumnKind::Date))
        .or(table.key.first().copied())
        .unwrap_or(table.columns[0].name);
    let what = format!("counting the rows of `{name}`");
    let count = ctx
        .sql(&format!(
            "SELECT count(*) AS n FROM raw_{name} WHERE {column} IS NOT NULL OR {column} IS NULL"
        ))
        .await
        .context(what.clone())?
        .collect()
        .await
        .context(what.clone())?;
    Ok(SmallResult::new(&count, what)?
        .counts("n")?
        .first()
        .copied()
        .unwrap_or(0))
}

/// Find the keys of `table` held by more than one row and register them as
/// `duplicate_keys_<table>` (usually empty; small enough to join against every
/// row).
///
/// A (text, date) key such as employment's (person_id, month) would need one
/// group per row. Instead rows are grouped by (text, year): within a group the
/// months are all different exactly when the sum of `1 << month` equals their
/// bitwise or. Only groups where they differ are counted exactly.
pub(super) async fn find_duplicate_keys(
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
