//! `evidence scheduler` and `evidence executor`: Ballista's own scheduler and
//! executor, started in this binary so they carry Evidence's object stores
//! (`contract::store`). One binary is the whole deployment.

use anyhow::{Context, Result};
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::start_server;
use datafusion::execution::SessionStateBuilder;
use std::sync::Arc;

/// Log to standard error at `RUST_LOG` (default `info`), as Ballista's own
/// binaries do.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// A run's engine on the Ballista cluster at `url` (`df://host:port`).
///
/// Hash joins are planned as partitioned joins. A join whose build side is
/// collected into one partition (`CollectLeft`) emits the build side's
/// unmatched rows — the result of `NOT EXISTS` and of a `LEFT JOIN` preserving
/// that side — once, coordinated across partitions within one process; run as
/// separate Ballista tasks, every partition emitted them, which multiplied the
/// comparison pool by the number of partitions.
pub fn ballista_engine(url: String) -> pipeline::Engine {
    use ballista::prelude::{SessionConfigExt, SessionContextExt};
    use datafusion::prelude::{SessionConfig, SessionContext};
    let target = url.clone();
    let connect: pipeline::Connect = Arc::new(move |runtime| {
        let url = target.clone();
        Box::pin(async move {
            let mut config = SessionConfig::new_with_ballista()
                .with_information_schema(true)
                .with_ballista_broadcast_join_threshold_bytes(0)
                .with_ballista_broadcast_join_threshold_rows(0)
                .with_target_partitions(2);
            let optimizer = &mut config.options_mut().optimizer;
            optimizer.hash_join_single_partition_threshold = 0;
            optimizer.hash_join_single_partition_threshold_rows = 0;
            let state = SessionStateBuilder::new()
                .with_config(config)
                .with_runtime_env(runtime)
                .with_default_features()
                .build();
            SessionContext::remote_with_state(&url, state)
                .await
                .map_err(|e| {
                    format!(
                        "cannot connect to the Ballista scheduler: {e}; start one with `evidence scheduler`"
                    )
                })
        })
    });
    pipeline::Engine::Remote { url, connect }
}

/// `job_data_ttl`: seconds a finished job's final results stay on the
/// executors (its intermediate shuffle files go as soon as it succeeds).
pub async fn scheduler(bind: &str, port: u16, job_data_ttl: u64) -> Result<()> {
    init_logging();
    let address = format!("{bind}:{port}")
        .parse()
        .with_context(|| format!("`{bind}:{port}` is not an address to listen on"))?;
    let config = SchedulerConfig {
        bind_host: bind.to_string(),
        bind_port: port,
        finished_job_data_clean_up_interval_seconds: job_data_ttl,
        ..Default::default()
    }
    .with_override_session_builder(Arc::new(|config| {
        Ok(SessionStateBuilder::new()
            .with_config(config)
            .with_runtime_env(contract::store::runtime_env()?)
            .with_default_features()
            .build())
    }));
    let cluster = BallistaCluster::new_from_config(&config)
        .await
        .context("setting up the scheduler's state")?;
    eprintln!("Ballista scheduler listening on {address}");
    start_server(cluster, address, Arc::new(config))
        .await
        .with_context(|| format!("running the scheduler on {address}"))
}

#[derive(clap::Args)]
pub struct ExecutorOptions {
    /// The scheduler, as HOST:PORT.
    #[arg(long)]
    pub scheduler: String,
    /// Port for the executor's Arrow Flight service (shuffle data).
    #[arg(long, default_value_t = 50051)]
    pub port: u16,
    /// Port for the executor's gRPC service.
    #[arg(long, default_value_t = 50052)]
    pub grpc_port: u16,
    /// Address to listen on; use 0.0.0.0 for a cluster across machines.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: String,
    /// Host name other processes reach this executor by (defaults to --bind).
    #[arg(long)]
    pub external_host: Option<String>,
    /// Tasks run at once (defaults to the number of cores).
    #[arg(long)]
    pub concurrent_tasks: Option<usize>,
    /// Folder for shuffle files (defaults to a temporary folder).
    #[arg(long)]
    pub work_dir: Option<String>,
}

pub async fn executor(options: ExecutorOptions) -> Result<()> {
    init_logging();
    let (host, port) = options
        .scheduler
        .rsplit_once(':')
        .with_context(|| format!("--scheduler `{}` must be HOST:PORT", options.scheduler))?;
    let scheduler_port: u16 = port
        .parse()
        .with_context(|| format!("--scheduler port `{port}` is not a number"))?;
    let mut config = ExecutorProcessConfig {
        bind_host: options.bind.clone(),
        external_host: Some(options.external_host.unwrap_or(options.bind)),
        port: options.port,
        grpc_port: options.grpc_port,
        scheduler_host: host.to_string(),
        scheduler_port,
        work_dir: options.work_dir,
        override_runtime_producer: Some(Arc::new(|_config| contract::store::runtime_env())),
        ..Default::default()
    };
    if let Some(tasks) = options.concurrent_tasks {
        config.vcores = tasks;
    }
    eprintln!(
        "Ballista executor on {}:{} (gRPC {}), scheduler {}",
        config.bind_host, config.port, config.grpc_port, options.scheduler
    );
    start_executor_process(Arc::new(config))
        .await
        .context("running the executor")
}
