//! Helpers shared by the end-to-end tests.

use datafusion::prelude::{ParquetReadOptions, SessionContext};
use std::path::Path;

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
    let mut tables: Vec<String> = pipeline::contract::OUTPUT_TABLES
        .iter()
        .map(|t| format!("{t}.parquet"))
        .collect();
    tables.extend(
        pipeline::contract::input_tables()
            .iter()
            .map(|t| format!("quarantine/{}.parquet", t.name)),
    );
    tables
}
