//! What handlers take from a request: who is looking ([`Viewer`]), cookies,
//! and the API's extractors, whose rejections answer as JSON ([`ApiJson`],
//! [`ApiQuery`], [`ApiPath`]).

use super::error::ApiError;
use crate::auth::{Auth, CSRF_COOKIE, SESSION_COOKIE, User};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The user a request comes from: its bearer token if it sends one (and
/// then only that), else its session cookie.
pub fn user_of(auth: &Auth, headers: &axum::http::HeaderMap) -> Option<User> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let token = value.to_str().ok()?.strip_prefix("Bearer ")?.trim();
        return auth.token_user(token);
    }
    auth.session_user(&cookie(headers, SESSION_COOKIE)?)
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Who is looking: the signed-in user (set by `access::require`) and the
/// CSRF token their forms carry.
pub struct Viewer {
    pub user: Option<User>,
    pub csrf: Option<String>,
}

/// The signed-in session's form token (set by `access::require`).
#[derive(Clone, Debug)]
pub struct SessionCsrf(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Viewer {
            user: parts.extensions.get::<User>().cloned(),
            csrf: parts
                .extensions
                .get::<SessionCsrf>()
                .map(|c| c.0.clone())
                .or_else(|| cookie(&parts.headers, CSRF_COOKIE)),
        })
    }
}

/// A JSON body; a body that cannot be read answers a JSON error.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let axum::Json(value) = axum::Json::<T>::from_request(request, state).await?;
        Ok(ApiJson(value))
    }
}

/// Query parameters; a query string that cannot be read answers a JSON error.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let axum::extract::Query(value) =
            axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(ApiQuery(value))
    }
}

/// Path parameters; answers a JSON error if they cannot be read.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let axum::extract::Path(value) =
            axum::extract::Path::<T>::from_request_parts(parts, state).await?;
        Ok(ApiPath(value))
    }
}
