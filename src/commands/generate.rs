//! `evidence generate`: a synthetic dataset root with planted effects.

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};

struct GenerateBar(ProgressBar);

impl datasets::GenerateProgress for GenerateBar {
    fn people_done(&self, done: u64, total: u64) {
        self.0.set_length(total);
        self.0.set_position(done);
    }
}

pub fn generate(options: datasets::GenerateOptions) -> Result<()> {
    let out = options.out.as_path();
    let bar = ProgressBar::new(options.people).with_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {human_pos}/{human_len} people ({elapsed})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message("Generating");
    let planted = datasets::generate(&options, &GenerateBar(bar.clone()))
        .with_context(|| format!("generating a dataset in {}", out.display()))?;
    bar.finish_and_clear();
    println!(
        "Synthetic dataset of {} people written to {}",
        planted.people,
        out.display()
    );
    println!("Planted effects: {}", out.join("_planted.json").display());
    for (programme, p) in &planted.programmes {
        println!(
            "  {programme:<32} in-work ATT {:+.3}   fit-note DiD {:+.4}   participants {}",
            p.in_work_6m_att, p.fit_note_did, p.participants
        );
    }
    Ok(())
}
