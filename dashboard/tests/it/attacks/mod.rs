//! Attacks on the server, each of which succeeded before its fix (issue
//! 28): guesses sent at once to get past the lockout, a flood of sign-ins
//! to exhaust the password checks, an open redirect through a stripped
//! character (`sign_in.rs`); SQL run by following a link, the record-level
//! cohort without record-level access (`workbench.rs`); answers too large
//! to hold, too many queries at once, charts drawn on every request
//! (`resources.rs`); and missing headers (`headers.rs`).

mod headers;
mod resources;
mod sign_in;
mod workbench;

use crate::common::{evidence_root, send};
use axum::body::Body;
use axum::http::Request;

const CSRF: &str = "abababababababababababababababababababababababababababababababab";

pub(super) fn sign_in(name: &str, password: &str, next: &str) -> Request<Body> {
    Request::post("/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", format!("__Host-evidence_csrf={CSRF}"))
        .body(Body::from(format!(
            "name={name}&password={password}&csrf={CSRF}&next={next}"
        )))
        .unwrap()
}

/// An app whose engine reads the dataset root and writes its audit log to
/// `audit`.
pub(super) async fn app_with_audit(audit: &std::path::Path) -> crate::common::TestApp {
    let fixture = evidence_root(20_000, 3);
    crate::common::app_with(&fixture.evidence, Some(&fixture.data), Some(audit)).await
}

/// Sign in through the form; the session cookie (`name=value`) and the
/// token the workbench's forms carry.
pub(super) async fn analyst_session(app: &crate::common::TestApp) -> (String, String) {
    use tower::ServiceExt;
    let response = dashboard::router(app.state.clone())
        .oneshot(sign_in("ana", "analyst-password", "/workbench"))
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let session = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("__Host-evidence_session="))
        .expect("a session cookie");
    let cookie = session.split(';').next().unwrap().to_string();
    let page = send(
        app,
        Request::get("/workbench")
            .header("cookie", &cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let html = page.text();
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    (cookie, csrf)
}

pub(super) fn audited(path: &std::path::Path) -> usize {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("FROM people"))
        .count()
}
