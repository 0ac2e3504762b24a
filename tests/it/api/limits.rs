//! The limits a query meets: its time, each user's concurrency, memory.

use super::*;

/// A slow query is cancelled at the limit while the server answers
/// others; its place is let go; a user runs at most two queries at once,
/// and the cap is per user; the audit log records the timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_query_is_cancelled_at_the_limit_while_others_are_answered() {
    let f = fixture();
    let api = Api::start();
    // A slow query is cancelled at the limit (10 s here); meanwhile the
    // server answers others; afterwards it is idle (the work really stopped).
    let server_log = api.log.clone();
    let before = started_so_far(&server_log);
    let slow = {
        let request = api.sql(
            &f.analyst,
            "SELECT sum(length(repeat(CAST(value AS VARCHAR), 20))) FROM range(2000000000)",
        );
        tokio::spawn(async move {
            let response = request.send().await.unwrap();
            (response.status(), response.text().await.unwrap())
        })
    };
    started(&server_log, before + 1).await;
    let quick = api
        .http
        .get(format!("{}/", api.url))
        .bearer_auth(&f.commissioner)
        .send()
        .await
        .unwrap();
    assert_eq!(quick.status(), StatusCode::OK);
    let quick_api = api
        .sql(&f.analyst, "SELECT count(*) AS n FROM areas")
        .send()
        .await
        .unwrap();
    assert_eq!(quick_api.status(), StatusCode::OK);
    // Both were answered while the slow query was still running: an order
    // of events, not a speed, read from the server's side (a query is
    // written to the audit log when it ends; whether the client's task has
    // finished says nothing about when the server answered).
    let ended = |api: &Api| {
        api.audit_records()
            .iter()
            .filter(|r| {
                r["sql"]
                    .as_str()
                    .is_some_and(|s| s.contains("range(2000000000)"))
            })
            .count()
    };
    assert_eq!(ended(&api), 0, "others waited on the slow query");
    let (status, body) = slow.await.unwrap();
    assert_eq!(status, StatusCode::REQUEST_TIMEOUT, "{body}");
    assert!(body.contains("cancelled after 10 seconds"), "{body}");
    assert_eq!(ended(&api), 1, "the slow query's end is logged");
    // The cancelled query let go of its place: the same user can run two
    // more at once below, which the cap would refuse were it still held.

    // A user runs at most 2 queries at once: a third is told to wait.
    let slow_sql = "SELECT sum(length(repeat(CAST(value AS VARCHAR), 20))) FROM range(2000000000)";
    let before = started_so_far(&server_log);
    let both: Vec<_> = (0..2)
        .map(|_| {
            let request = api.sql(&f.analyst, slow_sql);
            tokio::spawn(async move {
                let response = request.send().await.unwrap();
                (response.status(), response.text().await.unwrap_or_default())
            })
        })
        .collect();
    started(&server_log, before + 2).await;
    let third = api.sql(&f.analyst, "SELECT 1").send().await.unwrap();
    assert_eq!(third.status(), StatusCode::TOO_MANY_REQUESTS);
    let body: Value = third.json().await.unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("already have 2 queries running"),
        "{body}"
    );
    // Another analyst is not held up by the first one's two: the cap is
    // per user.
    let other_user = api.sql(&f.second_analyst, "SELECT 1").send().await.unwrap();
    assert_eq!(other_user.status(), StatusCode::OK, "the cap is per user");
    for handle in both {
        let (status, body) = handle.await.unwrap();
        assert_eq!(status, StatusCode::REQUEST_TIMEOUT, "{body}");
    }
    assert_eq!(
        api.sql(&f.analyst, "SELECT 1")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );

    // The audit log records the timeout, at the limit.
    let records = api.audit_records();
    let timeout = records
        .iter()
        .find(|r| r["outcome"] == "timeout")
        .expect("a timeout record");
    assert_eq!(timeout["user"], "ana");
    // Cancelled at the limit, not before it (the engine's own record).
    assert!(timeout["ms"].as_u64().unwrap() >= 10_000, "{timeout}");
    assert!(
        timeout["sql"]
            .as_str()
            .unwrap()
            .contains("range(2000000000)")
    );
}

/// Over the memory pool (64 MiB here): a clear error, not a crash.
#[tokio::test]
async fn the_memory_pool_bounds_a_query() {
    let f = fixture();
    let api = Api::start();
    // Over the memory pool (64 MiB here): a clear error, not a crash. A
    // join's build side cannot spill: a hundred million generated numbers
    // outgrow the pool within a few million rows, long before the 10 s
    // timeout even on a loaded machine (a self-join of `employment` read
    // most of a million Parquet rows first, and under the whole suite's
    // load sometimes hit the timeout instead).
    let big = api.sql(&f.analyst,
        "SELECT count(*) FROM generate_series(1, 100000000) a JOIN generate_series(1, 100000000) b ON a.value = b.value",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(big.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = big.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("64 MiB"), "{body}");
}

/// Beyond the memory pool a sort spills to disk, but only so far (8 MiB
/// here): a query that would fill the disk fails with a clear error, and
/// the server goes on answering.
#[tokio::test]
async fn the_spill_limit_bounds_a_query() {
    let f = fixture();
    // (Only here: with 64 MiB of memory, two slow queries at once spill
    // their repartitioning past 8 MiB too.)
    let api = Api::start_with(&["--query-spill-mib", "8"]);
    // A sort can spill: a hundred million numbers in random order outgrow
    // 64 MiB of memory and then 8 MiB of disk within seconds.
    let big = api
        .sql(
            &f.analyst,
            "SELECT value FROM generate_series(1, 100000000) ORDER BY random()",
        )
        .send()
        .await
        .unwrap();
    let status = big.status();
    let body: Value = big.json().await.unwrap();
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    let error = body["error"].as_str().unwrap();
    assert!(error.contains("8.0 MB of temporary disk"), "{body}");
    assert!(!error.contains("datafusion.runtime"), "{body}");
    // The server still answers.
    let small = api.sql(&f.analyst, "SELECT 1").send().await.unwrap();
    assert_eq!(small.status(), StatusCode::OK);
}
