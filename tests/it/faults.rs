//! Faults: `evidence run` killed with SIGKILL at each of its steps (on the
//! step lines it prints, not at guessed times) leaves the previous evidence
//! root byte-for-byte intact and readable (or, if the kill lands after the
//! atomic publish, a whole new root: never a mixture), and the next run
//! succeeds.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{EVIDENCE, generate};

fn files(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                out.insert(path.strip_prefix(root).unwrap().to_path_buf(), bytes);
            }
        }
    }
    out
}

fn run(data: &Path, out: &Path) -> Child {
    Command::new(EVIDENCE)
        .args([
            "run",
            "--data",
            data.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The run's step lines (`[i/n] step`, printed when stderr is not a
/// terminal) as they come, each with when it came.
fn steps(child: &mut Child) -> impl Iterator<Item = (String, Instant)> + use<> {
    let stderr = BufReader::new(child.stderr.take().unwrap());
    stderr
        .lines()
        .map_while(Result::ok)
        .filter(|l| l.starts_with('['))
        .map(|l| (l, Instant::now()))
}

/// The staging folders runs of `out` left beside it.
fn staging_left(out: &Path) -> Vec<String> {
    let name = out.file_name().unwrap().to_string_lossy().to_string();
    std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with(&format!(".{name}.staging-")))
        .collect()
}

#[test]
fn a_run_killed_at_any_step_leaves_the_previous_evidence_root_intact() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = dir.path().join("evidence");
    generate(&data, 30_000, 4);
    // A whole run, with how long each step took.
    let mut child = run(&data, &out);
    let started = Instant::now();
    let mut marks: Vec<(String, Instant)> = steps(&mut child).collect();
    assert!(child.wait().unwrap().success());
    marks.push(("end".into(), Instant::now()));
    let names: Vec<String> = marks[..marks.len() - 1]
        .iter()
        .map(|m| m.0.clone())
        .collect();
    assert_eq!(names.len(), 5, "the run's steps: {names:?}");
    assert!(names.last().unwrap().contains("publishing"), "{names:?}");
    let lengths: Vec<Duration> = marks.windows(2).map(|w| w[1].1 - w[0].1).collect();
    eprintln!(
        "whole run {:?}; steps {names:?} took {lengths:?}",
        started.elapsed()
    );
    let mut before = files(&out);
    assert!(before.contains_key(Path::new("run.json")));

    // Each step killed as it starts and half-way through (by the whole
    // run's timing): ten kills, each landing in a known step.
    for (step, name) in names.iter().enumerate() {
        for half_way in [false, true] {
            let wait = if half_way {
                lengths[step] / 2
            } else {
                Duration::ZERO
            };
            let mut child = run(&data, &out);
            let mut lines = steps(&mut child);
            let reached = lines.any(|(line, _)| &line == name);
            assert!(reached, "the run never printed {name}");
            // Keep reading its log, as a terminal would, so that only the
            // kill stops it.
            let drain = std::thread::spawn(move || lines.count());
            std::thread::sleep(wait);
            let _ = child.kill();
            let _ = child.wait();
            let _ = drain.join();
            let point = format!("{name} + {wait:?}");
            let after = files(&out);
            if !name.contains("publishing") {
                // Killed before publishing: its staging folder is left
                // (proof the kill landed while it was staging), the root is
                // untouched.
                assert!(
                    !staging_left(&out).is_empty(),
                    "killed at {point}: no staging folder left"
                );
                assert!(
                    before == after,
                    "killed at {point}: the evidence root changed"
                );
                continue;
            }
            if before == after {
                continue;
            }
            // Killed while publishing, after the atomic exchange: the root
            // must be a whole new one, never a mixture.
            let new_id = |files: &BTreeMap<PathBuf, Vec<u8>>| {
                let manifest: serde_json::Value =
                    serde_json::from_slice(&files[Path::new("run.json")]).unwrap();
                manifest["run_id"].as_str().unwrap().to_string()
            };
            assert_ne!(
                new_id(&before),
                new_id(&after),
                "killed at {point}: files changed under the same run_id"
            );
            assert_eq!(
                before.keys().collect::<Vec<_>>(),
                after.keys().collect::<Vec<_>>(),
                "killed at {point}: the evidence root is not a whole run"
            );
            for (path, bytes) in &after {
                if path.extension().is_some_and(|e| e == "parquet") {
                    assert!(
                        bytes.starts_with(b"PAR1") && bytes.ends_with(b"PAR1"),
                        "killed at {point}: {} is not a whole Parquet file",
                        path.display()
                    );
                }
            }
            before = after;
        }
    }
    // A run whose log is closed under it (`evidence run ... 2>&1 | head -1`)
    // still finishes and publishes.
    let run_id = |out: &Path| -> String {
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("run.json")).unwrap()).unwrap();
        manifest["run_id"].as_str().unwrap().to_string()
    };
    let old_id = run_id(&out);
    let mut deaf = run(&data, &out);
    drop(deaf.stderr.take());
    assert!(
        deaf.wait().unwrap().success(),
        "a closed log stopped the run"
    );
    assert_ne!(
        run_id(&out),
        old_id,
        "a run with a closed log published nothing"
    );

    // The root is still readable, and the next run replaces it.
    let old_id = run_id(&out);
    let mut last = run(&data, &out);
    let _ = steps(&mut last).count();
    assert!(last.wait().unwrap().success());
    assert_ne!(run_id(&out), old_id);
    // The killed runs' staging folders were cleared by that run.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.contains("staging"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// A run that needs more temporary disk than `--spill-limit-mib` allows
/// stops with an error naming the flag, publishes nothing, and leaves no
/// spill files in the temporary folder (a failed 5M-person run once left
/// 13 GB there).
#[test]
fn a_run_over_its_spill_limit_fails_cleanly_and_leaves_no_spill_files() {
    let dir = tempfile::tempdir().unwrap();
    let (data, out, tmp) = (
        dir.path().join("data"),
        dir.path().join("evidence"),
        dir.path().join("tmp"),
    );
    generate(&data, 30_000, 4);
    std::fs::create_dir_all(&tmp).unwrap();
    let output = Command::new(EVIDENCE)
        .args(["run", "--data", data.to_str().unwrap()])
        .args(["--out", out.to_str().unwrap()])
        .args(["--memory-limit-mib", "8", "--spill-limit-mib", "1"])
        .env("TMPDIR", &tmp)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("--spill-limit-mib"), "{stderr}");
    assert!(!out.exists(), "{stderr}");
    let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().flatten().collect();
    assert!(left.is_empty(), "{left:?}");
}
