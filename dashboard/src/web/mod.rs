//! The web layer: routes, handlers, templates, and the conversion of errors
//! into answers. Everything below it (`disclosure`, `presentation`,
//! `charts`, `auth`, `analysts`, `state`) knows nothing of HTTP.

pub mod access;
pub mod api;
mod charts;
pub mod error;
pub mod extract;
mod headers;
pub mod login;
pub mod pages;
pub mod templates;
pub mod workbench;

use crate::auth::Access;
use crate::state::AppState;
use access::Answers;
use axum::Router;
use axum::http::header;
use axum::middleware;
use axum::routing::{MethodRouter, get, post};
use error::{ApiError, PageError};

/// Every route with the access it needs. The router is built from this list,
/// so a route cannot exist without an access rule (and tests walk it).
pub fn routes() -> Vec<(&'static str, Access, MethodRouter<AppState>)> {
    use Access::*;
    vec![
        (
            "/login",
            Public,
            get(login::login_form).post(login::login_submit),
        ),
        ("/logout", Public, post(login::logout)),
        (
            "/static/style.css",
            Public,
            get(|| async { ([(header::CONTENT_TYPE, "text/css")], templates::CSS) }),
        ),
        ("/healthz", Public, get(|| async { "ok" })),
        ("/api/openapi.json", Public, get(api::openapi)),
        ("/", SignedIn, get(pages::overview)),
        ("/fit-notes", SignedIn, get(pages::fit_notes)),
        ("/data-quality", SignedIn, get(pages::data_quality)),
        ("/programme/{slug}", SignedIn, get(pages::programme)),
        ("/programme/{slug}/report", SignedIn, get(pages::report)),
        (
            "/programme/{slug}/report.html",
            SignedIn,
            get(pages::report_download),
        ),
        ("/programme/{slug}/site/{area}", SignedIn, get(pages::site)),
        ("/charts/{file}", SignedIn, get(charts::overview_chart)),
        (
            "/fit-notes/{slug}/charts/{file}",
            SignedIn,
            get(charts::fit_notes_chart),
        ),
        (
            "/programme/{slug}/archive.zip",
            SignedIn,
            get(charts::programme_archive),
        ),
        (
            "/programme/{slug}/charts/{file}",
            SignedIn,
            get(charts::programme_chart),
        ),
        (
            "/programme/{slug}/site/{area}/charts/{file}",
            SignedIn,
            get(charts::site_chart),
        ),
        ("/api/tables", SignedIn, get(api::tables)),
        ("/api/tables/{name}", SignedIn, get(api::table)),
        // A link fills the workbench; running a query needs the session's
        // token in a form (issue 28, hole 3).
        (
            "/workbench",
            Analyst,
            get(workbench::page).post(workbench::run),
        ),
        ("/workbench/download", Analyst, post(workbench::download)),
        ("/workbench/saved", Analyst, post(workbench::save)),
        ("/workbench/chart/{file}", Analyst, post(workbench::chart)),
        ("/api/sql", Analyst, post(api::sql)),
    ]
}

const API: &str = "/api";

/// The dashboard's router: pages, and under `/api/` the JSON API, each with
/// its own answer to an unknown address.
pub fn router(state: AppState) -> Router {
    let (mut pages, mut api) = (Router::new(), Router::new());
    for (path, access, method_router) in routes() {
        let answers = if path.starts_with("/api/") {
            Answers::Json
        } else {
            Answers::Pages
        };
        let guarded = method_router.route_layer(middleware::from_fn_with_state(
            (state.clone(), access, answers),
            access::require,
        ));
        match answers {
            Answers::Json => api = api.route(&path[API.len()..], guarded),
            Answers::Pages => pages = pages.route(path, guarded),
        }
    }
    let api = api.fallback(|| async {
        ApiError::from(crate::DashboardError::NotFound(
            "There is no API at this address; GET /api/openapi.json describes the API.".into(),
        ))
    });
    pages
        .nest(API, api)
        .fallback(|| async {
            PageError(crate::DashboardError::NotFound(
                "There is no page at this address.".into(),
            ))
        })
        .layer(middleware::from_fn(headers::security_headers))
        .with_state(state)
}

/// Serve the dashboard on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
