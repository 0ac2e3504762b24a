//! The metric queries from `sql/`, compiled in: each file is one `SELECT`
//! registered as a view named after the file. This is the only place metric
//! SQL enters the pipeline; the `.slt` tests register the same files through
//! [`register_metric_views`].

use crate::error::{QueryContext, Result};
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::prelude::{ParquetReadOptions, SessionContext};

/// A metric query: the view name and its SQL.
pub struct MetricQuery {
    pub name: &'static str,
    pub sql: &'static str,
    /// Written to the work folder and read back rather than left as a view,
    /// because several later queries read it and it joins the largest table.
    pub materialize: bool,
}

macro_rules! metric {
    ($name:literal, $materialize:expr) => {
        MetricQuery {
            name: $name,
            sql: include_str!(concat!("../../sql/", $name, ".sql")),
            materialize: $materialize,
        }
    };
}

/// The metric queries in dependency order.
pub const METRIC_QUERIES: &[MetricQuery] = &[
    metric!("comparison_areas", false),
    metric!("participants", false),
    metric!("comparison_pool", false),
    metric!("area_labour_markets", false),
    metric!("cohort", true),
    metric!("cohort_size", false),
    metric!("programme_counts", false),
    metric!("site_counts", false),
    metric!("site_quarters", false),
    metric!("participant_strata", false),
    metric!("comparison_strata", false),
    metric!("placebo_strata", false),
    metric!("outcome_strata", false),
    metric!("analysis_cohort", false),
    metric!("balance_strata", false),
    metric!("programme_starts", false),
    metric!("fit_note_monthly", false),
    metric!("fit_note_did_counts", false),
    metric!("fit_note_trend", false),
    metric!("programme_coverage", false),
    metric!("fit_note_areas", false),
];

/// Look up a metric query by name.
pub fn metric_query(name: &str) -> Option<&'static MetricQuery> {
    METRIC_QUERIES.iter().find(|q| q.name == name)
}

/// Register every metric query over the input tables already registered in
/// `ctx` (under their contract names). With `work_dir`, queries marked
/// `materialize` are written there as Parquet and read back; without it all
/// are plain views.
pub async fn register_metric_views(ctx: &SessionContext, work_dir: Option<&str>) -> Result<()> {
    for query in METRIC_QUERIES {
        match work_dir {
            Some(dir) if query.materialize => {
                let location = format!("{}/{}/", dir.trim_end_matches('/'), query.name);
                ctx.sql(query.sql)
                    .await
                    .context(format!("planning sql/{}.sql", query.name))?
                    .write_parquet(&location, DataFrameWriteOptions::new(), None)
                    .await
                    .context(format!("computing sql/{}.sql", query.name))?;
                ctx.register_parquet(query.name, &location, ParquetReadOptions::default())
                    .await
                    .context(format!(
                        "reading back sql/{}.sql from {location}",
                        query.name
                    ))?;
            }
            _ => {
                let view = format!("CREATE VIEW {} AS {}", query.name, query.sql);
                ctx.sql(&view)
                    .await
                    .context(format!("registering sql/{}.sql", query.name))?;
            }
        }
    }
    Ok(())
}
