//! What one request or many may consume: a huge value, queries at once,
//! an answer's bytes, an archive's drawing.

use super::app_with_audit;
use crate::common::{evidence_root, send, state};
use axum::body::Body;
use axum::http::Request;

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
