//! The SQL workbench page (analysts): an editor, the tables and their
//! columns beside it, results a page at a time with the query's time,
//! `EXPLAIN`, the metric queries from `sql/` as examples, and downloads of
//! the whole result.

use super::error::PageError;
use super::extract::{Viewer, urlencode};
use crate::analysts::engine::QueryError;
use crate::analysts::export::Format;
use crate::auth::User;
use crate::error::DashboardError;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::response::{Html, Response};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use futures::StreamExt;
use minijinja::context;
use serde::Deserialize;

pub const PAGE_ROWS: usize = 50;

#[derive(Deserialize, Default)]
pub struct WorkbenchQuery {
    sql: Option<String>,
    page: Option<usize>,
    explain: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    axum::Extension(user): axum::Extension<User>,
    viewer: Viewer,
    Query(q): Query<WorkbenchQuery>,
) -> Result<Html<String>, PageError> {
    let engine = state.engine()?;
    let tables = engine.tables().await;
    let examples: Vec<_> = contract::metrics::METRIC_QUERIES
        .iter()
        .map(|m| context! { name => m.name, sql => m.sql.trim() })
        .collect();
    let sql = q.sql.clone().unwrap_or_default();
    let page = q.page.unwrap_or(1).max(1);
    let mut result = None;
    let mut error = None;
    if !sql.trim().is_empty() {
        let run_sql =
            if q.explain.is_some() && !sql.trim_start().to_uppercase().starts_with("EXPLAIN") {
                format!("EXPLAIN {sql}")
            } else {
                sql.clone()
            };
        match run_page(&state, &user, &run_sql, page).await {
            Ok(r) => result = Some(r),
            Err(e) => error = Some(e.to_string()),
        }
    }
    let enc = urlencode;
    let published = state.published().await.ok();
    super::templates::render(
        "workbench.html",
        context! {
            title => "SQL workbench",
            nav => "workbench",
            tables,
            examples,
            sql,
            result,
            error,
            page,
            page_rows => PAGE_ROWS,
            sql_param => enc(&q.sql.clone().unwrap_or_default()),
            limits => context! {
                timeout_secs => engine.limits().timeout.as_secs(),
                memory_mib => engine.limits().memory >> 20,
                per_user => engine.limits().per_user,
            },
            ..super::pages::frame(published.as_deref(), &viewer)
        },
    )
}

async fn run_page(
    state: &AppState,
    user: &User,
    sql: &str,
    page: usize,
) -> Result<minijinja::Value, QueryError> {
    let engine = state
        .engine()
        .map_err(|e| QueryError::Failed(e.to_string()))?;
    let mut running = engine.start(user, sql, "workbench").await?;
    let columns: Vec<String> = running
        .schema
        .fields()
        .iter()
        .map(|f| format!("{} ({})", f.name(), f.data_type()))
        .collect();
    let skip = (page - 1) * PAGE_ROWS;
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut total = 0usize;
    let options = FormatOptions::default().with_null("NULL");
    let limit = running.time_left();
    let collect = async {
        while let Some(batch) = running.stream.next().await {
            let batch = batch.map_err(|e| engine.classify(e))?;
            let n = batch.num_rows();
            let (start, end) = (total, total + n);
            total += n;
            let from = skip.max(start);
            let to = (skip + PAGE_ROWS).min(end);
            if from < to {
                let formatters = batch
                    .columns()
                    .iter()
                    .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| QueryError::Failed(e.to_string()))?;
                for i in from..to {
                    rows.push(
                        formatters
                            .iter()
                            .map(|f| f.value(i - start).to_string())
                            .collect(),
                    );
                }
            }
        }
        Ok::<_, QueryError>(())
    };
    let outcome = match tokio::time::timeout(limit, collect).await {
        Ok(r) => r,
        Err(_) => Err(QueryError::Timeout(running.limit_secs)),
    };
    let elapsed_ms = running.started.elapsed().as_millis() as u64;
    match outcome {
        Ok(()) => running.finish(total as u64, None),
        Err(e) => {
            running.finish(total as u64, Some(&e));
            return Err(e);
        }
    }
    let pages = total.div_ceil(PAGE_ROWS).max(1);
    Ok(context! {
        columns,
        rows,
        total,
        elapsed_ms,
        pages,
        first_row => if total == 0 { 0 } else { skip + 1 },
        last_row => (skip + PAGE_ROWS).min(total),
    })
}

#[derive(Deserialize)]
pub struct DownloadQuery {
    sql: String,
    format: String,
}

/// The whole result of the workbench's query, streamed.
pub async fn download(
    State(state): State<AppState>,
    axum::Extension(user): axum::Extension<User>,
    Query(q): Query<DownloadQuery>,
) -> Result<Response, PageError> {
    let format = Format::parse(&q.format).ok_or_else(|| {
        DashboardError::BadRequest(format!("format `{}`: use csv, parquet or json", q.format))
    })?;
    let engine = state.engine()?;
    let running = engine.start(&user, &q.sql, format.extension()).await?;
    Ok(super::api::download(running, format, "query"))
}
