//! The fit-note effect of each programme from the area × month panel: the
//! may_be_fit share of each area's notes in each month, the programme's
//! areas with their own start months, the comparison areas as controls
//! (`staggered`). The pipeline applies it to exact counts; disclosure control
//! applies it to rounded counts.

use super::staggered::{Panel, Staggered, Unit, callaway_santanna};
use chrono::{Datelike, NaiveDate};
use std::collections::BTreeMap;
use vocabulary::{AreaSet, Side};

/// Leads in the event study and its joint test: the 12 months before
/// go-live.
pub const LEADS: usize = 12;

/// One area of a programme's design (a `fit_note_areas` row): its side,
/// its go-live (a programme area's) and whether it is clean.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DesignArea<'a> {
    pub programme: &'a str,
    pub area_id: &'a str,
    pub side: Side,
    pub start_date: Option<NaiveDate>,
    pub clean: bool,
}

/// One area-month's notes and "may be fit" notes (a `fit_note_monthly`
/// row).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AreaMonth<'a> {
    pub area_id: &'a str,
    pub month: NaiveDate,
    pub fit_notes: u64,
    pub may_be_fit: u64,
}

impl<'a> From<(&'a str, &'a str, Side, Option<NaiveDate>, bool)> for DesignArea<'a> {
    /// From (programme, area, side, go-live, clean): `FitNoteArea::parts`.
    fn from(
        (programme, area_id, side, start_date, clean): (
            &'a str,
            &'a str,
            Side,
            Option<NaiveDate>,
            bool,
        ),
    ) -> Self {
        DesignArea {
            programme,
            area_id,
            side,
            start_date,
            clean,
        }
    }
}

impl<'a> From<(&'a str, NaiveDate, u64, u64)> for AreaMonth<'a> {
    /// From (area, month, notes, may be fit): `FitNoteMonthly::parts`.
    fn from((area_id, month, fit_notes, may_be_fit): (&'a str, NaiveDate, u64, u64)) -> Self {
        AreaMonth {
            area_id,
            month,
            fit_notes,
            may_be_fit,
        }
    }
}

/// One programme's estimates over one set of its areas.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaSetEffects {
    pub areas: AreaSet,
    pub estimates: Staggered,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProgrammeEffects {
    pub programme: String,
    /// Period index → month.
    pub months: Vec<NaiveDate>,
    /// The programme's areas (all, then clean) that have a clean area.
    pub sets: Vec<AreaSetEffects>,
    /// Clean areas among the programme's areas.
    pub clean_areas: usize,
}

impl ProgrammeEffects {
    pub fn set(&self, areas: AreaSet) -> Option<&Staggered> {
        self.sets
            .iter()
            .find(|s| s.areas == areas)
            .map(|s| &s.estimates)
    }
}

fn month_number(d: NaiveDate) -> i64 {
    d.year() as i64 * 12 + d.month0() as i64
}

/// Per programme in `design` order, the staggered DiD over all its areas and
/// over its clean areas, with each area's monthly share from `monthly`'s
/// counts as `count` publishes them (unchanged for the exact figures,
/// rounded for disclosure). The panel runs from the first to the last month
/// with notes.
pub fn fit_note_effects(
    monthly: &[AreaMonth],
    design: &[DesignArea],
    count: impl Fn(u64) -> u64,
) -> Vec<ProgrammeEffects> {
    let counts: BTreeMap<(&str, NaiveDate), (u64, u64)> = monthly
        .iter()
        .map(|m| {
            (
                (m.area_id, m.month),
                (count(m.fit_notes), count(m.may_be_fit)),
            )
        })
        .collect();
    let (Some(first), Some(last)) = (
        counts.keys().map(|(_, m)| *m).min(),
        counts.keys().map(|(_, m)| *m).max(),
    ) else {
        return Vec::new();
    };
    effects_of_shares(first, last, design, |area, month| {
        let (notes, may_be_fit) = counts.get(&(area, month))?;
        (*notes > 0).then(|| *may_be_fit as f64 / *notes as f64)
    })
}

/// The same, over any outcome per area and month from `first` to `last`
/// (the generator gives each area-month's true may_be_fit probability, to
/// know what the estimator should recover).
pub fn effects_of_shares(
    first: NaiveDate,
    last: NaiveDate,
    design: &[DesignArea],
    share: impl Fn(&str, NaiveDate) -> Option<f64>,
) -> Vec<ProgrammeEffects> {
    let (first, last) = (month_number(first), month_number(last));
    if last < first {
        return Vec::new();
    }
    let periods = (last - first + 1) as usize;
    let months: Vec<NaiveDate> = (0..periods)
        .map(|i| {
            let n = first + i as i64;
            NaiveDate::from_ymd_opt((n / 12) as i32, (n % 12) as u32 + 1, 1).expect("valid month")
        })
        .collect();
    let outcomes =
        |area: &str| -> Vec<Option<f64>> { months.iter().map(|m| share(area, *m)).collect() };
    let mut programmes: Vec<&str> = Vec::new();
    for a in design {
        if !programmes.contains(&a.programme) {
            programmes.push(a.programme);
        }
    }
    programmes
        .into_iter()
        .map(|programme| {
            let rows: Vec<&DesignArea> =
                design.iter().filter(|a| a.programme == programme).collect();
            let unit = |a: &DesignArea| Unit {
                cohort: match (a.side, a.start_date) {
                    (Side::Comparison, _) => None,
                    // A start before the panel has no month before it: period
                    // 0, which the estimator leaves out.
                    (Side::Programme, Some(start)) => {
                        Some((month_number(start) - first).clamp(0, periods as i64) as usize)
                    }
                    (Side::Programme, None) => Some(periods),
                },
                outcomes: outcomes(a.area_id),
            };
            let panel = |clean_only: bool| Panel {
                periods,
                units: rows
                    .iter()
                    .filter(|a| !clean_only || a.clean)
                    .map(|a| unit(a))
                    .collect(),
            };
            let clean_areas = rows
                .iter()
                .filter(|a| a.side == Side::Programme && a.clean)
                .count();
            let mut sets = vec![AreaSetEffects {
                areas: AreaSet::All,
                estimates: callaway_santanna(&panel(false), LEADS),
            }];
            if clean_areas > 0 {
                sets.push(AreaSetEffects {
                    areas: AreaSet::Clean,
                    estimates: callaway_santanna(&panel(true), LEADS),
                });
            }
            ProgrammeEffects {
                programme: programme.to_string(),
                months: months.clone(),
                sets,
                clean_areas,
            }
        })
        .collect()
}
