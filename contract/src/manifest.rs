//! `run.json`: what a run read, what it wrote, by which version, how long it
//! took. The pipeline writes it last (it marks an evidence root as complete)
//! and the dashboard reads it; both use these types.

use crate::error::{ContractError, Result};
use crate::root::Root;
use datafusion::prelude::SessionContext;
use object_store::ObjectStoreExt;
use serde::{Deserialize, Serialize};

/// The file that marks a folder as an evidence root.
pub const MANIFEST: &str = "run.json";

/// The analysts' record-level cohort (`sql/analysis_cohort.sql`), beside
/// the tables: exact, for the analysts' SQL only, never read by the
/// dashboard's pages.
pub const ANALYSTS_COHORT: &str = "analysts/cohort.parquet";

/// One Parquet file of an input table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputFile {
    pub url: String,
    pub bytes: u64,
    /// As its footer gives it.
    pub rows: u64,
}

/// The files found for one input table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadedTable {
    pub table: String,
    pub location: String,
    pub files: Vec<InputFile>,
}

impl LoadedTable {
    /// Rows in the table, as the files' footers give them.
    pub fn rows(&self) -> u64 {
        self.files.iter().map(|f| f.rows).sum()
    }
}

/// One input table in the manifest: read = used + quarantined.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputManifest {
    #[serde(flatten)]
    pub loaded: LoadedTable,
    pub rows_read: u64,
    pub rows_used: u64,
    pub rows_quarantined: u64,
    #[serde(default)]
    pub validate_ms: u128,
}

/// How many people the evaluation followed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CohortSize {
    /// (programme, person) pairs: a person referred to two programmes counts twice.
    pub participants: u64,
    pub participants_eligible: u64,
    pub comparison_pool: u64,
    pub comparison_eligible: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputManifest {
    pub table: String,
    pub file: String,
}

/// Milliseconds per step.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    pub load: u128,
    pub validate: u128,
    pub compute: u128,
    pub write: u128,
    pub total: u128,
}

/// `run.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub tool: String,
    pub version: String,
    /// Also stamped into every output file's Parquet metadata
    /// (`evidence.run_id`), so readers can tell tables of one run apart.
    pub run_id: String,
    pub started_at: String,
    pub finished_at: String,
    pub as_of: String,
    pub data_root: String,
    pub evidence_root: String,
    pub inputs: Vec<InputManifest>,
    #[serde(default)]
    pub cohort: CohortSize,
    pub outputs: Vec<OutputManifest>,
    /// What the data cannot support yet, in plain English. Absent from roots
    /// written before warnings were recorded.
    #[serde(default)]
    pub warnings: Vec<String>,
    #[serde(default)]
    pub timings_ms: Timings,
}

impl Manifest {
    pub fn to_json(&self) -> Result<Vec<u8>> {
        serde_json::to_vec_pretty(self)
            .map_err(|e| ContractError::Invalid(format!("serialising {MANIFEST}: {e}")))
    }

    /// Read `run.json` of the evidence root at `root`.
    pub async fn read(ctx: &SessionContext, root: &Root) -> Result<Manifest> {
        let location = root.join(MANIFEST);
        let unreadable = |problem: String| ContractError::Evidence {
            location: location.clone(),
            problem,
        };
        let store = root.store(ctx).map_err(|e| unreadable(e.to_string()))?;
        let bytes = store
            .get(&root.prefix().clone().join(MANIFEST))
            .await
            .map_err(|e| {
                unreadable(format!(
                    "cannot read it ({e}); is this an evidence root written by `evidence run`?"
                ))
            })?
            .bytes()
            .await
            .map_err(|e| unreadable(format!("cannot read it: {e}")))?;
        serde_json::from_slice(&bytes).map_err(|e| unreadable(format!("not a run manifest: {e}")))
    }
}

/// An evidence root as read: its manifest and every table.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    pub manifest: Manifest,
    pub tables: crate::outputs::Tables,
}

impl Evidence {
    pub async fn read(ctx: &SessionContext, root: &Root) -> Result<Evidence> {
        Ok(Evidence {
            manifest: Manifest::read(ctx, root).await?,
            tables: crate::outputs::Tables::read(ctx, root).await?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_older_manifest_without_warnings_or_cohort_reads() {
        let json = serde_json::json!({
            "tool": "evidence", "version": "0.1.0", "run_id": "r", "started_at": "s",
            "finished_at": "f", "as_of": "2026-01-01", "data_root": "d", "evidence_root": "e",
            "inputs": [{"table": "people", "location": "d/people/", "files": [],
                        "rows_read": 3, "rows_used": 2, "rows_quarantined": 1}],
            "outputs": []
        });
        let m: Manifest = serde_json::from_value(json).unwrap();
        assert_eq!(m.inputs[0].loaded.table, "people");
        assert!(m.warnings.is_empty());
        let again: Manifest = serde_json::from_slice(&m.to_json().unwrap()).unwrap();
        assert_eq!(again, m);
    }
}
