//! Who may see what. Users sign in with a password (a session cookie) or
//! send an API token (`Authorization: Bearer`); every route declares an
//! [`Access`] and [`require`] enforces it before the handler runs.

mod login;
pub mod users;

pub use login::{login_form, login_submit, logout};
pub use users::{Role, User, UsersFile};

use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const SESSION_COOKIE: &str = "evidence_session";
pub const CSRF_COOKIE: &str = "evidence_csrf";
/// A session lasts a working day.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(8 * 60 * 60);

/// What a route needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone: the sign-in page, the stylesheet, the health check.
    Public,
    /// Any signed-in user (commissioners and analysts): disclosure-controlled
    /// pages.
    SignedIn,
    /// Analysts only: exact figures and SQL.
    Analyst,
}

impl Access {
    pub fn allows(self, user: Option<&User>) -> bool {
        match self {
            Access::Public => true,
            Access::SignedIn => user.is_some(),
            Access::Analyst => user.is_some_and(|u| u.role == Role::Analyst),
        }
    }
}

/// Failed sign-ins allowed per name before it is locked for a while.
pub const MAX_FAILED_SIGN_INS: u32 = 5;
pub const SIGN_IN_LOCKOUT: Duration = Duration::from_secs(15 * 60);

pub struct Auth {
    users: UsersFile,
    sessions: Mutex<HashMap<String, (User, Instant)>>,
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl Auth {
    pub fn new(users: UsersFile) -> Self {
        Auth {
            users,
            sessions: Mutex::new(HashMap::new()),
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Whether sign-in for `name` is locked after repeated failures, and for
    /// how much longer.
    pub fn locked_for(&self, name: &str) -> Option<Duration> {
        let failures = self.failures.lock().ok()?;
        let (count, since) = failures.get(name)?;
        let left = SIGN_IN_LOCKOUT.saturating_sub(since.elapsed());
        (*count >= MAX_FAILED_SIGN_INS && !left.is_zero()).then_some(left)
    }

    /// Count a failed sign-in (the window restarts after a lockout ends).
    pub fn sign_in_failed(&self, name: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            let entry = failures
                .entry(name.to_string())
                .or_insert((0, Instant::now()));
            if entry.1.elapsed() >= SIGN_IN_LOCKOUT {
                *entry = (0, Instant::now());
            }
            entry.0 += 1;
        }
    }

    pub fn sign_in_succeeded(&self, name: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.remove(name);
        }
    }

    pub fn users(&self) -> &UsersFile {
        &self.users
    }

    /// Start a session; its id goes in the cookie.
    pub fn start_session(&self, user: User) -> String {
        let id = users::random_hex(32);
        if let Ok(mut sessions) = self.sessions.lock() {
            sessions.retain(|_, (_, started)| started.elapsed() < SESSION_LIFETIME);
            sessions.insert(id.clone(), (user, Instant::now()));
        }
        id
    }

    pub fn end_session(&self, id: &str) {
        if let Ok(mut sessions) = self.sessions.lock() {
            sessions.remove(id);
        }
    }

    fn session_user(&self, id: &str) -> Option<User> {
        let sessions = self.sessions.lock().ok()?;
        let (user, started) = sessions.get(id)?;
        (started.elapsed() < SESSION_LIFETIME).then(|| user.clone())
    }

    /// The user a request comes from: its bearer token, else its session.
    pub fn user_of(&self, headers: &axum::http::HeaderMap) -> Option<User> {
        if let Some(value) = headers.get(header::AUTHORIZATION) {
            let token = value.to_str().ok()?.strip_prefix("Bearer ")?.trim();
            return self.users.user_for_token(token);
        }
        let id = cookie(headers, SESSION_COOKIE)?;
        self.session_user(&id)
    }
}

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

/// Whether the request wants a page (a browser) rather than data.
fn wants_page(request: &Request) -> bool {
    !request.uri().path().starts_with("/api/")
        && request.headers().get(header::AUTHORIZATION).is_none()
}

/// Enforce `access` on a request; the signed-in user (if any) goes into the
/// request's extensions for the handler.
pub async fn require(
    State((state, access)): State<(AppState, Access)>,
    mut request: Request,
    next: Next,
) -> Response {
    let user = state.auth().user_of(request.headers());
    if !access.allows(user.as_ref()) {
        return match (&user, wants_page(&request)) {
            (None, true) => {
                let next = request
                    .uri()
                    .path_and_query()
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_else(|| "/".into());
                Redirect::to(&format!("/login?next={}", urlencode(&next))).into_response()
            }
            (None, false) => crate::error::DashboardError::Unauthorized.into_response(),
            (Some(u), _) => crate::error::DashboardError::Forbidden(format!(
                "This needs the analyst role; you are signed in as {} ({}).",
                u.name,
                u.role.as_str()
            ))
            .into_response(),
        };
    }
    if let Some(user) = user {
        request.extensions_mut().insert(user);
    }
    next.run(request).await
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
