//! The app's state: the evidence root, and its published (disclosure-
//! controlled) figures, re-read when the root is republished.

use crate::analysts::engine::{Engine, QueryLimits};
use crate::analysts::query_log::AuditLog;
use crate::analysts::saved::SavedQueries;
use crate::auth::{Auth, UsersFile};
use crate::disclosure::{self, Published};
use crate::error::DashboardError;
use contract::{Evidence, Manifest, Root};
use datafusion::prelude::SessionContext;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// How often a request may check `run.json` for a new run.
const RECHECK: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

/// What `evidence serve` starts with.
pub struct Config {
    pub evidence: Root,
    pub data: Option<Root>,
    pub users: UsersFile,
    pub limits: QueryLimits,
    pub audit: AuditLog,
    /// The analysts' saved queries.
    pub saved: SavedQueries,
}

impl Config {
    /// An evidence root with no users (nobody can sign in) and default
    /// limits, the audit going to the log output only.
    pub fn new(evidence: Root) -> Self {
        Config {
            evidence,
            data: None,
            users: UsersFile::default(),
            limits: QueryLimits::default(),
            audit: AuditLog::tracing_only(),
            saved: SavedQueries::in_memory(),
        }
    }
}

/// Chart archives by (run id, programme slug).
type Archives = std::collections::HashMap<(String, String), Arc<Vec<u8>>>;

struct Inner {
    evidence: Root,
    auth: Auth,
    engine: Result<Engine, String>,
    saved: SavedQueries,
    ctx: SessionContext,
    current: RwLock<Option<Arc<Published>>>,
    checked: Mutex<Option<Instant>>,
    reload: tokio::sync::Mutex<()>,
    /// Each programme's chart archive, made once per run: (run id, slug).
    archives: Mutex<Archives>,
    /// One archive is drawn at a time (seven charts at 300 dpi each).
    drawing: tokio::sync::Semaphore,
    /// Chart images drawn at once (`MOST_DRAWINGS`), and admitted at all
    /// (`MOST_DRAWINGS + MOST_WAITING_DRAWINGS`).
    drawings: tokio::sync::Semaphore,
    admitted: tokio::sync::Semaphore,
}

/// Chart images (SVG or PNG downloads) drawn at once, each on the blocking
/// pool so drawing never holds a worker that serves pages.
pub const MOST_DRAWINGS: usize = 2;
/// Chart images that may wait for a drawing slot; beyond them a request is
/// told to try again (429) at once, so a flood of downloads costs neither
/// CPU nor memory without bound.
pub const MOST_WAITING_DRAWINGS: usize = 32;

impl AppState {
    /// State over an evidence root (and optionally the dataset root it came
    /// from). Reading happens on first use, so a server can start before a
    /// root is readable and show why on its pages.
    pub async fn new(config: Config) -> Result<Self, DashboardError> {
        let Config {
            evidence,
            data,
            users,
            limits,
            audit,
            saved,
        } = config;
        let engine = Engine::new(&evidence, data.as_ref(), limits, audit)
            .await
            .map_err(|e| e.to_string());
        let runtime = contract::store::runtime_env().map_err(|e| DashboardError::Evidence {
            location: evidence.as_str().to_string(),
            problem: format!("cannot set up the object stores: {e}"),
        })?;
        let ctx = SessionContext::new_with_config_rt(Default::default(), runtime);
        Ok(AppState {
            inner: Arc::new(Inner {
                evidence,
                auth: Auth::new(users),
                engine,
                saved,
                ctx,
                current: RwLock::new(None),
                checked: Mutex::new(None),
                reload: tokio::sync::Mutex::new(()),
                archives: Mutex::new(std::collections::HashMap::new()),
                drawing: tokio::sync::Semaphore::new(1),
                drawings: tokio::sync::Semaphore::new(MOST_DRAWINGS),
                admitted: tokio::sync::Semaphore::new(MOST_DRAWINGS + MOST_WAITING_DRAWINGS),
            }),
        })
    }

    pub fn evidence_root(&self) -> &Root {
        &self.inner.evidence
    }

    pub fn auth(&self) -> &Auth {
        &self.inner.auth
    }

    pub fn saved(&self) -> &SavedQueries {
        &self.inner.saved
    }

    /// The analysts' query engine.
    pub fn engine(&self) -> Result<&Engine, DashboardError> {
        self.inner
            .engine
            .as_ref()
            .map_err(|e| DashboardError::Evidence {
                location: self.inner.evidence.as_str().to_string(),
                problem: format!("the SQL engine could not start: {e}"),
            })
    }

    /// Check `run.json` on the next request rather than up to 2 seconds
    /// later: for a publisher that has just replaced the evidence root (and
    /// for tests, which then need not wait on the clock).
    pub fn recheck(&self) {
        if let Ok(mut checked) = self.inner.checked.lock() {
            *checked = None;
        }
    }

    /// The published figures of the evidence root as it is now: cached, and
    /// re-read when `run.json` names a new run (checked every 2 seconds).
    pub async fn published(&self) -> Result<Arc<Published>, DashboardError> {
        let cached = self.cached();
        let due = self
            .inner
            .checked
            .lock()
            .map_or(true, |c| c.is_none_or(|t| t.elapsed() >= RECHECK));
        if let (Some(p), false) = (&cached, due) {
            return Ok(p.clone());
        }
        let _reloading = self.inner.reload.lock().await;
        // Another request may have reloaded while this one waited.
        if let (Some(p), Ok(checked)) = (self.cached(), self.inner.checked.lock())
            && checked.is_some_and(|t| t.elapsed() < RECHECK)
        {
            return Ok(p);
        }
        let (ctx, root) = (&self.inner.ctx, &self.inner.evidence);
        let result = match self.cached() {
            Some(p) if Manifest::read(ctx, root).await?.run_id == p.run.run_id => Ok(p),
            _ => match Evidence::read(ctx, root).await {
                // Disclosure control re-estimates every effect from rounded
                // counts (seconds on a large run): on the blocking pool, so
                // no worker that serves other requests is held meanwhile.
                Ok(exact) => tokio::task::spawn_blocking(move || disclosure::control(&exact))
                    .await
                    .map(Arc::new)
                    .map_err(|e| DashboardError::Evidence {
                        location: root.as_str().to_string(),
                        problem: format!("disclosure control stopped: {e}"),
                    }),
                Err(e) => Err(DashboardError::from(e)),
            },
        };
        match &result {
            Ok(p) => {
                if let Ok(mut current) = self.inner.current.write() {
                    *current = Some(p.clone());
                }
                if let Ok(mut checked) = self.inner.checked.lock() {
                    *checked = Some(Instant::now());
                }
            }
            Err(e) => tracing::error!("{e}"),
        }
        result
    }

    /// The archive of (`run_id`, `slug`), made by `make` at most once per
    /// run and one at a time, in one of the drawing slots chart images use;
    /// archives of earlier runs are dropped.
    pub async fn archive<F>(
        &self,
        run_id: &str,
        slug: &str,
        make: F,
    ) -> Result<Arc<Vec<u8>>, DashboardError>
    where
        F: FnOnce() -> Result<Vec<u8>, DashboardError> + Send + 'static,
    {
        let key = (run_id.to_string(), slug.to_string());
        let cached = |s: &Self| {
            s.inner
                .archives
                .lock()
                .ok()
                .and_then(|a| a.get(&key).cloned())
        };
        if let Some(bytes) = cached(self) {
            return Ok(bytes);
        }
        let _drawing = self
            .inner
            .drawing
            .acquire()
            .await
            .map_err(|e| DashboardError::Chart {
                chart: "archive".into(),
                problem: e.to_string(),
            })?;
        if let Some(bytes) = cached(self) {
            return Ok(bytes);
        }
        let bytes = Arc::new(self.drawn("archive", make).await?);
        if let Ok(mut archives) = self.inner.archives.lock() {
            archives.retain(|(run, _), _| run == run_id);
            archives.insert(key, bytes.clone());
        }
        Ok(bytes)
    }

    /// `draw` (the chart `chart`'s image) on the blocking pool, at most
    /// `MOST_DRAWINGS` at once; `TooMany` at once when
    /// `MOST_WAITING_DRAWINGS` more already wait.
    pub async fn draw<T, F>(&self, chart: &str, draw: F) -> Result<T, DashboardError>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T, DashboardError> + Send + 'static,
    {
        let _admitted = self.inner.admitted.try_acquire().map_err(|_| {
            DashboardError::TooMany(format!(
                "The server is drawing {MOST_DRAWINGS} charts and {MOST_WAITING_DRAWINGS} more are waiting; try again in a moment."
            ))
        })?;
        self.drawn(chart, draw).await
    }

    /// `draw` on the blocking pool once one of the `MOST_DRAWINGS` drawing
    /// slots is free: chart images and archives share them, so no more
    /// than that many drawings run at once whatever is asked for.
    async fn drawn<T, F>(&self, chart: &str, draw: F) -> Result<T, DashboardError>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T, DashboardError> + Send + 'static,
    {
        let failed = |problem: String| DashboardError::Chart {
            chart: chart.to_string(),
            problem,
        };
        let _drawing = self
            .inner
            .drawings
            .acquire()
            .await
            .map_err(|e| failed(e.to_string()))?;
        tokio::task::spawn_blocking(draw)
            .await
            .map_err(|e| failed(e.to_string()))?
    }

    fn cached(&self) -> Option<Arc<Published>> {
        self.inner.current.read().ok().and_then(|c| c.clone())
    }
}
