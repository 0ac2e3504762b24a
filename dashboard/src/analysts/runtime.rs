//! Where analysts' queries run: a runtime of their own, apart from the one
//! serving pages, and tasks that stop when whoever awaits them goes away.

use super::engine::QueryError;

/// The threads queries run on, apart from the runtime that serves pages: a
/// query that keeps its threads busy (a long sort, a costly expression on
/// every row) leaves them free for commissioners' pages. Dropped without
/// waiting, so the engine can be dropped anywhere.
pub(super) struct QueryRuntime(Option<tokio::runtime::Runtime>);

/// The name of the query threads.
pub const QUERY_THREAD: &str = "evidence-query";

impl QueryRuntime {
    pub(super) fn new(threads: usize) -> Result<Self, QueryError> {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads.max(1))
            .thread_name(QUERY_THREAD)
            .enable_all()
            .build()
            .map(|rt| QueryRuntime(Some(rt)))
            .map_err(|e| QueryError::Failed(format!("starting the query threads: {e}")))
    }

    pub(super) fn handle(&self) -> &tokio::runtime::Handle {
        // Only `Drop` takes the runtime out.
        self.0
            .as_ref()
            .expect("the query runtime lives as long as the engine")
            .handle()
    }
}

impl Drop for QueryRuntime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

pub(super) struct AbortOnDrop<T>(pub(super) tokio::task::JoinHandle<T>);
impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T> std::future::Future for AbortOnDrop<Result<T, QueryError>> {
    type Output = Result<T, QueryError>;
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::pin::Pin::new(&mut self.0).poll(cx).map(|joined| {
            joined.unwrap_or_else(|e| Err(QueryError::Failed(format!("the query stopped: {e}"))))
        })
    }
}
