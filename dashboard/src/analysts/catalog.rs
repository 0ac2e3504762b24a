//! What analysts' SQL can see: the evidence tables and, given the dataset
//! root, each input table as validated (its rows less those the run
//! quarantined) with the metric views from `sql/` over them, so a metric
//! view in the workbench gives the figures the evidence root holds.

use contract::Root;
use contract::inputs::input_tables;
use datafusion::common::JoinType;
use datafusion::logical_expr::{Operator, binary_expr};
use datafusion::prelude::{ParquetReadOptions, SessionContext, col};

/// A registered table and its kind (`evidence` or `input`).
pub type Listed = (String, &'static str);

/// Register every table analysts may query in `ctx`; the ones registered,
/// evidence tables first. A table that cannot be read is left out with a
/// warning (the workbench lists what is there).
pub async fn register_all(
    ctx: &SessionContext,
    evidence: &Root,
    data: Option<&Root>,
) -> Vec<Listed> {
    let mut tables = Vec::new();
    if let Some(data) = data {
        for table in input_tables() {
            match validated(ctx, evidence, data, table.name, table.key).await {
                Ok(()) => tables.push((table.name.to_string(), "input")),
                Err(e) => tracing::warn!("{}: not registered for SQL: {e}", data.join(table.name)),
            }
        }
        if let Err(e) = contract::metrics::register_metric_views(ctx, None).await {
            tracing::warn!("metric views not registered for SQL: {e}");
        }
    }
    for name in contract::OUTPUT_TABLES {
        // `fit_note_monthly` and `fit_note_trend` are metric views too;
        // the evidence tables take the name.
        let _ = ctx.deregister_table(*name);
        let location = evidence.join(&format!("{name}.parquet"));
        match ctx
            .register_parquet(*name, &location, ParquetReadOptions::default())
            .await
        {
            Ok(()) => tables.push((name.to_string(), "evidence")),
            Err(e) => tracing::warn!("{location}: not registered for SQL: {e}"),
        }
    }
    // The record-level cohort with its matching weights (it takes the name
    // of the metric view it extends): one row per person and programme,
    // under a pseudonym of its run and with earnings banded, but still
    // about people, so it is registered only where record-level access is
    // configured (`evidence serve --data`, as the input tables are), and
    // listed as record-level, not as an evidence table.
    let _ = ctx.deregister_table("cohort");
    if data.is_some() {
        let location = evidence.join(contract::manifest::ANALYSTS_COHORT);
        match ctx
            .register_parquet("cohort", &location, ParquetReadOptions::default())
            .await
        {
            Ok(()) => tables.push(("cohort".to_string(), "record-level")),
            Err(e) => tracing::warn!("{location}: not registered for SQL: {e}"),
        }
    }
    tables.sort_by_key(|(_, kind)| *kind != "evidence");
    tables
}

/// Register input table `name` as its rows less the run's quarantined ones.
///
/// Every row whose key is duplicated is quarantined, so a key in the
/// quarantine file picks out exactly the quarantined rows: an anti join on
/// the key (null-safe, since a missing key is itself a reason) leaves the
/// rows the run used. Without a quarantine file (a root written before
/// quarantine existed) the table is registered as delivered.
async fn validated(
    ctx: &SessionContext,
    evidence: &Root,
    data: &Root,
    name: &str,
    key: &[&str],
) -> datafusion::error::Result<()> {
    let rows = ctx
        .read_parquet(
            data.join(&format!("{name}/")),
            ParquetReadOptions::default(),
        )
        .await?;
    let quarantine = evidence.join(&format!("quarantine/{name}.parquet"));
    // The metric views read the quarantined rows too (a quarantined
    // referral still keeps its person out of the comparison pool).
    let quarantined_name = format!("quarantined_{name}");
    let _ = ctx.deregister_table(&quarantined_name);
    let view = match ctx
        .read_parquet(&quarantine, ParquetReadOptions::default())
        .await
    {
        Ok(quarantined) => {
            ctx.register_table(&quarantined_name, quarantined.clone().into_view())?;
            let on = key
                .iter()
                .map(|k| {
                    binary_expr(
                        col(format!("r.{k}")),
                        Operator::IsNotDistinctFrom,
                        col(format!("q.{k}")),
                    )
                })
                .collect::<Vec<_>>();
            let keys = quarantined.select_columns(key)?.alias("q")?;
            rows.alias("r")?.join_on(keys, JoinType::LeftAnti, on)?
        }
        Err(e) => {
            tracing::warn!("{quarantine}: {e}; `{name}` is shown as delivered");
            ctx.register_table(
                &quarantined_name,
                rows.clone().limit(0, Some(0))?.into_view(),
            )?;
            rows
        }
    };
    ctx.register_table(name, view.into_view())?;
    Ok(())
}
