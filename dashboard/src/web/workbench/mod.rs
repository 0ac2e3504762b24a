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

mod results;

pub use results::{chart, download};
use results::{result_chart, run_page};

pub const PAGE_ROWS: usize = 50;

/// What the workbench was asked: from a link's query string (which only
/// fills the editor) or the run form (which runs, with the session's
/// token).
#[derive(Default)]
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

impl WorkbenchQuery {
    fn of(fields: &BTreeMap<String, String>) -> Self {
        let text = |k: &str| fields.get(k).cloned();
        WorkbenchQuery {
            sql: text("sql"),
            page: fields.get("page").and_then(|p| p.parse().ok()),
            explain: text("explain"),
            saved: text("saved"),
            chart: text("chart"),
            x: text("x"),
            y: text("y"),
        }
    }
}

/// Fields the workbench uses itself; any other is a value for a `:name`
/// parameter.
const RESERVED: [&str; 8] = ["sql", "page", "explain", "saved", "chart", "x", "y", "csrf"];

/// `key=value&…` for a link that reopens the same query and values.
fn query_string(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The workbench from a link (`GET`): the editor filled with the link's
/// SQL, saved query and values, and nothing run, so no other site can make
/// an analyst run a query by sending them a link (issue 28, hole 3).
pub async fn page(
    State(state): State<AppState>,
    axum::Extension(user): axum::Extension<User>,
    viewer: Viewer,
    Query(all): Query<BTreeMap<String, String>>,
) -> Result<Html<String>, PageError> {
    render(state, user, viewer, all, false).await
}

/// The workbench's run form (`POST`, with the session's token): the query
/// runs.
pub async fn run(
    State(state): State<AppState>,
    axum::Extension(user): axum::Extension<User>,
    viewer: Viewer,
    headers: axum::http::HeaderMap,
    axum::Form(all): axum::Form<BTreeMap<String, String>>,
) -> Result<Html<String>, PageError> {
    require_token(&state, &headers, all.get("csrf"))?;
    render(state, user, viewer, all, true).await
}

/// A form that runs SQL must carry the session's token.
pub(super) fn require_token(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    submitted: Option<&String>,
) -> Result<(), PageError> {
    // An API token is sent by a program, never attached by a browser to
    // another site's request: it needs no form token.
    let by_token = headers.contains_key(axum::http::header::AUTHORIZATION);
    if by_token || submitted.is_some_and(|t| super::login::csrf_ok(state.auth(), headers, t)) {
        Ok(())
    } else {
        Err(DashboardError::Forbidden(
            "This form did not come from the workbench, or the session it came from has ended: open the workbench again and run the query from there."
                .into(),
        )
        .into())
    }
}

async fn render(
    state: AppState,
    user: User,
    viewer: Viewer,
    all: BTreeMap<String, String>,
    run: bool,
) -> Result<Html<String>, PageError> {
    let q = WorkbenchQuery::of(&all);
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
    if let Some(bound) = bound.as_ref().filter(|b| run && !b.trim().is_empty()) {
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
                        sql => bound,
                        kind => kind,
                        x => x,
                        y => y,
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
            bound_sql => bound.clone().unwrap_or_default(),
            ready => !run && bound.as_deref().is_some_and(|b| !b.trim().is_empty()),
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
    if !super::login::csrf_ok(state.auth(), &headers, &form.csrf) {
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
