//! Helpers shared by the end-to-end tests.

use datafusion::prelude::{ParquetReadOptions, SessionContext};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

pub const EVIDENCE: &str = env!("CARGO_BIN_EXE_evidence");

/// Kills the process when dropped, so a failing test leaves nothing running.
pub struct Running(pub Child);
impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Run the real binary with `args`; it must succeed. Its standard output.
pub fn evidence(args: &[&str]) -> String {
    let out = Command::new(EVIDENCE).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "evidence {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `evidence generate`'s dataset of `people` and `seed`, copied into
/// `data`. The binary generates it once into the shared cache
/// (`datasets::cache`), which every test binary reuses.
pub fn generate(data: &Path, people: u64, seed: u64) {
    let root = datasets::cache::cached(&datasets::cache::test_cache(), people, seed, |at| {
        evidence(&[
            "generate",
            "--out",
            at.to_str().unwrap(),
            "--people",
            &people.to_string(),
            "--seed",
            &seed.to_string(),
        ]);
        Ok(())
    })
    .unwrap();
    datasets::cache::copy_root(&root, data).unwrap();
}

/// `evidence run` from `data` into `out`; it must succeed.
pub fn run(data: &Path, out: &Path) {
    evidence(&[
        "run",
        "--data",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
}

/// The evidence root at `root` holds exactly the contract's output tables
/// as `<table>.parquet`, no more and no fewer.
pub fn assert_declared_tables(root: &Path) {
    let mut written: Vec<String> = std::fs::read_dir(root)
        .unwrap()
        .filter_map(|f| f.ok())
        .map(|f| f.file_name().to_string_lossy().to_string())
        .filter(|name| name.ends_with(".parquet"))
        .collect();
    written.sort();
    let mut declared: Vec<String> = contract::OUTPUT_TABLES
        .iter()
        .map(|t| format!("{t}.parquet"))
        .collect();
    declared.sort();
    assert_eq!(written, declared);
}

/// Start `evidence serve` as `command` describes (its arguments, before
/// `--addr`), on a free port; its URL (no trailing `/`) from its first line.
pub fn serve(mut command: Command) -> (Running, String) {
    let mut child = command
        .args(["--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in `{line}`"))
        .trim_end_matches('/')
        .to_string();
    (Running(child), url)
}

/// Every row of a Parquet file, sorted, as text: two tables are equal when
/// these are.
pub async fn rows(file: &Path) -> Vec<String> {
    let ctx = SessionContext::new();
    let batches = ctx
        .read_parquet(file.to_str().unwrap(), ParquetReadOptions::default())
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let text = datafusion::arrow::util::pretty::pretty_format_batches(&batches)
        .unwrap()
        .to_string();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines.sort();
    lines
}

/// Every output table and quarantine file of an evidence root, relative.
pub fn evidence_files() -> Vec<String> {
    let mut tables: Vec<String> = contract::OUTPUT_TABLES
        .iter()
        .map(|t| format!("{t}.parquet"))
        .collect();
    tables.extend(
        contract::inputs::input_tables()
            .iter()
            .map(|t| format!("quarantine/{}.parquet", t.name)),
    );
    tables
}
