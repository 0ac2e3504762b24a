//! The fit-note effect from the published statistics (NHS England, *Fit
//! Notes Issued by GP Practices, England*): read a folder of release files
//! ([`read`], in the layout of [`layout`]), take each month from the latest
//! release, sum sub-ICB locations into the pilots' areas ([`geography`]),
//! and run the same staggered difference in differences over that area ×
//! month panel as a run over records, writing the same fit-note tables
//! (`evidence fit-notes --published`). Data flows one way: read → choose →
//! map → the metric views in `sql/` → the estimators → write.

pub mod geography;
pub mod layout;
pub mod read;
#[cfg(test)]
mod tests;

use crate::error::{PipelineError, Result};
use crate::evaluate::fit_notes::{self, FitNoteTables};
use crate::run::{Progress, abandon, outputs, run_id, session_context};
use crate::write::{MANIFEST, Staging, write_tables};
use chrono::{NaiveDate, Utc};
use contract::manifest::{
    Manifest, PublishedFitNotes, PublishedRelease, SuppressionBounds, Timings,
};
use contract::outputs::{FitNoteMonthly, days};
use contract::root::Root;
use contract::vocabulary::AreaSet;
use contract::{QueryContext, Tables};
use datafusion::arrow::array::{ArrayRef, Date32Array, Float64Array, Int64Array, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use geography::{Location, area_months, not_covered};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

pub const PUBLICATION: &str = "Fit Notes Issued by GP Practices, England";
pub const PUBLISHER: &str = "NHS England (formerly NHS Digital)";
pub const PUBLICATION_URL: &str = "https://digital.nhs.uk/data-and-information/publications/statistical/fit-notes-issued-by-gp-practices";

/// The programmes' design: areas, which programme runs where from when,
/// each area's footprint, and the sub-ICB locations in each area.
#[derive(Debug, Clone, Default)]
pub struct Design {
    pub areas: Vec<String>,
    /// (area_id, programme, start_date).
    pub area_programmes: Vec<(String, String, NaiveDate)>,
    /// (area_id, lad_code, share).
    pub footprints: Vec<(String, String, f64)>,
    pub locations: Vec<Location>,
    /// Where `locations` came from (source and date).
    pub geography: String,
}

#[derive(Debug, Clone)]
pub struct PublishedOptions {
    /// The folder the release files were downloaded into.
    pub folder: PathBuf,
    /// The evidence root to (re)write.
    pub out: String,
    pub design: Design,
}

/// The views a published run registers over its tables, in the contract's
/// order.
const VIEWS: [&str; 7] = [
    "area_overlaps",
    "area_reach",
    "comparison_areas",
    "programme_starts",
    "fit_note_did_counts",
    "fit_note_trend",
    "fit_note_areas",
];

const STEPS: usize = 4;

/// Run the fit-note evaluation on the published statistics in
/// `options.folder`, writing the evidence root `options.out`.
pub async fn run_published(
    options: &PublishedOptions,
    progress: &dyn Progress,
) -> Result<Manifest> {
    let started = Instant::now();
    let started_at = Utc::now();
    let run_id = run_id(started_at);
    let design = &options.design;
    progress.step(1, STEPS, "reading the published files");
    let files = read::read_folder(&options.folder)?;
    let chosen = read::choose(&files)?;
    let panel = area_months(&chosen, &design.locations, &design.areas)?;
    let monthly = panel.monthly(layout::SUPPRESSED_AS);
    if monthly.is_empty() {
        return Err(PipelineError::Published {
            file: options.folder.display().to_string(),
            line: None,
            problem: "no note falls in any pilot or comparison area; are these the sub-ICB location files of the publication?".into(),
        });
    }
    let load_ms = started.elapsed().as_millis();

    progress.step(2, STEPS, "estimating the effects");
    let t = Instant::now();
    let out = Root::parse(&options.out)?;
    let ctx = session_context(&crate::Engine::Local, None, None).await?;
    contract::store::connect(&ctx, &out).await?;
    register(&ctx, design, &monthly)?;
    contract::metrics::register_named_metric_views(&ctx, &VIEWS).await?;
    let tables = fit_notes::fit_note_tables(&ctx).await?;
    let mut suppression_bounds = Vec::new();
    let bounds = [layout::SUPPRESSED_RANGE.0, layout::SUPPRESSED_RANGE.1]
        .map(|s| fit_notes::effects(&panel.monthly(s), &tables.areas));
    for d in &tables.did {
        let at = |k: usize, set: AreaSet| {
            bounds[k]
                .iter()
                .find(|e| e.programme == d.programme)
                .and_then(|e| e.set(set))
                .and_then(|s| s.overall)
                .map(|o| o.estimate)
        };
        suppression_bounds.push(SuppressionBounds {
            programme: d.programme.clone(),
            did_if_one: at(0, AreaSet::All),
            did_if_four: at(1, AreaSet::All),
            clean_did_if_one: at(0, AreaSet::Clean),
            clean_did_if_four: at(1, AreaSet::Clean),
        });
    }
    let compute_ms = t.elapsed().as_millis();

    progress.step(3, STEPS, "writing the evidence root");
    let t = Instant::now();
    let staging = Staging::prepare(&ctx, &out, &run_id).await?;
    let source = PublishedFitNotes {
        publication: PUBLICATION.into(),
        publisher: PUBLISHER.into(),
        url: PUBLICATION_URL.into(),
        releases: files
            .iter()
            .map(|f| PublishedRelease {
                file: f.file.clone(),
                release: f.release.format("%Y-%m").to_string(),
                rows: f.rows,
                months_used: chosen.months_from.get(&f.file).copied().unwrap_or(0),
            })
            .collect(),
        geography: design.geography.clone(),
        suppression_rule: format!(
            "a suppressed count (*) is one of {} to {}, and the estimates take it as {}",
            layout::SUPPRESSED_RANGE.0,
            layout::SUPPRESSED_RANGE.1,
            layout::SUPPRESSED_AS
        ),
        suppressed_cells: chosen
            .cells
            .values()
            .filter(|c| c.count == layout::Count::Suppressed)
            .count() as u64,
        revised_cells: chosen.revised,
        unallocated_fit_notes: panel.unallocated.at(layout::SUPPRESSED_AS),
        fit_notes_outside_areas: panel.outside.at(layout::SUPPRESSED_AS),
        areas_not_covered: not_covered(&design.locations, &design.areas),
        suppression_bounds,
    };
    let written = write(&ctx, &staging, tables, &run_id).await;
    let manifest = written.map(|()| Manifest {
        tool: "evidence".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        run_id: run_id.clone(),
        started_at: started_at.to_rfc3339(),
        finished_at: Utc::now().to_rfc3339(),
        as_of: started_at.date_naive().to_string(),
        data_root: options.folder.display().to_string(),
        evidence_root: out.as_str().to_string(),
        inputs: Vec::new(),
        cohort: Default::default(),
        outputs: outputs(),
        warnings: warnings(&source),
        timings_ms: Timings {
            load: load_ms,
            validate: 0,
            compute: compute_ms,
            write: t.elapsed().as_millis(),
            total: started.elapsed().as_millis(),
        },
        published_fit_notes: Some(source),
    });
    let manifest = match manifest {
        Ok(m) => match staging.put(MANIFEST, m.to_json()?).await {
            Ok(()) => m,
            Err(e) => return Err(abandon(staging, &out, e).await),
        },
        Err(e) => return Err(abandon(staging, &out, e).await),
    };
    progress.step(STEPS, STEPS, "publishing");
    staging.publish().await?;
    Ok(manifest)
}

async fn write(
    ctx: &SessionContext,
    staging: &Staging,
    t: FitNoteTables,
    run_id: &str,
) -> Result<()> {
    let tables = Tables {
        fit_note_monthly: t.monthly,
        fit_note_did: t.did,
        fit_note_trend: t.trend,
        fit_note_areas: t.areas,
        fit_note_group_time: t.group_time,
        fit_note_event_study: t.event_study,
        ..Tables::default()
    };
    write_tables(ctx, staging, &tables, run_id).await
}

/// What a root built from the published statistics cannot show.
fn warnings(source: &PublishedFitNotes) -> Vec<String> {
    let mut w = vec![
        "Built from the published fit-note statistics alone: the fit-note tables only; the effects on work need linked records (`evidence run`).".to_string(),
    ];
    if !source.areas_not_covered.is_empty() {
        w.push(format!(
            "No sub-ICB location of the publication lies (half or more) in {}: the publication covers England only, so these areas are left out of the fit-note panel.",
            source.areas_not_covered.join(", ")
        ));
    }
    w
}

fn strings(values: impl Iterator<Item = String>) -> ArrayRef {
    Arc::new(StringArray::from(values.collect::<Vec<_>>()))
}

fn table(
    ctx: &SessionContext,
    name: &str,
    fields: Vec<(&str, DataType)>,
    columns: Vec<ArrayRef>,
) -> Result<()> {
    let schema = Arc::new(Schema::new(
        fields
            .into_iter()
            .map(|(n, t)| Field::new(n, t, false))
            .collect::<Vec<_>>(),
    ));
    let what = format!("registering the published run's table `{name}`");
    let batch = RecordBatch::try_new(schema.clone(), columns)
        .map_err(|e| PipelineError::Invalid(format!("{what}: {e}")))?;
    let mem = MemTable::try_new(schema, vec![vec![batch]]).context(what.clone())?;
    ctx.register_table(name, Arc::new(mem)).context(what)?;
    Ok(())
}

/// The design's tables under their contract names, and the panel as
/// `fit_note_monthly`.
fn register(ctx: &SessionContext, design: &Design, monthly: &[FitNoteMonthly]) -> Result<()> {
    use DataType::{Date32, Float64, Int64, Utf8};
    table(
        ctx,
        "areas",
        vec![("area_id", Utf8)],
        vec![strings(design.areas.iter().cloned())],
    )?;
    let ap = &design.area_programmes;
    table(
        ctx,
        "area_programmes",
        vec![
            ("area_id", Utf8),
            ("programme", Utf8),
            ("start_date", Date32),
        ],
        vec![
            strings(ap.iter().map(|r| r.0.clone())),
            strings(ap.iter().map(|r| r.1.clone())),
            Arc::new(Date32Array::from(
                ap.iter().map(|r| days(r.2)).collect::<Vec<_>>(),
            )),
        ],
    )?;
    table(
        ctx,
        "quarantined_area_programmes",
        vec![("area_id", Utf8)],
        vec![strings(std::iter::empty())],
    )?;
    let f = &design.footprints;
    table(
        ctx,
        "area_footprints",
        vec![("area_id", Utf8), ("lad_code", Utf8), ("share", Float64)],
        vec![
            strings(f.iter().map(|r| r.0.clone())),
            strings(f.iter().map(|r| r.1.clone())),
            Arc::new(Float64Array::from(
                f.iter().map(|r| r.2).collect::<Vec<_>>(),
            )),
        ],
    )?;
    let count = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    table(
        ctx,
        "fit_note_monthly",
        vec![
            ("area_id", Utf8),
            ("month", Date32),
            ("fit_notes", Int64),
            ("may_be_fit", Int64),
            ("may_be_fit_share", Float64),
        ],
        vec![
            strings(monthly.iter().map(|m| m.area_id.clone())),
            Arc::new(Date32Array::from(
                monthly.iter().map(|m| days(m.month)).collect::<Vec<_>>(),
            )),
            Arc::new(Int64Array::from(
                monthly
                    .iter()
                    .map(|m| count(m.fit_notes))
                    .collect::<Vec<_>>(),
            )),
            Arc::new(Int64Array::from(
                monthly
                    .iter()
                    .map(|m| count(m.may_be_fit))
                    .collect::<Vec<_>>(),
            )),
            Arc::new(Float64Array::from(
                monthly
                    .iter()
                    .map(|m| m.may_be_fit_share.unwrap_or(0.0))
                    .collect::<Vec<_>>(),
            )),
        ],
    )
}
