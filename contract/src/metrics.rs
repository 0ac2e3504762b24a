//! The metric queries from `sql/`, compiled in: each file is one `SELECT`
//! registered as a view named after the file. This is the only place metric
//! SQL enters the pipeline; the `.slt` tests register the same files through
//! [`register_metric_views`].
//!
//! The SQL → Rust boundary is typed here: every view Rust reads declares
//! the columns it reads and their kinds ([`MetricQuery::columns`]).
//! Registration checks each declaration against the view's schema, so a
//! renamed or retyped column fails before anything is computed, naming the
//! file and column; and `crate::small::SmallResult` reads only declared
//! columns, as declared (a count is never null or negative).

use crate::error::{ContractError, QueryContext, Result};
use datafusion::arrow::datatypes::DataType;
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::prelude::{ParquetReadOptions, SessionContext};

/// What Rust reads a column of a metric view as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// A count: any integer type, never null or negative.
    Count,
    /// An integer that may be null.
    Int,
    Float,
    Date,
    Bool,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Count => "a count",
            Kind::Int => "an integer",
            Kind::Float => "a float",
            Kind::Date => "a date",
            Kind::Bool => "a boolean",
        }
    }

    /// Whether a column of `data_type` can be read as this kind.
    pub fn accepts(self, data_type: &DataType) -> bool {
        match self {
            Kind::Text => matches!(
                data_type,
                DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8
            ),
            Kind::Count | Kind::Int => data_type.is_integer(),
            Kind::Float => data_type.is_floating(),
            Kind::Date => *data_type == DataType::Date32,
            Kind::Bool => *data_type == DataType::Boolean,
        }
    }
}

/// A metric query: the view name, its SQL and the columns Rust reads.
pub struct MetricQuery {
    pub name: &'static str,
    pub sql: &'static str,
    /// Written to the work folder and read back rather than left as a view,
    /// because several later queries read it and it joins the largest table.
    pub materialize: bool,
    /// The columns Rust reads and their kinds (none for a view only other
    /// views read).
    pub columns: fn() -> Vec<(String, Kind)>,
}

macro_rules! metric {
    ($name:literal, $materialize:expr) => {
        metric!($name, $materialize, Vec::new)
    };
    ($name:literal, $materialize:expr, [$($column:literal: $kind:ident),* $(,)?]) => {
        metric!($name, $materialize, || vec![$(($column.to_string(), Kind::$kind)),*])
    };
    ($name:literal, $materialize:expr, $columns:expr) => {
        MetricQuery {
            name: $name,
            sql: {
                const TEXT: &str = sql::text($name);
                TEXT
            },
            materialize: $materialize,
            columns: $columns,
        }
    };
}

/// `outcome_strata`: per outcome its four sums (`contract::outcomes`).
fn outcome_strata_columns() -> Vec<(String, Kind)> {
    let mut columns: Vec<(String, Kind)> = [("arm", Kind::Text), ("programme", Kind::Text)]
        .into_iter()
        .chain([("area_id", Kind::Text), ("stratum", Kind::Text)])
        .map(|(c, k)| (c.to_string(), k))
        .collect();
    for outcome in crate::outcomes::Outcome::ALL {
        for part in ["eligible", "total", "squares", "engaged"] {
            columns.push((outcome.column(part), Kind::Count));
        }
    }
    columns
}

/// `negative_control_strata`: per control its two sums.
fn negative_control_strata_columns() -> Vec<(String, Kind)> {
    let mut columns: Vec<(String, Kind)> = ["arm", "programme", "area_id", "stratum"]
        .into_iter()
        .map(|c| (c.to_string(), Kind::Text))
        .collect();
    for control in crate::outcomes::NegativeControl::ALL {
        for part in ["eligible", "total"] {
            columns.push((control.column(part), Kind::Count));
        }
    }
    columns
}

/// The metric queries in dependency order.
pub const METRIC_QUERIES: &[MetricQuery] = &[
    metric!("area_overlaps", false),
    metric!("area_reach", false),
    metric!("comparison_areas", true),
    metric!("participants", false),
    metric!("participant_exposure", true),
    metric!("comparison_pool", false),
    metric!("area_labour_markets", true),
    metric!("index_events", true),
    metric!("event_statuses", true),
    metric!("cohort", true),
    metric!("cohort_size", false, ["arm": Text, "people": Count, "eligible": Count]),
    metric!("programme_counts", false, [
        "programme": Text, "referrals": Count, "participants": Count, "eligible": Count,
        "in_work_6m": Count, "co_enrolled": Count, "exposed_to_another": Count,
        "funding_gbp": Int,
    ]),
    metric!("site_counts", false, [
        "programme": Text, "area_id": Text, "participants": Count, "eligible": Count,
        "in_work_6m": Count, "eligible_3m": Count, "in_work_3m": Count, "eligible_12m": Count,
        "in_work_12m": Count, "engaged": Count, "fit_notes": Count, "may_be_fit": Count,
        "area_name": Text, "start_date": Date,
    ]),
    metric!("site_quarters", false, [
        "programme": Text, "area_id": Text, "quarter": Date, "eligible": Count, "in_work_6m": Count,
    ]),
    metric!("participant_strata", false, [
        "programme": Text, "dimension": Text, "value": Text, "area_id": Text, "stratum": Text,
        "participants": Count, "eligible": Count, "in_work_6m": Count, "engaged": Count,
    ]),
    metric!("comparison_strata", false, [
        "arm": Text, "area_id": Text, "stratum": Text, "eligible": Count, "in_work_6m": Count,
    ]),
    metric!("placebo_strata", false, [
        "arm": Text, "programme": Text, "area_id": Text, "stratum": Text,
        "participants": Count, "eligible": Count, "in_work_6m": Count,
    ]),
    metric!("outcome_strata", false, outcome_strata_columns),
    metric!(
        "negative_control_strata",
        false,
        negative_control_strata_columns
    ),
    metric!("analysis_cohort", false),
    metric!("balance_strata", false, [
        "arm": Text, "programme": Text, "stratum": Text, "region": Text, "imd_decile": Int,
        "people": Count, "months_employed_sum": Float, "months_employed_squares": Float,
        "earnings_sum": Float, "earnings_squares": Float, "fit_notes_sum": Float,
        "fit_notes_squares": Float,
    ]),
    metric!("own_area_balance_strata", false, [
        "arm": Text, "programme": Text, "area_id": Text, "stratum": Text, "people": Count,
        "imd_decile_sum": Float, "imd_decile_squares": Float, "months_employed_sum": Float,
        "months_employed_squares": Float, "earnings_sum": Float, "earnings_squares": Float,
    ]),
    metric!("programme_starts", false, ["programme": Text, "start_date": Date]),
    metric!("fit_note_monthly", false, [
        "area_id": Text, "month": Date, "fit_notes": Count, "may_be_fit": Count,
        "may_be_fit_share": Float,
    ]),
    metric!("fit_note_did_counts", false, [
        "programme": Text, "side": Text, "period": Text, "fit_notes": Count, "may_be_fit": Count,
    ]),
    metric!("fit_note_trend", false, [
        "programme": Text, "side": Text, "month": Date, "fit_notes": Count, "may_be_fit": Count,
        "may_be_fit_share": Float,
    ]),
    metric!("programme_coverage", false, [
        "programme": Text, "start_date": Date, "last_fit_note": Date, "last_employment_month": Date,
    ]),
    metric!("fit_note_areas", false, [
        "programme": Text, "area_id": Text, "side": Text, "start_date": Date, "clean": Bool,
        "overlapping": Text,
    ]),
];

/// The kind `view` declares for `column`: `None` when the view declares no
/// such column (Rust may not read it).
pub fn declared(view: &str, column: &str) -> Option<Kind> {
    let query = metric_query(view)?;
    (query.columns)()
        .into_iter()
        .find(|(c, _)| c == column)
        .map(|(_, k)| k)
}

/// Check `query`'s declared columns against `schema`, the view's own.
pub fn check_declared_columns(
    query: &MetricQuery,
    schema: &datafusion::arrow::datatypes::Schema,
) -> Result<()> {
    for (column, kind) in (query.columns)() {
        let field = schema.field_with_name(&column).map_err(|_| {
            ContractError::Invalid(format!(
                "sql/{}.sql has no column `{column}`, which the pipeline reads as {} (contract::metrics declares it); \
                 restore the column or change the declaration and its reader together",
                query.name,
                kind.name()
            ))
        })?;
        if !kind.accepts(field.data_type()) {
            return Err(ContractError::Invalid(format!(
                "sql/{}.sql writes `{column}` as {}, where contract::metrics declares {}; \
                 cast it in the SQL or change the declaration and its reader together",
                query.name,
                field.data_type(),
                kind.name()
            )));
        }
    }
    Ok(())
}

/// Look up a metric query by name.
pub fn metric_query(name: &str) -> Option<&'static MetricQuery> {
    METRIC_QUERIES.iter().find(|q| q.name == name)
}

/// Register every metric query over the input tables already registered in
/// `ctx` (under their contract names). With `work_dir`, queries marked
/// `materialize` are written there as Parquet and read back; without it all
/// are plain views.
pub async fn register_metric_views(ctx: &SessionContext, work_dir: Option<&str>) -> Result<()> {
    register(ctx, work_dir, METRIC_QUERIES.iter()).await
}

/// Register only the metric queries named (as plain views, in the order the
/// contract declares them), for a run whose inputs are not records: the
/// published fit-note statistics register `fit_note_monthly` as a table and
/// the views over it and the programmes' design.
pub async fn register_named_metric_views(ctx: &SessionContext, names: &[&str]) -> Result<()> {
    if let Some(unknown) = names.iter().find(|n| metric_query(n).is_none()) {
        return Err(ContractError::Invalid(format!(
            "no metric query sql/{unknown}.sql"
        )));
    }
    register(
        ctx,
        None,
        METRIC_QUERIES.iter().filter(|q| names.contains(&q.name)),
    )
    .await
}

async fn register(
    ctx: &SessionContext,
    work_dir: Option<&str>,
    queries: impl Iterator<Item = &'static MetricQuery>,
) -> Result<()> {
    for query in queries {
        match work_dir {
            Some(dir) if query.materialize => {
                let started = std::time::Instant::now();
                let location = format!("{}/{}/", dir.trim_end_matches('/'), query.name);
                let frame = ctx
                    .sql(query.sql)
                    .await
                    .context(format!("planning sql/{}.sql", query.name))?;
                let schema = frame.schema().inner().clone();
                let written = frame
                    .write_parquet(&location, DataFrameWriteOptions::new(), None)
                    .await
                    .context(format!("computing sql/{}.sql", query.name))?;
                // An empty result writes no file: read it back as an empty
                // table of the query's own schema.
                let rows: u64 = written
                    .iter()
                    .filter_map(|b| {
                        b.column(0)
                            .as_any()
                            .downcast_ref::<datafusion::arrow::array::UInt64Array>()
                    })
                    .flat_map(|counts| counts.iter().flatten())
                    .sum();
                let options = ParquetReadOptions::default();
                let options = if rows == 0 {
                    options.schema(&schema)
                } else {
                    options
                };
                ctx.register_parquet(query.name, &location, options)
                    .await
                    .context(format!(
                        "reading back sql/{}.sql from {location}",
                        query.name
                    ))?;
                tracing::info!(
                    target: "evidence::profile",
                    query = query.name,
                    ms = started.elapsed().as_millis() as u64,
                    "materialised"
                );
            }
            _ => {
                let view = format!("CREATE VIEW {} AS {}", query.name, query.sql);
                ctx.sql(&view)
                    .await
                    .context(format!("registering sql/{}.sql", query.name))?;
            }
        }
        let schema = ctx
            .table(query.name)
            .await
            .context(format!("reading the schema of sql/{}.sql", query.name))?
            .schema()
            .inner()
            .clone();
        check_declared_columns(query, &schema)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::datatypes::{Field, Schema};

    #[test]
    fn a_views_declared_columns_are_checked_against_its_schema() {
        let query = metric_query("comparison_strata").unwrap();
        let field = |name: &str, t: DataType| Field::new(name, t, true);
        let good = Schema::new(vec![
            field("arm", DataType::Utf8),
            field("area_id", DataType::Utf8View),
            field("stratum", DataType::Utf8),
            field("eligible", DataType::Int64),
            field("in_work_6m", DataType::Int64),
        ]);
        check_declared_columns(query, &good).unwrap();
        let renamed = Schema::new(vec![
            field("arm", DataType::Utf8),
            field("area_id", DataType::Utf8),
            field("stratum", DataType::Utf8),
            field("eligible", DataType::Int64),
            field("in_work", DataType::Int64),
        ]);
        let e = check_declared_columns(query, &renamed).unwrap_err();
        assert!(
            e.to_string()
                .contains("sql/comparison_strata.sql has no column `in_work_6m`"),
            "{e}"
        );
        let retyped = Schema::new(vec![
            field("arm", DataType::Utf8),
            field("area_id", DataType::Utf8),
            field("stratum", DataType::Utf8),
            field("eligible", DataType::Float64),
            field("in_work_6m", DataType::Int64),
        ]);
        let e = check_declared_columns(query, &retyped).unwrap_err();
        assert!(
            e.to_string().contains("writes `eligible` as Float64"),
            "{e}"
        );
    }

    /// Every outcome of `contract::outcomes` has its four sums declared
    /// and written by sql/outcome_strata.sql (registration then checks
    /// their types on every run and in the `.slt` tests).
    #[test]
    fn every_outcome_declares_its_four_sums() {
        let query = metric_query("outcome_strata").unwrap();
        let columns = (query.columns)();
        assert_eq!(columns.len(), 4 + 4 * crate::outcomes::Outcome::ALL.len());
        assert_eq!(
            declared("outcome_strata", "earnings_1_6m_squares"),
            Some(Kind::Count)
        );
        for (column, _) in &columns[4..] {
            let written = format!("AS {column}");
            assert!(
                query.sql.contains(&written),
                "outcome_strata has no `{column}`"
            );
        }
    }

    #[test]
    fn every_vocabulary_literal_is_written_by_some_metric_query() {
        let sql: String = METRIC_QUERIES.iter().map(|q| q.sql).collect();
        use crate::vocabulary::{Arm, Dimension, Period, Side};
        let literals = Arm::ALL
            .iter()
            .map(|v| v.as_str())
            .chain(Side::ALL.iter().map(|v| v.as_str()))
            .chain(Period::ALL.iter().map(|v| v.as_str()))
            .chain(Dimension::ALL.iter().map(|v| v.as_str()));
        for literal in literals {
            assert!(
                sql.contains(&format!("'{literal}'")),
                "no metric query writes '{literal}'"
            );
        }
    }
}
