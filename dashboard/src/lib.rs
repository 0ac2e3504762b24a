//! Evidence's dashboard: an axum app over an evidence root, for
//! commissioners reviewing sites and evaluators exporting charts.
//!
//! It reads the evidence root and never recomputes a statistic. Every figure
//! it shows passes through [`disclosure`], the one place exact counts become
//! publishable ones; pages ([`pages`]), charts ([`charts`]) and exports
//! ([`exports`]) only see the result.

pub mod charts;
pub mod disclosure;
pub mod error;
mod exports;
mod pages;
pub mod state;
mod templates;

use axum::Router;
use axum::http::header;
use axum::routing::get;
pub use error::DashboardError;
pub use state::AppState;

/// Every route of the dashboard.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(pages::overview))
        .route("/fit-notes", get(pages::fit_notes))
        .route("/data-quality", get(pages::data_quality))
        .route("/programme/{slug}", get(pages::programme))
        .route("/programme/{slug}/report", get(pages::report))
        .route("/programme/{slug}/report.html", get(pages::report_download))
        .route("/programme/{slug}/site/{area}", get(pages::site))
        .route("/charts/{file}", get(exports::overview_chart))
        .route(
            "/programme/{slug}/charts/{file}",
            get(exports::programme_chart),
        )
        .route(
            "/programme/{slug}/site/{area}/charts/{file}",
            get(exports::site_chart),
        )
        .route(
            "/static/style.css",
            get(|| async { ([(header::CONTENT_TYPE, "text/css")], templates::CSS) }),
        )
        .route("/healthz", get(|| async { "ok" }))
        .fallback(|| async { DashboardError::NotFound("There is no page at this address.".into()) })
        .with_state(state)
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
