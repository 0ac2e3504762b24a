//! The pipeline's error type: every variant says what failed, where (table,
//! file, column) and what to do about it.

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("{root}: {problem}")]
    Root { root: String, problem: String },

    #[error(
        "table `{table}` has no Parquet files under {location}: put one or more `.parquet` files in that folder (see the data contract)"
    )]
    MissingTable { table: String, location: String },

    #[error(
        "table `{table}` is empty: its {files} file(s) under {location} hold no rows; the evaluation needs this table filled in"
    )]
    EmptyTable {
        table: String,
        location: String,
        files: usize,
    },

    #[error(
        "table `{table}`, file {file}: required column `{column}` is missing; add it (type {expected}) or fix the column name"
    )]
    MissingColumn {
        table: String,
        file: String,
        column: String,
        expected: String,
    },

    #[error(
        "table `{table}`, file {file}: column `{column}` has type {found}, but the contract requires {expected}; rewrite the file with that type"
    )]
    WrongType {
        table: String,
        file: String,
        column: String,
        found: String,
        expected: String,
    },

    #[error(
        "table `{table}`, file {file}: cannot be read as Parquet ({reason}); replace or remove the file"
    )]
    UnreadableFile {
        table: String,
        file: String,
        reason: String,
    },

    #[error("{context}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },

    /// A file of the published fit-note statistics that cannot be used.
    #[error("{file}{}: {problem}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
    Published {
        file: String,
        line: Option<u64>,
        problem: String,
    },

    #[error("{0}")]
    Invalid(String),

    /// A root, a query or an evidence table, as the contract crate reports it.
    #[error(transparent)]
    Contract(#[from] contract::ContractError),

    /// A run that failed after staging began: the failure, then what was
    /// left where.
    #[error("{failure}\n{aftermath}")]
    RunFailed {
        /// The failure with its whole chain of causes.
        failure: String,
        aftermath: String,
    },
}

/// An error and its chain of causes on one line, `: `-separated.
pub fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(c) = cause {
        let shown = c.to_string();
        if !text.contains(&shown) {
            text = format!("{text}: {shown}");
        }
        cause = c.source();
    }
    text
}

pub type Result<T, E = PipelineError> = std::result::Result<T, E>;

/// Attach a description (what, which path) to an I/O error.
pub trait IoContext<T> {
    fn io_context(self, context: impl FnOnce() -> String) -> Result<T>;
}

impl<T> IoContext<T> for std::result::Result<T, std::io::Error> {
    fn io_context(self, context: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| PipelineError::Io {
            context: context(),
            source,
        })
    }
}
