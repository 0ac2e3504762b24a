//! A root: the folder (local path or object-store URL) that holds a dataset
//! or an evidence root, resolved to a URL DataFusion can read.

use crate::error::{ContractError, QueryContext, Result};
use datafusion::datasource::listing::ListingTableUrl;
use datafusion::prelude::SessionContext;
use object_store::ObjectStore;
use object_store::path::Path;
use std::sync::Arc;

/// A root folder (dataset or evidence root): a local path or an object-store
/// URL, resolved to a URL DataFusion can read.
#[derive(Debug, Clone)]
pub struct Root {
    url: ListingTableUrl,
}

impl Root {
    /// Parse a root as given on the command line: a local path (relative to
    /// the current folder) or a URL such as `file:///data/evidence`.
    pub fn parse(root: &str) -> Result<Self> {
        let resolved = if root.contains("://") {
            root.trim_end_matches('/').to_string() + "/"
        } else {
            let absolute = std::path::absolute(root).map_err(|e| ContractError::Root {
                root: root.to_string(),
                problem: format!("cannot resolve the path: {e}"),
            })?;
            absolute.to_string_lossy().trim_end_matches('/').to_string() + "/"
        };
        let url = ListingTableUrl::parse(&resolved).map_err(|e| ContractError::Root {
            root: root.to_string(),
            problem: format!("not a path or URL this tool can read: {e}"),
        })?;
        Ok(Root { url })
    }

    /// The root as a URL string ending in `/`.
    pub fn as_str(&self) -> &str {
        self.url.as_str()
    }

    /// The URL of `relative` under this root (a table folder or a file).
    pub fn join(&self, relative: &str) -> String {
        format!("{}{}", self.url.as_str(), relative)
    }

    /// The local filesystem path of the root, when it is local.
    pub fn local_path(&self) -> Option<std::path::PathBuf> {
        (self.url.scheme() == "file").then(|| {
            self.url
                .get_url()
                .to_file_path()
                .unwrap_or_else(|_| std::path::PathBuf::from(self.url.prefix().as_ref()))
        })
    }

    /// The root's URL.
    pub fn url(&self) -> &url::Url {
        self.url.get_url()
    }

    pub fn store(&self, ctx: &SessionContext) -> Result<Arc<dyn ObjectStore>> {
        ctx.runtime_env()
            .object_store(self.url.object_store())
            .context(format!(
                "{}: no object store is registered for this URL",
                self.as_str()
            ))
    }

    /// The root's path inside its object store.
    pub fn prefix(&self) -> &Path {
        self.url.prefix()
    }

    /// The URL of an object in this root's store.
    pub fn object_url(&self, location: &Path) -> String {
        let base = self.url.object_store();
        format!("{}{}", base.as_str(), location)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_roots_become_file_urls() {
        let root = Root::parse("/tmp/some data").unwrap();
        assert!(root.as_str().starts_with("file:///tmp/some"));
        assert!(root.as_str().ends_with('/'));
        assert_eq!(
            root.local_path().unwrap(),
            std::path::PathBuf::from("/tmp/some data")
        );
    }
}
