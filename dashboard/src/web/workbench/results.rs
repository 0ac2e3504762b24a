//! What runs an analyst's query for the workbench: a page of its result,
//! a chart of it (SVG, PNG, CSV), and the whole result as a download. Each
//! runs the query, so each answers only a form carrying the session's token
//! (`super::require_token`).

use super::*;

/// The rows a result chart draws at most.
const CHART_ROWS: usize = 500;

/// A bar or line chart of column `y` by column `x` over the first rows of
/// `sql`'s result.
pub(super) async fn result_chart(
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
    csrf: String,
    sql: String,
    chart: String,
    x: String,
    y: String,
}

/// A result chart as `result.svg`, `result.png` or `result.csv` (`POST`,
/// with the session's token: it runs the query).
pub async fn chart(
    State(state): State<AppState>,
    axum::Extension(user): axum::Extension<User>,
    axum::extract::Path(file): axum::extract::Path<String>,
    headers: axum::http::HeaderMap,
    axum::Form(q): axum::Form<ChartQuery>,
) -> Result<Response, PageError> {
    use axum::http::header;
    require_token(&state, &headers, Some(&q.csrf))?;
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

/// The most characters of one cell the page shows.
pub const MOST_CELL_CHARS: usize = 2_000;

/// A cell as the page shows it: a long one cut, saying so (the download
/// has it whole).
fn shown_cell(text: String) -> String {
    let chars = text.chars().count();
    if chars <= MOST_CELL_CHARS {
        return text;
    }
    let head: String = text.chars().take(MOST_CELL_CHARS).collect();
    format!("{head}… ({chars} characters in all; download the result for the whole value)")
}

pub(super) async fn run_page(
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
                            .map(|f| shown_cell(f.value(i - start).to_string()))
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
    csrf: String,
    sql: String,
    format: String,
}

/// The whole result of the workbench's query, streamed (`POST`, with the
/// session's token: it runs the query).
pub async fn download(
    State(state): State<AppState>,
    axum::Extension(user): axum::Extension<User>,
    headers: axum::http::HeaderMap,
    axum::Form(q): axum::Form<DownloadQuery>,
) -> Result<Response, PageError> {
    require_token(&state, &headers, Some(&q.csrf))?;
    let format = Format::parse(&q.format).ok_or_else(|| {
        DashboardError::BadRequest(format!("format `{}`: use csv, parquet or json", q.format))
    })?;
    let engine = state.engine()?;
    let running = engine.start(&user, &q.sql, format.extension()).await?;
    Ok(crate::web::api::download(running, format, "query"))
}
