//! The SQL workbench page (analysts): an editor, the tables and their
//! columns beside it, results a page at a time with the query's time,
//! `EXPLAIN`, the metric queries from `sql/` as examples, and downloads of
//! the whole result; `:name` parameters, saved queries reopened by their
//! link, the user's own history from the audit log, and a bar or line chart
//! of a result with its SVG, PNG and CSV.

use super::error::PageError;
use super::extract::{Viewer, urlencode};
use crate::analysts::engine::QueryError;
use crate::analysts::export::Format;
use crate::analysts::saved::{bind, parameters};
use crate::auth::User;
use crate::charts::Chart;
use crate::error::DashboardError;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use datafusion::arrow::array::Array;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use futures::StreamExt;
use minijinja::context;
use serde::Deserialize;
use std::collections::BTreeMap;

pub const PAGE_ROWS: usize = 50;

#[derive(Deserialize, Default)]
pub struct WorkbenchQuery {
    sql: Option<String>,
    page: Option<usize>,
    explain: Option<String>,
    /// A saved query's id: its SQL, with `:name` values from the query.
    saved: Option<String>,
    /// A chart of the result: `bar` or `line`, of column `y` by column `x`.
    chart: Option<String>,
    x: Option<String>,
    y: Option<String>,
}

/// Query-string keys the workbench uses itself; any other key is a value
/// for a `:name` parameter.
const RESERVED: [&str; 7] = ["sql", "page", "explain", "saved", "chart", "x", "y"];

/// `key=value&…` for a link that reopens the same query and values.
fn query_string(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub async fn page(
    State(state): State<AppState>,
    axum::Extension(user): axum::Extension<User>,
    viewer: Viewer,
    Query(q): Query<WorkbenchQuery>,
    Query(all): Query<BTreeMap<String, String>>,
) -> Result<Html<String>, PageError> {
    let engine = state.engine()?;
    let tables = engine.tables().await;
    let examples: Vec<_> = contract::metrics::METRIC_QUERIES
        .iter()
        .map(|m| context! { name => m.name, sql => m.sql.trim() })
        .collect();
    let mut error = None;
    let saved = match q.saved.as_deref() {
        Some(id) => match state.saved().get(id) {
            Some(query) => Some(query),
            None => {
                error = Some(format!(
                    "There is no saved query `{id}`; the saved queries are listed below."
                ));
                None
            }
        },
        None => None,
    };
    // A saved query whose SQL was then edited is no longer that query.
    let saved = saved.filter(|s| {
        q.sql
            .as_deref()
            .is_none_or(|sql| sql.trim().is_empty() || sql.trim() == s.sql.trim())
    });
    // The SQL as written (with its `:name` parameters) and as run.
    let sql = q
        .sql
        .clone()
        .filter(|s| !s.trim().is_empty())
        .or_else(|| saved.as_ref().map(|s| s.sql.clone()))
        .unwrap_or_default();
    let names = parameters(&sql);
    let values: BTreeMap<String, String> = all
        .iter()
        .filter(|(k, _)| !RESERVED.contains(&k.as_str()) && names.contains(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let bound = if names.is_empty() {
        Some(sql.clone())
    } else if values.values().all(|v| v.is_empty()) {
        None
    } else {
        match bind(&sql, &values) {
            Ok(b) => Some(b),
            Err(e) => {
                error = Some(e);
                None
            }
        }
    };
    let page = q.page.unwrap_or(1).max(1);
    let mut result = None;
    let mut chart = None;
    if let Some(bound) = bound.as_ref().filter(|b| !b.trim().is_empty()) {
        let run_sql =
            if q.explain.is_some() && !bound.trim_start().to_uppercase().starts_with("EXPLAIN") {
                format!("EXPLAIN {bound}")
            } else {
                bound.clone()
            };
        match run_page(&state, &user, &run_sql, page).await {
            Ok(r) => result = Some(r),
            Err(e) => error = Some(e.to_string()),
        }
        if let (Some(kind), Some(x), Some(y), true) = (&q.chart, &q.x, &q.y, result.is_some()) {
            match result_chart(&state, &user, bound, x, y, kind).await {
                Ok(c) => {
                    let query =
                        query_string(&[("sql", bound), ("chart", kind), ("x", x), ("y", y)]);
                    chart = Some(context! {
                        svg => c.svg()?,
                        caption => c.caption,
                        url => format!("/workbench/chart/result"),
                        query,
                    });
                }
                Err(e) => error = Some(e.to_string()),
            }
        }
    }
    let value_pairs: Vec<(&str, &str)> = values
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let link = saved.as_ref().map(|s| {
        let mut pairs = vec![("saved", s.id.as_str())];
        pairs.extend(value_pairs.iter().copied());
        format!("/workbench?{}", query_string(&pairs))
    });
    let parameters: Vec<_> = names
        .iter()
        .map(|n| context! { name => n, value => values.get(n).cloned().unwrap_or_default() })
        .collect();
    let history: Vec<_> = engine
        .audit()
        .history(&user.name, 15)
        .into_iter()
        .map(|h| {
            context! {
                at => h.at.get(..16).unwrap_or(&h.at).replace('T', " "),
                sql => h.sql,
                rows => h.rows,
                ms => h.ms,
                outcome => h.outcome,
                url => format!("/workbench?{}", query_string(&[("sql", &h.sql)])),
            }
        })
        .collect();
    let saved_list: Vec<_> = state
        .saved()
        .all()
        .into_iter()
        .map(|s| {
            context! {
                url => format!("/workbench?saved={}", urlencode(&s.id)),
                id => s.id,
                name => s.name,
                author => s.author,
                saved_at => s.saved_at,
                parameters => crate::analysts::saved::parameters(&s.sql),
            }
        })
        .collect();
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
            parameters,
            saved => saved.map(|s| context! { id => s.id, name => s.name, author => s.author }),
            link,
            history,
            saved_list,
            chart,
            chart_kind => q.chart,
            chart_x => q.x,
            chart_y => q.y,
            value_pairs => value_pairs.iter().map(|(k, v)| context! { name => k, value => v }).collect::<Vec<_>>(),
            result,
            error,
            page,
            page_rows => PAGE_ROWS,
            sql_param => enc(bound.as_deref().unwrap_or_default()),
            limits => context! {
                timeout_secs => engine.limits().timeout.as_secs(),
                memory_mib => engine.limits().memory >> 20,
                per_user => engine.limits().per_user,
            },
            ..super::pages::frame(published.as_deref(), &viewer)
        },
    )
}

#[derive(Deserialize)]
pub struct SaveForm {
    csrf: String,
    name: String,
    sql: String,
}

/// Save the workbench's SQL under a name, then open it by its link.
pub async fn save(
    State(state): State<AppState>,
    axum::Extension(user): axum::Extension<User>,
    headers: axum::http::HeaderMap,
    axum::Form(form): axum::Form<SaveForm>,
) -> Result<Response, PageError> {
    if !super::login::csrf_ok(&headers, &form.csrf) {
        return Err(DashboardError::BadRequest(
            "the form had expired: reload the workbench and save again".into(),
        )
        .into());
    }
    let saved = state
        .saved()
        .save(&form.name, &form.sql, &user.name)
        .map_err(DashboardError::BadRequest)?;
    Ok(
        axum::response::Redirect::to(&format!("/workbench?saved={}", urlencode(&saved.id)))
            .into_response(),
    )
}

/// The rows a result chart draws at most.
const CHART_ROWS: usize = 500;

/// A bar or line chart of column `y` by column `x` over the first rows of
/// `sql`'s result.
async fn result_chart(
    state: &AppState,
    user: &User,
    sql: &str,
    x: &str,
    y: &str,
    kind: &str,
) -> Result<Chart, QueryError> {
    let line = match kind {
        "bar" => false,
        "line" => true,
        other => {
            return Err(QueryError::Failed(format!(
                "chart `{other}`: choose bar or line"
            )));
        }
    };
    let engine = state
        .engine()
        .map_err(|e| QueryError::Failed(e.to_string()))?;
    let mut running = engine.start(user, sql, "chart").await?;
    let column = |name: &str| {
        running
            .schema
            .index_of(name)
            .map_err(|_| QueryError::Failed(format!("the result has no column `{name}` to chart")))
    };
    let (xi, yi) = (column(x)?, column(y)?);
    let options = FormatOptions::default().with_null("NULL");
    let limit = running.time_left();
    let mut points: Vec<(String, f64)> = Vec::new();
    let mut total = 0u64;
    let collect = async {
        while let Some(batch) = running.stream.next().await {
            let batch = batch.map_err(|e| engine.classify(e))?;
            total += batch.num_rows() as u64;
            let labels = ArrayFormatter::try_new(batch.column(xi).as_ref(), &options)
                .map_err(|e| QueryError::Failed(e.to_string()))?;
            let values = datafusion::arrow::compute::cast(
                batch.column(yi),
                &datafusion::arrow::datatypes::DataType::Float64,
            )
            .map_err(|_| {
                QueryError::Failed(format!(
                    "column `{y}` is not a number: chart a numeric column"
                ))
            })?;
            let values = values
                .as_any()
                .downcast_ref::<datafusion::arrow::array::Float64Array>()
                .ok_or_else(|| QueryError::Failed(format!("column `{y}` is not a number")))?;
            for i in 0..batch.num_rows() {
                if points.len() < CHART_ROWS && !values.is_null(i) {
                    points.push((labels.value(i).to_string(), values.value(i)));
                }
            }
        }
        Ok::<_, QueryError>(())
    };
    let outcome = match tokio::time::timeout(limit, collect).await {
        Ok(r) => r,
        Err(_) => Err(QueryError::Timeout(running.limit_secs)),
    };
    match outcome {
        Ok(()) => running.finish(total, None),
        Err(e) => {
            running.finish(total, Some(&e));
            return Err(e);
        }
    }
    Ok(crate::charts::result::chart(x, y, line, points, total))
}

#[derive(Deserialize)]
pub struct ChartQuery {
    sql: String,
    chart: String,
    x: String,
    y: String,
}

/// A result chart as `result.svg`, `result.png` or `result.csv`.
pub async fn chart(
    State(state): State<AppState>,
    axum::Extension(user): axum::Extension<User>,
    axum::extract::Path(file): axum::extract::Path<String>,
    Query(q): Query<ChartQuery>,
) -> Result<Response, PageError> {
    use axum::http::header;
    let chart = result_chart(&state, &user, &q.sql, &q.x, &q.y, &q.chart).await?;
    let attachment = |ext: &str| format!("attachment; filename=\"query-chart.{ext}\"");
    Ok(match file.as_str() {
        "result.svg" => (
            [(header::CONTENT_TYPE, "image/svg+xml".to_string())],
            chart.svg()?,
        )
            .into_response(),
        "result.png" => (
            [
                (header::CONTENT_TYPE, "image/png".to_string()),
                (header::CONTENT_DISPOSITION, attachment("png")),
            ],
            chart.png()?,
        )
            .into_response(),
        "result.csv" => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (header::CONTENT_DISPOSITION, attachment("csv")),
            ],
            chart.table.csv()?,
        )
            .into_response(),
        other => {
            return Err(DashboardError::NotFound(format!(
                "`{other}`: a result chart comes as result.svg, result.png or result.csv"
            ))
            .into());
        }
    })
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
    let names: Vec<String> = running
        .schema
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
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
        names,
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
