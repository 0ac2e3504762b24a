//! `evidence run`: evaluate a dataset root and publish an evidence root.

use anyhow::{Context, Result};
use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::time::Duration;

/// A spinner on a terminal; elsewhere (a log, CI, a test reading the
/// run's progress) one line per step on stderr, `[i/n] step`.
pub(crate) enum RunProgress {
    Spinner(ProgressBar),
    Lines,
}

impl pipeline::Progress for RunProgress {
    fn step(&self, index: usize, total: usize, message: &str) {
        match self {
            RunProgress::Spinner(s) => s.set_message(format!("[{index}/{total}] {message}")),
            // A closed or full log must not stop the run: a write error
            // is ignored (eprintln! would panic, and the unwinding run would
            // abandon its work).
            RunProgress::Lines => {
                let _ = writeln!(std::io::stderr(), "[{index}/{total}] {message}");
            }
        }
    }
}

impl RunProgress {
    /// A spinner on a terminal, else lines.
    pub(crate) fn start() -> Self {
        if std::io::stderr().is_terminal() {
            let spinner = ProgressBar::new_spinner().with_style(
                ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                    .expect("valid template"),
            );
            spinner.enable_steady_tick(Duration::from_millis(120));
            RunProgress::Spinner(spinner)
        } else {
            RunProgress::Lines
        }
    }

    /// Clear the spinner before the summary is printed.
    pub(crate) fn finish(&self) {
        if let RunProgress::Spinner(spinner) = self {
            spinner.finish_and_clear();
        }
    }
}

pub async fn run(
    data: String,
    out: String,
    as_of: Option<NaiveDate>,
    ballista: Option<String>,
    memory_limit: Option<usize>,
    spill_limit: Option<u64>,
) -> Result<()> {
    // `RUST_LOG=evidence::profile=info` prints each metric query's time.
    if std::env::var_os("RUST_LOG").is_some() {
        crate::cluster::init_logging();
    }
    let progress = RunProgress::start();
    let options = pipeline::RunOptions {
        data: data.clone(),
        out,
        as_of,
        engine: ballista
            .map(crate::cluster::ballista_engine)
            .unwrap_or_default(),
        memory_limit,
        spill_limit,
    };
    let report = pipeline::run(&options, &progress).await;
    progress.finish();
    let report = report.with_context(|| format!("evaluating {data}"));
    // DataFusion names its own setting; the command's is a flag.
    let report = match report {
        Err(e) => match contract::store::spill_limit_exceeded(&format!("{e:#}")) {
            Some(limit) => {
                let hint = format!(
                    "the run needed more than the {limit} of temporary disk --spill-limit-mib allows: \
                     raise it, or give the engine more memory (--memory-limit-mib) so that it spills less"
                );
                Err(e.context(hint))
            }
            None => Err(e),
        },
        ok => ok,
    }?;
    print!("{}", crate::summary::render(&report));
    Ok(())
}
