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

use crate::error::{IoContext, PipelineError, QueryContext, Result};
use crate::load::Root;
use datafusion::arrow::array::RecordBatch;
use datafusion::config::TableParquetOptions;
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::prelude::{DataFrame, SessionContext};
use futures::TryStreamExt;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The file that marks a folder as an evidence root.
pub const MANIFEST: &str = "run.json";

/// Where a run's outputs are staged before publishing.
pub enum Staging {
    Local(LocalStaging),
    Remote(Box<RemoteStaging>),
}

pub struct LocalStaging {
    dir: PathBuf,
    target: PathBuf,
    published: bool,
}

pub struct RemoteStaging {
    root: Root,
    store: Arc<dyn ObjectStore>,
    prefix: ObjectPath,
    staging_name: String,
    work: tempfile::TempDir,
}

fn refuse(root: &str, problem: impl Into<String>) -> PipelineError {
    PipelineError::Root {
        root: root.to_string(),
        problem: problem.into(),
    }
}

fn not_an_evidence_root() -> String {
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

impl LocalStaging {
    fn prepare(target: PathBuf, run_id: &str) -> Result<Self> {
        let shown = target.display().to_string();
        if target.exists() {
            if !target.is_dir() {
                return Err(refuse(
                    &shown,
                    "exists and is not a folder; choose another --out",
                ));
            }
            let empty = std::fs::read_dir(&target)
                .io_context(|| format!("reading {shown}"))?
                .next()
                .is_none();
            if !empty && !target.join(MANIFEST).is_file() {
                return Err(refuse(&shown, not_an_evidence_root()));
            }
        }
        let parent = target
            .parent()
            .ok_or_else(|| refuse(&shown, "has no parent folder"))?;
        std::fs::create_dir_all(parent).io_context(|| format!("creating {}", parent.display()))?;
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        remove_abandoned_staging(parent, &name);
        let dir = parent.join(format!(".{name}.staging-{run_id}"));
        std::fs::create_dir(&dir)
            .io_context(|| format!("creating the staging folder {}", dir.display()))?;
        std::fs::create_dir(dir.join("quarantine"))
            .io_context(|| format!("creating {}/quarantine", dir.display()))?;
        Ok(LocalStaging {
            dir,
            target,
            published: false,
        })
    }

    fn publish(mut self) -> Result<PathBuf> {
        if self.target.exists() {
            let exchanged = rustix::fs::renameat_with(
                rustix::fs::CWD,
                &self.dir,
                rustix::fs::CWD,
                &self.target,
                rustix::fs::RenameFlags::EXCHANGE,
            );
            if exchanged.is_ok() {
                // self.dir now holds the old root; Drop removes it.
                return Ok(self.target.clone());
            }
            // No atomic exchange here (an older kernel or a filesystem without
            // it): move the old root aside first. Between the two renames the
            // root is briefly absent, never half-written.
            let aside = self.dir.with_extension("old");
            std::fs::rename(&self.target, &aside)
                .io_context(|| format!("moving the old {} aside", self.target.display()))?;
            std::fs::rename(&self.dir, &self.target)
                .io_context(|| format!("publishing {}", self.target.display()))?;
            self.published = true;
            let _ = std::fs::remove_dir_all(&aside);
            return Ok(self.target.clone());
        }
        std::fs::rename(&self.dir, &self.target)
            .io_context(|| format!("publishing {}", self.target.display()))?;
        self.published = true;
        Ok(self.target.clone())
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }
}

impl Drop for LocalStaging {
    fn drop(&mut self) {
        if !self.published {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

impl RemoteStaging {
    async fn prepare(ctx: &SessionContext, out: &Root, run_id: &str) -> Result<Self> {
        let store = out.store(ctx)?;
        let listing = store
            .list_with_delimiter(Some(out.prefix()))
            .await
            .map_err(|e| refuse(out.as_str(), format!("cannot be listed: {e}")))?;
        let has_manifest = listing
            .objects
            .iter()
            .any(|o| o.location.filename() == Some(MANIFEST));
        let has_anything = !listing.objects.is_empty()
            || listing
                .common_prefixes
                .iter()
                .any(|p| !p.filename().is_some_and(|n| n.starts_with(".staging-")));
        if has_anything && !has_manifest {
            return Err(refuse(out.as_str(), not_an_evidence_root()));
        }
        let staging_name = format!(".staging-{run_id}");
        let work = tempfile::Builder::new()
            .prefix("evidence-work-")
            .tempdir()
            .io_context(|| "creating a local work folder".into())?;
        Ok(RemoteStaging {
            root: out.clone(),
            prefix: out.prefix().clone(),
            store,
            staging_name,
            work,
        })
    }

    fn staged(&self, relative: &str) -> ObjectPath {
        let mut path = self.prefix.clone().join(self.staging_name.as_str());
        for part in relative.split('/') {
            path = path.join(part);
        }
        path
    }

    async fn staged_objects(&self) -> Result<Vec<ObjectPath>> {
        let staging = self.prefix.clone().join(self.staging_name.as_str());
        self.store
            .list(Some(&staging))
            .map_ok(|meta| meta.location)
            .try_collect()
            .await
            .map_err(|e| {
                refuse(
                    &self.root.join(&self.staging_name),
                    format!("cannot be listed: {e}"),
                )
            })
    }

    async fn publish(self) -> Result<String> {
        let staging = self.prefix.clone().join(self.staging_name.as_str());
        let mut objects = self.staged_objects().await?;
        // The manifest goes last: it marks the new root as complete.
        objects.sort_by_key(|o| o.filename() == Some(MANIFEST));
        for object in &objects {
            let relative: Vec<_> = object
                .prefix_match(&staging)
                .map(|parts| parts.collect())
                .unwrap_or_default();
            let mut target = self.prefix.clone();
            for part in relative {
                target = target.join(part.as_ref());
            }
            self.store.copy(object, &target).await.map_err(|e| {
                refuse(
                    &self.root.object_url(&target),
                    format!(
                        "cannot publish (copy from staging failed): {e}. Publishing stopped partway: some tables may already be from this run while run.json still names the previous one; rerun to publish a complete root"
                    ),
                )
            })?;
        }
        // Published already; a staged copy left behind is only clutter.
        let _ = self.delete_staging(objects).await;
        Ok(self.root.as_str().to_string())
    }

    /// Delete the staged `objects`; whether every one went.
    async fn delete_staging(&self, objects: Vec<ObjectPath>) -> bool {
        let mut all = true;
        for object in objects {
            all &= self.store.delete(&object).await.is_ok();
        }
        all
    }

    async fn abandon(self) -> Option<String> {
        let removed = match self.staged_objects().await {
            Ok(objects) => self.delete_staging(objects).await,
            Err(_) => false,
        };
        let staging = self.root.join(&self.staging_name);
        (!removed).then(|| {
            format!(
                "Staged objects under {staging}/ could not all be removed; readers ignore them. Delete that prefix once the store answers again."
            )
        })
    }
}

/// Parquet options that stamp the run's id into each file's metadata.
fn stamped(run_id: &str) -> TableParquetOptions {
    let mut options = TableParquetOptions::default();
    options
        .key_value_metadata
        .insert("evidence.run_id".into(), Some(run_id.into()));
    options
}

async fn write_frame(frame: DataFrame, file: &str, run_id: &str) -> Result<()> {
    frame
        .write_parquet(
            file,
            DataFrameWriteOptions::new().with_single_file_output(true),
            Some(stamped(run_id)),
        )
        .await
        .context(format!("writing {file}"))?;
    Ok(())
}

/// Write one record batch (a small result computed here) as a single
/// Parquet file. It is written by this process, with the session's object
/// stores, even when queries run on a Ballista cluster.
pub async fn write_batch(
    ctx: &SessionContext,
    batch: RecordBatch,
    file: &str,
    run_id: &str,
) -> Result<()> {
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

/// Write a query's result as a single Parquet file.
pub async fn write_query(ctx: &SessionContext, sql: &str, file: &str, run_id: &str) -> Result<()> {
    write_frame(
        ctx.sql(sql).await.context(format!("planning {file}"))?,
        file,
        run_id,
    )
    .await
}

/// Remove staging folders of earlier runs of this root that were killed
/// before they could clean up (`.<name>.staging-<run id>`, the run id ending
/// in the process id). A folder whose process is still alive is another run
/// in progress and is left alone; so is anything not named like ours.
fn remove_abandoned_staging(parent: &std::path::Path, name: &str) {
    let prefix = format!(".{name}.staging-");
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().to_string();
        let Some(run_id) = file_name.strip_prefix(&prefix) else {
            continue;
        };
        let run_id = run_id.trim_end_matches(".old");
        let Some(pid) = run_id
            .rsplit('-')
            .next()
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let alive = std::path::Path::new(&format!("/proc/{pid}")).exists();
        if !alive && entry.path().is_dir() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
