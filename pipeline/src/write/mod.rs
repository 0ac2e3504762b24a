//! Write: everything a run produces goes to a staging area first, and the
//! evidence root is replaced only when all of it is written, so a failed or
//! killed run never leaves a half-written evidence root.
//!
//! - **Local roots** stage in a folder beside the root. Publishing swaps the
//!   two folders in one atomic `renameat2(RENAME_EXCHANGE)` where the
//!   filesystem supports it: readers see the whole old root or the whole new
//!   one. The old one is then deleted.
//! - **Object-store roots** stage under `<root>/.staging-<run>/`. An object
//!   store has no atomic multi-object rename, so publishing copies each staged
//!   object to its final key (each copy is atomic per object), `run.json`
//!   last, then deletes the staging objects. During those few seconds a reader
//!   may see some tables from the new run and some from the old; every output
//!   file carries the run's id in its Parquet metadata (`evidence.run_id`),
//!   and `run.json`, written last, names it, so a reader that needs a
//!   consistent set compares the two. A run that fails before publishing
//!   leaves the old root untouched and removes its staging objects.

mod local;
mod remote;

pub use local::LocalStaging;
pub use remote::RemoteStaging;

use crate::error::{IoContext, PipelineError, Result};
use contract::QueryContext;
pub use contract::manifest::MANIFEST;
use contract::root::Root;
use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::datatypes::UInt64Type;
use datafusion::config::TableParquetOptions;
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::prelude::{DataFrame, SessionContext};
use object_store::ObjectStoreExt;

/// Where a run's outputs are staged before publishing.
pub enum Staging {
    Local(LocalStaging),
    Remote(Box<RemoteStaging>),
}

pub(crate) fn refuse(root: &str, problem: impl Into<String>) -> PipelineError {
    PipelineError::Root {
        root: root.to_string(),
        problem: problem.into(),
    }
}

pub(crate) fn not_an_evidence_root() -> String {
    format!(
        "is not empty and is not an evidence root (no {MANIFEST}); refusing to replace it. Choose a new or empty location for --out"
    )
}

impl Staging {
    /// Prepare to replace the evidence root `out`. Refuses a target that
    /// exists and is neither empty nor an earlier evidence root, so a typo'd
    /// `--out` can never delete someone's data.
    pub async fn prepare(ctx: &SessionContext, out: &Root, run_id: &str) -> Result<Self> {
        match out.local_path() {
            Some(target) => Ok(Staging::Local(LocalStaging::prepare(target, run_id)?)),
            None => Ok(Staging::Remote(Box::new(
                RemoteStaging::prepare(ctx, out, run_id).await?,
            ))),
        }
    }

    /// Where DataFusion writes `relative` (a path or URL).
    pub fn file(&self, relative: &str) -> String {
        match self {
            Staging::Local(s) => s.dir.join(relative).to_string_lossy().to_string(),
            Staging::Remote(s) => s.root.join(&format!("{}/{relative}", s.staging_name)),
        }
    }

    /// A local folder for intermediate results, gone after the run.
    pub fn work_dir(&self) -> String {
        match self {
            Staging::Local(s) => s.dir.join(".work").to_string_lossy().to_string(),
            Staging::Remote(s) => s.work.path().to_string_lossy().to_string(),
        }
    }

    /// Write a small file (the manifest) into the staging area.
    pub async fn put(&self, relative: &str, bytes: Vec<u8>) -> Result<()> {
        match self {
            Staging::Local(s) => {
                let path = s.dir.join(relative);
                std::fs::write(&path, bytes).io_context(|| format!("writing {}", path.display()))
            }
            Staging::Remote(s) => {
                let location = s.staged(relative);
                s.store.put(&location, bytes.into()).await.map_err(|e| {
                    refuse(
                        &s.root.join(&format!("{}/{relative}", s.staging_name)),
                        format!("cannot write: {e}"),
                    )
                })?;
                Ok(())
            }
        }
    }

    /// Remove the intermediate results before publishing.
    pub fn clear_work_dir(&self) -> Result<()> {
        let dir = self.work_dir();
        if std::path::Path::new(&dir).exists() {
            std::fs::remove_dir_all(&dir)
                .io_context(|| format!("removing the work folder {dir}"))?;
        }
        Ok(())
    }

    /// Replace the evidence root with what was staged; returns the root.
    pub async fn publish(self) -> Result<String> {
        match self {
            Staging::Local(s) => s.publish().map(|p| p.display().to_string()),
            Staging::Remote(s) => s.publish().await,
        }
    }

    /// Give up: remove everything staged, leave the old root as it was.
    /// For an object store, what could not be removed (the server may be
    /// the thing that failed), as a sentence for the user.
    pub async fn abandon(self) -> Option<String> {
        match self {
            Staging::Local(s) => {
                drop(s);
                None
            }
            Staging::Remote(s) => s.abandon().await,
        }
    }
}

/// Parquet options that stamp the run's id into each file's metadata.
fn stamped(run_id: &str) -> TableParquetOptions {
    let mut options = TableParquetOptions::default();
    options
        .key_value_metadata
        .insert(contract::manifest::RUN_ID_KEY.into(), Some(run_id.into()));
    options
}

/// How many rows a DataFusion write reports it wrote (its `count` column).
pub fn rows_written(report: &[RecordBatch], file: &str) -> Result<u64> {
    report
        .iter()
        .map(|b| {
            b.column_by_name("count")
                .and_then(|c| c.as_primitive_opt::<UInt64Type>())
                .map(|c| c.iter().flatten().sum::<u64>())
        })
        .sum::<Option<u64>>()
        .ok_or_else(|| {
            PipelineError::Invalid(format!(
                "writing {file}: the engine did not report a row count"
            ))
        })
}

async fn write_frame(frame: DataFrame, file: &str, run_id: &str) -> Result<u64> {
    let report = frame
        .write_parquet(
            file,
            DataFrameWriteOptions::new().with_single_file_output(true),
            Some(stamped(run_id)),
        )
        .await
        .context(format!("writing {file}"))?;
    rows_written(&report, file)
}

/// Write one record batch (a small result computed here) as a single
/// Parquet file. It is written by this process, with the session's object
/// stores, even when queries run on a Ballista cluster.
pub async fn write_batch(
    ctx: &SessionContext,
    batch: RecordBatch,
    file: &str,
    run_id: &str,
) -> Result<u64> {
    let here = SessionContext::new_with_config_rt(
        datafusion::prelude::SessionConfig::new(),
        ctx.runtime_env(),
    );
    write_frame(
        here.read_batch(batch)
            .context(format!("preparing {file}"))?,
        file,
        run_id,
    )
    .await
}

/// Write every output table into the staging area.
pub async fn write_tables(
    ctx: &SessionContext,
    staging: &Staging,
    tables: &contract::Tables,
    run_id: &str,
) -> Result<()> {
    for (name, batch) in tables.batches()? {
        write_batch(
            ctx,
            batch,
            &staging.file(&format!("{name}.parquet")),
            run_id,
        )
        .await?;
    }
    Ok(())
}

/// Write a query's result as a single Parquet file; the rows written.
pub async fn write_query(
    ctx: &SessionContext,
    sql: &str,
    params: Vec<datafusion::scalar::ScalarValue>,
    file: &str,
    run_id: &str,
) -> Result<u64> {
    let frame = ctx.sql(sql).await.context(format!("planning {file}"))?;
    let frame = if params.is_empty() {
        frame
    } else {
        frame
            .with_param_values(params)
            .context(format!("planning {file}"))?
    };
    write_frame(frame, file, run_id).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn local(dir: &Path) -> Root {
        Root::parse(dir.to_str().unwrap()).unwrap()
    }

    async fn prepare(root: &Root) -> Result<Staging> {
        Staging::prepare(&SessionContext::new(), root, "test").await
    }

    #[tokio::test]
    async fn refuses_to_replace_a_folder_that_is_not_an_evidence_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("notes.txt"), "precious").unwrap();
        let err = prepare(&local(dir.path()))
            .await
            .err()
            .expect("must refuse");
        assert!(err.to_string().contains("not an evidence root"), "{err}");
        assert!(dir.path().join("notes.txt").exists());
    }

    #[tokio::test]
    async fn publish_swaps_in_the_new_root_and_removes_the_old() {
        let parent = tempfile::tempdir().unwrap();
        let out = parent.path().join("evidence");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join(MANIFEST), "old").unwrap();
        let staging = prepare(&local(&out)).await.unwrap();
        staging.put(MANIFEST, b"new".to_vec()).await.unwrap();
        staging.publish().await.unwrap();
        assert_eq!(std::fs::read_to_string(out.join(MANIFEST)).unwrap(), "new");
        let left: Vec<_> = std::fs::read_dir(parent.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "staging and old root are gone");
    }

    #[tokio::test]
    async fn an_abandoned_staging_folder_is_removed() {
        let parent = tempfile::tempdir().unwrap();
        let staging = prepare(&local(&parent.path().join("evidence")))
            .await
            .unwrap();
        let Staging::Local(ref local_staging) = staging else {
            panic!("local")
        };
        let dir = local_staging.path().to_path_buf();
        staging.abandon().await;
        assert!(!dir.exists());
        assert!(!parent.path().join("evidence").exists());
    }
}
