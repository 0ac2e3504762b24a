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

/// The query that writes it (`sql/analysts_cohort_file.sql`): the cohort
/// with a per-run pseudonym in place of `person_id`, the run's secret its
/// one parameter.
pub const ANALYSTS_COHORT_SQL: &str = sql::text("analysts_cohort_file");

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

/// One release file of the published fit-note statistics a run read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublishedRelease {
    pub file: String,
    /// The release, as its file name gives it: the last month it covers
    /// (`YYYY-MM`).
    pub release: String,
    pub rows: u64,
    /// Months of the panel taken from this release (every month comes from
    /// the latest release that covers it).
    pub months_used: u64,
}

/// A programme's fit-note effects with every suppressed cell at the ends of
/// its range (1 and 4): how far the suppression rule can move them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuppressionBounds {
    pub programme: String,
    pub did_if_one: Option<f64>,
    pub did_if_four: Option<f64>,
    pub clean_did_if_one: Option<f64>,
    pub clean_did_if_four: Option<f64>,
}

/// Where the fit-note tables of a root built from the published statistics
/// (`evidence fit-notes --published`) came from, and what reading them did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublishedFitNotes {
    pub publication: String,
    pub publisher: String,
    pub url: String,
    pub releases: Vec<PublishedRelease>,
    /// The sub-ICB location → area table and its source.
    pub geography: String,
    pub suppression_rule: String,
    /// Cells shown as `*` in the releases used.
    pub suppressed_cells: u64,
    /// Cells of the releases used whose value differs from an earlier
    /// release's (revisions).
    pub revised_cells: u64,
    /// Notes in rows the publication could not place in a sub-ICB location
    /// ("Not allocated"): read and counted, in no area.
    pub unallocated_fit_notes: u64,
    /// Notes of sub-ICB locations that fall in no pilot or comparison area.
    pub fit_notes_outside_areas: u64,
    /// Areas with no sub-ICB location mapped to them (Wales: the
    /// publication covers England only).
    pub areas_not_covered: Vec<String>,
    pub suppression_bounds: Vec<SuppressionBounds>,
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
    /// Set when the fit-note tables come from the published statistics
    /// rather than records; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_fit_notes: Option<PublishedFitNotes>,
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
    /// Read a whole evidence root, refusing one whose tables are not all
    /// from the run `run.json` names: a publish to an object store copies
    /// the tables one by one and `run.json` last, so a reader during that
    /// copy, or after one that stopped partway, would otherwise mix two
    /// runs' figures. The run id is checked again after the tables are
    /// read, in case a publish began meanwhile.
    pub async fn read(ctx: &SessionContext, root: &Root) -> Result<Evidence> {
        let manifest = Manifest::read(ctx, root).await?;
        check_run_ids(ctx, root, &manifest.run_id).await?;
        let tables = crate::outputs::Tables::read(ctx, root).await?;
        let after = Manifest::read(ctx, root).await?;
        if after.run_id != manifest.run_id {
            return Err(ContractError::Evidence {
                location: root.join(MANIFEST),
                problem: format!(
                    "the root was republished while it was read (run {} then {}); read it again",
                    manifest.run_id, after.run_id
                ),
            });
        }
        Ok(Evidence { manifest, tables })
    }
}

/// The run id a table's Parquet footer carries (`evidence.run_id`), if any.
pub async fn table_run_id(
    ctx: &SessionContext,
    root: &Root,
    table: &str,
) -> Result<Option<String>> {
    use datafusion::datasource::physical_plan::parquet::metadata::DFParquetMetadata;
    let location = root.join(&format!("{table}.parquet"));
    let unreadable = |problem: String| ContractError::Evidence {
        location: location.clone(),
        problem,
    };
    let store = root.store(ctx).map_err(|e| unreadable(e.to_string()))?;
    let path = root.prefix().clone().join(format!("{table}.parquet"));
    let meta = store.head(&path).await.map_err(|e| {
        unreadable(format!(
            "cannot read it ({e}); rerun `evidence run` to rewrite the evidence root"
        ))
    })?;
    let metadata = DFParquetMetadata::new(store.as_ref(), &meta)
        .fetch_metadata()
        .await
        .map_err(|e| unreadable(format!("not a Parquet file ({e}); rerun `evidence run`")))?;
    Ok(metadata
        .file_metadata()
        .key_value_metadata()
        .and_then(|kv| kv.iter().find(|k| k.key == RUN_ID_KEY))
        .and_then(|k| k.value.clone()))
}

/// The Parquet metadata key each evidence table's run id is stamped under.
pub const RUN_ID_KEY: &str = "evidence.run_id";

/// Every output table that carries a run id must carry `run_id`. (A root
/// written by another tool, whose files carry none, is not checked.)
async fn check_run_ids(ctx: &SessionContext, root: &Root, run_id: &str) -> Result<()> {
    let mut others = Vec::new();
    for table in crate::outputs::OUTPUT_TABLES {
        if let Some(id) = table_run_id(ctx, root, table).await?
            && id != run_id
        {
            others.push(format!("{table} (run {id})"));
        }
    }
    if others.is_empty() {
        return Ok(());
    }
    Err(ContractError::Evidence {
        location: root.join(MANIFEST),
        problem: format!(
            "names run {run_id}, but {} {} from another run: a publish is under way or stopped partway. Wait for it to finish, or rerun `evidence run` to publish a complete root",
            others.join(", "),
            if others.len() == 1 { "is" } else { "are" }
        ),
    })
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
