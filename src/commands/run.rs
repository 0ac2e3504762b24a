//! `evidence run`: evaluate a dataset root and publish an evidence root.

use anyhow::{Context, Result};
use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressStyle};
use std::time::Duration;

struct RunSpinner(ProgressBar);

impl pipeline::Progress for RunSpinner {
    fn step(&self, index: usize, total: usize, message: &str) {
        self.0.set_message(format!("[{index}/{total}] {message}"));
    }
}

pub async fn run(
    data: String,
    out: String,
    as_of: Option<NaiveDate>,
    ballista: Option<String>,
    memory_limit: Option<usize>,
) -> Result<()> {
    let spinner = ProgressBar::new_spinner().with_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})").expect("valid template"),
    );
    spinner.enable_steady_tick(Duration::from_millis(120));
    let options = pipeline::RunOptions {
        data: data.clone(),
        out,
        as_of,
        ballista,
        memory_limit,
    };
    let report = pipeline::run(&options, &RunSpinner(spinner.clone())).await;
    spinner.finish_and_clear();
    let report = report.with_context(|| format!("evaluating {data}"))?;
    print!("{}", crate::summary::render(&report));
    Ok(())
}
