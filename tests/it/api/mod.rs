//! The analysts' API over real HTTP, against the real `evidence serve`,
//! split by what it checks: exact figures for analysts (`figures`), 401/403
//! for others and refusals with reasons (`refusals`), a slow query cancelled
//! while others are answered and the per-user cap (`limits`), the memory
//! limit and the row cap (`limits`), streamed CSV/Parquet/JSON exports of a
//! 1M-row result with the server's memory measured (`exports`), tables
//! exact for analysts and rounded for commissioners (`tables`), and the
//! logs (`logs`). One evaluated dataset serves them all; each test starts a
//! server of its own (its own audit log and server log), so none can see
//! another's queries.

use datafusion::prelude::{ParquetReadOptions, SessionContext};
use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use crate::common::{EVIDENCE, Running, evidence, generate, run, serve};

mod exports;
mod figures;
mod limits;
mod logs;
mod refusals;
mod tables;

/// The evaluated dataset and the users every test's server shares.
struct Fixture {
    dir: tempfile::TempDir,
    data: PathBuf,
    evidence_root: PathBuf,
    users: PathBuf,
    analyst: String,
    commissioner: String,
    second_analyst: String,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let evidence_root = dir.path().join("evidence");
        generate(&data, 30_000, 9);
        run(&data, &evidence_root);
        let users = dir.path().join("users.toml");
        let analyst = token(&users, "ana", "analyst");
        let commissioner = token(&users, "cora", "commissioner");
        let second_analyst = token(&users, "ben", "analyst");
        Fixture {
            dir,
            data,
            evidence_root,
            users,
            analyst,
            commissioner,
            second_analyst,
        }
    })
}

/// One test's own `evidence serve` over the fixture (query limits: 10 s
/// and 64 MiB), logging at debug level.
struct Api {
    _server: Running,
    _dir: tempfile::TempDir,
    url: String,
    pid: u32,
    http: reqwest::Client,
    audit: PathBuf,
    log: PathBuf,
}

impl Api {
    fn start() -> Api {
        Api::start_with(&[])
    }

    /// With more `evidence serve` arguments.
    fn start_with(extra: &[&str]) -> Api {
        let f = fixture();
        let dir = tempfile::tempdir_in(f.dir.path()).unwrap();
        let audit = dir.path().join("audit.jsonl");
        let log = dir.path().join("serve.log");
        let mut command = Command::new(EVIDENCE);
        command
            .args(["serve", "--evidence", f.evidence_root.to_str().unwrap()])
            .args(["--data", f.data.to_str().unwrap()])
            .args(["--users", f.users.to_str().unwrap()])
            .args(["--audit-log", audit.to_str().unwrap()])
            .args(["--query-timeout-secs", "10", "--query-memory-mib", "64"])
            .args(extra)
            .stderr(std::fs::File::create(&log).unwrap())
            .env("RUST_LOG", "debug");
        let (server, url) = serve(command);
        Api {
            pid: server.0.id(),
            _server: server,
            _dir: dir,
            url,
            http: reqwest::Client::new(),
            audit,
            log,
        }
    }

    /// `sql` posted to the SQL API as the holder of `token`.
    fn sql(&self, token: &str, sql: &str) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}/api/sql", self.url))
            .bearer_auth(token)
            .json(&json!({ "sql": sql }))
    }

    /// The audit log's records.
    fn audit_records(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.audit)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

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
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status:\n{status}"))
}

/// Start the server's peak memory (VmHWM) again from its current memory
/// (Linux's `clear_refs` 5), so a later peak is this step's alone.
fn reset_peak(pid: u32) {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").unwrap();
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
