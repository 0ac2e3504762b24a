//! Object stores behind roots. Local folders and `file://` URLs use the
//! local filesystem; `s3://bucket/prefix` roots get an S3 client configured
//! by `object_store`'s own builder from the standard environment variables
//! (`AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_REGION`, `AWS_ALLOW_HTTP`, ...).
//!
//! [`EvidenceObjectStores`] is the one registry every Evidence process uses —
//! the local run, the Ballista client, scheduler and executors — so a bucket
//! that one of them can reach, all of them can.

use crate::error::{ContractError, Result};
use crate::root::Root;
use datafusion::execution::object_store::{DefaultObjectStoreRegistry, ObjectStoreRegistry};
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::prelude::SessionContext;
use object_store::aws::AmazonS3Builder;
use object_store::{ObjectStore, RetryConfig};
use std::sync::Arc;
use url::Url;

const S3_SETTINGS: &str = "check that the bucket exists and that AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, \
     AWS_SECRET_ACCESS_KEY and AWS_REGION are right (and AWS_ALLOW_HTTP=true for a plain-HTTP server)";

/// DataFusion's registry plus S3 clients made on first use of a bucket.
#[derive(Debug, Default)]
pub struct EvidenceObjectStores {
    inner: DefaultObjectStoreRegistry,
}

/// How long a failing S3 request is retried before the run gives up:
/// `EVIDENCE_S3_RETRY_SECS` seconds, or `object_store`'s default (3 minutes).
fn s3_retry() -> RetryConfig {
    let mut retry = RetryConfig::default();
    if let Some(secs) = std::env::var("EVIDENCE_S3_RETRY_SECS")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
    {
        retry.retry_timeout = std::time::Duration::from_secs(secs);
    }
    retry
}

impl EvidenceObjectStores {
    fn s3(url: &Url) -> datafusion::error::Result<Arc<dyn ObjectStore>> {
        let store = AmazonS3Builder::from_env()
            .with_url(url.as_str())
            .with_retry(s3_retry())
            .build()
            .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
        Ok(Arc::new(store))
    }
}

impl ObjectStoreRegistry for EvidenceObjectStores {
    fn register_store(
        &self,
        url: &Url,
        store: Arc<dyn ObjectStore>,
    ) -> Option<Arc<dyn ObjectStore>> {
        self.inner.register_store(url, store)
    }

    fn deregister_store(&self, url: &Url) -> datafusion::error::Result<Arc<dyn ObjectStore>> {
        self.inner.deregister_store(url)
    }

    fn get_store(&self, url: &Url) -> datafusion::error::Result<Arc<dyn ObjectStore>> {
        match self.inner.get_store(url) {
            Ok(store) => Ok(store),
            Err(_) if url.scheme() == "s3" => {
                let store = Self::s3(url)?;
                self.inner.register_store(url, store.clone());
                Ok(store)
            }
            Err(e) => Err(e),
        }
    }
}

/// The runtime every Evidence session uses: its object stores.
pub fn runtime_env() -> datafusion::error::Result<Arc<RuntimeEnv>> {
    runtime_env_with_limits(None, DEFAULT_SPILL_LIMIT)
}

/// How much a run may spill to the temporary folder by default: 16 GiB.
pub const DEFAULT_SPILL_LIMIT: u64 = 16 << 30;

/// The limit (as DataFusion writes it, e.g. `16.0 GB`) when `message` is
/// DataFusion's error for a query that spilled past
/// [`runtime_env_with_limits`]' `spill_limit`, however it was wrapped (an
/// Arrow I/O error from the spill writer, or resources exhausted).
pub fn spill_limit_exceeded(message: &str) -> Option<&str> {
    const SPILL: &str = "during the spilling process has exceeded the allowable limit of ";
    let rest = &message[message.find(SPILL)? + SPILL.len()..];
    Some(
        rest.split(". ")
            .next()
            .unwrap_or(rest)
            .trim_end_matches('.'),
    )
}

/// The runtime with a memory pool of `memory_limit` bytes shared fairly by
/// the operators that can spill (sorts, aggregates), which spill to the
/// system's temporary folder beyond it, up to `spill_limit` bytes there
/// (then the query fails with DataFusion's "exceeded the allowable limit"
/// rather than filling the disk; the folder is removed when the runtime is
/// dropped).
pub fn runtime_env_with_limits(
    memory_limit: Option<usize>,
    spill_limit: u64,
) -> datafusion::error::Result<Arc<RuntimeEnv>> {
    let mut builder = RuntimeEnvBuilder::new()
        .with_object_store_registry(Arc::new(EvidenceObjectStores::default()))
        .with_max_temp_directory_size(spill_limit);
    if let Some(limit) = memory_limit {
        builder = builder.with_memory_pool(Arc::new(
            datafusion::execution::memory_pool::FairSpillPool::new(limit),
        ));
    }
    builder.build_arc()
}

/// Check that `root` can be listed, so a missing bucket or bad credentials
/// fail at once with the URL named (not deep inside a query).
pub async fn connect(ctx: &SessionContext, root: &Root) -> Result<()> {
    match root.url().scheme() {
        "file" => Ok(()),
        "s3" => {
            let store = root.store(ctx).map_err(|e| ContractError::Root {
                root: root.as_str().to_string(),
                problem: format!("cannot configure S3 access ({e}); {S3_SETTINGS}"),
            })?;
            store
                .list_with_delimiter(Some(root.prefix()))
                .await
                .map_err(|e| ContractError::Root {
                    root: root.as_str().to_string(),
                    problem: format!(
                        "cannot be reached: {}; {S3_SETTINGS}",
                        first_line(&e.to_string())
                    ),
                })?;
            Ok(())
        }
        other => Err(ContractError::Root {
            root: root.as_str().to_string(),
            problem: format!(
                "`{other}://` roots are not supported; use a local folder, file:// or s3://"
            ),
        }),
    }
}

/// Object-store errors can run to a page of HTTP detail; the first line says
/// what went wrong.
fn first_line(message: &str) -> &str {
    message.lines().next().unwrap_or(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spill_limit_is_read_from_datafusions_error_however_wrapped() {
        let io = "computing sql/event_statuses.sql: Arrow error: Io error: The used disk space during the spilling process has exceeded the allowable limit of 16.0 GB. Please try increasing the config: `datafusion.runtime.max_temp_directory_size`.";
        assert_eq!(spill_limit_exceeded(io), Some("16.0 GB"));
        let exhausted = "Resources exhausted: The used disk space during the spilling process has exceeded the allowable limit of 1024.0 KB.";
        assert_eq!(spill_limit_exceeded(exhausted), Some("1024.0 KB"));
        assert_eq!(
            spill_limit_exceeded("Resources exhausted: Failed to allocate 10 MB"),
            None
        );
    }
}
