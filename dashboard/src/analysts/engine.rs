//! The analysts' query engine: one DataFusion context with the contract's
//! input tables (from the dataset root) and the evidence tables registered,
//! and the limits every query runs under: read-only statements, a time limit
//! that cancels, a memory pool, a cap on concurrent queries per user. Every
//! query is written to the audit log.

use super::guard;
use super::query_log::{AuditLog, AuditRecord};
pub use super::runtime::QUERY_THREAD;
use super::runtime::{AbortOnDrop, QueryRuntime};
use crate::auth::User;
use contract::Root;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::error::DataFusionError;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::prelude::{SQLOptions, SessionConfig, SessionContext};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

#[derive(Clone, Debug)]
pub struct QueryLimits {
    /// A query still running after this is cancelled.
    pub timeout: Duration,
    /// The memory pool every query shares, in bytes.
    pub memory: usize,
    /// What queries may spill to the temporary folder beyond it, in bytes,
    /// all together: a query that needs more fails rather than filling the
    /// disk.
    pub spill: u64,
    /// Queries one user may have running at once.
    pub per_user: usize,
    /// Queries the whole server runs at once (every analyst together).
    pub server: usize,
    /// Rows in a JSON answer; the total is still reported.
    pub json_rows: usize,
}

impl Default for QueryLimits {
    fn default() -> Self {
        QueryLimits {
            timeout: Duration::from_secs(30),
            memory: 1 << 30,
            spill: 4 << 30,
            per_user: 2,
            server: 4,
            json_rows: 10_000,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("{0}")]
    Refused(#[from] guard::Refused),
    #[error("The query failed: {0}")]
    Failed(String),
    #[error(
        "The query needed more than the {limit_mib} MiB of memory queries may use: {detail}. Filter or aggregate earlier, or select fewer columns."
    )]
    Memory { limit_mib: usize, detail: String },
    #[error(
        "The query needed more than the {0} of temporary disk queries may spill to beyond their memory. Filter or aggregate earlier, or select fewer columns."
    )]
    Disk(String),
    #[error(
        "The query was cancelled after {0} seconds, the time limit. Filter earlier or aggregate, or ask for the limit to be raised (evidence serve --query-timeout-secs)."
    )]
    Timeout(u64),
    #[error("You already have {0} queries running; wait for one to finish.")]
    Busy(usize),
    #[error(
        "The server is already running {0} queries, as many as it runs at once; try again in a moment."
    )]
    ServerBusy(usize),
    #[error("SQL needs the analyst role.")]
    NotAnalyst,
}

impl From<QueryError> for crate::error::DashboardError {
    fn from(e: QueryError) -> Self {
        use crate::error::DashboardError;
        match e {
            QueryError::Refused(r) => DashboardError::BadRequest(r.0),
            QueryError::Busy(_) | QueryError::ServerBusy(_) => {
                DashboardError::TooMany(e.to_string())
            }
            QueryError::Timeout(_) => DashboardError::Timeout(e.to_string()),
            QueryError::Memory { .. } | QueryError::Disk(_) => {
                DashboardError::TooLarge(e.to_string())
            }
            QueryError::Failed(m) => DashboardError::BadRequest(m),
            QueryError::NotAnalyst => DashboardError::Forbidden(e.to_string()),
        }
    }
}

impl QueryError {
    fn outcome(&self) -> &'static str {
        match self {
            QueryError::Refused(_) => "refused",
            QueryError::Failed(_) => "failed",
            QueryError::Memory { .. } => "memory",
            QueryError::Disk(_) => "disk",
            QueryError::Timeout(_) => "timeout",
            QueryError::Busy(_) | QueryError::ServerBusy(_) => "busy",
            QueryError::NotAnalyst => "forbidden",
        }
    }
}

/// A table as the workbench lists it.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TableInfo {
    pub name: String,
    /// `input` (a contract input table, record-level), `record-level` (the
    /// analysts' cohort) or `evidence`.
    pub kind: String,
    pub columns: Vec<ColumnInfo>,
}

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ColumnInfo {
    pub name: String,
    #[serde(rename = "type")]
    pub data_type: String,
    pub nullable: bool,
}

pub struct Engine {
    ctx: SessionContext,
    runtime: QueryRuntime,
    limits: QueryLimits,
    running: Mutex<HashMap<String, Arc<Semaphore>>>,
    /// Places for queries across the whole server.
    server: Arc<Semaphore>,
    audit: AuditLog,
    tables: Vec<(String, &'static str)>,
}

/// A running query: its stream, and what to log when it ends.
pub struct Running {
    pub schema: SchemaRef,
    pub stream: SendableRecordBatchStream,
    pub started: Instant,
    pub deadline: Instant,
    /// The time limit, for messages.
    pub limit_secs: u64,
    memory: usize,
    _permit: (OwnedSemaphorePermit, OwnedSemaphorePermit),
    audit: Option<(AuditLog, AuditRecord)>,
}

impl Running {
    /// Log the query's end: `rows` returned, or why it stopped.
    pub fn finish(mut self, rows: u64, error: Option<&QueryError>) {
        if let Some((log, mut record)) = self.audit.take() {
            record.rows = Some(rows);
            record.ms = self.started.elapsed().as_millis() as u64;
            record.outcome = error.map_or("ok", |e| e.outcome()).to_string();
            record.error = error.map(|e| e.to_string());
            log.write(&record);
        }
    }

    /// An error from the running query, in the analyst's terms.
    pub fn error(&self, e: DataFusionError) -> QueryError {
        classify(e, self.memory)
    }

    pub fn time_left(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // Dropped without `finish` (a client that went away mid-export).
        if let Some((log, mut record)) = self.audit.take() {
            record.ms = self.started.elapsed().as_millis() as u64;
            record.outcome = "abandoned".into();
            log.write(&record);
        }
    }
}

impl Engine {
    /// Register the evidence tables of `evidence` and, with `data`, the
    /// contract's input tables of the dataset root.
    pub async fn new(
        evidence: &Root,
        data: Option<&Root>,
        limits: QueryLimits,
        audit: AuditLog,
    ) -> Result<Self, QueryError> {
        let runtime = contract::store::runtime_env_with_limits(Some(limits.memory), limits.spill)
            .map_err(|e| QueryError::Failed(e.to_string()))?;
        // A sort sets aside memory for merging its spills; keep that a small
        // part of a small pool.
        let config = SessionConfig::new()
            .with_target_partitions(2)
            .with_batch_size(1024)
            .with_information_schema(true)
            .with_sort_spill_reservation_bytes((limits.memory / 8).min(10 << 20));
        let ctx = SessionContext::new_with_config_rt(config, runtime);
        super::bounded::register(&ctx);
        let tables = super::catalog::register_all(&ctx, evidence, data).await;
        Ok(Engine {
            ctx,
            // As many threads as the server runs queries at once, at most
            // the machine's cores.
            runtime: QueryRuntime::new(
                limits
                    .server
                    .min(std::thread::available_parallelism().map_or(2, |n| n.get())),
            )?,
            server: Arc::new(Semaphore::new(limits.server.max(1))),
            limits,
            running: Mutex::new(HashMap::new()),
            audit,
            tables,
        })
    }

    pub fn limits(&self) -> &QueryLimits {
        &self.limits
    }

    /// The audit log every query is written to (and a user's history read from).
    pub fn audit(&self) -> &AuditLog {
        &self.audit
    }

    /// The registered tables and their columns.
    pub async fn tables(&self) -> Vec<TableInfo> {
        let mut out = Vec::new();
        for (name, kind) in &self.tables {
            let Ok(table) = self.ctx.table_provider(name.as_str()).await else {
                continue;
            };
            out.push(TableInfo {
                name: name.clone(),
                kind: kind.to_string(),
                columns: table
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| ColumnInfo {
                        name: f.name().clone(),
                        data_type: f.data_type().to_string(),
                        nullable: f.is_nullable(),
                    })
                    .collect(),
            });
        }
        out
    }

    pub fn has_table(&self, name: &str) -> Option<&'static str> {
        self.tables.iter().find(|t| t.0 == name).map(|t| t.1)
    }

    /// A place for `user`'s query: one of their own and one of the server's.
    fn permit(
        &self,
        user: &User,
    ) -> Result<(OwnedSemaphorePermit, OwnedSemaphorePermit), QueryError> {
        let semaphore = {
            let mut running = self
                .running
                .lock()
                .map_err(|_| QueryError::Failed("internal lock poisoned".into()))?;
            running
                .entry(user.name.clone())
                .or_insert_with(|| Arc::new(Semaphore::new(self.limits.per_user)))
                .clone()
        };
        let own = semaphore
            .try_acquire_owned()
            .map_err(|_| QueryError::Busy(self.limits.per_user))?;
        let server = self
            .server
            .clone()
            .try_acquire_owned()
            .map_err(|_| QueryError::ServerBusy(self.limits.server))?;
        Ok((own, server))
    }

    /// Check, plan and start a query for `user`. Refusals and planning
    /// errors are logged here; a started query is logged when it finishes.
    pub async fn start(&self, user: &User, sql: &str, form: &str) -> Result<Running, QueryError> {
        let started = Instant::now();
        let record = AuditRecord::new(user, sql, form);
        let result = self.plan(user, sql).await;
        match result {
            Ok((schema, stream, permit)) => {
                // An event others can wait on (the tests do, rather than
                // sleep); the audit log records the query when it ends.
                tracing::info!(target: "evidence::query", user = %user.name, form, "query started");
                Ok(Running {
                    schema,
                    stream,
                    started,
                    deadline: started + self.limits.timeout,
                    limit_secs: self.limits.timeout.as_secs(),
                    memory: self.limits.memory,
                    _permit: permit,
                    audit: Some((self.audit.clone(), record)),
                })
            }
            Err(e) => {
                let mut record = record;
                record.ms = started.elapsed().as_millis() as u64;
                record.outcome = e.outcome().into();
                record.error = Some(e.to_string());
                self.audit.write(&record);
                Err(e)
            }
        }
    }

    async fn plan(
        &self,
        user: &User,
        sql: &str,
    ) -> Result<
        (
            SchemaRef,
            SendableRecordBatchStream,
            (OwnedSemaphorePermit, OwnedSemaphorePermit),
        ),
        QueryError,
    > {
        // The routes already require the role; this holds even if one did not.
        if user.role != crate::auth::Role::Analyst {
            return Err(QueryError::NotAnalyst);
        }
        guard::check(sql)?;
        let permit = self.permit(user)?;
        // DataFusion's own verifier too, in case the guard ever misses one.
        let options = SQLOptions::new()
            .with_allow_ddl(false)
            .with_allow_dml(false)
            .with_allow_statements(false);
        // Planned and driven on the query threads: DataFusion's own tasks
        // are spawned where the plan is first polled, so they go there too.
        let (ctx, sql, memory) = (self.ctx.clone(), sql.to_string(), self.limits.memory);
        let planning = AbortOnDrop(self.runtime.handle().spawn(async move {
            let df = ctx
                .sql_with_options(&sql, options)
                .await
                .map_err(|e| classify(e, memory))?;
            let schema = df.schema().inner().clone();
            let stream = df.execute_stream().await.map_err(|e| classify(e, memory))?;
            Ok::<_, QueryError>((schema.clone(), on_its_own_task(schema, stream)))
        }));
        let (schema, stream) = tokio::time::timeout(self.limits.timeout, planning)
            .await
            .map_err(|_| QueryError::Timeout(self.limits.timeout.as_secs()))??;
        Ok((schema, stream, permit))
    }

    /// A DataFusion error in the analyst's terms.
    pub fn classify(&self, e: DataFusionError) -> QueryError {
        classify(e, self.limits.memory)
    }
}

/// Drive the query on its own task, handing batches over a small channel.
/// Whoever reads the result then waits on the channel, so the time limit
/// fires on time however long one step of the query takes, and dropping the
/// result aborts the task (and with it the query's own tasks).
fn on_its_own_task(
    schema: SchemaRef,
    mut stream: SendableRecordBatchStream,
) -> SendableRecordBatchStream {
    use futures::StreamExt;
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    let task = tokio::spawn(async move {
        while let Some(batch) = stream.next().await {
            if tx.send(batch).await.is_err() {
                break;
            }
        }
    });
    let abort = AbortOnDrop(task);
    let batches = tokio_stream::wrappers::ReceiverStream::new(rx).map(move |b| {
        let _ = &abort;
        b
    });
    Box::pin(RecordBatchStreamAdapter::new(schema, batches))
}

fn classify(e: DataFusionError, memory: usize) -> QueryError {
    let text = e.to_string();
    let exhausted = matches!(e.find_root(), DataFusionError::ResourcesExhausted(_))
        || text.contains("Resources exhausted");
    if let Some(limit) = contract::store::spill_limit_exceeded(&text) {
        QueryError::Disk(limit.to_string())
    } else if exhausted {
        QueryError::Memory {
            limit_mib: memory >> 20,
            detail: text,
        }
    } else {
        QueryError::Failed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;
    use datafusion::arrow::array::{ArrayRef, StringArray};
    use datafusion::logical_expr::{ColumnarValue, Volatility, create_udf};
    use futures::StreamExt;

    /// A query's work runs on the query threads, never on the threads that
    /// serve pages (issue 28, hole 2: on the serving runtime, two queries
    /// that kept their threads busy left no thread for a commissioner).
    #[tokio::test]
    async fn queries_run_on_their_own_threads() {
        let dir = tempfile::tempdir().unwrap();
        let root = Root::parse(dir.path().to_str().unwrap()).unwrap();
        let engine = Engine::new(
            &root,
            None,
            QueryLimits::default(),
            AuditLog::tracing_only(),
        )
        .await
        .unwrap();
        // Where the expression is evaluated: the name of the thread.
        let thread = create_udf(
            "thread_name",
            vec![],
            datafusion::arrow::datatypes::DataType::Utf8,
            Volatility::Volatile,
            Arc::new(|_: &[ColumnarValue]| {
                let name = std::thread::current().name().unwrap_or("").to_string();
                Ok(ColumnarValue::Array(
                    Arc::new(StringArray::from(vec![name])) as ArrayRef,
                ))
            }),
        );
        engine.ctx.register_udf(thread);
        let analyst = User {
            name: "ana".into(),
            role: Role::Analyst,
        };
        let mut running = engine
            .start(&analyst, "SELECT thread_name() AS t", "test")
            .await
            .unwrap();
        let batch = running.stream.next().await.unwrap().unwrap();
        let names = batch
            .column(0)
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap();
        assert_eq!(names.value(0), QUERY_THREAD);
        assert_ne!(std::thread::current().name(), Some(QUERY_THREAD));
        running.finish(1, None);
        // Dropping the engine inside the serving runtime does not panic.
        drop(engine);
    }
}
