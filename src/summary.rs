//! The one-screen summary printed at the end of `evidence run`.

use pipeline::RunReport;
use std::fmt::Write;

fn percent(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{:.1}%", v * 100.0))
}

fn points(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{:+.1}", v * 100.0))
}

use dashboard::presentation::thousands as grouped;

pub fn render(report: &RunReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "Evidence root: {}", report.evidence_root);
    let _ = writeln!(
        s,
        "\n{:<30} {:>12} {:>24} {:>26} {:>14}",
        "Programme",
        "Participants",
        "In work at 6m (95% CI)",
        "ATT, points (95% CI)",
        "£ per extra job"
    );
    for p in &report.programme_outcomes {
        let rate = format!(
            "{} ({}–{})",
            percent(p.rate),
            percent(p.rate_low),
            percent(p.rate_high)
        );
        let att = format!(
            "{} ({} to {})",
            points(p.effect.att),
            points(p.effect.att_low),
            points(p.effect.att_high)
        );
        let in_work_headline =
            contract::outcomes::headline_of(&p.programme) == contract::outcomes::Outcome::InWork6m;
        let cost = match p.cost_per_additional_outcome {
            Some(c) => format!("£{}", grouped(c.round() as u64)),
            None if !in_work_headline => "not headline".into(),
            None => "not signif.".into(),
        };
        let _ = writeln!(
            s,
            "{:<30} {:>12} {:>24} {:>26} {:>14}",
            p.programme,
            grouped(p.participants),
            rate,
            att,
            cost
        );
    }
    let m = &report.manifest;
    let read: u64 = m.inputs.iter().map(|i| i.rows_read).sum();
    let quarantined: Vec<String> = m
        .inputs
        .iter()
        .filter(|i| i.rows_quarantined > 0)
        .map(|i| format!("{} {}", i.loaded.table, i.rows_quarantined))
        .collect();
    let _ = writeln!(s, "\nRows read: {}", grouped(read));
    if quarantined.is_empty() {
        let _ = writeln!(s, "Quarantined: none");
    } else {
        let _ = writeln!(
            s,
            "Quarantined: {} (see quarantine/*.parquet and data_quality.parquet)",
            quarantined.join(", ")
        );
    }
    for warning in &m.warnings {
        let _ = writeln!(s, "warning: {warning}");
    }
    let _ = writeln!(
        s,
        "Outputs: {} (.parquet), run.json",
        contract::OUTPUT_TABLES.join(", ")
    );
    let _ = writeln!(s, "Took {:.1} s", m.timings_ms.total as f64 / 1000.0);
    s
}
