//! The pipeline from S3 to S3 against a real S3-compatible server (moto,
//! started here on loopback), compared with a local run of the same data.

mod common;

use common::rows;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
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
        let mut c = Command::new(program);
        c.env("AWS_ENDPOINT_URL", &self.endpoint)
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

    for table in common::evidence_files() {
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
