//! Runs the metric queries' tests: every `sql/test/*.slt` file, through
//! sqllogictest, against a fresh DataFusion context. The statement
//! `LOAD METRICS` registers the queries in `sql/` exactly as the pipeline
//! does (`contract::metrics::register_metric_views`).

use async_trait::async_trait;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::error::DataFusionError;
use datafusion::prelude::SessionContext;
use sqllogictest::{DBOutput, DefaultColumnType};
use std::path::PathBuf;

struct DataFusionDb {
    ctx: SessionContext,
}

#[async_trait]
impl sqllogictest::AsyncDB for DataFusionDb {
    type Error = DataFusionError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, DataFusionError> {
        if sql.trim().eq_ignore_ascii_case("LOAD METRICS") {
            contract::metrics::register_metric_views(&self.ctx, None)
                .await
                .map_err(|e| DataFusionError::External(Box::new(e)))?;
            return Ok(DBOutput::StatementComplete(0));
        }
        let frame = self.ctx.sql(sql).await?;
        let schema = frame.schema().clone();
        let batches = frame.collect().await?;
        let is_statement = ["CREATE", "INSERT", "DROP"]
            .iter()
            .any(|k| sql.trim_start().to_ascii_uppercase().starts_with(k));
        if is_statement {
            return Ok(DBOutput::StatementComplete(0));
        }
        let options = FormatOptions::default().with_null("NULL");
        let mut rows = Vec::new();
        for batch in &batches {
            let formatters = batch
                .columns()
                .iter()
                .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
                .collect::<Result<Vec<_>, _>>()?;
            for row in 0..batch.num_rows() {
                rows.push(
                    formatters
                        .iter()
                        .map(|f| f.value(row).to_string())
                        .collect(),
                );
            }
        }
        Ok(DBOutput::Rows {
            types: vec![DefaultColumnType::Any; schema.fields().len()],
            rows,
        })
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        "datafusion"
    }
}

#[test]
fn every_slt_file_passes() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../sql/test");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "slt"))
        .collect();
    files.sort();
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let (mut passed, mut failed) = (0, 0);
    for file in &files {
        let mut runner = sqllogictest::Runner::new(|| async {
            Ok(DataFusionDb {
                ctx: SessionContext::new(),
            })
        });
        match runtime.block_on(runner.run_file_async(file)) {
            Ok(()) => {
                passed += 1;
                println!("ok   {}", file.display());
            }
            Err(e) => {
                failed += 1;
                println!("FAIL {}\n{}", file.display(), e.display(true));
            }
        }
    }
    assert!(!files.is_empty(), "no .slt files in {}", dir.display());
    println!("slt: {passed} passed, {failed} failed");
    assert_eq!(failed, 0, "{failed} .slt file(s) failed; see above");
}
