//! The dashboard's error: what went wrong, in the user's terms. It knows
//! nothing of HTTP; `web::error` turns it into a page or a JSON answer,
//! choosing the status, once.

#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    /// The evidence root (or one of its tables) cannot be read.
    #[error("{location}: {problem}")]
    Evidence { location: String, problem: String },

    #[error("{0}")]
    NotFound(String),

    #[error("drawing the chart `{chart}`: {problem}")]
    Chart { chart: String, problem: String },

    #[error("rendering the page `{template}`: {problem}")]
    Template { template: String, problem: String },

    #[error("{0}")]
    Io(#[from] std::io::Error),

    #[error("Sign in, or send an API token as `Authorization: Bearer <token>`.")]
    Unauthorized,

    #[error("{0}")]
    Forbidden(String),

    #[error("{0}")]
    BadRequest(String),

    #[error("{0}")]
    TooMany(String),

    #[error("{0}")]
    Timeout(String),

    #[error("{0}")]
    TooLarge(String),
}

impl From<contract::ContractError> for DashboardError {
    fn from(e: contract::ContractError) -> Self {
        match e {
            contract::ContractError::Evidence { location, problem } => {
                DashboardError::Evidence { location, problem }
            }
            contract::ContractError::Root { root, problem } => DashboardError::Evidence {
                location: root,
                problem,
            },
            other => DashboardError::Evidence {
                location: "the evidence root".into(),
                problem: other.to_string(),
            },
        }
    }
}
