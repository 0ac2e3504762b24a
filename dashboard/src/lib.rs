//! Evidence's dashboard: an axum app over an evidence root, for
//! commissioners reviewing sites, evaluators exporting charts, and analysts
//! running SQL ([`analysts`]) behind sign-in ([`auth`]).
//!
//! It reads the evidence root and never recomputes a statistic. Every figure
//! it shows passes through [`disclosure`], the one place exact counts become
//! publishable ones; pages ([`pages`]), charts ([`charts`]) and exports
//! ([`exports`]) only see the result.

pub mod analysts;
pub mod auth;
pub mod charts;
pub mod disclosure;
pub mod error;
mod exports;
pub mod pages;
pub mod state;
mod templates;

use auth::Access;
use axum::Router;
use axum::extract::Request;
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
pub use error::DashboardError;
pub use state::{AppState, Config};

/// Every route with the access it needs. The router is built from this list,
/// so a route cannot exist without an access rule (and tests walk it).
pub fn routes() -> Vec<(&'static str, Access, MethodRouter<AppState>)> {
    use Access::*;
    vec![
        (
            "/login",
            Public,
            get(auth::login_form).post(auth::login_submit),
        ),
        ("/logout", Public, post(auth::logout)),
        (
            "/static/style.css",
            Public,
            get(|| async { ([(header::CONTENT_TYPE, "text/css")], templates::CSS) }),
        ),
        ("/healthz", Public, get(|| async { "ok" })),
        ("/api/openapi.json", Public, get(analysts::api::openapi)),
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
        ("/charts/{file}", SignedIn, get(exports::overview_chart)),
        (
            "/programme/{slug}/charts/{file}",
            SignedIn,
            get(exports::programme_chart),
        ),
        (
            "/programme/{slug}/site/{area}/charts/{file}",
            SignedIn,
            get(exports::site_chart),
        ),
        ("/api/tables", SignedIn, get(analysts::api::tables)),
        ("/api/tables/{name}", SignedIn, get(analysts::api::table)),
        ("/workbench", Analyst, get(analysts::workbench::page)),
        (
            "/workbench/download",
            Analyst,
            get(analysts::workbench::download),
        ),
        ("/api/sql", Analyst, post(analysts::api::sql)),
    ]
}

/// The dashboard's router.
pub fn router(state: AppState) -> Router {
    let mut router = Router::new();
    for (path, access, method_router) in routes() {
        let guarded = method_router.route_layer(middleware::from_fn_with_state(
            (state.clone(), access),
            auth::require,
        ));
        router = router.route(path, guarded);
    }
    router
        .fallback(|| async { DashboardError::NotFound("There is no page at this address.".into()) })
        .layer(middleware::from_fn(api_errors_as_json))
        .with_state(state)
}

/// Errors on `/api/` routes answer `{"error": "..."}` rather than a page.
async fn api_errors_as_json(request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    match (
        api,
        response.extensions().get::<error::ErrorMessage>().cloned(),
    ) {
        (true, Some(error::ErrorMessage(message))) => {
            let status = response.status();
            (status, axum::Json(serde_json::json!({ "error": message }))).into_response()
        }
        // axum's own rejections (a body that is not JSON, a bad query
        // string) answer in plain text; the API documents JSON errors.
        (true, None) if is_plain_text_error(&response) => {
            let status = response.status();
            let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
                .await
                .unwrap_or_default();
            let message = String::from_utf8_lossy(&body).into_owned();
            (status, axum::Json(serde_json::json!({ "error": message }))).into_response()
        }
        _ => response,
    }
}

fn is_plain_text_error(response: &Response) -> bool {
    response.status().is_client_error()
        && response
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/plain"))
}

/// Serve the dashboard on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
