//! Every route's [`Access`] enforced before its handler runs: a page route
//! sends a visitor who is not signed in to the sign-in page; an API route
//! answers 401 or 403 as JSON.

use super::error::{ApiError, PageError};
use super::extract::{SessionCsrf, cookie, urlencode, user_of};
use crate::auth::{Access, SESSION_COOKIE, User};
use crate::error::DashboardError;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

/// Which kind of answer a route gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answers {
    Pages,
    Json,
}

fn refused(user: Option<&User>) -> DashboardError {
    match user {
        None => DashboardError::Unauthorized,
        Some(u) => DashboardError::Forbidden(format!(
            "This needs the analyst role; you are signed in as {} ({}).",
            u.name,
            u.role.as_str()
        )),
    }
}

/// Enforce `access` on a request; the signed-in user (if any) goes into the
/// request's extensions for the handler.
pub async fn require(
    State((state, access, answers)): State<(AppState, Access, Answers)>,
    mut request: Request,
    next: Next,
) -> Response {
    let user = user_of(state.auth(), request.headers());
    if !access.allows(user.as_ref()) {
        let sends_token = request
            .headers()
            .contains_key(axum::http::header::AUTHORIZATION);
        return match (answers, &user) {
            (Answers::Json, _) => ApiError::from(refused(user.as_ref())).into_response(),
            (Answers::Pages, None) if !sends_token => {
                let next = request
                    .uri()
                    .path_and_query()
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_else(|| "/".into());
                Redirect::to(&format!("/login?next={}", urlencode(&next))).into_response()
            }
            (Answers::Pages, _) => PageError(refused(user.as_ref())).into_response(),
        };
    }
    if let Some(user) = user {
        request.extensions_mut().insert(user);
    }
    if let Some(csrf) = cookie(request.headers(), SESSION_COOKIE)
        .and_then(|session| state.auth().session_csrf(&session))
    {
        request.extensions_mut().insert(SessionCsrf(csrf));
    }
    next.run(request).await
}
