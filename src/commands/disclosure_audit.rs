//! `evidence disclosure-audit`: what a reader of everything commissioners
//! can download could work out, row by row (see `dashboard::disclosure_audit`).

use anyhow::{Context, Result};
use datafusion::prelude::SessionContext;

async fn read(evidence: &str) -> Result<contract::Evidence> {
    let root = contract::Root::parse(evidence)?;
    let ctx = SessionContext::new_with_config_rt(
        Default::default(),
        contract::store::runtime_env().context("setting up the object stores")?,
    );
    contract::Evidence::read(&ctx, &root)
        .await
        .with_context(|| format!("reading the evidence root {evidence}"))
}

/// `--flips`: one line per kind of figure, tab-separated (figure, compared,
/// flipped, unpublished), then a few flips.
pub async fn flips(evidence: &str) -> Result<()> {
    let exact = read(evidence).await?;
    let published = dashboard::disclosure::control(&exact);
    let marks = dashboard::disclosure_audit::flips::significance_flips(&exact, &published);
    println!("figure\tcompared\tflipped\tunpublished");
    for m in &marks {
        println!(
            "{}\t{}\t{}\t{}",
            m.figure, m.compared, m.flipped, m.unpublished
        );
    }
    for m in &marks {
        for e in &m.examples {
            println!("flip: {e}");
        }
    }
    Ok(())
}

pub async fn disclosure_audit(evidence: &str, only: &[String]) -> Result<()> {
    let exact = read(evidence).await?;
    let tables: Vec<&'static str> = dashboard::disclosure_audit::TABLES
        .into_iter()
        .filter(|t| only.is_empty() || only.iter().any(|o| o == t))
        .collect();
    let tables = &tables;
    let audits = dashboard::disclosure_audit::audit(&exact, tables);
    println!(
        "{:<20} {:>10} {:>28}",
        "table", "rows", "rows pinned to one exact pair"
    );
    let mut pinned_total = 0;
    for table in tables {
        let rows: std::collections::BTreeSet<usize> = audits
            .iter()
            .filter(|a| a.table == *table)
            .map(|a| a.row)
            .collect();
        let pinned: std::collections::BTreeSet<usize> = audits
            .iter()
            .filter(|a| a.table == *table && a.consistent == 1)
            .map(|a| a.row)
            .collect();
        pinned_total += pinned.len();
        let share = if rows.is_empty() {
            0.0
        } else {
            pinned.len() as f64 / rows.len() as f64
        };
        println!(
            "{table:<20} {:>10} {:>20} ({:.0}%)",
            rows.len(),
            pinned.len(),
            share * 100.0
        );
    }
    let unexplained = audits.iter().filter(|a| a.consistent == 0).count();
    anyhow::ensure!(
        unexplained == 0,
        "{unexplained} (row, pair)s could not be reproduced from their own exact counts: the audit's model of the pipeline is out of date"
    );
    for a in audits.iter().filter(|a| a.consistent == 1).take(20) {
        println!(
            "pinned: {} row {} ({}): 1 of {} candidate pairs fits what is published",
            a.table, a.row, a.pair, a.candidates
        );
    }
    anyhow::ensure!(
        pinned_total == 0,
        "{pinned_total} published rows give back their exact counts"
    );
    println!(
        "No exact row's counts can be worked back from the commissioners' tables and chart CSVs ({} (row, pair)s checked).",
        audits.len()
    );
    Ok(())
}
