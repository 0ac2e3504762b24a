//! The synthetic dataset generator: a dataset root in the data contract,
//! realistic enough to exercise the whole evaluation, with known (planted)
//! effects written to `_planted.json` (per programme) and
//! `_planted_participants.parquet` (each participant's true effect on every
//! outcome, so a study can average the truth over the participants a design
//! matched).
//!
//! The model, per person:
//! - an area (by working-age population), age band, sex, IMD decile and main
//!   health condition (mental health 38%, musculoskeletal 22%,
//!   cardiovascular 8%, other 32%), and an anchor month in the window;
//! - one monthly employment process for everybody (`employment`): each
//!   month the status is kept with probability 0.9 or drawn afresh from
//!   that month's weights (age, deprivation, condition, sex, the area's
//!   level, shock, gap and trend, the national trend), so every month the
//!   work history, the outcomes and the negative controls read comes from
//!   the same process, for participants and comparison people alike; 3%
//!   have no employment row in the anchor month (baseline `unknown`);
//! - in a programme area, after a programme's go-live, a chance of referral
//!   that depends on age, deprivation, condition and the status in the
//!   anchor month (and, with `dip`, on having left work within the year),
//!   so a naive comparison is biased but the contract's matching strata
//!   capture the selection;
//! - for a participant who engages, the same draws again with the
//!   programme's support in the 6 months after the anchor month: their two
//!   paths differ only by the programme, and their true effect on each
//!   outcome is the expected difference between them given their state in
//!   the anchor month;
//! - with `co-enrolment`, a tenth of the participants who could be (another
//!   programme live in their area or in one overlapping it on the ground)
//!   also referred to a second programme the same day;
//! - fit notes from the anchor date on, `may_be_fit` with probability 7% plus
//!   a small area offset and national trend, plus each programme's planted
//!   lift in its areas from its start date.

mod co_enrolment;
mod columns;
mod employment;
mod faults;
pub(crate) mod planted;
mod simulation;
mod truth;
mod world;
mod write;

pub use planted::{Planted, PlantedProgramme};
pub use world::{FIRST_MONTH, MONTHS};

use crate::reference::{Reference, ReferenceError};
use chrono::{Datelike, Months, NaiveDate};
use co_enrolment::*;
use columns::*;
use contract::outcomes::Outcome;
use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Float64Builder, Int8Builder, Int32Builder,
    Int64Builder, RecordBatch, StringBuilder,
};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::Compression;
use datafusion::parquet::file::properties::WriterProperties;
use employment::*;
use faults::*;
use planted::*;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, LogNormal};
use rand_pcg::Pcg64Mcg;
use rayon::prelude::*;
use serde::Serialize;
use simulation::*;
use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use truth::*;
use world::*;
use write::*;

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Parquet {
        path: PathBuf,
        #[source]
        source: datafusion::parquet::errors::ParquetError,
    },
    #[error("assembling {table}: {source}")]
    Arrow {
        table: &'static str,
        #[source]
        source: datafusion::arrow::error::ArrowError,
    },
    #[error("{0}")]
    Invalid(String),
}

type Result<T, E = GenerateError> = std::result::Result<T, E>;

#[derive(Debug, Clone)]
pub struct GenerateOptions {
    pub out: PathBuf,
    pub people: u64,
    pub seed: u64,
    /// The standard deviation of each area's shock to the chance of being
    /// in work (a proportion: 0.03 is 3 percentage points).
    pub area_sd: f64,
    pub difficulties: Difficulties,
    /// One site that does much better than its programme: the area whose
    /// participants (of every programme it runs) get this extra chance of
    /// being in work 6 months on, on top of the planted uplift (for the
    /// funnel plots' outlier study; `evidence generate --outlier-site`).
    pub outlier: Option<OutlierSite>,
    /// A systematic difference between programme areas and comparison
    /// areas that no stratum holds (`evidence generate --region-gap
    /// --region-trend`).
    pub region: RegionGap,
    /// Every planted programme effect (in work, education, earnings, the
    /// fit-note lift) is multiplied by this: 1 plants them as
    /// `datasets/reference/` declares, 0 plants none (the size studies of
    /// VALIDATION.md; `evidence generate --effect-scale`). An outlier
    /// site's extra uplift is not scaled.
    pub effect_scale: f64,
}

/// How programme areas (any area that runs a programme) differ from
/// comparison areas in everyone's chance of work, beyond the regions'
/// levels the labour-market band matches: `gap` (a proportion, negative
/// for lower) and `trend_per_year` (added per year from the window's
/// middle month, so the areas drift apart). Both move the monthly
/// process's weights in every month, so the share in work differs by
/// about the gap, as the regional levels do. Zero by default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct RegionGap {
    pub gap: f64,
    pub trend_per_year: f64,
}

/// A planted outlier site (`GenerateOptions::outlier`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutlierSite {
    pub area_id: String,
    /// Added to the chance of being in work 6 months on of the site's
    /// participants who engage, divided by the engaged share as the
    /// programme's uplift is, so that over everyone referred it adds this.
    pub uplift: f64,
}

impl std::str::FromStr for OutlierSite {
    type Err = String;

    /// `AREA_ID` (uplift [`DEFAULT_OUTLIER_UPLIFT`]) or `AREA_ID:UPLIFT`.
    fn from_str(text: &str) -> std::result::Result<Self, String> {
        let (area_id, uplift) = match text.split_once(':') {
            Some((area, uplift)) => (
                area,
                uplift
                    .parse::<f64>()
                    .map_err(|e| format!("outlier uplift `{uplift}`: {e}"))?,
            ),
            None => (text, DEFAULT_OUTLIER_UPLIFT),
        };
        if area_id.is_empty() || !(-1.0..=1.0).contains(&uplift) {
            return Err(format!(
                "outlier site `{text}`: give AREA_ID or AREA_ID:UPLIFT with an uplift between -1 and 1"
            ));
        }
        Ok(OutlierSite {
            area_id: area_id.to_string(),
            uplift,
        })
    }
}

/// The outlier's default extra chance of being in work: 15 points, five
/// times the default spread of the areas' shocks (`DEFAULT_AREA_SD`).
pub const DEFAULT_OUTLIER_UPLIFT: f64 = 0.15;

/// The difficulties real comparisons face that a generated dataset carries
/// (all by default; `evidence generate --difficulties`). Each is selection
/// on something the original five matching strata do not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Difficulties {
    /// People out of work were often in work in the year before; those are
    /// referred more and return to work more (matched by work history).
    pub dip: bool,
    /// The chance of being in work rises month by month, and participants'
    /// index months are later than comparison people's (matched by the
    /// index month's quarter).
    pub trend: bool,
    /// Regions differ in employment, and programmes run in the weaker ones
    /// (matched by the area's labour-market band).
    pub regional: bool,
    /// An unobserved trait raises both referral and work (no stratum holds
    /// it: a bias matching cannot remove, for the E-value to speak to).
    pub hidden: bool,
    /// Some participants are referred to a second programme the same day
    /// (one live in their area or in an area overlapping it on the ground),
    /// and are counted in both programmes' effects.
    pub co_enrolment: bool,
}

impl Difficulties {
    pub const ALL: Difficulties = Difficulties {
        dip: true,
        trend: true,
        regional: true,
        hidden: true,
        co_enrolment: true,
    };
    pub const NONE: Difficulties = Difficulties {
        dip: false,
        trend: false,
        regional: false,
        hidden: false,
        co_enrolment: false,
    };

    /// `all`, `none`, or a comma-separated list of `dip`, `trend`,
    /// `regional`, `hidden`, `co-enrolment`.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim() {
            "all" => return Ok(Self::ALL),
            "none" | "" => return Ok(Self::NONE),
            _ => {}
        }
        let mut d = Self::NONE;
        for part in text.split(',').map(str::trim) {
            match part {
                "dip" => d.dip = true,
                "trend" => d.trend = true,
                "regional" => d.regional = true,
                "hidden" => d.hidden = true,
                "co-enrolment" => d.co_enrolment = true,
                other => {
                    return Err(format!(
                        "unknown difficulty `{other}`: use all, none, or a list of dip, trend, regional, hidden, co-enrolment"
                    ));
                }
            }
        }
        Ok(d)
    }
}

/// The default area shock: local labour markets move employment rates by a
/// few points.
pub const DEFAULT_AREA_SD: f64 = 0.03;

/// Told how many people have been generated so far.
pub trait GenerateProgress: Sync {
    fn people_done(&self, _done: u64, _total: u64) {}
}

pub struct NoProgress;
impl GenerateProgress for NoProgress {}

/// Generate a dataset root at `options.out` and return what was planted.
pub fn generate(options: &GenerateOptions, progress: &dyn GenerateProgress) -> Result<Planted> {
    let world = World::new(
        Reference::load()?.with_effects_scaled(options.effect_scale),
        options.seed,
        options.area_sd,
        options.difficulties,
        options.outlier.as_ref(),
        options.region,
    )?;
    let out = &options.out;
    std::fs::create_dir_all(out).map_err(|source| GenerateError::Io {
        path: out.clone(),
        source,
    })?;
    write_reference(&world, out)?;

    let chunks: Vec<(u64, u64)> = (0..options.people.div_ceil(PEOPLE_PER_CHUNK))
        .map(|c| {
            (
                c,
                (options.people - c * PEOPLE_PER_CHUNK).min(PEOPLE_PER_CHUNK),
            )
        })
        .collect();
    let mut writers = Writers::default();
    let mut truth = DidTruth::new(world.programme_names.len());
    let mut tallies = Tallies::new(world.programme_names.len());
    let mut done = 0;
    let wave = rayon::current_num_threads().max(1) * 2;
    for wave_chunks in chunks.chunks(wave) {
        let generated: Vec<Chunk> = wave_chunks
            .par_iter()
            .map(|&(c, count)| generate_chunk(&world, options.seed, c, c * PEOPLE_PER_CHUNK, count))
            .collect::<Result<_>>()?;
        for ((c, count), chunk) in wave_chunks.iter().zip(generated) {
            let c = *c as usize;
            writers.write(
                out.join(format!("people/part-{}.parquet", c % PEOPLE_FILES)),
                &chunk.people,
            )?;
            writers.write(
                out.join(format!("referrals/part-{}.parquet", c % REFERRAL_FILES)),
                &chunk.referrals,
            )?;
            for (year, batch) in &chunk.fit_notes_by_year {
                writers.write(
                    out.join(format!("fit_notes/issue_year={year}/part-0.parquet")),
                    batch,
                )?;
            }
            for (m, batch) in chunk.employment_by_month.iter().enumerate() {
                let month = month_start(m);
                writers.write(
                    out.join(format!(
                        "employment/month={}/part-0.parquet",
                        month.format("%Y-%m")
                    )),
                    batch,
                )?;
            }
            writers.write(
                out.join("_planted_participants.parquet"),
                &chunk.participant_truth,
            )?;
            truth.add(&chunk.truth);
            tallies.add(&chunk);
            done += count;
            progress.people_done(done, options.people);
        }
    }
    let invalid_rows = write_invalid_rows(&world, options, &mut writers)?;
    writers.close()?;

    let planted = planted(&world, options, &truth, &tallies, invalid_rows);
    let json = serde_json::to_string_pretty(&planted)
        .map_err(|e| GenerateError::Invalid(e.to_string()))?;
    let path = out.join("_planted.json");
    std::fs::write(&path, json).map_err(|source| GenerateError::Io { path, source })?;
    Ok(planted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_dataset_is_written_in_the_contract_layout() {
        let dir = tempfile::tempdir().unwrap();
        let planted = generate(
            &GenerateOptions {
                out: dir.path().to_path_buf(),
                people: 3_000,
                seed: 11,
                area_sd: DEFAULT_AREA_SD,
                difficulties: Difficulties::ALL,
                outlier: None,
                region: RegionGap::default(),
                effect_scale: 1.0,
            },
            &NoProgress,
        )
        .unwrap();
        for table in contract::inputs::input_tables() {
            let table = table.name;
            assert!(dir.path().join(table).is_dir(), "{table}");
        }
        assert!(
            dir.path()
                .join("employment/month=2023-10/part-0.parquet")
                .is_file()
        );
        assert!(dir.path().join("_planted.json").is_file());
        assert_eq!(planted.programmes.len(), 4);
        assert!(planted.programmes.values().all(|p| p.participants > 0));
        participants_file_agrees_with_planted(dir.path(), &planted);
    }

    /// `_planted_participants.parquet` holds one row per participant and
    /// programme, and its effects average to `_planted.json`'s truths.
    fn participants_file_agrees_with_planted(out: &Path, planted: &Planted) {
        use datafusion::arrow::array::{Array, AsArray, Float64Array};
        use datafusion::arrow::datatypes::Float64Type;
        use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
        let file = File::open(out.join("_planted_participants.parquet")).unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap();
        // Per programme: rows, and per outcome the sum and count of effects.
        let mut seen: BTreeMap<String, (u64, Vec<(f64, u64)>)> = BTreeMap::new();
        for batch in reader {
            let batch = batch.unwrap();
            let programmes = batch.column(1).as_string::<i32>();
            let effects: Vec<&Float64Array> = (2..batch.num_columns())
                .map(|c| batch.column(c).as_primitive::<Float64Type>())
                .collect();
            for row in 0..batch.num_rows() {
                let entry = seen
                    .entry(programmes.value(row).to_string())
                    .or_insert_with(|| (0, vec![(0.0, 0); Outcome::ALL.len()]));
                entry.0 += 1;
                for (i, column) in effects.iter().enumerate() {
                    if column.is_valid(row) {
                        entry.1[i].0 += column.value(row);
                        entry.1[i].1 += 1;
                    }
                }
            }
        }
        assert_eq!(seen.len(), planted.programmes.len());
        for (name, p) in &planted.programmes {
            let (rows, sums) = &seen[name];
            assert_eq!(*rows, p.participants, "{name}");
            for (outcome, (sum, count)) in Outcome::ALL.iter().zip(sums) {
                let truth = p.outcomes.get(outcome.as_str());
                match truth {
                    Some(truth) => {
                        assert!(
                            (sum / *count as f64 - truth).abs() < 1e-9,
                            "{name} {outcome:?}"
                        )
                    }
                    None => assert_eq!(*count, 0, "{name} {outcome:?}"),
                }
            }
        }
    }

    /// `effect_scale` 0 plants no effect at all: every true effect the
    /// size studies test against is exactly zero (`fit_note_pooled_did`
    /// is what an earlier estimator would see, shocks and all, not a
    /// truth).
    #[test]
    fn effect_scale_zero_plants_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let planted = generate(
            &GenerateOptions {
                out: dir.path().to_path_buf(),
                people: 3_000,
                seed: 12,
                area_sd: DEFAULT_AREA_SD,
                difficulties: Difficulties::ALL,
                outlier: None,
                region: RegionGap::default(),
                effect_scale: 0.0,
            },
            &NoProgress,
        )
        .unwrap();
        assert_eq!(planted.effect_scale, 0.0);
        for (name, p) in &planted.programmes {
            assert!(p.participants > 0, "{name}");
            let clean = p.fit_note_clean_did.unwrap_or(0.0);
            for truth in [p.in_work_6m_att, p.fit_note_did, clean]
                .into_iter()
                .chain(p.outcomes.values().copied())
            {
                assert!(truth.abs() < 1e-15, "{name}: {p:?}");
            }
        }
    }
}
