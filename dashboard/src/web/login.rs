//! Signing in and out. Forms carry a CSRF token that must match the
//! `evidence_csrf` cookie (double submit); cookies are `HttpOnly`, `Secure`
//! and `SameSite`.

use super::error::PageError;
use super::extract::cookie;
use crate::auth::users::random_hex;
use crate::auth::{CSRF_COOKIE, SESSION_COOKIE, SignInRefused};
use crate::error::DashboardError;
use crate::state::AppState;
use axum::Extension;
use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;
use std::net::SocketAddr;
use subtle::ConstantTimeEq;

#[derive(Deserialize)]
pub struct Next {
    next: Option<String>,
}

/// Only same-site paths: `/x`, never `//host`, a URL, or anything a
/// browser would rewrite into one (a backslash, or a tab, newline or other
/// control character, which browsers strip: `/\t/evil.example` is
/// `//evil.example` to them). The path must be printable ASCII.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && n.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

/// A cookie for this site only (`__Host-` names need `Secure`, `Path=/` and
/// no `Domain`); with `max_age` `None`, one that ends when the browser
/// closes.
fn set_cookie(name: &str, value: &str, max_age: Option<u64>) -> HeaderValue {
    let age = max_age.map_or(String::new(), |a| format!("; Max-Age={a}"));
    let cookie = format!("{name}={value}; Path=/{age}; HttpOnly; Secure; SameSite=Lax");
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn form(headers: &HeaderMap, next: &str, error: Option<&str>) -> Result<Response, PageError> {
    let csrf = cookie(headers, CSRF_COOKIE)
        .filter(|c| c.len() == 64 && c.chars().all(|ch| ch.is_ascii_hexdigit()))
        .unwrap_or_else(|| random_hex(32));
    let page = super::templates::render(
        "login.html",
        context! { title => "Sign in", csrf, next, error, footnote => crate::disclosure::FOOTNOTE },
    )?;
    let status = if error.is_some() {
        axum::http::StatusCode::UNAUTHORIZED
    } else {
        axum::http::StatusCode::OK
    };
    let mut response = (status, page).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(CSRF_COOKIE, &csrf, Some(3600)),
    );
    Ok(response)
}

pub async fn login_form(headers: HeaderMap, Query(q): Query<Next>) -> Result<Response, PageError> {
    form(&headers, &safe_next(q.next.as_deref()), None)
}

#[derive(Deserialize)]
pub struct Login {
    name: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

/// The form's token is the session's own (signed in), or matches the
/// sign-in page's cookie (signing in): the post came from our own page.
pub fn csrf_ok(auth: &crate::auth::Auth, headers: &HeaderMap, submitted: &str) -> bool {
    let expected = match cookie(headers, SESSION_COOKIE) {
        Some(session) => auth.session_csrf(&session),
        None => cookie(headers, CSRF_COOKIE),
    };
    expected.is_some_and(|c| !c.is_empty() && bool::from(c.as_bytes().ct_eq(submitted.as_bytes())))
}

pub async fn login_submit(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Form(login): Form<Login>,
) -> Result<Response, PageError> {
    let next = safe_next(login.next.as_deref());
    let sign_in_token = cookie(&headers, CSRF_COOKIE)
        .is_some_and(|c| !c.is_empty() && bool::from(c.as_bytes().ct_eq(login.csrf.as_bytes())));
    if !sign_in_token {
        return Err(PageError(DashboardError::Forbidden(
            "The sign-in form expired or did not come from this site; open the sign-in page again."
                .into(),
        )));
    }
    let auth = state.auth();
    let from = peer.map(|Extension(ConnectInfo(address))| address.ip());
    let attempt = match auth.begin_sign_in(&login.name, from) {
        Ok(attempt) => attempt,
        // Not a name at all: refused before any work, and never logged as
        // given (it could carry a newline).
        Err(SignInRefused::BadName) => {
            return form(&headers, &next, Some("The name or password is not right."));
        }
        Err(SignInRefused::Busy) => {
            tracing::warn!(user = ?login.name, "sign-in refused: every password check is busy");
            return Err(PageError(DashboardError::TooMany(
                "Too many sign-ins at once; try again in a moment.".into(),
            )));
        }
        Err(SignInRefused::Locked(left)) => {
            tracing::warn!(user = ?login.name, "sign-in refused: locked after repeated failures");
            return Err(PageError(DashboardError::TooMany(format!(
                "Too many failed sign-ins for this name; try again in {} minutes.",
                left.as_secs().div_ceil(60)
            ))));
        }
    };
    let users = auth.users().clone();
    let (name, password) = (login.name.clone(), login.password.clone());
    // Argon2 is deliberately slow: keep it off the async workers, holding
    // one of the few places for it.
    let (user, attempt) = tokio::task::spawn_blocking(move || {
        let user = users.verify_password(&name, &password);
        (user, attempt)
    })
    .await
    .map_err(|e| {
        PageError(DashboardError::Io(std::io::Error::other(format!(
            "checking a password: {e}"
        ))))
    })?;
    let Some(user) = user else {
        drop(attempt);
        tracing::info!(user = ?login.name, "sign-in refused");
        return form(&headers, &next, Some("The name or password is not right."));
    };
    auth.sign_in_succeeded(attempt);
    tracing::info!(user = %user.name, role = user.role.as_str(), "signed in");
    let session = auth.start_session(user);
    let mut response = Redirect::to(&next).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, &session, None),
    );
    // The sign-in page's token is spent.
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(CSRF_COOKIE, "", Some(0)));
    Ok(response)
}

#[derive(Deserialize)]
pub struct Logout {
    csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<Logout>,
) -> Result<Response, PageError> {
    if !csrf_ok(state.auth(), &headers, &form.csrf) {
        return Err(PageError(DashboardError::Forbidden(
            "The sign-out form did not come from this site.".into(),
        )));
    }
    if let Some(id) = cookie(&headers, SESSION_COOKIE) {
        state.auth().end_session(&id);
    }
    let mut response = Redirect::to("/login").into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", Some(0)));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_is_a_same_site_path_or_the_overview() {
        assert_eq!(safe_next(Some("/fit-notes?x=1")), "/fit-notes?x=1");
        for hostile in [
            "//evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\\evil.example",
            "https://evil.example",
            "/ /evil.example",
            "/\u{7f}/evil.example",
            "/é",
        ] {
            assert_eq!(safe_next(Some(hostile)), "/", "{hostile:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
