//! Errors as answers, converted once: a page route answers an error page, an
//! `/api/` route `{"error": "..."}`. The route decides which, by the error
//! type its handler returns ([`PageError`] or [`ApiError`]); nothing reads a
//! response back to find out.

use crate::error::DashboardError;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// The status an error answers with.
pub fn status(e: &DashboardError) -> StatusCode {
    match e {
        DashboardError::Evidence { .. } => StatusCode::SERVICE_UNAVAILABLE,
        DashboardError::NotFound(_) => StatusCode::NOT_FOUND,
        DashboardError::Unauthorized => StatusCode::UNAUTHORIZED,
        DashboardError::Forbidden(_) => StatusCode::FORBIDDEN,
        DashboardError::BadRequest(_) => StatusCode::BAD_REQUEST,
        DashboardError::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
        DashboardError::Timeout(_) => StatusCode::REQUEST_TIMEOUT,
        DashboardError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        DashboardError::Chart { .. } | DashboardError::Template { .. } | DashboardError::Io(_) => {
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

fn logged(status: StatusCode, message: &str) {
    if status.is_server_error() {
        tracing::error!("{message}");
    }
}

/// An error on a page route: the error page.
#[derive(Debug)]
pub struct PageError(pub DashboardError);

impl<E: Into<DashboardError>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = status(&self.0);
        let message = self.0.to_string();
        logged(status, &message);
        (status, Html(super::templates::error_page(status, &message))).into_response()
    }
}

/// An error on an `/api/` route: `{"error": "..."}` with its status. Also
/// what the API's extractors answer when a request cannot be read.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl<E: Into<DashboardError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        let e = e.into();
        ApiError {
            status: status(&e),
            message: e.to_string(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        logged(self.status, &self.message);
        (
            self.status,
            axum::Json(serde_json::json!({ "error": self.message })),
        )
            .into_response()
    }
}

/// axum's own rejections (a body that is not JSON, a bad query string)
/// answer in plain text; through these the API answers them as documented.
macro_rules! rejection_as_api_error {
    ($($rejection:ty),*) => {$(
        impl From<$rejection> for ApiError {
            fn from(r: $rejection) -> Self {
                ApiError {
                    status: r.status(),
                    message: r.body_text(),
                }
            }
        }
    )*};
}

rejection_as_api_error!(
    axum::extract::rejection::JsonRejection,
    axum::extract::rejection::QueryRejection,
    axum::extract::rejection::PathRejection
);
