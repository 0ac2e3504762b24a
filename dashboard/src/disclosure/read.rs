//! Reads an evidence root's exact tables. Private to `disclosure`: nothing
//! outside that module can name these types, so every figure a page, chart
//! or export shows has been through [`super::publish`].

use crate::error::DashboardError;
use datafusion::arrow::array::RecordBatch;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use object_store::ObjectStoreExt;
use pipeline::columns::SmallResult;
use pipeline::load::Root;
use serde::Deserialize;

pub struct ExactProgramme {
    pub programme: String,
    pub participants: u64,
    pub eligible: u64,
    pub in_work_6m: u64,
    pub rate: [Option<f64>; 3],
    pub matched: u64,
    pub unmatched: u64,
    pub strata_dropped: u64,
    pub comparison_rate: Option<f64>,
    pub att: [Option<f64>; 3],
    pub funding_gbp: Option<i64>,
    pub cost_per_additional_outcome: Option<f64>,
}

pub struct ExactSite {
    pub programme: String,
    pub area_id: String,
    pub area_name: Option<String>,
    pub start_date: Option<i32>,
    pub participants: u64,
    pub eligible: u64,
    pub in_work_6m: u64,
    pub rate: [Option<f64>; 3],
    pub funnel_flag: String,
}

pub struct ExactSubgroup {
    pub programme: String,
    pub dimension: String,
    pub value: String,
    pub participants: u64,
    pub eligible: u64,
    pub in_work_6m: u64,
    pub rate: [Option<f64>; 3],
    pub matched: u64,
    pub comparison_rate: Option<f64>,
    pub att: [Option<f64>; 3],
}

/// One month of fit notes: per area (`fit_note_monthly`) or per programme and
/// side (`fit_note_trend`).
pub struct ExactNotes {
    pub key: String,
    pub side: Option<String>,
    pub month: i32,
    pub fit_notes: u64,
    pub may_be_fit: u64,
}

pub struct ExactDid {
    pub programme: String,
    pub start_date: Option<i32>,
    /// Notes and may_be_fit notes: programme pre, post, comparison pre, post.
    pub notes: [(u64, u64); 4],
    pub shares: [Option<f64>; 4],
    pub did: [Option<f64>; 3],
}

pub struct ExactCheck {
    pub table_name: String,
    pub check_name: String,
    pub rows_failed: u64,
}

/// The parts of `run.json` the dashboard shows.
#[derive(Deserialize)]
pub struct ExactManifest {
    pub run_id: String,
    pub started_at: String,
    pub finished_at: String,
    pub as_of: String,
    pub data_root: String,
    pub version: String,
    pub inputs: Vec<ExactInput>,
    /// Absent from roots written before warnings were recorded.
    #[serde(default)]
    pub warnings: Vec<String>,
}

#[derive(Deserialize)]
pub struct ExactInput {
    pub table: String,
    pub files: Vec<serde_json::Value>,
    pub rows_read: u64,
    pub rows_used: u64,
    pub rows_quarantined: u64,
}

pub struct ExactEvidence {
    pub manifest: ExactManifest,
    pub programmes: Vec<ExactProgramme>,
    pub sites: Vec<ExactSite>,
    pub subgroups: Vec<ExactSubgroup>,
    pub area_notes: Vec<ExactNotes>,
    pub programme_notes: Vec<ExactNotes>,
    pub did: Vec<ExactDid>,
    pub checks: Vec<ExactCheck>,
}

/// The run id in `run.json`, read on its own to tell whether the root has
/// been republished since it was last read.
pub async fn run_id(ctx: &SessionContext, root: &Root) -> Result<String, DashboardError> {
    Ok(manifest(ctx, root).await?.run_id)
}

async fn manifest(ctx: &SessionContext, root: &Root) -> Result<ExactManifest, DashboardError> {
    let location = root.join("run.json");
    let unreadable = |problem: String| DashboardError::Evidence {
        location: location.clone(),
        problem,
    };
    let store = root.store(ctx).map_err(|e| unreadable(e.to_string()))?;
    let bytes = store
        .get(&root.prefix().clone().join("run.json"))
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

async fn table(ctx: &SessionContext, root: &Root, name: &str) -> Result<Table, DashboardError> {
    let location = root.join(&format!("{name}.parquet"));
    let unreadable = |e: &dyn std::fmt::Display| DashboardError::Evidence {
        location: location.clone(),
        problem: format!(
            "cannot read the table ({e}); rerun `evidence run` to rewrite the evidence root"
        ),
    };
    let df = ctx
        .read_parquet(&location, ParquetReadOptions::default())
        .await
        .map_err(|e| unreadable(&e))?;
    let schema = df.schema().inner().clone();
    let mut batches = df.collect().await.map_err(|e| unreadable(&e))?;
    if batches.is_empty() {
        batches.push(RecordBatch::new_empty(schema));
    }
    let result = SmallResult::new(&batches, location.clone()).map_err(|e| unreadable(&e))?;
    Ok(Table { result, location })
}

/// A collected table with errors that name its file.
struct Table {
    result: SmallResult,
    location: String,
}

impl Table {
    fn wrap<T>(&self, r: pipeline::Result<T>) -> Result<T, DashboardError> {
        r.map_err(|e| DashboardError::Evidence {
            location: self.location.clone(),
            problem: format!("{e}; rerun `evidence run` to rewrite the evidence root"),
        })
    }
    fn rows(&self) -> usize {
        self.result.num_rows()
    }
    fn strings(&self, c: &str) -> Result<Vec<String>, DashboardError> {
        Ok(self
            .wrap(self.result.strings(c))?
            .into_iter()
            .map(Option::unwrap_or_default)
            .collect())
    }
    fn optional_strings(&self, c: &str) -> Result<Vec<Option<String>>, DashboardError> {
        self.wrap(self.result.strings(c))
    }
    fn counts(&self, c: &str) -> Result<Vec<u64>, DashboardError> {
        self.wrap(self.result.counts(c))
    }
    fn ints(&self, c: &str) -> Result<Vec<Option<i64>>, DashboardError> {
        self.wrap(self.result.ints(c))
    }
    fn floats(&self, c: &str) -> Result<Vec<Option<f64>>, DashboardError> {
        self.wrap(self.result.floats(c))
    }
    fn dates(&self, c: &str) -> Result<Vec<Option<i32>>, DashboardError> {
        self.wrap(self.result.dates(c))
    }
    fn interval(&self, c: &str) -> Result<Vec<[Option<f64>; 3]>, DashboardError> {
        let (v, l, h) = (
            self.floats(c)?,
            self.floats(&format!("{c}_low"))?,
            self.floats(&format!("{c}_high"))?,
        );
        Ok((0..self.rows()).map(|i| [v[i], l[i], h[i]]).collect())
    }
}

pub async fn read(ctx: &SessionContext, root: &Root) -> Result<ExactEvidence, DashboardError> {
    let manifest = manifest(ctx, root).await?;

    let t = table(ctx, root, "programme_outcomes").await?;
    let (programme, participants, eligible, in_work) = (
        t.strings("programme")?,
        t.counts("participants")?,
        t.counts("eligible")?,
        t.counts("in_work_6m")?,
    );
    let (rate, matched, unmatched, dropped) = (
        t.interval("rate")?,
        t.counts("matched")?,
        t.counts("unmatched")?,
        t.counts("strata_dropped")?,
    );
    let (comparison, att, funding, cost) = (
        t.floats("comparison_rate")?,
        t.interval("att")?,
        t.ints("funding_gbp")?,
        t.floats("cost_per_additional_outcome")?,
    );
    let programmes = (0..t.rows())
        .map(|i| ExactProgramme {
            programme: programme[i].clone(),
            participants: participants[i],
            eligible: eligible[i],
            in_work_6m: in_work[i],
            rate: rate[i],
            matched: matched[i],
            unmatched: unmatched[i],
            strata_dropped: dropped[i],
            comparison_rate: comparison[i],
            att: att[i],
            funding_gbp: funding[i],
            cost_per_additional_outcome: cost[i],
        })
        .collect();

    let t = table(ctx, root, "site_outcomes").await?;
    let (programme, area_id, area_name, start) = (
        t.strings("programme")?,
        t.strings("area_id")?,
        t.optional_strings("area_name")?,
        t.dates("start_date")?,
    );
    let (participants, eligible, in_work, rate) = (
        t.counts("participants")?,
        t.counts("eligible")?,
        t.counts("in_work_6m")?,
        t.interval("rate")?,
    );
    let flag = t.strings("funnel_flag")?;
    let sites = (0..t.rows())
        .map(|i| ExactSite {
            programme: programme[i].clone(),
            area_id: area_id[i].clone(),
            area_name: area_name[i].clone(),
            start_date: start[i],
            participants: participants[i],
            eligible: eligible[i],
            in_work_6m: in_work[i],
            rate: rate[i],
            funnel_flag: flag[i].clone(),
        })
        .collect();

    let t = table(ctx, root, "subgroup_outcomes").await?;
    let (programme, dimension, value) = (
        t.strings("programme")?,
        t.strings("dimension")?,
        t.strings("value")?,
    );
    let (participants, eligible, in_work, rate) = (
        t.counts("participants")?,
        t.counts("eligible")?,
        t.counts("in_work_6m")?,
        t.interval("rate")?,
    );
    let (matched, comparison, att) = (
        t.counts("matched")?,
        t.floats("comparison_rate")?,
        t.interval("att")?,
    );
    let subgroups = (0..t.rows())
        .map(|i| ExactSubgroup {
            programme: programme[i].clone(),
            dimension: dimension[i].clone(),
            value: value[i].clone(),
            participants: participants[i],
            eligible: eligible[i],
            in_work_6m: in_work[i],
            rate: rate[i],
            matched: matched[i],
            comparison_rate: comparison[i],
            att: att[i],
        })
        .collect();

    let t = table(ctx, root, "fit_note_monthly").await?;
    let (area, month, notes, may_be_fit) = (
        t.strings("area_id")?,
        t.dates("month")?,
        t.counts("fit_notes")?,
        t.counts("may_be_fit")?,
    );
    let area_notes = (0..t.rows())
        .filter_map(|i| {
            Some(ExactNotes {
                key: area[i].clone(),
                side: None,
                month: month[i]?,
                fit_notes: notes[i],
                may_be_fit: may_be_fit[i],
            })
        })
        .collect();

    let t = table(ctx, root, "fit_note_trend").await?;
    let (programme, side, month, notes, may_be_fit) = (
        t.strings("programme")?,
        t.strings("side")?,
        t.dates("month")?,
        t.counts("fit_notes")?,
        t.counts("may_be_fit")?,
    );
    let programme_notes = (0..t.rows())
        .filter_map(|i| {
            Some(ExactNotes {
                key: programme[i].clone(),
                side: Some(side[i].clone()),
                month: month[i]?,
                fit_notes: notes[i],
                may_be_fit: may_be_fit[i],
            })
        })
        .collect();

    let t = table(ctx, root, "fit_note_did").await?;
    let (programme, start, did) = (
        t.strings("programme")?,
        t.dates("start_date")?,
        t.interval("did")?,
    );
    let cells = ["pre", "post", "comparison_pre", "comparison_post"];
    let mut notes = Vec::new();
    let mut shares = Vec::new();
    for cell in cells {
        notes.push((
            t.counts(&format!("{cell}_fit_notes"))?,
            t.counts(&format!("{cell}_may_be_fit"))?,
        ));
        shares.push(t.floats(&format!("{cell}_share"))?);
    }
    let did = (0..t.rows())
        .map(|i| ExactDid {
            programme: programme[i].clone(),
            start_date: start[i],
            notes: std::array::from_fn(|c| (notes[c].0[i], notes[c].1[i])),
            shares: std::array::from_fn(|c| shares[c][i]),
            did: did[i],
        })
        .collect();

    let t = table(ctx, root, "data_quality").await?;
    let (table_name, check_name, failed) = (
        t.strings("table_name")?,
        t.strings("check_name")?,
        t.counts("rows_failed")?,
    );
    let checks = (0..t.rows())
        .map(|i| ExactCheck {
            table_name: table_name[i].clone(),
            check_name: check_name[i].clone(),
            rows_failed: failed[i],
        })
        .collect();

    Ok(ExactEvidence {
        manifest,
        programmes,
        sites,
        subgroups,
        area_notes,
        programme_notes,
        did,
        checks,
    })
}
