//! The dashboard's error type, converted to a response (an error page) once.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    /// The evidence root (or one of its tables) cannot be read.
    #[error("{location}: {problem}")]
    Evidence { location: String, problem: String },

    #[error("{0}")]
    NotFound(String),

    #[error("drawing the chart `{chart}`: {problem}")]
    Chart { chart: String, problem: String },

    #[error("rendering the page `{template}`: {problem}")]
    Template { template: String, problem: String },

    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl DashboardError {
    pub fn status(&self) -> StatusCode {
        match self {
            DashboardError::Evidence { .. } => StatusCode::SERVICE_UNAVAILABLE,
            DashboardError::NotFound(_) => StatusCode::NOT_FOUND,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for DashboardError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!("{self}");
        }
        let page = crate::templates::error_page(status, &self.to_string());
        (status, Html(page)).into_response()
    }
}
