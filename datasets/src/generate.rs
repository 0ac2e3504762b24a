//! The synthetic dataset generator: a dataset root in the data contract,
//! realistic enough to exercise the whole evaluation, with known (planted)
//! effects written to `_planted.json`.
//!
//! The model, per person:
//! - an area (by working-age population), age band, sex, IMD decile and main
//!   health condition (mental health 38%, musculoskeletal 22%,
//!   cardiovascular 8%, other 32%), and an anchor month in the window;
//! - a status in the anchor month (by age and deprivation); 3% have no
//!   employment row that month (baseline `unknown`);
//! - in a programme area, after a programme's go-live, a chance of referral
//!   that depends on age, deprivation, condition and baseline status, so a
//!   naive comparison is biased but the contract's matching strata capture
//!   all of the selection;
//! - in work 6 months later with a probability set by the same stratum
//!   variables, plus the programme's planted uplift for participants;
//! - fit notes from the anchor date on, `may_be_fit` with probability 7% plus
//!   a small area offset and national trend, plus each programme's planted
//!   lift in its areas from its start date.

use crate::reference::{Reference, ReferenceError};
use chrono::{Datelike, Months, NaiveDate};
use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Float64Builder, Int8Builder, Int32Builder,
    Int64Builder, RecordBatch, StringBuilder,
};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::Compression;
use datafusion::parquet::file::properties::WriterProperties;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, LogNormal};
use rand_pcg::Pcg64Mcg;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// First month of the synthetic data window.
pub const FIRST_MONTH: (i32, u32) = (2023, 10);
/// Number of months of data (October 2023 to September 2026).
pub const MONTHS: usize = 36;
const PEOPLE_PER_CHUNK: u64 = 20_000;
const PEOPLE_FILES: usize = 4;
const REFERRAL_FILES: usize = 2;

const AGE_BANDS: [&str; 4] = ["16-24", "25-34", "35-49", "50-64"];
const AGE_WEIGHTS: [f64; 4] = [0.14, 0.22, 0.32, 0.32];
const CONDITIONS: [&str; 4] = [
    "Mental health",
    "Musculoskeletal",
    "Cardiovascular",
    "Other",
];
const CONDITION_WEIGHTS: [f64; 4] = [0.38, 0.22, 0.08, 0.32];
const STATUSES: [&str; 4] = [
    "employed",
    "unemployed",
    "inactive",
    "education_or_training",
];
const SOURCES: [&str; 6] = [
    "GP",
    "Self",
    "Employer",
    "Jobcentre Plus",
    "Other health service",
    "Other",
];
const EMPLOYED: usize = 0;
const UNEMPLOYED: usize = 1;
const INACTIVE: usize = 2;
/// Observed baseline index for "no employment row in the index month".
const UNKNOWN: usize = 4;

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
}

/// Told how many people have been generated so far.
pub trait GenerateProgress: Sync {
    fn people_done(&self, _done: u64, _total: u64) {}
}

pub struct NoProgress;
impl GenerateProgress for NoProgress {}

/// The true effects behind a generated dataset: `_planted.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Planted {
    pub seed: u64,
    pub people: u64,
    pub first_month: String,
    pub last_month: String,
    pub programmes: BTreeMap<String, PlantedProgramme>,
    /// Deliberately invalid rows added per table (each must be quarantined).
    pub invalid_rows: BTreeMap<String, u64>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlantedProgramme {
    /// The true average effect on the treated: every participant's chance of
    /// being in work at 6 months is raised by exactly this much.
    pub in_work_6m_uplift: f64,
    /// The lift added to may_be_fit probability in this programme's areas
    /// from its start date.
    pub fit_note_may_be_fit_lift: f64,
    /// The true value of the contract's fit-note difference in differences
    /// for this dataset: the same estimator applied to each note's true
    /// may_be_fit probability instead of its drawn outcome. It differs from
    /// the lift where an area runs several programmes and by the national
    /// trend's weighting across months.
    pub fit_note_did: f64,
    pub participants: u64,
}

fn month_start(index: usize) -> NaiveDate {
    let first = NaiveDate::from_ymd_opt(FIRST_MONTH.0, FIRST_MONTH.1, 1).expect("valid date");
    first + Months::new(index as u32)
}

fn date32(date: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    (date - epoch).num_days() as i32
}

fn days_in_month(index: usize) -> u32 {
    (month_start(index + 1) - month_start(index)).num_days() as u32
}

/// Month index of a date in the window (may be out of range).
fn month_index(date: NaiveDate) -> i64 {
    (date.year() as i64 - FIRST_MONTH.0 as i64) * 12 + date.month() as i64 - FIRST_MONTH.1 as i64
}

/// splitmix64's finaliser: a bijection on u64, so distinct people get
/// distinct opaque pseudonyms.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn pick(rng: &mut Pcg64Mcg, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut u = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if u < *w {
            return i;
        }
        u -= w;
    }
    weights.len() - 1
}

/// Everything about areas and programmes the simulation needs, by index.
struct World {
    reference: Reference,
    /// Cumulative population weights for sampling an area.
    area_cumulative: Vec<f64>,
    /// Per area: (programme index, start month index) of each programme it runs.
    area_programmes: Vec<Vec<(usize, usize)>>,
    area_is_comparison: Vec<bool>,
    /// Per area: a fixed offset to the may_be_fit share.
    area_offset: Vec<f64>,
    /// Per programme: start date (earliest start in area_programmes).
    programme_start: Vec<NaiveDate>,
    programme_names: Vec<String>,
    uplift: Vec<f64>,
    lift: Vec<f64>,
    referral_rate: Vec<f64>,
}

impl World {
    fn new(reference: Reference, seed: u64) -> Result<Self> {
        let programme_names: Vec<String> = reference
            .programmes
            .iter()
            .map(|p| p.programme.clone())
            .collect();
        let programme_index = |name: &str| {
            programme_names
                .iter()
                .position(|p| p == name)
                .ok_or_else(|| {
                    GenerateError::Invalid(format!("reference data: unknown programme `{name}`"))
                })
        };
        let mut total = 0.0;
        let area_cumulative = reference
            .areas
            .iter()
            .map(|a| {
                total += a.working_age_population_thousands as f64;
                total
            })
            .collect();
        let mut area_programmes = vec![Vec::new(); reference.areas.len()];
        let mut programme_start = vec![NaiveDate::MAX; programme_names.len()];
        for ap in &reference.area_programmes {
            let area = reference
                .areas
                .iter()
                .position(|a| a.area_id == ap.area_id)
                .ok_or_else(|| {
                    GenerateError::Invalid(format!("reference data: unknown area `{}`", ap.area_id))
                })?;
            let p = programme_index(&ap.programme)?;
            let start = month_index(ap.start_date).clamp(0, MONTHS as i64) as usize;
            area_programmes[area].push((p, start));
            programme_start[p] = programme_start[p].min(ap.start_date);
        }
        let area_is_comparison = area_programmes.iter().map(Vec::is_empty).collect();
        let mut rng = Pcg64Mcg::seed_from_u64(mix(seed ^ 0xA5EA));
        let area_offset = reference
            .areas
            .iter()
            .map(|_| rng.random_range(-0.01..0.01))
            .collect();
        let mut uplift = vec![0.0; programme_names.len()];
        let mut lift = vec![0.0; programme_names.len()];
        let mut referral_rate = vec![0.0; programme_names.len()];
        for e in &reference.effects {
            let p = programme_index(&e.programme)?;
            uplift[p] = e.in_work_6m_uplift;
            lift[p] = e.fit_note_may_be_fit_lift;
            referral_rate[p] = e.referral_rate;
        }
        Ok(World {
            reference,
            area_cumulative,
            area_programmes,
            area_is_comparison,
            area_offset,
            programme_start,
            programme_names,
            uplift,
            lift,
            referral_rate,
        })
    }

    fn sample_area(&self, rng: &mut Pcg64Mcg) -> usize {
        let total = *self.area_cumulative.last().expect("areas exist");
        let u = rng.random::<f64>() * total;
        self.area_cumulative
            .partition_point(|c| *c <= u)
            .min(self.area_cumulative.len() - 1)
    }

    /// The true may_be_fit probability of a note issued in `area` on `date`.
    fn may_be_fit_probability(&self, area: usize, date: NaiveDate) -> f64 {
        let month = month_index(date).max(0) as f64;
        let mut q = 0.07 + self.area_offset[area] + 0.0005 * month;
        for &(p, _) in &self.area_programmes[area] {
            if date >= self.programme_start[p] {
                q += self.lift[p];
            }
        }
        q.clamp(0.0, 1.0)
    }
}

/// Selection into programme `p`: how much more (or less) likely this person
/// is to be referred, by the matching strata only.
fn selection_factor(
    p_name: &str,
    age: usize,
    quintile: usize,
    condition: usize,
    observed: usize,
) -> f64 {
    let condition_factor = [1.3, 1.2, 1.0, 0.5][condition];
    let deprivation_factor = [1.4, 1.2, 1.0, 0.8, 0.7][quintile - 1];
    let age_factor = [0.9, 1.0, 1.1, 1.0][age];
    let status_factor = match (p_name, observed) {
        ("Inactivity Trailblazer", INACTIVE | UNEMPLOYED) => 2.0,
        ("Inactivity Trailblazer", EMPLOYED) => 0.3,
        ("WorkWell" | "Health and Growth Accelerator", EMPLOYED) => 1.8,
        ("WorkWell" | "Health and Growth Accelerator", INACTIVE) => 0.5,
        (_, UNKNOWN) => 1.0,
        _ => 0.8,
    };
    let youth_factor = match (p_name, age) {
        ("Youth Guarantee Trailblazer", 0) => 3.0,
        ("Youth Guarantee Trailblazer", _) => 0.05,
        _ => 1.0,
    };
    condition_factor * deprivation_factor * age_factor * status_factor * youth_factor
}

/// Chance of being in work 6 months after the index month, without any
/// programme, by the matching strata only.
fn in_work_probability(
    age: usize,
    female: bool,
    quintile: usize,
    condition: usize,
    observed: usize,
) -> f64 {
    let base: f64 = [0.78, 0.32, 0.14, 0.30, 0.40][observed];
    let age_adj = [0.03, 0.04, 0.0, -0.06][age];
    let condition_adj = [-0.05, -0.02, -0.07, 0.0][condition];
    let quintile_adj = [-0.06, -0.03, 0.0, 0.02, 0.04][quintile - 1];
    let sex_adj = if female { -0.01 } else { 0.0 };
    (base + age_adj + condition_adj + quintile_adj + sex_adj).clamp(0.03, 0.85)
}

/// Column builders for one table.
struct PeopleCols {
    person_id: StringBuilder,
    area_id: StringBuilder,
    age_band: StringBuilder,
    sex: StringBuilder,
    imd_decile: Int8Builder,
}

struct ReferralCols {
    referral_id: StringBuilder,
    person_id: StringBuilder,
    programme: StringBuilder,
    area_id: StringBuilder,
    referral_date: Date32Builder,
    referral_source: StringBuilder,
    primary_condition: StringBuilder,
    engaged: BooleanBuilder,
}

struct FitNoteCols {
    fit_note_id: StringBuilder,
    person_id: StringBuilder,
    area_id: StringBuilder,
    issue_date: Date32Builder,
    assessment: StringBuilder,
    duration_days: Int32Builder,
    condition: StringBuilder,
    phased_return: BooleanBuilder,
    altered_hours: BooleanBuilder,
    amended_duties: BooleanBuilder,
    workplace_adaptations: BooleanBuilder,
}

struct EmploymentCols {
    person_id: StringBuilder,
    month: Date32Builder,
    status: StringBuilder,
    earnings_gbp: Float64Builder,
}

macro_rules! new_cols {
    ($t:ident { $($f:ident : $b:ty),* $(,)? }) => {
        $t { $($f: <$b>::new()),* }
    };
}

impl PeopleCols {
    fn new() -> Self {
        new_cols!(PeopleCols {
            person_id: StringBuilder,
            area_id: StringBuilder,
            age_band: StringBuilder,
            sex: StringBuilder,
            imd_decile: Int8Builder
        })
    }
    fn finish(mut self) -> Result<RecordBatch> {
        batch(
            "people",
            vec![
                ("person_id", Arc::new(self.person_id.finish()) as ArrayRef),
                ("area_id", Arc::new(self.area_id.finish())),
                ("age_band", Arc::new(self.age_band.finish())),
                ("sex", Arc::new(self.sex.finish())),
                ("imd_decile", Arc::new(self.imd_decile.finish())),
            ],
        )
    }
}

impl ReferralCols {
    fn new() -> Self {
        new_cols!(ReferralCols {
            referral_id: StringBuilder,
            person_id: StringBuilder,
            programme: StringBuilder,
            area_id: StringBuilder,
            referral_date: Date32Builder,
            referral_source: StringBuilder,
            primary_condition: StringBuilder,
            engaged: BooleanBuilder,
        })
    }
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        id: &str,
        person: &str,
        programme: &str,
        area: &str,
        date: NaiveDate,
        source: &str,
        condition: &str,
        engaged: bool,
    ) {
        self.referral_id.append_value(id);
        self.person_id.append_value(person);
        self.programme.append_value(programme);
        self.area_id.append_value(area);
        self.referral_date.append_value(date32(date));
        self.referral_source.append_value(source);
        self.primary_condition.append_value(condition);
        self.engaged.append_value(engaged);
    }
    fn finish(mut self) -> Result<RecordBatch> {
        batch(
            "referrals",
            vec![
                (
                    "referral_id",
                    Arc::new(self.referral_id.finish()) as ArrayRef,
                ),
                ("person_id", Arc::new(self.person_id.finish())),
                ("programme", Arc::new(self.programme.finish())),
                ("area_id", Arc::new(self.area_id.finish())),
                ("referral_date", Arc::new(self.referral_date.finish())),
                ("referral_source", Arc::new(self.referral_source.finish())),
                (
                    "primary_condition",
                    Arc::new(self.primary_condition.finish()),
                ),
                ("engaged", Arc::new(self.engaged.finish())),
            ],
        )
    }
}

impl FitNoteCols {
    fn new() -> Self {
        new_cols!(FitNoteCols {
            fit_note_id: StringBuilder,
            person_id: StringBuilder,
            area_id: StringBuilder,
            issue_date: Date32Builder,
            assessment: StringBuilder,
            duration_days: Int32Builder,
            condition: StringBuilder,
            phased_return: BooleanBuilder,
            altered_hours: BooleanBuilder,
            amended_duties: BooleanBuilder,
            workplace_adaptations: BooleanBuilder,
        })
    }
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        id: &str,
        person: &str,
        area: &str,
        date: NaiveDate,
        assessment: &str,
        duration: i32,
        condition: &str,
        adjustments: [bool; 4],
    ) {
        self.fit_note_id.append_value(id);
        self.person_id.append_value(person);
        self.area_id.append_value(area);
        self.issue_date.append_value(date32(date));
        self.assessment.append_value(assessment);
        self.duration_days.append_value(duration);
        self.condition.append_value(condition);
        self.phased_return.append_value(adjustments[0]);
        self.altered_hours.append_value(adjustments[1]);
        self.amended_duties.append_value(adjustments[2]);
        self.workplace_adaptations.append_value(adjustments[3]);
    }
    fn finish(mut self) -> Result<RecordBatch> {
        batch(
            "fit_notes",
            vec![
                (
                    "fit_note_id",
                    Arc::new(self.fit_note_id.finish()) as ArrayRef,
                ),
                ("person_id", Arc::new(self.person_id.finish())),
                ("area_id", Arc::new(self.area_id.finish())),
                ("issue_date", Arc::new(self.issue_date.finish())),
                ("assessment", Arc::new(self.assessment.finish())),
                ("duration_days", Arc::new(self.duration_days.finish())),
                ("condition", Arc::new(self.condition.finish())),
                ("phased_return", Arc::new(self.phased_return.finish())),
                ("altered_hours", Arc::new(self.altered_hours.finish())),
                ("amended_duties", Arc::new(self.amended_duties.finish())),
                (
                    "workplace_adaptations",
                    Arc::new(self.workplace_adaptations.finish()),
                ),
            ],
        )
    }
}

impl EmploymentCols {
    fn new() -> Self {
        new_cols!(EmploymentCols {
            person_id: StringBuilder,
            month: Date32Builder,
            status: StringBuilder,
            earnings_gbp: Float64Builder
        })
    }
    fn push(&mut self, person: &str, month: NaiveDate, status: &str, earnings: Option<f64>) {
        self.person_id.append_value(person);
        self.month.append_value(date32(month));
        self.status.append_value(status);
        self.earnings_gbp.append_option(earnings);
    }
    fn finish(mut self) -> Result<RecordBatch> {
        batch(
            "employment",
            vec![
                ("person_id", Arc::new(self.person_id.finish()) as ArrayRef),
                ("month", Arc::new(self.month.finish())),
                ("status", Arc::new(self.status.finish())),
                ("earnings_gbp", Arc::new(self.earnings_gbp.finish())),
            ],
        )
    }
}

fn batch(table: &'static str, columns: Vec<(&str, ArrayRef)>) -> Result<RecordBatch> {
    RecordBatch::try_from_iter_with_nullable(columns.into_iter().map(|(n, a)| (n, a, true)))
        .map_err(|source| GenerateError::Arrow { table, source })
}

/// Sums of true may_be_fit probabilities per (programme, side, period), for
/// the planted DiD: index = programme·4 + side·2 + period.
#[derive(Default, Clone)]
struct DidTruth {
    probability_sum: Vec<f64>,
    notes: Vec<u64>,
}

impl DidTruth {
    fn new(programmes: usize) -> Self {
        DidTruth {
            probability_sum: vec![0.0; programmes * 4],
            notes: vec![0; programmes * 4],
        }
    }
    fn add(&mut self, other: &DidTruth) {
        for (a, b) in self.probability_sum.iter_mut().zip(&other.probability_sum) {
            *a += b;
        }
        for (a, b) in self.notes.iter_mut().zip(&other.notes) {
            *a += b;
        }
    }
    fn share(&self, p: usize, side: usize, period: usize) -> f64 {
        let i = p * 4 + side * 2 + period;
        self.probability_sum[i] / self.notes[i].max(1) as f64
    }
}

/// One chunk of people, all tables.
struct Chunk {
    people: RecordBatch,
    referrals: RecordBatch,
    fit_notes_by_year: BTreeMap<i32, RecordBatch>,
    employment_by_month: Vec<RecordBatch>,
    truth: DidTruth,
    participants: Vec<u64>,
}

fn person_id(seed: u64, n: u64) -> String {
    format!("{:016x}", mix(n ^ mix(seed)))
}

fn generate_chunk(world: &World, seed: u64, chunk: u64, first: u64, count: u64) -> Result<Chunk> {
    let mut rng = Pcg64Mcg::seed_from_u64(mix(seed ^ mix(chunk + 1)));
    let earnings = LogNormal::new(2100f64.ln(), 0.45).expect("valid parameters");
    let areas = &world.reference.areas;
    let mut people = PeopleCols::new();
    let mut referrals = ReferralCols::new();
    let mut notes: BTreeMap<i32, FitNoteCols> = BTreeMap::new();
    let mut employment: Vec<EmploymentCols> = (0..MONTHS).map(|_| EmploymentCols::new()).collect();
    let mut truth = DidTruth::new(world.programme_names.len());
    let mut participants = vec![0u64; world.programme_names.len()];
    let window_end = month_start(MONTHS) - chrono::Days::new(1);

    for n in first..first + count {
        let id = person_id(seed, n);
        let area = world.sample_area(&mut rng);
        let area_id = areas[area].area_id.as_str();
        let age = pick(&mut rng, &AGE_WEIGHTS);
        let female = rng.random_bool(0.51);
        let decile: i8 = rng.random_range(1..=10);
        let quintile = (decile as usize).div_ceil(2);
        let condition = pick(&mut rng, &CONDITION_WEIGHTS);
        let anchor = rng.random_range(0..MONTHS);
        let anchor_date = month_start(anchor)
            + chrono::Days::new(rng.random_range(0..days_in_month(anchor)) as u64);

        let deprivation_shift = 0.03 * (3.0 - quintile as f64);
        let status_weights = if age == 0 {
            [
                0.38 - deprivation_shift,
                0.14,
                0.20 + deprivation_shift,
                0.28,
            ]
        } else {
            [
                0.58 - deprivation_shift,
                0.10,
                0.30 + deprivation_shift,
                0.02,
            ]
        };
        let true_status = pick(&mut rng, &status_weights);
        let gap_at_anchor = rng.random_bool(0.03);
        let gap_at_outcome = rng.random_bool(0.04);
        let observed = if gap_at_anchor { UNKNOWN } else { true_status };

        people.person_id.append_value(&id);
        people.area_id.append_value(area_id);
        people.age_band.append_value(AGE_BANDS[age]);
        people
            .sex
            .append_value(if female { "Female" } else { "Male" });
        people.imd_decile.append_value(decile);

        // Referral: to one of the area's programmes live at the anchor month.
        let live: Vec<usize> = world.area_programmes[area]
            .iter()
            .filter(|(_, start)| anchor >= *start)
            .map(|(p, _)| *p)
            .collect();
        let mut programme = None;
        if !live.is_empty() {
            let factors: Vec<f64> = live
                .iter()
                .map(|&p| {
                    selection_factor(
                        &world.programme_names[p],
                        age,
                        quintile,
                        condition,
                        observed,
                    )
                })
                .collect();
            let chosen = pick(&mut rng, &factors);
            let p = live[chosen];
            let probability = (world.referral_rate[p] * factors[chosen]).min(0.95);
            if rng.random_bool(probability) {
                programme = Some(p);
            }
        }
        if let Some(p) = programme {
            participants[p] += 1;
            let source = match observed {
                EMPLOYED => pick(&mut rng, &[0.35, 0.15, 0.25, 0.05, 0.12, 0.08]),
                UNEMPLOYED | INACTIVE => pick(&mut rng, &[0.35, 0.15, 0.02, 0.30, 0.12, 0.06]),
                _ => pick(&mut rng, &[0.40, 0.25, 0.03, 0.15, 0.10, 0.07]),
            };
            let name = &world.programme_names[p];
            let engaged = rng.random_bool(0.78);
            referrals.push(
                &format!("R{id}-1"),
                &id,
                name,
                area_id,
                anchor_date,
                SOURCES[source],
                CONDITIONS[condition],
                engaged,
            );
            if rng.random_bool(0.05) {
                let later = anchor_date + chrono::Days::new(rng.random_range(20..90));
                if later <= window_end {
                    referrals.push(
                        &format!("R{id}-2"),
                        &id,
                        name,
                        area_id,
                        later,
                        SOURCES[source],
                        CONDITIONS[condition],
                        true,
                    );
                }
            }
        }

        // Outcome six months after the anchor month.
        let mut probability = in_work_probability(age, female, quintile, condition, observed);
        if let Some(p) = programme {
            probability += world.uplift[p];
        }
        let in_work = rng.random_bool(probability.clamp(0.0, 1.0));
        let outcome_status = if in_work {
            EMPLOYED
        } else if true_status == EMPLOYED {
            if rng.random_bool(0.6) {
                INACTIVE
            } else {
                UNEMPLOYED
            }
        } else {
            true_status
        };
        let pay = (earnings.sample(&mut rng) * 100.0).round() / 100.0;
        for (m, cols) in employment.iter_mut().enumerate() {
            if (gap_at_anchor && m == anchor) || (gap_at_outcome && m == anchor + 6) {
                continue;
            }
            let status = if m < anchor + 6 {
                true_status
            } else {
                outcome_status
            };
            cols.push(
                &id,
                month_start(m),
                STATUSES[status],
                (status == EMPLOYED).then_some(pay),
            );
        }

        // Fit notes: everyone outside a programme, 60% of participants.
        if programme.is_none() || rng.random_bool(0.6) {
            let mut date = anchor_date;
            let mut k = 1;
            loop {
                let q = world.may_be_fit_probability(area, date);
                let may_be_fit = rng.random_bool(q);
                let duration: i32 = if may_be_fit {
                    [14, 28, 28, 56][rng.random_range(0..4)]
                } else {
                    [7, 14, 14, 28, 28, 28, 56, 56, 90][rng.random_range(0..9)]
                };
                let adjustments = if may_be_fit {
                    [
                        rng.random_bool(0.4),
                        rng.random_bool(0.35),
                        rng.random_bool(0.3),
                        rng.random_bool(0.15),
                    ]
                } else {
                    [false; 4]
                };
                notes
                    .entry(date.year())
                    .or_insert_with(FitNoteCols::new)
                    .push(
                        &format!("F{id}-{k}"),
                        &id,
                        area_id,
                        date,
                        if may_be_fit { "may_be_fit" } else { "not_fit" },
                        duration,
                        CONDITIONS[condition],
                        adjustments,
                    );
                record_truth(world, &mut truth, area, date, q);
                k += 1;
                if k > 6 || !rng.random_bool(0.4) {
                    break;
                }
                date = date + chrono::Days::new(duration as u64 + rng.random_range(0..30));
                if date > window_end {
                    break;
                }
            }
        }
    }
    Ok(Chunk {
        people: people.finish()?,
        referrals: referrals.finish()?,
        fit_notes_by_year: notes
            .into_iter()
            .map(|(y, c)| Ok((y, c.finish()?)))
            .collect::<Result<_>>()?,
        employment_by_month: employment
            .into_iter()
            .map(EmploymentCols::finish)
            .collect::<Result<_>>()?,
        truth,
        participants,
    })
}

fn record_truth(world: &World, truth: &mut DidTruth, area: usize, date: NaiveDate, q: f64) {
    for (p, start) in world.programme_start.iter().enumerate() {
        let side = if world.area_programmes[area].iter().any(|(ap, _)| *ap == p) {
            0
        } else if world.area_is_comparison[area] {
            1
        } else {
            continue;
        };
        let pre_start = *start - Months::new(12);
        let period = if date >= *start {
            1
        } else if date >= pre_start {
            0
        } else {
            continue;
        };
        let i = p * 4 + side * 2 + period;
        truth.probability_sum[i] += q;
        truth.notes[i] += 1;
    }
}

/// A Parquet file being written.
struct Writer {
    path: PathBuf,
    writer: ArrowWriter<File>,
}

impl Writer {
    fn create(path: PathBuf, schema: &RecordBatch) -> Result<Self> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| GenerateError::Io {
                path: parent.into(),
                source,
            })?;
        }
        let file = File::create(&path).map_err(|source| GenerateError::Io {
            path: path.clone(),
            source,
        })?;
        let properties = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build();
        let writer =
            ArrowWriter::try_new(file, schema.schema(), Some(properties)).map_err(|source| {
                GenerateError::Parquet {
                    path: path.clone(),
                    source,
                }
            })?;
        Ok(Writer { path, writer })
    }
    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.writer
            .write(batch)
            .map_err(|source| GenerateError::Parquet {
                path: self.path.clone(),
                source,
            })
    }
    fn close(self) -> Result<()> {
        self.writer
            .close()
            .map_err(|source| GenerateError::Parquet {
                path: self.path,
                source,
            })?;
        Ok(())
    }
}

/// Lazily opened writers keyed by their file.
#[derive(Default)]
struct Writers(BTreeMap<PathBuf, Writer>);

impl Writers {
    fn write(&mut self, path: PathBuf, batch: &RecordBatch) -> Result<()> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        if !self.0.contains_key(&path) {
            let writer = Writer::create(path.clone(), batch)?;
            self.0.insert(path.clone(), writer);
        }
        self.0.get_mut(&path).expect("inserted above").write(batch)
    }
    fn close(self) -> Result<()> {
        self.0
            .into_values()
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(Writer::close)
            .collect()
    }
}

fn write_single(path: PathBuf, batch: &RecordBatch) -> Result<()> {
    let mut w = Writer::create(path, batch)?;
    w.write(batch)?;
    w.close()
}

/// Generate a dataset root at `options.out` and return what was planted.
pub fn generate(options: &GenerateOptions, progress: &dyn GenerateProgress) -> Result<Planted> {
    let world = World::new(Reference::load()?, options.seed)?;
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
    let mut participants = vec![0u64; world.programme_names.len()];
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
            truth.add(&chunk.truth);
            for (total, n) in participants.iter_mut().zip(&chunk.participants) {
                *total += n;
            }
            done += count;
            progress.people_done(done, options.people);
        }
    }
    let invalid_rows = write_invalid_rows(&world, options, &mut writers)?;
    writers.close()?;

    let planted = planted(&world, options, &truth, &participants, invalid_rows);
    let json = serde_json::to_string_pretty(&planted)
        .map_err(|e| GenerateError::Invalid(e.to_string()))?;
    let path = out.join("_planted.json");
    std::fs::write(&path, json).map_err(|source| GenerateError::Io { path, source })?;
    Ok(planted)
}

fn write_reference(world: &World, out: &Path) -> Result<()> {
    let r = &world.reference;
    let strings =
        |v: Vec<&str>| Arc::new(datafusion::arrow::array::StringArray::from(v)) as ArrayRef;
    write_single(
        out.join("areas/part-0.parquet"),
        &batch(
            "areas",
            vec![
                (
                    "area_id",
                    strings(r.areas.iter().map(|a| a.area_id.as_str()).collect()),
                ),
                (
                    "area_name",
                    strings(r.areas.iter().map(|a| a.area_name.as_str()).collect()),
                ),
                (
                    "region",
                    strings(r.areas.iter().map(|a| a.region.as_str()).collect()),
                ),
                (
                    "working_age_population_thousands",
                    Arc::new(
                        r.areas
                            .iter()
                            .map(|a| a.working_age_population_thousands as i64)
                            .collect::<datafusion::arrow::array::Int64Array>(),
                    ),
                ),
            ],
        )?,
    )?;
    let mut start = Date32Builder::new();
    let mut funding = Int64Builder::new();
    for ap in &r.area_programmes {
        start.append_value(date32(ap.start_date));
        funding.append_option(ap.funding_gbp);
    }
    write_single(
        out.join("area_programmes/part-0.parquet"),
        &batch(
            "area_programmes",
            vec![
                (
                    "area_id",
                    strings(
                        r.area_programmes
                            .iter()
                            .map(|a| a.area_id.as_str())
                            .collect(),
                    ),
                ),
                (
                    "programme",
                    strings(
                        r.area_programmes
                            .iter()
                            .map(|a| a.programme.as_str())
                            .collect(),
                    ),
                ),
                ("start_date", Arc::new(start.finish())),
                ("funding_gbp", Arc::new(funding.finish())),
            ],
        )?,
    )?;
    write_single(
        out.join("programmes/part-0.parquet"),
        &batch(
            "programmes",
            vec![
                (
                    "programme",
                    strings(r.programmes.iter().map(|p| p.programme.as_str()).collect()),
                ),
                (
                    "funding_gbp",
                    Arc::new(
                        r.programmes
                            .iter()
                            .map(|p| p.funding_gbp)
                            .collect::<datafusion::arrow::array::Int64Array>(),
                    ),
                ),
                (
                    "description",
                    strings(
                        r.programmes
                            .iter()
                            .map(|p| p.description.as_str())
                            .collect(),
                    ),
                ),
            ],
        )?,
    )
}

/// A handful of rows that break the contract, so quarantine is exercised.
/// Each is an extra row: no generated row is altered.
fn write_invalid_rows(
    world: &World,
    options: &GenerateOptions,
    writers: &mut Writers,
) -> Result<BTreeMap<String, u64>> {
    let out = &options.out;
    let real_person = person_id(options.seed, 0);
    let area = world.reference.areas[0].area_id.as_str();
    let date = month_start(12);

    let mut people = PeopleCols::new();
    people.person_id.append_value("P-INVALID-AGE-BAND");
    people.area_id.append_value(area);
    people.age_band.append_value("25 to 34");
    people.sex.append_value("Female");
    people.imd_decile.append_value(5);
    writers.write(out.join("people/part-0.parquet"), &people.finish()?)?;

    let mut referrals = ReferralCols::new();
    referrals.push(
        "R-INVALID-TYPO",
        &real_person,
        "Workwell",
        area,
        date,
        "GP",
        "Mental health",
        true,
    );
    referrals.push(
        "R-INVALID-ORPHAN",
        "P-NOT-IN-PEOPLE",
        "WorkWell",
        area,
        date,
        "GP",
        "Mental health",
        true,
    );
    referrals.push(
        "R-INVALID-FUTURE",
        &real_person,
        "WorkWell",
        area,
        NaiveDate::from_ymd_opt(2031, 1, 1).expect("valid date"),
        "GP",
        "Other",
        true,
    );
    writers.write(out.join("referrals/part-0.parquet"), &referrals.finish()?)?;

    let mut notes = FitNoteCols::new();
    notes.push(
        "F-INVALID-TYPO",
        &real_person,
        area,
        date,
        "may be fit",
        28,
        "Other",
        [false; 4],
    );
    notes.push(
        "F-INVALID-ORPHAN",
        "P-NOT-IN-PEOPLE",
        area,
        date,
        "not_fit",
        28,
        "Other",
        [false; 4],
    );
    notes.push(
        "F-INVALID-DATE",
        &real_person,
        area,
        NaiveDate::from_ymd_opt(1899, 12, 31).expect("valid date"),
        "not_fit",
        28,
        "Other",
        [false; 4],
    );
    writers.write(
        out.join(format!(
            "fit_notes/issue_year={}/part-0.parquet",
            date.year()
        )),
        &notes.finish()?,
    )?;

    let mut employment = EmploymentCols::new();
    employment.push("P-NOT-IN-PEOPLE", date, "employed", Some(1800.0));
    employment.push("P-NOT-IN-PEOPLE-EITHER", date, "employd", Some(1800.0));
    writers.write(
        out.join(format!(
            "employment/month={}/part-0.parquet",
            date.format("%Y-%m")
        )),
        &employment.finish()?,
    )?;

    Ok([
        ("people", 1),
        ("referrals", 3),
        ("fit_notes", 3),
        ("employment", 2),
    ]
    .into_iter()
    .map(|(t, n)| (t.to_string(), n))
    .collect())
}

fn planted(
    world: &World,
    options: &GenerateOptions,
    truth: &DidTruth,
    participants: &[u64],
    invalid_rows: BTreeMap<String, u64>,
) -> Planted {
    let programmes = world
        .programme_names
        .iter()
        .enumerate()
        .map(|(p, name)| {
            let did = (truth.share(p, 0, 1) - truth.share(p, 0, 0))
                - (truth.share(p, 1, 1) - truth.share(p, 1, 0));
            (
                name.clone(),
                PlantedProgramme {
                    in_work_6m_uplift: world.uplift[p],
                    fit_note_may_be_fit_lift: world.lift[p],
                    fit_note_did: did,
                    participants: participants[p],
                },
            )
        })
        .collect();
    Planted {
        seed: options.seed,
        people: options.people,
        first_month: month_start(0).to_string(),
        last_month: month_start(MONTHS - 1).to_string(),
        programmes,
        invalid_rows,
        notes: vec![
            "in_work_6m_uplift is the true ATT: every participant's probability of being employed 6 months after the index month is raised by it, and selection into programmes depends only on the contract's matching strata.".into(),
            "fit_note_did is the contract's DiD evaluated on true note probabilities; it is what the estimate should recover.".into(),
            "One referral of the first person is dated in 2031 and one fit note in 1899; both must be quarantined as impossible dates.".into(),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_are_distinct_and_opaque() {
        let ids: std::collections::HashSet<_> = (0..10_000).map(|n| person_id(7, n)).collect();
        assert_eq!(ids.len(), 10_000);
        assert_eq!(person_id(7, 0).len(), 16);
    }

    #[test]
    fn month_arithmetic() {
        assert_eq!(
            month_start(0),
            NaiveDate::from_ymd_opt(2023, 10, 1).unwrap()
        );
        assert_eq!(
            month_start(35),
            NaiveDate::from_ymd_opt(2026, 9, 1).unwrap()
        );
        assert_eq!(
            month_index(NaiveDate::from_ymd_opt(2024, 10, 15).unwrap()),
            12
        );
        assert_eq!(days_in_month(4), 29, "February 2024");
    }

    #[test]
    fn outcome_probabilities_leave_room_for_the_uplift() {
        for age in 0..4 {
            for quintile in 1..=5 {
                for condition in 0..4 {
                    for observed in 0..5 {
                        for female in [true, false] {
                            let p = in_work_probability(age, female, quintile, condition, observed);
                            assert!((0.03..=0.85).contains(&p));
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn small_dataset_is_written_in_the_contract_layout() {
        let dir = tempfile::tempdir().unwrap();
        let planted = generate(
            &GenerateOptions {
                out: dir.path().to_path_buf(),
                people: 3_000,
                seed: 11,
            },
            &NoProgress,
        )
        .unwrap();
        for table in [
            "areas",
            "area_programmes",
            "programmes",
            "people",
            "referrals",
            "fit_notes",
            "employment",
        ] {
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
    }
}
