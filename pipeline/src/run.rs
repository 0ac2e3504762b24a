//! One evaluation run: load → validate → compute → write, then publish the
//! evidence root and its `run.json` manifest.

use crate::error::{PipelineError, Result};
use crate::evaluate::evaluate;
use crate::load::load_table;
use crate::validate::{RowCounts, validate_table};
use crate::write::{MANIFEST, Staging, write_query, write_tables};
use chrono::{NaiveDate, Utc};
use contract::inputs::input_tables;
use contract::manifest::{
    ANALYSTS_COHORT, ANALYSTS_COHORT_SQL, InputManifest, Manifest, OutputManifest, Timings,
};
use contract::metrics::register_metric_views;
use contract::outputs::{DataQuality, ProgrammeOutcome};
use contract::root::Root;
use contract::store::connect;
use contract::{OUTPUT_TABLES, QueryContext, Tables};
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::prelude::{SessionConfig, SessionContext};
use futures::future::BoxFuture;
use std::sync::Arc;
use std::time::Instant;

/// What to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The dataset root (local path or URL).
    pub data: String,
    /// The evidence root to (re)write.
    pub out: String,
    /// Dates after this are impossible; defaults to today (UTC).
    pub as_of: Option<NaiveDate>,
    /// Where the queries execute: this machine, or a cluster the caller
    /// connects (the binary's `--ballista`).
    pub engine: Engine,
    /// Memory for the query engine's spillable operators, in bytes (local
    /// runs); `None` for [`DEFAULT_MEMORY_LIMIT`].
    pub memory_limit: Option<usize>,
    /// Bytes the query engine may spill to the temporary folder; `None`
    /// for [`contract::store::DEFAULT_SPILL_LIMIT`].
    pub spill_limit: Option<u64>,
}

/// The default memory pool: 2 GiB. Enough for 1 million people (peak 1.7
/// GB); at 5 million the event window's aggregation spills past the default
/// spill limit and needs `--memory-limit-mib 8192` (BENCHMARKS.md).
pub const DEFAULT_MEMORY_LIMIT: usize = 2 << 30;

/// Told about each step as the run goes, for a progress display.
pub trait Progress: Send + Sync {
    fn step(&self, _index: usize, _total: usize, _message: &str) {}
}

/// No progress display.
pub struct Silent;
impl Progress for Silent {}

/// What a finished run reports back.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub evidence_root: String,
    pub programme_outcomes: Vec<ProgrammeOutcome>,
    pub data_quality: Vec<DataQuality>,
    pub manifest: Manifest,
}

/// Connects a distributed engine's session over the run's runtime (its
/// memory pool, spill limit and object stores), or says why it could not.
pub type Connect = Arc<
    dyn Fn(Arc<RuntimeEnv>) -> BoxFuture<'static, std::result::Result<SessionContext, String>>
        + Send
        + Sync,
>;

/// Where a run's queries execute. The pipeline knows no cluster: a remote
/// engine (Ballista, linked only by the binary) comes as the function that
/// connects it.
#[derive(Clone, Default)]
pub enum Engine {
    /// DataFusion on this machine with all cores.
    #[default]
    Local,
    /// A cluster at `url`, connected by `connect`.
    Remote { url: String, connect: Connect },
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Engine::Local => f.write_str("Local"),
            Engine::Remote { url, .. } => write!(f, "Remote({url})"),
        }
    }
}

/// The session every run uses, on `engine`, with Evidence's object stores.
pub async fn session_context(
    engine: &Engine,
    memory_limit: Option<usize>,
    spill_limit: Option<u64>,
) -> Result<SessionContext> {
    let runtime = contract::store::runtime_env_with_limits(
        Some(memory_limit.unwrap_or(DEFAULT_MEMORY_LIMIT)),
        spill_limit.unwrap_or(contract::store::DEFAULT_SPILL_LIMIT),
    )
    .context("setting up the query engine")?;
    match engine {
        Engine::Local => {
            let config = SessionConfig::new()
                .with_information_schema(true)
                .with_target_partitions(
                    std::thread::available_parallelism().map_or(2, |n| n.get()),
                );
            Ok(SessionContext::new_with_config_rt(config, runtime))
        }
        Engine::Remote { url, connect } => {
            connect(runtime)
                .await
                .map_err(|problem| PipelineError::Root {
                    root: url.clone(),
                    problem,
                })
        }
    }
}

const STEPS: usize = 5;

/// Run the whole evaluation from `options.data` into `options.out`.
pub async fn run(options: &RunOptions, progress: &dyn Progress) -> Result<RunReport> {
    let started = Instant::now();
    let started_at = Utc::now();
    let run_id = run_id(started_at);
    let as_of = options.as_of.unwrap_or_else(|| started_at.date_naive());
    let data = Root::parse(&options.data)?;
    let out = Root::parse(&options.out)?;
    let ctx = session_context(&options.engine, options.memory_limit, options.spill_limit).await?;
    connect(&ctx, &data).await?;
    connect(&ctx, &out).await?;
    let staging = Staging::prepare(&ctx, &out, &run_id).await?;
    let run = Run {
        ctx: &ctx,
        data: &data,
        out: &out,
        staging: &staging,
        run_id: &run_id,
        as_of,
        progress,
    };
    match run.evaluate_into_staging(started, started_at).await {
        Ok((programme_outcomes, data_quality, manifest)) => {
            progress.step(STEPS, STEPS, "publishing");
            let evidence_root = staging.publish().await?;
            Ok(RunReport {
                evidence_root,
                programme_outcomes,
                data_quality,
                manifest,
            })
        }
        Err(e) => Err(abandon(staging, &out, e).await),
    }
}

/// A run's id: when it started, and the process.
pub(crate) fn run_id(started_at: chrono::DateTime<Utc>) -> String {
    format!(
        "{}-{}",
        started_at.format("%Y%m%dT%H%M%S%.3fZ"),
        std::process::id()
    )
}

/// Every output table's entry in `run.json`.
pub(crate) fn outputs() -> Vec<OutputManifest> {
    OUTPUT_TABLES
        .iter()
        .map(|t| OutputManifest {
            table: t.to_string(),
            file: format!("{t}.parquet"),
        })
        .collect()
}

/// Clear a failed run's staging; the failure with what was left where.
pub(crate) async fn abandon(staging: Staging, out: &Root, e: PipelineError) -> PipelineError {
    let left = staging.abandon().await;
    let mut aftermath = format!(
        "Nothing was published to {}: the evidence root there (if any) is unchanged.",
        out.as_str().trim_end_matches('/')
    );
    if let Some(left) = left {
        aftermath = format!("{aftermath} {left}");
    }
    PipelineError::RunFailed {
        failure: crate::error::with_causes(&e),
        aftermath,
    }
}

struct Run<'a> {
    ctx: &'a SessionContext,
    data: &'a Root,
    out: &'a Root,
    staging: &'a Staging,
    run_id: &'a str,
    as_of: NaiveDate,
    progress: &'a dyn Progress,
}

impl Run<'_> {
    async fn evaluate_into_staging(
        &self,
        started: Instant,
        started_at: chrono::DateTime<Utc>,
    ) -> Result<(Vec<ProgrammeOutcome>, Vec<DataQuality>, Manifest)> {
        let (ctx, staging, run_id, progress) = (self.ctx, self.staging, self.run_id, self.progress);
        let work_dir = staging.work_dir();
        let tables = input_tables();
        let mut timings = Timings::default();

        progress.step(1, STEPS, "reading input files");
        let t = Instant::now();
        let mut loaded = Vec::with_capacity(tables.len());
        for table in &tables {
            loaded.push(load_table(ctx, self.data, table).await?);
        }
        timings.load = t.elapsed().as_millis();

        progress.step(2, STEPS, "validating rows");
        let t = Instant::now();
        let mut inputs = Vec::with_capacity(tables.len());
        let mut data_quality = Vec::new();
        for (table, loaded) in tables.iter().zip(loaded) {
            let quarantine_file = staging.file(&format!("quarantine/{}.parquet", table.name));
            let rows = loaded.rows();
            let started_table = Instant::now();
            let validated = validate_table(
                ctx,
                table,
                rows,
                self.as_of,
                &work_dir,
                &quarantine_file,
                run_id,
            )
            .await?;
            let RowCounts {
                read,
                used,
                quarantined,
            } = validated.counts;
            inputs.push(InputManifest {
                loaded,
                rows_read: read,
                rows_used: used,
                rows_quarantined: quarantined,
                validate_ms: started_table.elapsed().as_millis(),
            });
            data_quality.extend(validated.checks);
        }
        timings.validate = t.elapsed().as_millis();

        progress.step(3, STEPS, "computing outcomes");
        let t = Instant::now();
        register_metric_views(ctx, Some(&work_dir)).await?;
        let evaluation = evaluate(ctx).await?;
        timings.compute = t.elapsed().as_millis();

        progress.step(4, STEPS, "writing the evidence root");
        let t = Instant::now();
        let tables = Tables {
            data_quality,
            ..evaluation.tables
        };
        write_tables(ctx, staging, &tables, run_id).await?;
        // The analysts' cohort: record-level, exact, never read by the
        // dashboard's pages (only the analysts' SQL catalogue registers it).
        // Its person ids are replaced by a pseudonym of this run alone, from
        // a secret that is never stored (issue 28, hole 5).
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).map_err(|e| {
            PipelineError::Invalid(format!(
                "no random source for the analysts' cohort's pseudonyms: {e}"
            ))
        })?;
        let secret: String = secret.iter().map(|b| format!("{b:02x}")).collect();
        write_query(
            ctx,
            ANALYSTS_COHORT_SQL,
            vec![datafusion::scalar::ScalarValue::from(secret)],
            &staging.file(ANALYSTS_COHORT),
            run_id,
        )
        .await?;
        staging.clear_work_dir()?;
        timings.write = t.elapsed().as_millis();
        timings.total = started.elapsed().as_millis();

        let manifest = Manifest {
            tool: "evidence".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            run_id: run_id.to_string(),
            started_at: started_at.to_rfc3339(),
            finished_at: Utc::now().to_rfc3339(),
            as_of: self.as_of.to_string(),
            data_root: self.data.as_str().to_string(),
            evidence_root: self.out.as_str().to_string(),
            inputs,
            cohort: evaluation.cohort,
            outputs: outputs(),
            warnings: evaluation.warnings,
            timings_ms: timings,
            published_fit_notes: None,
        };
        staging.put(MANIFEST, manifest.to_json()?).await?;
        Ok((tables.programme_outcomes, tables.data_quality, manifest))
    }
}
