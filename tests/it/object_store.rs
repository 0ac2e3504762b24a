//! The pipeline from S3 to S3 against a real S3-compatible server (moto,
//! started here on loopback), compared with a local run of the same data;
//! and a run whose S3 server stops answering mid-upload.

use crate::common::rows;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A moto S3 server on a free loopback port, stopped on drop.
struct S3Server {
    child: Child,
    endpoint: String,
}

impl S3Server {
    fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // Run moto's module directly so the PID we stop is the server itself.
        let child = Command::new("python3")
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 with moto[server] must be installed (scripts/test installs it)");
        let endpoint = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto_server did not start on port {port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        S3Server { child, endpoint }
    }

    fn command(&self, program: &str) -> Command {
        self.command_via(program, &self.endpoint)
    }

    /// `program` with the S3 settings, talking to `endpoint`.
    fn command_via(&self, program: &str, endpoint: &str) -> Command {
        let mut c = Command::new(program);
        c.env("AWS_ENDPOINT_URL", endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ALLOW_HTTP", "true");
        c
    }

    fn helper(&self, args: &[&str]) -> Output {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/s3.py");
        let output = self
            .command("python3")
            .arg(script)
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "s3.py {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    fn evidence(&self, args: &[&str]) -> Output {
        self.command(env!("CARGO_BIN_EXE_evidence"))
            .args(args)
            .output()
            .unwrap()
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn succeeded(output: &Output) -> bool {
    if !output.status.success() {
        eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    }
    output.status.success()
}

#[tokio::test]
async fn s3_to_s3_equals_a_local_run_and_bad_buckets_are_named() {
    let s3 = S3Server::start();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let local = dir.path().join("local-evidence");
    let downloaded = dir.path().join("s3-evidence");
    let (data_s, local_s) = (data.to_str().unwrap(), local.to_str().unwrap());

    assert!(succeeded(&s3.evidence(&[
        "generate", "--out", data_s, "--people", "20000", "--seed", "3"
    ])));
    s3.helper(&["make-bucket", "pilots"]);
    s3.helper(&["upload", data_s, "pilots", "datasets/demo"]);

    assert!(succeeded(&s3.evidence(&[
        "run",
        "--data",
        data_s,
        "--out",
        local_s,
        "--as-of",
        "2026-11-01"
    ])));
    let remote = s3.evidence(&[
        "run",
        "--data",
        "s3://pilots/datasets/demo",
        "--out",
        "s3://pilots/evidence",
        "--as-of",
        "2026-11-01",
    ]);
    assert!(succeeded(&remote));
    assert!(String::from_utf8_lossy(&remote.stdout).contains("s3://pilots/evidence"));

    // No staging objects are left behind after publishing.
    let listing = String::from_utf8(s3.helper(&["list", "pilots", "evidence"]).stdout).unwrap();
    assert!(!listing.contains(".staging-"), "{listing}");
    s3.helper(&[
        "download",
        "pilots",
        "evidence",
        downloaded.to_str().unwrap(),
    ]);

    for table in crate::common::evidence_files() {
        assert_eq!(
            rows(&local.join(&table)).await,
            rows(&downloaded.join(&table)).await,
            "{table} differs"
        );
    }

    // A second run replaces the first in place.
    let again = s3.evidence(&[
        "run",
        "--data",
        "s3://pilots/datasets/demo",
        "--out",
        "s3://pilots/evidence",
    ]);
    assert!(succeeded(&again));

    // A missing bucket is named, with what to check, and no panic.
    let missing = s3.evidence(&[
        "run",
        "--data",
        "s3://no-such-bucket/data",
        "--out",
        local_s,
    ]);
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert_eq!(missing.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("s3://no-such-bucket/data"), "{stderr}");
    assert!(stderr.contains("AWS_ENDPOINT_URL"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    // An output prefix holding someone else's objects is never replaced.
    s3.helper(&["upload", data_s, "pilots", "someone-elses"]);
    let refused = s3.evidence(&[
        "run",
        "--data",
        "s3://pilots/datasets/demo",
        "--out",
        "s3://pilots/someone-elses",
    ]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not an evidence root"));
}

/// A TCP proxy in front of the S3 server that can be made to stop answering
/// (every open connection cut, new ones closed at once) after a number of
/// `PUT` requests, and started again, so the bucket outlives the outage.
struct Outage {
    port: u16,
    up: AtomicBool,
    puts: AtomicUsize,
    /// Go down when `puts` reaches this (0: never).
    stop_at: AtomicUsize,
    connections: Mutex<Vec<TcpStream>>,
}

impl Outage {
    fn start(upstream: &str) -> Arc<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let outage = Arc::new(Outage {
            port: listener.local_addr().unwrap().port(),
            up: AtomicBool::new(true),
            puts: AtomicUsize::new(0),
            stop_at: AtomicUsize::new(0),
            connections: Mutex::new(Vec::new()),
        });
        let upstream = upstream.trim_start_matches("http://").to_string();
        let proxy = outage.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if !proxy.up.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let server = TcpStream::connect(&upstream).unwrap();
                {
                    let mut open = proxy.connections.lock().unwrap();
                    open.push(client.try_clone().unwrap());
                    open.push(server.try_clone().unwrap());
                }
                let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                let watcher = proxy.clone();
                std::thread::spawn(move || watcher.pipe(client, server, true));
                let plain = proxy.clone();
                std::thread::spawn(move || plain.pipe(s2, c2, false));
            }
        });
        outage
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn pipe(&self, mut from: TcpStream, mut to: TcpStream, requests: bool) {
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let n = match from.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if requests && buffer[..n].starts_with(b"PUT ") {
                let puts = self.puts.fetch_add(1, Ordering::SeqCst) + 1;
                let stop_at = self.stop_at.load(Ordering::SeqCst);
                if stop_at > 0 && puts >= stop_at {
                    self.go_down();
                    break;
                }
            }
            if !self.up.load(Ordering::SeqCst) || to.write_all(&buffer[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Both);
        let _ = from.shutdown(Shutdown::Both);
    }

    fn go_down(&self) {
        self.up.store(false, Ordering::SeqCst);
        for connection in self.connections.lock().unwrap().drain(..) {
            let _ = connection.shutdown(Shutdown::Both);
        }
    }

    /// Stop answering once `more` further PUT requests have started.
    fn stop_after(&self, more: usize) {
        self.stop_at
            .store(self.puts.load(Ordering::SeqCst) + more, Ordering::SeqCst);
    }

    fn restore(&self) {
        self.stop_at.store(0, Ordering::SeqCst);
        self.up.store(true, Ordering::SeqCst);
    }
}

/// Every object under `prefix` except staging ones, downloaded: key → bytes.
fn published(s3: &S3Server, prefix: &str, into: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let _ = std::fs::remove_dir_all(into);
    s3.helper(&["download", "pilots", prefix, into.to_str().unwrap()]);
    let mut out = BTreeMap::new();
    let mut stack = vec![into.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            let relative = path.strip_prefix(into).unwrap().to_path_buf();
            if relative.to_string_lossy().contains(".staging-") {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else {
                out.insert(relative, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

#[test]
fn an_s3_server_that_stops_mid_upload_fails_the_run_and_leaves_the_old_root() {
    let s3 = S3Server::start();
    let outage = Outage::start(&s3.endpoint);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_s = data.to_str().unwrap();
    assert!(succeeded(&s3.evidence(&[
        "generate", "--out", data_s, "--people", "3000", "--seed", "4"
    ])));
    s3.helper(&["make-bucket", "pilots"]);
    let run = || {
        s3.command_via(env!("CARGO_BIN_EXE_evidence"), &outage.endpoint())
            .env("EVIDENCE_S3_RETRY_SECS", "3")
            .args(["run", "--data", data_s, "--out", "s3://pilots/evidence"])
            .output()
            .unwrap()
    };
    assert!(succeeded(&run()));
    let before = published(&s3, "evidence", &dir.path().join("before"));
    assert!(before.contains_key(Path::new("run.json")));
    let puts_per_run = outage.puts.load(Ordering::SeqCst);

    // Stop the server partway through writing the staged outputs.
    for after in [2, puts_per_run / 2] {
        outage.stop_after(after);
        let failed = run();
        let stderr = String::from_utf8_lossy(&failed.stderr);
        assert!(!outage.up.load(Ordering::SeqCst), "the outage never began");
        assert_eq!(failed.status.code(), Some(1), "must fail: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(
            stderr.contains("s3://pilots/evidence/.staging-"),
            "{stderr}"
        );
        assert!(
            stderr.contains(
                "Nothing was published to s3://pilots/evidence: the evidence root there (if any) is unchanged."
            ),
            "{stderr}"
        );
        outage.restore();
        let after_outage = published(&s3, "evidence", &dir.path().join("after"));
        assert!(
            before == after_outage,
            "the evidence root changed after an outage at PUT {after}"
        );
    }
    // With the server back, the next run publishes a new root.
    assert!(succeeded(&run()));
    let again = published(&s3, "evidence", &dir.path().join("again"));
    assert_ne!(again[Path::new("run.json")], before[Path::new("run.json")]);
}

/// A publish copies the staged tables into place one by one, `run.json`
/// last. An outage in that copy leaves some tables from the new run beside
/// the old `run.json`: the run must fail saying so, every reader must
/// refuse the mixed root rather than mix two runs' figures, and the next
/// run must heal it.
#[test]
fn an_outage_while_publishing_leaves_a_root_readers_refuse_until_the_next_run() {
    let s3 = S3Server::start();
    let outage = Outage::start(&s3.endpoint);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_s = data.to_str().unwrap();
    assert!(succeeded(&s3.evidence(&[
        "generate", "--out", data_s, "--people", "3000", "--seed", "4"
    ])));
    s3.helper(&["make-bucket", "pilots"]);
    let run = || {
        s3.command_via(env!("CARGO_BIN_EXE_evidence"), &outage.endpoint())
            .env("EVIDENCE_S3_RETRY_SECS", "3")
            .args(["run", "--data", data_s, "--out", "s3://pilots/evidence"])
            .output()
            .unwrap()
    };
    // A reader of the whole root (every table read and its run id checked);
    // auditing one table keeps it quick.
    let read = || {
        s3.evidence(&[
            "disclosure-audit",
            "--evidence",
            "s3://pilots/evidence",
            "--table",
            "programme_outcomes",
        ])
    };
    assert!(succeeded(&run()));
    assert!(succeeded(&read()));
    // One PUT stages each object and one copies it into place: stopping
    // two PUTs short of a whole run stops the copy before run.json.
    let puts_per_run = outage.puts.load(Ordering::SeqCst);
    outage.stop_after(puts_per_run - 2);
    let failed = run();
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert_eq!(failed.status.code(), Some(1), "must fail: {stderr}");
    assert!(stderr.contains("Publishing stopped partway"), "{stderr}");
    outage.restore();
    let refused = read();
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(!succeeded(&refused), "a reader accepted a root of two runs");
    assert!(
        said.contains("from another run") && said.contains("rerun `evidence run`"),
        "{said}"
    );
    assert!(succeeded(&run()));
    assert!(succeeded(&read()));
}
