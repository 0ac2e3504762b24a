//! Object-store roots: staged under `<root>/.staging-<run>/`, published by
//! copying each staged object to its final key, `run.json` last.

use super::{not_an_evidence_root, refuse};
use crate::error::{IoContext, Result};
use contract::manifest::MANIFEST;
use contract::root::Root;
use datafusion::prelude::SessionContext;
use futures::TryStreamExt;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};
use std::sync::Arc;

pub struct RemoteStaging {
    pub(super) root: Root,
    pub(super) store: Arc<dyn ObjectStore>,
    pub(super) prefix: ObjectPath,
    pub(super) staging_name: String,
    pub(super) work: tempfile::TempDir,
}

impl RemoteStaging {
    pub(super) async fn prepare(ctx: &SessionContext, out: &Root, run_id: &str) -> Result<Self> {
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

    pub(super) fn staged(&self, relative: &str) -> ObjectPath {
        let mut path = self.prefix.clone().join(self.staging_name.as_str());
        for part in relative.split('/') {
            path = path.join(part);
        }
        path
    }

    pub(super) async fn staged_objects(&self) -> Result<Vec<ObjectPath>> {
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

    pub(super) async fn publish(self) -> Result<String> {
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
    pub(super) async fn delete_staging(&self, objects: Vec<ObjectPath>) -> bool {
        let mut all = true;
        for object in objects {
            all &= self.store.delete(&object).await.is_ok();
        }
        all
    }

    pub(super) async fn abandon(self) -> Option<String> {
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
