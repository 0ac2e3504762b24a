//! Object stores behind roots. Local folders and `file://` URLs use
//! DataFusion's built-in local store; `s3://bucket/prefix` roots get an S3
//! client configured by `object_store`'s own builder from the standard
//! environment variables (`AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ALLOW_HTTP`, ...), registered
//! with the session's runtime so every query and write can reach it.

use crate::error::{PipelineError, Result};
use crate::load::Root;
use datafusion::prelude::SessionContext;
use object_store::aws::AmazonS3Builder;
use std::sync::Arc;

const S3_SETTINGS: &str = "check that the bucket exists and that AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, \
     AWS_SECRET_ACCESS_KEY and AWS_REGION are right (and AWS_ALLOW_HTTP=true for a plain-HTTP server)";

/// Make `root` reachable from `ctx`, then check it can be listed, so a
/// missing bucket or bad credentials fail at once with the URL named.
pub async fn connect(ctx: &SessionContext, root: &Root) -> Result<()> {
    match root.url().scheme() {
        "file" => Ok(()),
        "s3" => {
            let store = AmazonS3Builder::from_env()
                .with_url(root.as_str())
                .build()
                .map_err(|e| PipelineError::Root {
                    root: root.as_str().to_string(),
                    problem: format!("cannot configure S3 access: {e}; {S3_SETTINGS}"),
                })?;
            ctx.register_object_store(root.url(), Arc::new(store));
            let store = root.store(ctx)?;
            store
                .list_with_delimiter(Some(root.prefix()))
                .await
                .map_err(|e| PipelineError::Root {
                    root: root.as_str().to_string(),
                    problem: format!(
                        "cannot be reached: {}; {S3_SETTINGS}",
                        first_line(&e.to_string())
                    ),
                })?;
            Ok(())
        }
        other => Err(PipelineError::Root {
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
