//! `evidence serve`: the dashboard over an evidence root, and who may use it.

use anyhow::{Context, Result};
use dashboard::analysts::engine::QueryLimits;
use dashboard::analysts::query_log::AuditLog;
use dashboard::auth::UsersFile;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::LazyLock;
use std::time::Duration;

/// The query limits' defaults, defined once (by `QueryLimits::default`) and
/// shown by `--help`.
static LIMITS: LazyLock<QueryLimits> = LazyLock::new(QueryLimits::default);

/// Who may sign in, and the limits analysts' queries run under.
#[derive(clap::Args)]
pub struct AccessOptions {
    /// The users file (see `evidence user add`).
    #[arg(long, default_value = "users.toml")]
    pub users: PathBuf,
    /// Append every SQL query (who, when, SQL, rows, time) to this file.
    #[arg(long, default_value = "evidence-audit.jsonl")]
    pub audit_log: PathBuf,
    /// Keep the workbench's saved queries in this file (shared by every analyst).
    #[arg(long, default_value = "evidence-saved-queries.json")]
    pub saved_queries: PathBuf,
    /// Cancel a query after this many seconds.
    #[arg(long, default_value_t = LIMITS.timeout.as_secs())]
    pub query_timeout_secs: u64,
    /// Memory all running queries share, in MiB; beyond it a query fails with a clear error.
    #[arg(long, default_value_t = LIMITS.memory >> 20)]
    pub query_memory_mib: usize,
    /// Temporary disk all running queries may spill to beyond their memory, in MiB; beyond it a query fails
    /// with a clear error instead of filling the disk.
    #[arg(long, default_value_t = LIMITS.spill >> 20)]
    pub query_spill_mib: u64,
    /// Queries one user may run at once.
    #[arg(long, default_value_t = LIMITS.per_user)]
    pub queries_per_user: usize,
    /// Queries the whole server runs at once, every analyst together.
    #[arg(long, default_value_t = LIMITS.server)]
    pub queries_at_once: usize,
    /// Rows in a JSON answer from POST /api/sql (the total is still reported).
    #[arg(long, default_value_t = LIMITS.json_rows)]
    pub json_row_cap: usize,
}

impl AccessOptions {
    /// The users file and audit log given, every limit at its default.
    pub fn with_default_limits(users: PathBuf, audit_log: PathBuf) -> Self {
        AccessOptions {
            users,
            saved_queries: audit_log.with_file_name("saved-queries.json"),
            audit_log,
            query_timeout_secs: LIMITS.timeout.as_secs(),
            query_memory_mib: LIMITS.memory >> 20,
            query_spill_mib: LIMITS.spill >> 20,
            queries_per_user: LIMITS.per_user,
            queries_at_once: LIMITS.server,
            json_row_cap: LIMITS.json_rows,
        }
    }

    fn limits(&self) -> QueryLimits {
        QueryLimits {
            timeout: Duration::from_secs(self.query_timeout_secs),
            memory: self.query_memory_mib << 20,
            spill: self.query_spill_mib << 20,
            per_user: self.queries_per_user.max(1),
            server: self.queries_at_once.max(1),
            json_rows: self.json_row_cap,
        }
    }
}

pub async fn serve(
    evidence: &str,
    data: Option<&str>,
    addr: SocketAddr,
    access: &AccessOptions,
) -> Result<()> {
    crate::cluster::init_logging();
    let evidence_root = contract::Root::parse(evidence)?;
    let data_root = data.map(contract::Root::parse).transpose()?;
    let users = if access.users.exists() {
        UsersFile::load(&access.users)?
    } else {
        eprintln!(
            "warning: no users file at {}: nobody can sign in. Add users with `evidence user add NAME --role ROLE --users {}`.",
            access.users.display(),
            access.users.display()
        );
        UsersFile::default()
    };
    let audit = AuditLog::open(access.audit_log.clone())
        .with_context(|| format!("opening the audit log {}", access.audit_log.display()))?;
    let state = dashboard::AppState::new(dashboard::Config {
        evidence: evidence_root,
        data: data_root,
        users,
        limits: access.limits(),
        audit,
        saved: dashboard::analysts::saved::SavedQueries::open(access.saved_queries.clone())
            .map_err(anyhow::Error::msg)?,
    })
    .await?;
    if let Err(e) = state.published().await {
        eprintln!(
            "warning: {e}\nThe dashboard will show this on every page until the evidence root is readable."
        );
    }
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| {
        format!("listening on {addr}: is another server using that port? Try --addr")
    })?;
    let local = listener.local_addr()?;
    println!("Dashboard for {evidence}: http://{local}/  (Ctrl-C to stop)");
    dashboard::serve(listener, state, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .context("serving the dashboard")
}
