//! The app's state: the evidence root, and its published (disclosure-
//! controlled) figures, re-read when the root is republished.

use crate::disclosure::{self, Published};
use crate::error::DashboardError;
use datafusion::prelude::SessionContext;
use pipeline::load::Root;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// How often a request may check `run.json` for a new run.
const RECHECK: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    evidence: Root,
    data: Option<Root>,
    ctx: SessionContext,
    current: RwLock<Option<Arc<Published>>>,
    checked: Mutex<Option<Instant>>,
    reload: tokio::sync::Mutex<()>,
}

impl AppState {
    /// State over an evidence root (and optionally the dataset root it came
    /// from). Reading happens on first use, so a server can start before a
    /// root is readable and show why on its pages.
    pub fn new(evidence: Root, data: Option<Root>) -> Result<Self, DashboardError> {
        let runtime = pipeline::store::runtime_env().map_err(|e| DashboardError::Evidence {
            location: evidence.as_str().to_string(),
            problem: format!("cannot set up the object stores: {e}"),
        })?;
        let ctx = SessionContext::new_with_config_rt(Default::default(), runtime);
        Ok(AppState {
            inner: Arc::new(Inner {
                evidence,
                data,
                ctx,
                current: RwLock::new(None),
                checked: Mutex::new(None),
                reload: tokio::sync::Mutex::new(()),
            }),
        })
    }

    pub fn evidence_root(&self) -> &Root {
        &self.inner.evidence
    }

    pub fn data_root(&self) -> Option<&Root> {
        self.inner.data.as_ref()
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
            Some(p) if disclosure::current_run_id(ctx, root).await? == p.run.run_id => Ok(p),
            _ => disclosure::publish(ctx, root).await.map(Arc::new),
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

    fn cached(&self) -> Option<Arc<Published>> {
        self.inner.current.read().ok().and_then(|c| c.clone())
    }
}
