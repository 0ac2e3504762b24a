//! The physical floor of a run (issue 29): how long DataFusion takes to read
//! and decode every column of every input table of a dataset root, with
//! nothing else done to the rows, on this machine's cores.
//!
//! ```text
//! cargo build --release --workspace --example parquet_floor
//! $CARGO_TARGET_DIR/release/examples/parquet_floor <dataset root> [repeats]
//! ```
//!
//! Each table is streamed with `SELECT *` and its batches counted and
//! dropped; the median of the repeats (the upper middle one for an even
//! number) is printed per table and in all.
//! The operating system's page cache is not dropped: the figures are for
//! files already in memory, as they are in `scripts/bench`'s repeated runs.

use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use futures::StreamExt;
use std::time::Instant;

const TABLES: [&str; 8] = [
    "people",
    "areas",
    "area_programmes",
    "area_footprints",
    "programmes",
    "referrals",
    "fit_notes",
    "employment",
];

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let root = args
        .next()
        .ok_or("usage: parquet_floor <dataset root> [repeats]")?;
    let repeats: usize = args.next().map_or(Ok(3), |r| r.parse())?;
    if repeats == 0 {
        return Err("repeats must be at least 1".into());
    }
    let cores = std::thread::available_parallelism()?.get();
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(cores));
    let mut total = vec![0.0; repeats];
    println!(
        "| table | rows | columns | decoded (MiB, Arrow) | read and decode (s, median of {repeats}) |"
    );
    println!("|---|---:|---:|---:|---:|");
    for table in TABLES {
        let folder = format!("{root}/{table}");
        if !std::path::Path::new(&folder).exists() {
            continue;
        }
        ctx.register_parquet(table, &folder, ParquetReadOptions::default())
            .await?;
        let mut seconds = Vec::with_capacity(repeats);
        let (mut rows, mut bytes, mut columns) = (0usize, 0usize, 0usize);
        for run_total in total.iter_mut() {
            let started = Instant::now();
            let mut stream = ctx
                .sql(&format!("SELECT * FROM {table}"))
                .await?
                .execute_stream()
                .await?;
            (rows, bytes) = (0, 0);
            while let Some(batch) = stream.next().await {
                let batch = batch?;
                rows += batch.num_rows();
                bytes += batch.get_array_memory_size();
                columns = batch.num_columns();
            }
            let s = started.elapsed().as_secs_f64();
            *run_total += s;
            seconds.push(s);
        }
        seconds.sort_by(f64::total_cmp);
        println!(
            "| {table} | {rows} | {columns} | {:.0} | {:.2} |",
            bytes as f64 / 1048576.0,
            seconds[repeats / 2]
        );
    }
    total.sort_by(f64::total_cmp);
    println!(
        "| all tables | | | | {:.2} |\n\n{cores} cores",
        total[repeats / 2]
    );
    Ok(())
}
