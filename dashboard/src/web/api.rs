//! The HTTP API for scripts: `POST /api/sql`, `GET /api/tables`,
//! `GET /api/tables/{name}`, and the OpenAPI document that describes them.

use super::error::ApiError;
use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::analysts::engine::{ColumnInfo, QueryError, Running, TableInfo};
use crate::analysts::export::{self, Format};
use crate::auth::{Role, User};
use crate::error::DashboardError;
use crate::presentation::tables as commissioner_tables;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use datafusion::arrow::json::{WriterBuilder as JsonWriterBuilder, writer::JsonArray};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Evidence API",
        description = "SQL and tables over the evaluation of the UK's work-and-health pilots. Send an API token as `Authorization: Bearer <token>` (from `evidence user add`). Analysts get exact figures and SQL; commissioners get only disclosure-controlled evidence tables."
    ),
    paths(sql, tables, table),
    components(schemas(SqlRequest, SqlAnswer, Column, ErrorAnswer, TableInfo)),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
pub struct ApiDoc;

struct BearerAuth;
impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

pub async fn openapi() -> impl IntoResponse {
    Json(ApiDoc::openapi())
}

#[derive(Deserialize, ToSchema)]
pub struct SqlRequest {
    /// One read-only statement: SELECT, WITH, EXPLAIN, SHOW TABLES, DESCRIBE.
    #[schema(min_length = 1)]
    pub sql: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SqlParams {
    /// `csv`, `parquet` or `json` for the whole result streamed; absent for
    /// the JSON answer with at most the row cap.
    pub format: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub data_type: String,
}

#[derive(Serialize, ToSchema)]
pub struct SqlAnswer {
    pub columns: Vec<Column>,
    /// Rows as objects keyed by column name.
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<serde_json::Value>,
    /// Rows in `rows`.
    pub returned: u64,
    /// Rows the query produced in all.
    pub total_rows: u64,
    /// Whether `rows` stops at the row cap.
    pub truncated: bool,
    pub elapsed_ms: u64,
}

/// Every error answer of the API.
#[derive(Serialize, ToSchema)]
#[schema(as = ApiError)]
pub struct ErrorAnswer {
    pub error: String,
}

fn requested_format(
    headers: &HeaderMap,
    params: &SqlParams,
) -> Result<Option<Format>, DashboardError> {
    if let Some(f) = &params.format {
        return Format::parse(f).map(Some).ok_or_else(|| {
            DashboardError::BadRequest(format!("format `{f}`: use csv, parquet or json"))
        });
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    Ok(if accept.contains("text/csv") {
        Some(Format::Csv)
    } else if accept.contains("parquet") {
        Some(Format::Parquet)
    } else {
        None
    })
}

/// Run one read-only SQL statement over the input and evidence tables.
#[utoipa::path(
    post,
    path = "/api/sql",
    request_body = SqlRequest,
    params(SqlParams),
    responses(
        (status = 200, description = "The result: JSON (capped) by default; CSV, Parquet or JSON (whole, streamed) by `format` or `Accept`", body = SqlAnswer),
        (status = 400, description = "Refused (not read-only) or failed", body = ErrorAnswer),
        (status = 401, description = "No or unknown token", body = ErrorAnswer),
        (status = 403, description = "Not an analyst", body = ErrorAnswer),
        (status = 408, description = "Cancelled at the time limit", body = ErrorAnswer),
        (status = 413, description = "Over the memory limit, or a body over 2 MB", body = ErrorAnswer),
        (status = 415, description = "The body is not sent as application/json", body = ErrorAnswer),
        (status = 422, description = "The JSON body has no `sql` string", body = ErrorAnswer),
        (status = 429, description = "Too many queries running for this user", body = ErrorAnswer),
    ),
    tag = "analyst"
)]
pub async fn sql(
    State(state): State<AppState>,
    axum::Extension(user): axum::Extension<User>,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<SqlParams>,
    ApiJson(request): ApiJson<SqlRequest>,
) -> Result<Response, ApiError> {
    let format = requested_format(&headers, &params)?;
    let engine = state.engine()?;
    let form = format.map_or("api-json", |f| f.extension());
    let running = engine.start(&user, &request.sql, form).await?;
    match format {
        Some(format) => Ok(download(running, format, "query")),
        None => Ok(Json(capped_json(running, engine.limits().json_rows).await?).into_response()),
    }
}

/// The whole result as a streamed download.
pub fn download(running: Running, format: Format, name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, format.content_type().to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.{}\"", format.extension()),
            ),
        ],
        axum::body::Body::from_stream(export::stream(running, format)),
    )
        .into_response()
}

/// The most bytes of result a JSON answer keeps (before encoding): beyond
/// them the rest of the rows are counted, not kept, as beyond the row cap.
pub const MOST_JSON_BYTES: usize = 8 << 20;

/// Up to `cap` rows (and [`MOST_JSON_BYTES`]) as JSON objects; the rest are
/// counted, not kept.
pub async fn capped_json(mut running: Running, cap: usize) -> Result<SqlAnswer, DashboardError> {
    let columns = running
        .schema
        .fields()
        .iter()
        .map(|f| Column {
            name: f.name().clone(),
            data_type: f.data_type().to_string(),
        })
        .collect();
    let mut kept = Vec::new();
    let mut kept_rows = 0usize;
    let mut kept_bytes = 0usize;
    let mut total = 0u64;
    let limit = running.time_left();
    let collect = async {
        while let Some(batch) = running.stream.next().await {
            let batch = batch.map_err(|e| running.error(e))?;
            total += batch.num_rows() as u64;
            if kept_rows < cap && kept_bytes < MOST_JSON_BYTES && batch.num_rows() > 0 {
                let per_row = batch.get_array_memory_size() / batch.num_rows() + 1;
                let room = (MOST_JSON_BYTES - kept_bytes) / per_row;
                let take = (cap - kept_rows).min(batch.num_rows()).min(room);
                if take > 0 {
                    kept.push(batch.slice(0, take));
                }
                kept_rows += take;
                // Nothing more is kept once the bytes are spent.
                kept_bytes += if take == 0 {
                    MOST_JSON_BYTES
                } else {
                    take * per_row
                };
            }
        }
        Ok::<_, QueryError>(())
    };
    let result = match tokio::time::timeout(limit, collect).await {
        Ok(r) => r,
        Err(_) => Err(QueryError::Timeout(running.limit_secs)),
    };
    if let Err(e) = result {
        running.finish(total, Some(&e));
        return Err(e.into());
    }
    let mut writer = JsonWriterBuilder::new()
        .with_explicit_nulls(true)
        .build::<_, JsonArray>(Vec::new());
    for batch in &kept {
        writer
            .write(batch)
            .map_err(|e| DashboardError::BadRequest(format!("encoding the result: {e}")))?;
    }
    writer
        .finish()
        .map_err(|e| DashboardError::BadRequest(format!("encoding the result: {e}")))?;
    let bytes = writer.into_inner();
    let rows: Vec<serde_json::Value> = if bytes.is_empty() {
        Vec::new()
    } else {
        serde_json::from_slice(&bytes)
            .map_err(|e| DashboardError::BadRequest(format!("encoding the result: {e}")))?
    };
    let elapsed_ms = running.started.elapsed().as_millis() as u64;
    running.finish(total, None);
    Ok(SqlAnswer {
        columns,
        returned: rows.len() as u64,
        truncated: (rows.len() as u64) < total,
        rows,
        total_rows: total,
        elapsed_ms,
    })
}

/// The tables this user may read, with their columns.
#[utoipa::path(
    get,
    path = "/api/tables",
    responses((status = 200, description = "Tables and columns", body = Vec<TableInfo>), (status = 401, body = ErrorAnswer)),
    tag = "any signed-in user"
)]
pub async fn tables(
    State(state): State<AppState>,
    axum::Extension(user): axum::Extension<User>,
) -> Result<Response, ApiError> {
    match user.role {
        Role::Analyst => Ok(Json(state.engine()?.tables().await).into_response()),
        Role::Commissioner => {
            let published = state.published().await?;
            let tables: Vec<TableInfo> = commissioner_tables::names()
                .iter()
                .map(|name| TableInfo {
                    name: name.to_string(),
                    kind: "evidence (disclosure-controlled)".into(),
                    columns: commissioner_tables::rows(&published, name)
                        .and_then(|rows| rows.into_iter().next())
                        .map(|row| {
                            row.keys()
                                .map(|k| ColumnInfo {
                                    name: k.clone(),
                                    data_type: "Utf8".into(),
                                    nullable: true,
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                })
                .collect();
            Ok(Json(tables).into_response())
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TableParams {
    /// Rows to return at most (default 1000, at most the row cap).
    #[param(minimum = 0, maximum = 1000000)]
    pub limit: Option<u64>,
}

/// An evidence table's rows, filtered by `column=value` query parameters.
/// Analysts get exact figures; commissioners the disclosure-controlled table.
#[utoipa::path(
    get,
    path = "/api/tables/{name}",
    params(("name" = String, Path, description = "An evidence table, e.g. programme_outcomes"), TableParams),
    responses(
        (status = 200, description = "Rows", body = SqlAnswer),
        (status = 400, description = "An unknown column or a bad limit", body = ErrorAnswer),
        (status = 401, description = "No or unknown token", body = ErrorAnswer),
        (status = 404, description = "No such table for this role", body = ErrorAnswer),
    ),
    tag = "any signed-in user"
)]
pub async fn table(
    State(state): State<AppState>,
    axum::Extension(user): axum::Extension<User>,
    ApiPath(name): ApiPath<String>,
    ApiQuery(mut filters): ApiQuery<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    let limit = filters.remove("limit");
    let limit = match limit {
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= 1_000_000)
            .ok_or_else(|| {
                DashboardError::BadRequest(format!(
                    "limit `{l}`: give a whole number from 0 to 1000000"
                ))
            })?,
        None => 1000,
    };
    match user.role {
        Role::Analyst => {
            let engine = state.engine()?;
            if engine.has_table(&name) != Some("evidence") {
                return Err(DashboardError::NotFound(format!(
                    "There is no evidence table `{name}`; GET /api/tables lists them."
                ))
                .into());
            }
            // Names are checked against the table's columns and values are
            // quoted literals, so filters cannot inject SQL.
            let columns: Vec<String> = engine
                .tables()
                .await
                .into_iter()
                .find(|t| t.name == name)
                .map(|t| t.columns.into_iter().map(|c| c.name).collect())
                .unwrap_or_default();
            let mut conditions = Vec::new();
            for (column, value) in &filters {
                if !columns.contains(column) {
                    return Err(DashboardError::BadRequest(format!(
                        "`{name}` has no column `{column}`; its columns are {}",
                        columns.join(", ")
                    ))
                    .into());
                }
                conditions.push(format!(
                    "CAST(\"{column}\" AS VARCHAR) = '{}'",
                    value.replace('\'', "''")
                ));
            }
            let sql = format!(
                "SELECT * FROM \"{name}\"{}",
                if conditions.is_empty() {
                    String::new()
                } else {
                    format!(" WHERE {}", conditions.join(" AND "))
                }
            );
            let running = engine.start(&user, &sql, "api-table").await?;
            let cap = limit.min(engine.limits().json_rows);
            Ok(Json(capped_json(running, cap).await?).into_response())
        }
        Role::Commissioner => {
            let published = state.published().await?;
            let rows = commissioner_tables::rows(&published, &name).ok_or_else(|| {
                DashboardError::NotFound(format!(
                    "There is no table `{name}` for commissioners; they are: {}.",
                    commissioner_tables::names().join(", ")
                ))
            })?;
            let matching: Vec<serde_json::Value> = rows
                .into_iter()
                .filter(|row| {
                    filters
                        .iter()
                        .all(|(c, v)| row.get(c).and_then(|x| x.as_str()) == Some(v.as_str()))
                })
                .map(|row| serde_json::Value::Object(row.into_iter().collect()))
                .collect();
            let total = matching.len() as u64;
            let shown: Vec<serde_json::Value> = matching.into_iter().take(limit).collect();
            Ok((
                StatusCode::OK,
                Json(SqlAnswer {
                    columns: Vec::new(),
                    returned: shown.len() as u64,
                    total_rows: total,
                    truncated: (shown.len() as u64) < total,
                    rows: shown,
                    elapsed_ms: 0,
                }),
            )
                .into_response())
        }
    }
}
