//! Write: everything a run produces goes into a staging folder beside the
//! evidence root, and the root is replaced only when all of it is written, so
//! a failed or killed run never leaves a half-written evidence root.
//!
//! Publishing swaps the staging folder and the old root in one atomic
//! `renameat2(RENAME_EXCHANGE)` where the filesystem supports it (readers see
//! either the whole old root or the whole new one), then deletes the old one.

use crate::error::{IoContext, PipelineError, QueryContext, Result};
use crate::load::Root;
use datafusion::arrow::array::RecordBatch;
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::prelude::SessionContext;
use std::path::{Path, PathBuf};

/// The file that marks a folder as an evidence root.
pub const MANIFEST: &str = "run.json";

/// A staging folder for one run; removed on drop unless published.
pub struct Staging {
    dir: PathBuf,
    target: PathBuf,
    published: bool,
}

impl Staging {
    /// Prepare to replace the evidence root `out`. Refuses a target that
    /// exists and is neither empty nor an earlier evidence root, so a typo'd
    /// `--out` can never delete someone's folder.
    pub fn prepare(out: &Root) -> Result<Self> {
        let target = out.local_path().ok_or_else(|| PipelineError::Root {
            root: out.as_str().to_string(),
            problem: "evidence roots are written to local folders only in this version; give a local path".into(),
        })?;
        if target.exists() {
            if !target.is_dir() {
                return Err(PipelineError::Root {
                    root: target.display().to_string(),
                    problem: "exists and is not a folder; choose another --out".into(),
                });
            }
            let empty = std::fs::read_dir(&target)
                .io_context(|| format!("reading {}", target.display()))?
                .next()
                .is_none();
            if !empty && !target.join(MANIFEST).is_file() {
                return Err(PipelineError::Root {
                    root: target.display().to_string(),
                    problem: format!(
                        "is not empty and is not an evidence root (no {MANIFEST}); refusing to replace it. Choose a new or empty folder for --out"
                    ),
                });
            }
        }
        let parent = target.parent().ok_or_else(|| PipelineError::Root {
            root: target.display().to_string(),
            problem: "has no parent folder".into(),
        })?;
        std::fs::create_dir_all(parent).io_context(|| format!("creating {}", parent.display()))?;
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let dir = parent.join(format!(".{name}.staging-{}-{stamp}", std::process::id()));
        std::fs::create_dir(&dir)
            .io_context(|| format!("creating the staging folder {}", dir.display()))?;
        std::fs::create_dir(dir.join("quarantine"))
            .io_context(|| format!("creating {}", dir.join("quarantine").display()))?;
        Ok(Staging {
            dir,
            target,
            published: false,
        })
    }

    /// The staging folder as a URL-able path string.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// A path inside the staging folder.
    pub fn file(&self, relative: &str) -> String {
        self.dir.join(relative).to_string_lossy().to_string()
    }

    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Replace the evidence root with the staging folder.
    pub fn publish(mut self) -> Result<PathBuf> {
        if self.target.exists() {
            match rustix::fs::renameat_with(
                rustix::fs::CWD,
                &self.dir,
                rustix::fs::CWD,
                &self.target,
                rustix::fs::RenameFlags::EXCHANGE,
            ) {
                Ok(()) => {
                    // self.dir now holds the old root; Drop removes it.
                    self.published = false;
                    return Ok(self.target.clone());
                }
                Err(_) => {
                    // No atomic exchange here (e.g. an older kernel or a
                    // filesystem without it): move the old root aside first.
                    // Between the two renames the root is briefly absent.
                    let aside = self.dir.with_extension("old");
                    std::fs::rename(&self.target, &aside)
                        .io_context(|| format!("moving the old {} aside", self.target.display()))?;
                    std::fs::rename(&self.dir, &self.target)
                        .io_context(|| format!("publishing {}", self.target.display()))?;
                    self.published = true;
                    let _ = std::fs::remove_dir_all(&aside);
                    return Ok(self.target.clone());
                }
            }
        }
        std::fs::rename(&self.dir, &self.target)
            .io_context(|| format!("publishing {}", self.target.display()))?;
        self.published = true;
        Ok(self.target.clone())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.published {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Write one record batch as a single Parquet file.
pub async fn write_batch(ctx: &SessionContext, batch: RecordBatch, file: &str) -> Result<()> {
    ctx.read_batch(batch)
        .context(format!("preparing {file}"))?
        .write_parquet(
            file,
            DataFrameWriteOptions::new().with_single_file_output(true),
            None,
        )
        .await
        .context(format!("writing {file}"))?;
    Ok(())
}

/// Write a query's result as a single Parquet file.
pub async fn write_query(ctx: &SessionContext, sql: &str, file: &str) -> Result<()> {
    ctx.sql(sql)
        .await
        .context(format!("planning {file}"))?
        .write_parquet(
            file,
            DataFrameWriteOptions::new().with_single_file_output(true),
            None,
        )
        .await
        .context(format!("writing {file}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_to_replace_a_folder_that_is_not_an_evidence_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("notes.txt"), "precious").unwrap();
        let root = Root::parse(dir.path().to_str().unwrap()).unwrap();
        let err = Staging::prepare(&root).err().expect("must refuse");
        assert!(err.to_string().contains("not an evidence root"), "{err}");
        assert!(dir.path().join("notes.txt").exists());
    }

    #[test]
    fn publish_swaps_in_the_new_root_and_removes_the_old() {
        let parent = tempfile::tempdir().unwrap();
        let out = parent.path().join("evidence");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join(MANIFEST), "old").unwrap();
        let root = Root::parse(out.to_str().unwrap()).unwrap();
        let staging = Staging::prepare(&root).unwrap();
        std::fs::write(staging.path().join(MANIFEST), "new").unwrap();
        staging.publish().unwrap();
        assert_eq!(std::fs::read_to_string(out.join(MANIFEST)).unwrap(), "new");
        let left: Vec<_> = std::fs::read_dir(parent.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "staging and old root are gone");
    }

    #[test]
    fn an_unpublished_staging_folder_is_removed() {
        let parent = tempfile::tempdir().unwrap();
        let root = Root::parse(parent.path().join("evidence").to_str().unwrap()).unwrap();
        let staging = Staging::prepare(&root).unwrap();
        let dir = staging.path().to_path_buf();
        drop(staging);
        assert!(!dir.exists());
        assert!(!parent.path().join("evidence").exists());
    }
}
