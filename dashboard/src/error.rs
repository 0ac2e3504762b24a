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

    #[error("Sign in, or send an API token as `Authorization: Bearer <token>`.")]
    Unauthorized,

    #[error("{0}")]
    Forbidden(String),

    #[error("{0}")]
    BadRequest(String),

    #[error("{0}")]
    TooMany(String),

    #[error("{0}")]
    Timeout(String),

    #[error("{0}")]
    TooLarge(String),
}

/// The message of an error response, so `/api/` routes can answer it as
/// JSON (see `crate::api_errors_as_json`).
#[derive(Clone, Debug)]
pub struct ErrorMessage(pub String);

impl DashboardError {
    pub fn status(&self) -> StatusCode {
        match self {
            DashboardError::Evidence { .. } => StatusCode::SERVICE_UNAVAILABLE,
            DashboardError::NotFound(_) => StatusCode::NOT_FOUND,
            DashboardError::Unauthorized => StatusCode::UNAUTHORIZED,
            DashboardError::Forbidden(_) => StatusCode::FORBIDDEN,
            DashboardError::BadRequest(_) => StatusCode::BAD_REQUEST,
            DashboardError::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            DashboardError::Timeout(_) => StatusCode::REQUEST_TIMEOUT,
            DashboardError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
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
        let message = self.to_string();
        let page = crate::templates::error_page(status, &message);
        let mut response = (status, Html(page)).into_response();
        response.extensions_mut().insert(ErrorMessage(message));
        response
    }
}
