//! Attacks on the server, each of which succeeded before its fix (issue
//! 28): guesses sent at once to get past the lockout, a flood of sign-ins
//! to exhaust the password checks, an open redirect through a stripped
//! character, SQL run by following a link, a saved query's parameter made
//! into SQL, answers too large to hold, and missing headers.

use crate::common::{evidence_root, send, state};
use axum::body::Body;
use axum::http::Request;

const CSRF: &str = "abababababababababababababababababababababababababababababababab";

fn sign_in(name: &str, password: &str, next: &str) -> Request<Body> {
    Request::post("/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", format!("__Host-evidence_csrf={CSRF}"))
        .body(Body::from(format!(
            "name={name}&password={password}&csrf={CSRF}&next={next}"
        )))
        .unwrap()
}

/// Twenty wrong guesses for a real user sent at once: before, each was
/// checked and counted afterwards, so all twenty ran (401); now each is
/// counted as it starts, so no more than the lockout allows are checked and
/// the rest are refused (429) without a password check.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn guesses_sent_at_once_cannot_pass_the_lockout() {
    let app = state(evidence_root(20_000, 3)).await;
    let guesses: Vec<_> = (0..20)
        .map(|i| {
            let app = app.state.clone();
            tokio::spawn(async move {
                use tower::ServiceExt;
                dashboard::router(app)
                    .oneshot(sign_in("ana", &format!("guess{i}"), "/"))
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for g in guesses {
        statuses.push(g.await.unwrap());
    }
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert!(
        checked <= dashboard::auth::MAX_FAILED_SIGN_INS as usize,
        "{checked} guesses were checked: {statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
}

/// A thousand sign-ins under unknown names at once: before, every one ran
/// an argon2 check (19 MiB each) and was remembered; now a few run at a
/// time and the rest are told to wait (429) at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_flood_of_sign_ins_is_capped() {
    let app = state(evidence_root(20_000, 3)).await;
    let attempts: Vec<_> = (0..1000)
        .map(|i| {
            let app = app.state.clone();
            tokio::spawn(async move {
                use tower::ServiceExt;
                dashboard::router(app)
                    .oneshot(sign_in(&format!("nobody{i}"), "guess", "/"))
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut busy = 0;
    for a in attempts {
        let status = a.await.unwrap();
        assert!(status == 401 || status == 429, "{status}");
        busy += usize::from(status == 429);
    }
    assert!(busy > 0, "no sign-in was told to wait");
    // The real user still gets in afterwards.
    let ok = send(&app, sign_in("ana", "analyst-password", "/")).await;
    assert_eq!(ok.status, 303);
}

/// What the server logs while `during` runs on this thread.
async fn logged<F: std::future::Future>(during: F) -> (F::Output, String) {
    #[derive(Clone, Default)]
    struct Buffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    let output = during.await;
    drop(guard);
    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    (output, text)
}

/// A name carrying a newline would, logged as given, forge a log line
/// ("… sign-in refused user=ana" then "INFO signed in user=ana"): now such a
/// name is refused before anything is checked, counted or logged as given.
#[tokio::test]
async fn a_name_with_a_newline_cannot_forge_a_log_line() {
    let app = state(evidence_root(20_000, 3)).await;
    let (forged, log) = logged(send(
        &app,
        sign_in("cora%0AINFO+signed+in+user%3Dana", "x", "/"),
    ))
    .await;
    assert_eq!(forged.status, 401);
    assert!(
        !log.contains("\nINFO signed in"),
        "a forged line in the log:\n{log}"
    );
    // Never counted against anyone.
    for _ in 0..dashboard::auth::MAX_FAILED_SIGN_INS {
        let _ = send(&app, sign_in("ana%0Ax", "x", "/")).await;
    }
    assert_eq!(
        send(&app, sign_in("ana", "analyst-password", "/"))
            .await
            .status,
        303
    );
}

/// `next=/%09/evil.example` decodes to a tab, which browsers strip, leaving
/// `//evil.example`: before, it passed the check.
#[tokio::test]
async fn a_stripped_character_cannot_make_an_open_redirect() {
    let app = state(evidence_root(20_000, 3)).await;
    for next in ["/%09/evil.example", "/%0A/evil.example", "/%5Cevil.example"] {
        use tower::ServiceExt;
        let response = dashboard::router(app.state.clone())
            .oneshot(sign_in("cora", "commissioner-password", next))
            .await
            .unwrap();
        assert_eq!(response.status(), 303);
        assert_eq!(
            response
                .headers()
                .get("location")
                .unwrap()
                .to_str()
                .unwrap(),
            "/",
            "{next}"
        );
    }
}

/// An app whose engine reads the dataset root and writes its audit log to
/// `audit`.
async fn app_with_audit(audit: &std::path::Path) -> crate::common::TestApp {
    let fixture = evidence_root(20_000, 3);
    let data = fixture.evidence.parent().unwrap().join("data");
    let root = |p: &std::path::Path| contract::Root::parse(p.to_str().unwrap()).unwrap();
    let mut users = dashboard::auth::UsersFile::default();
    let commissioner = users
        .add(
            "cora",
            dashboard::auth::Role::Commissioner,
            Some("commissioner-password"),
        )
        .unwrap();
    let analyst = users
        .add(
            "ana",
            dashboard::auth::Role::Analyst,
            Some("analyst-password"),
        )
        .unwrap();
    let mut config = dashboard::Config::new(root(&fixture.evidence));
    config.data = Some(root(&data));
    config.users = users;
    config.audit = dashboard::analysts::query_log::AuditLog::open(audit.to_path_buf()).unwrap();
    crate::common::TestApp {
        state: dashboard::AppState::new(config).await.unwrap(),
        commissioner,
        analyst,
    }
}

/// Sign in through the form; the session cookie (`name=value`) and the
/// token the workbench's forms carry.
async fn analyst_session(app: &crate::common::TestApp) -> (String, String) {
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

fn audited(path: &std::path::Path) -> usize {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("FROM people"))
        .count()
}

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

/// `SELECT repeat('x', 2147483647)` built a 2 GiB value outside the memory
/// pool (a function's output is not counted against it); the workbench
/// and the API then copied it several times over. Now such a function
/// refuses to make a value over 1 MiB, with a clear error.
#[tokio::test]
async fn a_query_cannot_build_a_huge_value() {
    let app = state(evidence_root(20_000, 3)).await;
    for sql in [
        "SELECT repeat('x', 10000000) AS v",
        "SELECT lpad('a', 100000000) AS v",
        "SELECT rpad('a', 100000000, 'b') AS v",
        "SELECT repeat(CAST(value AS VARCHAR), 3000000) AS v FROM range(3)",
    ] {
        let answer = send(
            &app,
            Request::post("/api/sql")
                .header("authorization", format!("Bearer {}", app.analyst))
                .header("content-type", "application/json")
                .body(Body::from(serde_json::json!({ "sql": sql }).to_string()))
                .unwrap(),
        )
        .await;
        assert_eq!(
            answer.status,
            413,
            "{sql}: {}",
            answer.text().chars().take(200).collect::<String>()
        );
        assert!(answer.text().contains("more than the 64 KiB"), "{sql}");
    }
    // Small values still work.
    let small = send(
        &app,
        Request::post("/api/sql")
            .header("authorization", format!("Bearer {}", app.analyst))
            .header("content-type", "application/json")
            .body(Body::from(r#"{"sql": "SELECT repeat('ab', 3) AS v"}"#))
            .unwrap(),
    )
    .await;
    assert_eq!(small.status, 200);
    assert!(small.text().contains("ababab"));
}

/// Every analyst's queries together are capped, not only each one's.
#[tokio::test]
async fn the_server_runs_a_bounded_number_of_queries_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_audit(&dir.path().join("audit.jsonl")).await;
    let engine = app.state.engine().unwrap();
    let analyst = |name: &str| dashboard::auth::User {
        name: name.into(),
        role: dashboard::auth::Role::Analyst,
    };
    let limit = engine.limits().server;
    let mut held = Vec::new();
    for i in 0..limit {
        // Different analysts, so no one reaches their own cap.
        held.push(
            engine
                .start(&analyst(&format!("a{i}")), "SELECT 1", "test")
                .await
                .unwrap(),
        );
    }
    let refused = engine.start(&analyst("another"), "SELECT 1", "test").await;
    let e = refused.err().expect("refused while the server is full");
    assert!(e.to_string().contains("as many as it runs at once"), "{e}");
    drop(held);
    assert!(
        engine
            .start(&analyst("another"), "SELECT 1", "test")
            .await
            .is_ok()
    );
}

/// Many values each under the limit: the call as a whole is bounded, and a
/// JSON answer keeps at most 8 MiB of rows (saying it is truncated), so an
/// answer cannot be made gigabytes large one row at a time.
#[tokio::test]
async fn an_answer_is_bounded_in_bytes() {
    let app = state(evidence_root(20_000, 3)).await;
    let ask = |sql: &str| {
        Request::post("/api/sql")
            .header("authorization", format!("Bearer {}", app.analyst))
            .header("content-type", "application/json")
            .body(Body::from(serde_json::json!({ "sql": sql }).to_string()))
            .unwrap()
    };
    let wide = send(
        &app,
        ask("SELECT repeat('x' || CAST(value AS VARCHAR), 10000) AS v FROM range(100000)"),
    )
    .await;
    assert_eq!(wide.status, 413, "one call over 16 MiB");
    assert!(
        wide.text().contains("16 MiB one call may make"),
        "{}",
        wide.text()
    );
    let many = send(
        &app,
        ask("SELECT repeat('x', 1000) AS v FROM range(100000)"),
    )
    .await;
    assert_eq!(many.status, 200);
    assert!(many.body.len() < 12 << 20, "{} bytes", many.body.len());
    let answer: serde_json::Value = serde_json::from_slice(&many.body).unwrap();
    assert_eq!(answer["truncated"], true);
    assert_eq!(answer["total_rows"], 100_000);
}

/// `archive.zip` drew every chart at 300 dpi on each request: now once per
/// run and programme, one at a time, whatever the requests.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_programme_archive_is_drawn_once_per_run() {
    let app = state(evidence_root(20_000, 3)).await;
    let made = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let requests: Vec<_> = (0..8)
        .map(|_| {
            let (state, made) = (app.state.clone(), made.clone());
            tokio::spawn(async move {
                state
                    .archive("run-1", "workwell", move || {
                        made.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        Ok(vec![1, 2, 3])
                    })
                    .await
                    .unwrap()
            })
        })
        .collect();
    for r in requests {
        assert_eq!(*r.await.unwrap(), vec![1, 2, 3]);
    }
    assert_eq!(made.load(std::sync::atomic::Ordering::SeqCst), 1);
    // Through the route, twice: the same bytes.
    let first = crate::common::get(&app, "/programme/workwell/archive.zip").await;
    let second = crate::common::get(&app, "/programme/workwell/archive.zip").await;
    assert_eq!(first.status, 200);
    assert_eq!(first.body, second.body);
}
