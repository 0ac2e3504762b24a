//! The analysts' workbench: SQL run by following a link, and the
//! record-level cohort only where record-level access is configured.

use super::{analyst_session, app_with_audit, audited};
use crate::common::{evidence_root, send, state};
use axum::body::Body;
use axum::http::Request;

/// Another site links an analyst to `/workbench?sql=…` (the session cookie
/// is `SameSite=Lax`, so it travels with a link): before, the query ran and
/// the audit log recorded a person lookup the analyst never made. Now a
/// link only fills the editor; running needs the session's token in a
/// form, and a form from elsewhere is refused.
#[tokio::test]
async fn a_link_cannot_make_an_analyst_run_sql() {
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let app = app_with_audit(&audit).await;
    let (cookie, csrf) = analyst_session(&app).await;
    let lookup = "SELECT person_id FROM people LIMIT 1";
    let linked = send(
        &app,
        Request::get(format!("/workbench?sql={}", lookup.replace(' ', "+")))
            .header("cookie", &cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(linked.status, 200);
    let html = linked.text();
    assert!(html.contains(lookup), "the editor holds the query");
    assert!(html.contains("id=\"ready\""), "and says it has not run");
    assert!(!html.contains("id=\"row-count\""), "no result");
    assert_eq!(audited(&audit), 0, "nothing ran");
    let form = |token: &str| {
        Request::post("/workbench")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", &cookie)
            .body(Body::from(format!(
                "csrf={token}&sql={}",
                lookup.replace(' ', "+")
            )))
            .unwrap()
    };
    // A form posted from another site has no token of this session.
    assert_eq!(send(&app, form("0000")).await.status, 403);
    assert_eq!(audited(&audit), 0);
    // The workbench's own form runs it.
    let ran = send(&app, form(&csrf)).await;
    assert_eq!(ran.status, 200);
    assert!(ran.text().contains("id=\"row-count\""));
    assert_eq!(audited(&audit), 1, "the run is audited");
    // Downloads and result charts run the query too: forms with the token.
    let download = |token: &str| {
        Request::post("/workbench/download")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", &cookie)
            .body(Body::from(format!(
                "csrf={token}&format=csv&sql={}",
                lookup.replace(' ', "+")
            )))
            .unwrap()
    };
    assert_eq!(send(&app, download("0000")).await.status, 403);
    assert_eq!(send(&app, download(&csrf)).await.status, 200);
}

/// The analysts' record-level cohort (source pseudonyms, near-unique
/// attribute combinations) was registered from the evidence root alone and
/// listed as an evidence table: now only where record-level access is
/// configured (`--data`), and listed as record-level.
#[tokio::test]
async fn the_record_level_cohort_needs_record_level_access() {
    let app = state(evidence_root(20_000, 3)).await;
    let listed = |app: &crate::common::TestApp| {
        let app = app.state.clone();
        async move {
            let engine = app.engine().unwrap();
            engine
                .tables()
                .await
                .into_iter()
                .map(|t| (t.name, t.kind))
                .collect::<Vec<_>>()
        }
    };
    let without = listed(&app).await;
    assert!(
        !without.iter().any(|(name, _)| name == "cohort"),
        "{without:?}"
    );
    let dir = tempfile::tempdir().unwrap();
    let with_data = app_with_audit(&dir.path().join("audit.jsonl")).await;
    let with = listed(&with_data).await;
    assert!(
        with.contains(&("cohort".to_string(), "record-level".to_string())),
        "{with:?}"
    );
}
