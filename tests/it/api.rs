//! The analysts' API over real HTTP, against the real `evidence serve`:
//! exact figures for analysts, 401/403 for others, refusals with reasons,
//! a slow query cancelled while others are answered, the memory limit, the
//! row cap, and streamed CSV/Parquet/JSON exports of a 1M-row result with
//! the server's memory measured.

use datafusion::prelude::{ParquetReadOptions, SessionContext};
use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::common::{EVIDENCE, evidence, generate, run, serve};

/// A token-only user; the token is the last line of the output.
fn token(users: &Path, name: &str, role: &str) -> String {
    let out = evidence(&[
        "user",
        "add",
        name,
        "--role",
        role,
        "--token-only",
        "--users",
        users.to_str().unwrap(),
    ]);
    out.lines().last().unwrap().to_string()
}

fn rss_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Send a request and read its JSON answer.
async fn json_of(request: reqwest::RequestBuilder) -> Value {
    request.send().await.unwrap().json().await.unwrap()
}

/// Wait until the server's log shows at least `n` queries started (its
/// `evidence::query` events): an event to wait on, not a guess at a time.
async fn started(log: &std::path::Path, n: usize) {
    for _ in 0..3000 {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if text.matches("query started").count() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("fewer than {n} queries ever started: {}", log.display());
}

/// How many queries the server's log shows started so far.
fn started_so_far(log: &std::path::Path) -> usize {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .matches("query started")
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sql_api_over_real_http() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let evidence_root = dir.path().join("evidence");
    generate(&data, 30_000, 9);
    run(&data, &evidence_root);
    let users = dir.path().join("users.toml");
    let analyst = token(&users, "ana", "analyst");
    let commissioner = token(&users, "cora", "commissioner");
    let second_analyst = token(&users, "ben", "analyst");
    let audit = dir.path().join("audit.jsonl");
    let mut command = Command::new(EVIDENCE);
    command
        .args(["serve", "--evidence", evidence_root.to_str().unwrap()])
        .args(["--data", data.to_str().unwrap()])
        .args(["--users", users.to_str().unwrap()])
        .args(["--audit-log", audit.to_str().unwrap()])
        .args(["--query-timeout-secs", "10", "--query-memory-mib", "16"])
        .stderr(std::fs::File::create(dir.path().join("serve.log")).unwrap())
        .env("RUST_LOG", "debug");
    let (server, url) = serve(command);
    let pid = server.0.id();
    let http = reqwest::Client::new();
    let sql = |token: &str, sql: &str| {
        http.post(format!("{url}/api/sql"))
            .bearer_auth(token)
            .json(&json!({ "sql": sql }))
    };

    // Exact figures for an analyst, the same as the evidence table.
    let answer = json_of(sql(
        &analyst,
        "SELECT programme, participants, eligible, in_work_6m, att FROM programme_outcomes ORDER BY programme",
    )).await;
    let ctx = SessionContext::new();
    let expected = ctx
        .read_parquet(
            evidence_root
                .join("programme_outcomes.parquet")
                .to_str()
                .unwrap(),
            ParquetReadOptions::default(),
        )
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let expected = contract::small::SmallResult::new(&expected, "programme_outcomes").unwrap();
    let (names, participants, att) = (
        expected.strings("programme").unwrap(),
        expected.counts("participants").unwrap(),
        expected.floats("att").unwrap(),
    );
    let rows = answer["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"));
    assert_eq!(rows.len(), 4, "{answer}");
    for row in rows {
        let i = names
            .iter()
            .position(|n| n.as_deref() == row["programme"].as_str())
            .unwrap();
        assert_eq!(row["participants"].as_u64(), Some(participants[i]));
        // JSON's decimal text parses back to within a unit in the last place.
        let (got, want) = (row["att"].as_f64().unwrap(), att[i].unwrap());
        assert!(
            (got - want).abs() <= 4.0 * f64::EPSILON * want.abs(),
            "{got} vs {want}"
        );
    }
    assert_eq!(
        answer["columns"][1],
        json!({"name": "participants", "type": "Int64"})
    );

    // The input tables analysts query are the rows the run used: quarantined
    // rows are left out (the generator plants some), so the metric views give
    // the evidence root's figures.
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(evidence_root.join("run.json")).unwrap()).unwrap();
    let inputs = manifest["inputs"].as_array().unwrap();
    assert!(
        inputs
            .iter()
            .any(|i| i["rows_quarantined"].as_u64() > Some(0))
    );
    for input in inputs {
        let table = input["table"].as_str().unwrap();
        let counted = json_of(sql(&analyst, &format!("SELECT count(*) AS n FROM {table}"))).await;
        assert_eq!(
            counted["rows"][0]["n"].as_u64(),
            input["rows_used"].as_u64(),
            "{table}: {counted}"
        );
    }
    let mismatched = json_of(sql(
        &analyst,
        "SELECT c.programme FROM programme_counts c JOIN programme_outcomes o ON o.programme = c.programme \
         WHERE c.participants <> o.participants OR c.eligible <> o.eligible OR c.in_work_6m <> o.in_work_6m",
    ))
    .await;
    assert_eq!(mismatched["total_rows"], 0, "{mismatched}");
    assert_eq!(answer["total_rows"], 4);

    // The metric queries of sql/ run as views (the workbench's examples).
    let metric = json_of(sql(
        &analyst,
        "SELECT programme, participants FROM programme_counts ORDER BY programme",
    ))
    .await;
    // Over the validated inputs: the generator's deliberately misspelt
    // referral ("Workwell", quarantined by `evidence run`) is not among
    // them, but analysts find it, with its reason, in the quarantined rows.
    let programmes: Vec<&str> = metric["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["programme"].as_str().unwrap())
        .collect();
    for p in [
        "Health and Growth Accelerator",
        "Inactivity Trailblazer",
        "WorkWell",
        "Youth Guarantee Trailblazer",
    ] {
        assert!(programmes.contains(&p), "{metric}");
    }
    assert!(!programmes.contains(&"Workwell"), "{metric}");
    let misspelt = json_of(sql(
        &analyst,
        "SELECT programme, reason FROM quarantined_referrals WHERE programme = 'Workwell'",
    ))
    .await;
    let rows = misspelt["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{misspelt}");
    assert!(
        rows[0]["reason"].as_str().unwrap().contains("programme"),
        "{misspelt}"
    );
    let trend = json_of(sql(
        &analyst,
        "SELECT count(*) AS n FROM fit_note_did_counts",
    ))
    .await;
    assert!(trend["rows"][0]["n"].as_u64().unwrap() > 0, "{trend}");

    // Others: 401 without a token, 403 for a commissioner, both as JSON.
    let none = http
        .post(format!("{url}/api/sql"))
        .json(&json!({"sql": "SELECT 1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    let refused = sql(&commissioner, "SELECT 1").send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let body: Value = refused.json().await.unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("analyst role"),
        "{body}"
    );
    let bad = sql("evd_0000", "SELECT 1").send().await.unwrap();
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
        let response = sql(&analyst, statement).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{statement}");
        let body: Value = response.json().await.unwrap();
        assert!(
            body["error"].as_str().unwrap().contains(reason),
            "{statement}: {body}"
        );
    }

    // A slow query is cancelled at the limit (10 s here); meanwhile the
    // server answers others; afterwards it is idle (the work really stopped).
    let server_log = dir.path().join("serve.log");
    let before = started_so_far(&server_log);
    let slow = {
        let request = sql(
            &analyst,
            "SELECT sum(length(repeat(CAST(value AS VARCHAR), 20))) FROM range(2000000000)",
        );
        tokio::spawn(async move {
            let response = request.send().await.unwrap();
            (response.status(), response.text().await.unwrap())
        })
    };
    started(&server_log, before + 1).await;
    let quick = http
        .get(format!("{url}/"))
        .bearer_auth(&commissioner)
        .send()
        .await
        .unwrap();
    assert_eq!(quick.status(), StatusCode::OK);
    let quick_api = sql(&analyst, "SELECT count(*) AS n FROM areas")
        .send()
        .await
        .unwrap();
    assert_eq!(quick_api.status(), StatusCode::OK);
    // Both were answered while the slow query was still running: an order
    // of events, not a speed.
    assert!(!slow.is_finished(), "others waited on the slow query");
    let (status, body) = slow.await.unwrap();
    assert_eq!(status, StatusCode::REQUEST_TIMEOUT, "{body}");
    assert!(body.contains("cancelled after 10 seconds"), "{body}");
    // The cancelled query let go of its place: the same user can run two
    // more at once below, which the cap would refuse were it still held.

    // A user runs at most 2 queries at once: a third is told to wait.
    let slow_sql = "SELECT sum(length(repeat(CAST(value AS VARCHAR), 20))) FROM range(2000000000)";
    let before = started_so_far(&server_log);
    let both: Vec<_> = (0..2)
        .map(|_| {
            let request = sql(&analyst, slow_sql);
            tokio::spawn(async move { request.send().await.unwrap().status() })
        })
        .collect();
    started(&server_log, before + 2).await;
    let third = sql(&analyst, "SELECT 1").send().await.unwrap();
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
    let other_user = sql(&second_analyst, "SELECT 1").send().await.unwrap();
    assert_eq!(other_user.status(), StatusCode::OK, "the cap is per user");
    for handle in both {
        assert_eq!(handle.await.unwrap(), StatusCode::REQUEST_TIMEOUT);
    }
    assert_eq!(
        sql(&analyst, "SELECT 1").send().await.unwrap().status(),
        StatusCode::OK
    );

    // Over the memory pool (16 MiB here): a clear error, not a crash.
    let big = sql(
        &analyst,
        "SELECT count(*) FROM employment a JOIN employment b ON a.person_id = b.person_id AND a.month = b.month",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(big.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = big.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("16 MiB"), "{body}");

    // The JSON answer stops at the row cap and says how many there were.
    let all = json_of(sql(&analyst, "SELECT * FROM employment")).await;
    let total = all["total_rows"].as_u64().unwrap();
    assert!(total > 1_000_000, "{total} employment rows");
    assert_eq!(all["returned"], 10_000);
    assert_eq!(all["truncated"], true);
    assert_eq!(all["rows"].as_array().unwrap().len(), 10_000);

    // The whole 1M-row result in each form, streamed; the server's peak
    // memory is measured around each.
    let mut report = Vec::new();
    for (form, accept) in [
        ("csv", None),
        ("parquet", None),
        ("json", None),
        ("csv", Some("text/csv")),
    ] {
        let mut request = sql(&analyst, "SELECT * FROM employment");
        request = match accept {
            Some(a) => request.header("accept", a),
            None => request.query(&[("format", form)]),
        };
        let baseline = rss_kib(pid, "VmRSS:");
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{form}");
        let mut stream = response.bytes_stream();
        let mut bytes = 0u64;
        let mut newlines = 0u64;
        let mut head = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.unwrap();
            bytes += chunk.len() as u64;
            newlines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
            if head.len() < 8 {
                head.extend_from_slice(&chunk[..chunk.len().min(8)]);
            }
        }
        let peak = rss_kib(pid, "VmHWM:");
        match form {
            "csv" => assert_eq!(newlines, total + 1, "CSV lines"),
            "parquet" => assert_eq!(&head[..4], b"PAR1"),
            _ => assert_eq!(head[0], b'['),
        }
        report.push(format!(
            "{form}{}: {:.1} MiB streamed; server RSS before {} MiB, peak so far {} MiB",
            if accept.is_some() { " (Accept)" } else { "" },
            bytes as f64 / 1048576.0,
            baseline / 1024,
            peak / 1024
        ));
        // Bounded: the server never holds the result (tens of MiB) whole.
        assert!(peak / 1024 < 600, "{}", report.join("\n"));
    }
    let mut out = std::io::stderr();
    for line in &report {
        let _ = writeln!(out, "export {line}");
    }

    // Tables: analysts see input and evidence tables; commissioners only
    // the disclosure-controlled evidence tables, rounded.
    let tables = json_of(http.get(format!("{url}/api/tables")).bearer_auth(&analyst)).await;
    let names: Vec<&str> = tables
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"people") && names.contains(&"programme_outcomes"),
        "{names:?}"
    );
    let tables = json_of(
        http.get(format!("{url}/api/tables"))
            .bearer_auth(&commissioner),
    )
    .await;
    let names: Vec<&str> = tables
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(!names.contains(&"people"), "{names:?}");
    let exact = json_of(
        http.get(format!(
            "{url}/api/tables/programme_outcomes?programme=WorkWell"
        ))
        .bearer_auth(&analyst),
    )
    .await;
    let rounded = json_of(
        http.get(format!(
            "{url}/api/tables/programme_outcomes?programme=WorkWell"
        ))
        .bearer_auth(&commissioner),
    )
    .await;
    let exact_n = exact["rows"][0]["participants"].as_u64().unwrap();
    let shown: u64 = rounded["rows"][0]["participants"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(shown % 5, 0);
    assert!(shown.abs_diff(exact_n) <= 2, "{shown} vs {exact_n}");
    let people = http
        .get(format!("{url}/api/tables/people"))
        .bearer_auth(&commissioner)
        .send()
        .await
        .unwrap();
    assert_eq!(people.status(), StatusCode::NOT_FOUND);

    // The OpenAPI document describes the routes.
    let doc = json_of(http.get(format!("{url}/api/openapi.json"))).await;
    for path in ["/api/sql", "/api/tables", "/api/tables/{name}"] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from OpenAPI"
        );
    }

    // A request body over the limit (2 MB) is refused before it is read.
    let huge = format!("SELECT '{}'", "x".repeat(3 << 20));
    let response = sql(&analyst, &huge).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // Secrets never reach the server's log, even at debug level.
    let log = std::fs::read_to_string(dir.path().join("serve.log")).unwrap();
    assert!(log.contains("evidence::audit"), "the log is being written");
    for secret in [&analyst, &commissioner] {
        assert!(
            !log.contains(secret.as_str()),
            "a token is in the server log"
        );
        assert!(
            !log.contains(&secret[4..20]),
            "part of a token is in the server log"
        );
    }

    // Every query is in the audit log: who, SQL, rows, time, outcome.
    let log = std::fs::read_to_string(&audit).unwrap();
    let records: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
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
    assert!(
        records
            .iter()
            .any(|r| r["outcome"] == "refused" && r["sql"] == "DROP TABLE people")
    );
    assert!(
        records
            .iter()
            .any(|r| r["outcome"] == "ok" && r["rows"] == json!(total) && r["form"] == "parquet")
    );
    assert!(
        !log.contains(&analyst) && !log.contains(&commissioner),
        "tokens in the audit log"
    );
}
