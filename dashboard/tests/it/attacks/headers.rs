//! Every answer's headers, and a session whose token is its own.

use super::{analyst_session, app_with_audit};
use crate::common::send;
use axum::body::Body;
use axum::http::Request;

/// Headers on every answer, cookies only this site can set and that end
/// with the browser, and a sign-out that works for the whole session
/// (before: its token was a separate one-hour cookie, so after an hour
/// nobody could sign out).
#[tokio::test]
async fn answers_carry_the_headers_and_the_session_its_own_token() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_audit(&dir.path().join("audit.jsonl")).await;
    use tower::ServiceExt;
    let page = dashboard::router(app.state.clone())
        .oneshot(
            Request::get("/")
                .header("authorization", format!("Bearer {}", app.commissioner))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let header = |name: &str| {
        page.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    assert!(header("content-security-policy").contains("frame-ancestors 'none'"));
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert_eq!(header("cache-control"), "no-store");
    assert_eq!(header("referrer-policy"), "same-origin");
    let (cookie, csrf) = analyst_session(&app).await;
    assert!(cookie.starts_with("__Host-evidence_session="));
    // The sign-in page's cookie has gone; the session's token signs out.
    let out = dashboard::router(app.state.clone())
        .oneshot(
            Request::post("/logout")
                .header("content-type", "application/x-www-form-urlencoded")
                .header("cookie", &cookie)
                .body(Body::from(format!("csrf={csrf}")))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    let after = send(
        &app,
        Request::get("/workbench")
            .header("cookie", &cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(after.status, 303, "signed out");
}
