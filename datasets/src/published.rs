//! A fixture in the published fit-note statistics' layout (CONTRACT.md,
//! "Published fit-note statistics"), with planted lifts: every sub-ICB
//! location's notes by month, fitness for work, diagnosis group and
//! duration, counts of 1 to 4 shown as `*`, and two releases, the later
//! revising the earlier's last months (late notes) and the earlier alone
//! holding the first months. `_planted.json` holds what the staggered DiD
//! should recover: the estimator on every area-month's expected share.

use crate::generate::planted::design_of;
use crate::reference::Reference;
use chrono::{Datelike, Months, NaiveDate};
use contract::vocabulary::AreaSet;
use rand::{Rng, SeedableRng};
use rand_distr::{Binomial, Distribution, Normal, Poisson};
use rand_pcg::Pcg64Mcg;
use serde::Serialize;
use stats::formulas::fit_note_effects::effects_of_shares;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The fixture's months: April 2023 to March 2026.
const FIRST: (i32, u32) = (2023, 4);
const MONTHS: u32 = 36;
/// The earlier release ends 3 months before the later, which starts 3
/// months after the first month; the earlier's last 6 months lack late
/// notes (each note there with this chance).
const REVISED_MONTHS: u32 = 6;
const LATE_NOTE_SHARE: f64 = 0.04;
const DIAGNOSES: [(&str, f64); 6] = [
    ("Mental and behavioural disorders", 0.36),
    (
        "Diseases of the musculoskeletal system and connective tissue",
        0.16,
    ),
    (
        "Injury, poisoning and certain other consequences of external causes",
        0.08,
    ),
    ("Diseases of the circulatory system", 0.04),
    ("Diseases of the respiratory system", 0.06),
    ("Other", 0.30),
];
const DURATIONS: [(&str, f64); 3] = [
    ("Up to 2 weeks", 0.33),
    ("Over 2 weeks to 4 weeks", 0.37),
    ("Over 4 weeks", 0.30),
];
pub const HEADER: &str = "Date,Sub ICB location ONS code,Sub ICB location code,Sub ICB location name,Fitness for work,Diagnosis (ICD10 chapter),Duration,Count of fit notes";

#[derive(Debug, Clone)]
pub struct PublishedFixtureOptions {
    pub out: PathBuf,
    pub seed: u64,
    /// Each location-month's shock to the may-be-fit chance has SD
    /// `area_sd / 2` (as `evidence generate`).
    pub area_sd: f64,
    pub effect_scale: f64,
    /// Notes per location-month are about 400 to 3,000 times this.
    pub size: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PublishedTruth {
    pub programme: String,
    pub lift: f64,
    pub did: Option<f64>,
    pub clean_did: Option<f64>,
    /// The event study on the expected shares: what each event month of
    /// `fit_note_event_study` (and its simultaneous band) should hold.
    pub event_study: Vec<EventTruth>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EventTruth {
    pub areas: &'static str,
    pub event_month: i64,
    pub truth: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PublishedPlanted {
    pub seed: u64,
    pub area_sd: f64,
    pub effect_scale: f64,
    pub files: Vec<String>,
    pub suppressed_cells: u64,
    pub truth: Vec<PublishedTruth>,
}

fn month(i: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(FIRST.0, FIRST.1, 1).expect("valid month") + Months::new(i)
}

fn month_label(d: NaiveDate) -> String {
    d.format("%b-%y").to_string()
}

fn file_tag(d: NaiveDate) -> String {
    d.format("%b-%y").to_string().to_lowercase()
}

struct Location {
    code: String,
    ons: String,
    name: String,
    size: f64,
    base: f64,
    /// Per programme, the month its lift starts here (from its areas).
    starts: BTreeMap<String, NaiveDate>,
}

fn io(path: &Path, e: std::io::Error) -> std::io::Error {
    std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// Write the fixture into `options.out`.
pub fn generate_published(
    reference: &Reference,
    options: &PublishedFixtureOptions,
) -> std::io::Result<PublishedPlanted> {
    let mut rng = Pcg64Mcg::seed_from_u64(options.seed ^ 0x5EED_F17E);
    let lifts: BTreeMap<String, f64> = reference
        .effects
        .iter()
        .map(|e| {
            (
                e.programme.clone(),
                e.fit_note_may_be_fit_lift * options.effect_scale,
            )
        })
        .collect();
    let mut locations: Vec<Location> = Vec::new();
    for l in &reference.sub_icb_locations {
        if !locations.iter().any(|x| x.code == l.sub_icb_code) {
            locations.push(Location {
                code: l.sub_icb_code.clone(),
                ons: l.sub_icb_ons_code.clone(),
                name: l.sub_icb_name.clone(),
                size: options.size * rng.random_range(400.0..3000.0),
                base: (0.07 + Normal::<f64>::new(0.0, 0.01).expect("sd").sample(&mut rng))
                    .clamp(0.02, 0.2),
                starts: BTreeMap::new(),
            });
        }
        if l.share < 0.5 {
            continue;
        }
        let loc = locations
            .iter_mut()
            .find(|x| x.code == l.sub_icb_code)
            .expect("pushed");
        for ap in reference
            .area_programmes
            .iter()
            .filter(|ap| ap.area_id == l.area_id)
        {
            let s = loc
                .starts
                .entry(ap.programme.clone())
                .or_insert(ap.start_date);
            *s = (*s).min(ap.start_date);
        }
    }
    let expected = |loc: &Location, m: u32| -> f64 {
        let d = month(m);
        let lift: f64 = loc
            .starts
            .iter()
            .filter(|(_, s)| d >= **s)
            .map(|(p, _)| lifts.get(p).copied().unwrap_or(0.0))
            .sum();
        (loc.base + 0.0003 * m as f64 + lift).clamp(0.001, 0.999)
    };
    let shock = Normal::new(0.0, options.area_sd.max(0.0) / 2.0).expect("sd");
    // Every (location, month, may be fit, diagnosis, duration) count, final.
    let mut counts: Vec<(u32, usize, bool, usize, usize, u64)> = Vec::new();
    for (li, loc) in locations.iter().enumerate() {
        for m in 0..MONTHS {
            let q = (expected(loc, m) + shock.sample(&mut rng)).clamp(0.001, 0.999);
            let total = Poisson::new(loc.size).expect("size").sample(&mut rng) as u64;
            let mut left = total;
            let mut share_left = 1.0;
            for (di, (_, ds)) in DIAGNOSES.iter().enumerate() {
                for (ui, (_, us)) in DURATIONS.iter().enumerate() {
                    let s = ds * us;
                    let n = if share_left - s <= 1e-12 {
                        left
                    } else {
                        Binomial::new(left, (s / share_left).min(1.0))
                            .expect("p")
                            .sample(&mut rng)
                    };
                    left -= n;
                    share_left -= s;
                    let fit = Binomial::new(n, q).expect("q").sample(&mut rng);
                    counts.push((m, li, true, di, ui, fit));
                    counts.push((m, li, false, di, ui, n - fit));
                }
            }
        }
    }
    std::fs::create_dir_all(&options.out).map_err(|e| io(&options.out, e))?;
    let later_end = MONTHS - 1;
    let earlier_end = MONTHS - 4;
    let releases = [
        (
            0,
            earlier_end,
            format!(
                "gp-fit-note-eng-csv-sicbl-{}.csv",
                file_tag(month(earlier_end))
            ),
        ),
        (
            3,
            later_end,
            format!(
                "gp-fit-note-eng-csv-sicbl-{}.csv",
                file_tag(month(later_end))
            ),
        ),
    ];
    let mut suppressed = 0u64;
    for (k, (from, to, name)) in releases.iter().enumerate() {
        let path = options.out.join(name);
        let file = std::fs::File::create(&path).map_err(|e| io(&path, e))?;
        let mut w = std::io::BufWriter::new(file);
        writeln!(w, "{HEADER}").map_err(|e| io(&path, e))?;
        for &(m, li, fit, di, ui, n) in &counts {
            if m < *from || m > *to {
                continue;
            }
            let late = k == 0 && m + REVISED_MONTHS > earlier_end;
            let n = if late && n > 0 {
                Binomial::new(n, 1.0 - LATE_NOTE_SHARE)
                    .expect("p")
                    .sample(&mut rng)
            } else {
                n
            };
            if n == 0 {
                continue;
            }
            let value = if n < 5 {
                if k == 1 {
                    suppressed += 1;
                }
                "*".to_string()
            } else {
                n.to_string()
            };
            let loc = &locations[li];
            let status = if fit {
                "May be fit for work"
            } else {
                "Not fit for work"
            };
            writeln!(
                w,
                "{},{},{},\"{}\",{status},\"{}\",{},{value}",
                month_label(month(m)),
                loc.ons,
                loc.code,
                loc.name,
                DIAGNOSES[di].0,
                DURATIONS[ui].0
            )
            .map_err(|e| io(&path, e))?;
        }
        for m in *from..=*to {
            let n = Poisson::new(20.0).expect("rate").sample(&mut rng) as u64;
            writeln!(
                w,
                "{},,Not allocated,,Not fit for work,Other,Up to 2 weeks,{n}",
                month_label(month(m))
            )
            .map_err(|e| io(&path, e))?;
        }
        w.flush().map_err(|e| io(&path, e))?;
    }
    let truth = truth(reference, &locations, &expected, &lifts);
    let planted = PublishedPlanted {
        seed: options.seed,
        area_sd: options.area_sd,
        effect_scale: options.effect_scale,
        files: releases.iter().map(|r| r.2.clone()).collect(),
        suppressed_cells: suppressed,
        truth,
    };
    let path = options.out.join("_planted.json");
    let json = serde_json::to_vec_pretty(&planted).map_err(std::io::Error::other)?;
    std::fs::write(&path, json).map_err(|e| io(&path, e))?;
    Ok(planted)
}

/// The staggered estimator on each area-month's expected share: the
/// location's expected chance weighted by its expected notes, over the
/// locations holding half or more of their residents in the area.
fn truth(
    reference: &Reference,
    locations: &[Location],
    expected: &dyn Fn(&Location, u32) -> f64,
    lifts: &BTreeMap<String, f64>,
) -> Vec<PublishedTruth> {
    let design = design_of(reference, month(MONTHS - 1));
    let first = month(0);
    let index = |d: NaiveDate| {
        ((d.year() - first.year()) * 12 + d.month() as i32 - first.month() as i32) as u32
    };
    let design = crate::generate::planted::as_design(&design);
    let effects = effects_of_shares(first, month(MONTHS - 1), &design, |area, d| {
        let members: Vec<&Location> = reference
            .sub_icb_locations
            .iter()
            .filter(|l| l.area_id == area && l.share >= 0.5)
            .filter_map(|l| locations.iter().find(|x| x.code == l.sub_icb_code))
            .collect();
        let size: f64 = members.iter().map(|l| l.size).sum();
        (size > 0.0).then(|| {
            members
                .iter()
                .map(|l| l.size * expected(l, index(d)))
                .sum::<f64>()
                / size
        })
    });
    effects
        .iter()
        .map(|e| PublishedTruth {
            programme: e.programme.clone(),
            lift: lifts.get(&e.programme).copied().unwrap_or(0.0),
            did: e
                .set(AreaSet::All)
                .and_then(|s| s.overall)
                .map(|o| o.estimate),
            clean_did: e
                .set(AreaSet::Clean)
                .and_then(|s| s.overall)
                .map(|o| o.estimate),
            event_study: e
                .sets
                .iter()
                .flat_map(|s| {
                    s.estimates.event_study.iter().map(|(m, x)| EventTruth {
                        areas: s.areas.as_str(),
                        event_month: *m,
                        truth: x.estimate,
                    })
                })
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixture_plants_lifts_the_clean_areas_recover() {
        let dir = tempfile::tempdir().unwrap();
        let reference = Reference::load().unwrap();
        let p = generate_published(
            &reference,
            &PublishedFixtureOptions {
                out: dir.path().to_path_buf(),
                seed: 7,
                area_sd: 0.03,
                effect_scale: 1.0,
                size: 0.2,
            },
        )
        .unwrap();
        assert_eq!(p.files.len(), 2);
        assert!(p.suppressed_cells > 0);
        for t in &p.truth {
            // A clean area's expected share moves by the lift alone.
            if let Some(c) = t.clean_did {
                assert!((c - t.lift).abs() < 1e-9, "{t:?}");
            }
        }
        let text = std::fs::read_to_string(dir.path().join(&p.files[1])).unwrap();
        assert!(text.starts_with(HEADER));
        assert!(text.contains(",*\n"));
        assert!(text.contains("Not allocated"));
    }
}
