//! Who may query, and what may be run.

use super::*;

/// 401 without a token, 403 for a commissioner, 400 with the reason for
/// any statement that is not a query, 413 for a body over the limit.
#[tokio::test]
async fn only_analysts_may_query_and_only_queries_run() {
    let f = fixture();
    let api = Api::start();
    // Others: 401 without a token, 403 for a commissioner, both as JSON.
    let none = api
        .http
        .post(format!("{}/api/sql", api.url))
        .json(&json!({"sql": "SELECT 1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    let refused = api.sql(&f.commissioner, "SELECT 1").send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let body: Value = refused.json().await.unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("analyst role"),
        "{body}"
    );
    let bad = api.sql("evd_0000", "SELECT 1").send().await.unwrap();
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);

    // Every kind of statement that is not a query: 400 with the reason.
    for (statement, reason) in [
        ("DROP TABLE people", "DROP TABLE is refused"),
        ("CREATE TABLE x AS SELECT 1", "CREATE TABLE is refused"),
        ("INSERT INTO areas VALUES ('a', 'b', 'c')", "Changing data"),
        ("DELETE FROM people", "Changing data"),
        ("COPY people TO '/tmp/people.csv'", "COPY is refused"),
        (
            "CREATE EXTERNAL TABLE p STORED AS CSV LOCATION '/etc/passwd'",
            "CREATE EXTERNAL TABLE is refused",
        ),
        (
            "SET datafusion.execution.batch_size = 1",
            "SET and SHOW of settings are refused",
        ),
        ("SELECT 1; SELECT 2", "one statement at a time"),
    ] {
        let response = api.sql(&f.analyst, statement).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{statement}");
        let body: Value = response.json().await.unwrap();
        assert!(
            body["error"].as_str().unwrap().contains(reason),
            "{statement}: {body}"
        );
    }

    // A request body over the limit (2 MB) is refused before it is read.
    let huge = format!("SELECT '{}'", "x".repeat(3 << 20));
    let response = api.sql(&f.analyst, &huge).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}
