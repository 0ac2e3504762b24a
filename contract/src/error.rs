//! The contract crate's error: what failed, where (root, file, column), and
//! what to do about it.

use datafusion::error::DataFusionError;

#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    /// A root cannot be parsed, reached or used.
    #[error("{root}: {problem}")]
    Root { root: String, problem: String },

    /// A query over a root's tables failed.
    #[error("{context}")]
    Query {
        context: String,
        #[source]
        source: DataFusionError,
    },

    /// A table or `run.json` in an evidence root does not read as the
    /// contract says.
    #[error("{location}: {problem}")]
    Evidence { location: String, problem: String },

    #[error("{0}")]
    Invalid(String),
}

pub type Result<T, E = ContractError> = std::result::Result<T, E>;

/// Attach a description of the step to a DataFusion error.
pub trait QueryContext<T> {
    fn context(self, context: impl Into<String>) -> Result<T>;
}

impl<T> QueryContext<T> for std::result::Result<T, DataFusionError> {
    fn context(self, context: impl Into<String>) -> Result<T> {
        self.map_err(|source| ContractError::Query {
            context: context.into(),
            source,
        })
    }
}
