//! A real Ballista cluster — `evidence scheduler` and two `evidence executor`
//! processes on loopback — runs the evaluation, and its evidence root equals
//! a local run's, table by table.

use std::net::TcpListener;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Child processes killed when the test ends, however it ends.
struct Processes(Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn spawn(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_evidence"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "nothing listening on port {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn evidence(args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_evidence"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

#[tokio::test]
async fn a_three_process_cluster_gives_the_local_results() {
    // Declared first, so dropped last: the executors are killed before
    // their shuffle folders (inside it) are removed.
    let dir = tempfile::tempdir().unwrap();
    let scheduler_port = free_port();
    let scheduler = format!("127.0.0.1:{scheduler_port}");
    // Finished queries' results kept 30 s, not Ballista's 300 (the
    // README's advice for small disks).
    let mut processes = Processes(vec![spawn(&[
        "scheduler",
        "--port",
        &scheduler_port.to_string(),
        "--job-data-ttl-seconds",
        "30",
    ])]);
    wait_for_port(scheduler_port);
    for i in 0..2 {
        let (port, grpc_port) = (free_port().to_string(), free_port().to_string());
        // Each executor's shuffle files in the test's folder, not a
        // temporary folder of its own that outlives the killed process.
        let work_dir = dir.path().join(format!("executor-{i}"));
        std::fs::create_dir_all(&work_dir).unwrap();
        processes.0.push(spawn(&[
            "executor",
            "--scheduler",
            &scheduler,
            "--port",
            &port,
            "--grpc-port",
            &grpc_port,
            "--work-dir",
            work_dir.to_str().unwrap(),
        ]));
        wait_for_port(port.parse().unwrap());
    }

    let data = dir.path().join("data");
    let (local, distributed) = (dir.path().join("local"), dir.path().join("ballista"));
    let data_s = data.to_str().unwrap();
    evidence(&[
        "generate", "--out", data_s, "--people", "20000", "--seed", "9",
    ]);
    evidence(&[
        "run",
        "--data",
        data_s,
        "--out",
        local.to_str().unwrap(),
        "--as-of",
        "2026-11-01",
    ]);
    let url = format!("df://{scheduler}");
    evidence(&[
        "run",
        "--data",
        data_s,
        "--out",
        distributed.to_str().unwrap(),
        "--as-of",
        "2026-11-01",
        "--ballista",
        &url,
    ]);

    for table in crate::common::evidence_files() {
        assert_eq!(
            crate::common::rows(&local.join(&table)).await,
            crate::common::rows(&distributed.join(&table)).await,
            "{table} differs between the local and the Ballista run"
        );
    }
    let manifest = |root: &std::path::Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(root.join("run.json")).unwrap()).unwrap()
    };
    assert_eq!(
        manifest(&local)["cohort"],
        manifest(&distributed)["cohort"],
        "cohort sizes differ"
    );
    drop(processes);
}

/// Ballista reads a retention of 0 as "never delete finished queries'
/// results", which fills an executor's disk run after run: the flag
/// refuses it before anything starts.
#[test]
fn a_scheduler_refuses_to_keep_results_forever() {
    // Killed however the test ends (Processes).
    let mut processes = Processes(vec![
        Command::new(env!("CARGO_BIN_EXE_evidence"))
            .args(["scheduler", "--port", "0", "--job-data-ttl-seconds", "0"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    ]);
    let child = &mut processes.0[0];
    // Accepted, it would start serving and never exit: bounded, so that
    // fails the test instead of hanging it.
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "a scheduler with --job-data-ttl-seconds 0 started"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(!status.success());
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(stderr.contains("--job-data-ttl-seconds"), "{stderr}");
}
