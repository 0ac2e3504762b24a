//! Local roots: staged in a folder beside the root, published with one
//! atomic `renameat2(RENAME_EXCHANGE)`.

use super::{not_an_evidence_root, refuse};
use crate::error::{IoContext, Result};
use contract::manifest::MANIFEST;
use std::path::{Path, PathBuf};

pub struct LocalStaging {
    pub(super) dir: PathBuf,
    pub(super) target: PathBuf,
    pub(super) published: bool,
}

impl LocalStaging {
    pub(super) fn prepare(target: PathBuf, run_id: &str) -> Result<Self> {
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

    pub(super) fn publish(mut self) -> Result<PathBuf> {
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
