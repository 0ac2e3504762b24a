//! From sub-ICB locations to the pilots' areas: each location's notes count
//! towards every area holding at least half of its residents
//! (`datasets/reference/sub_icb_locations.csv`, CONTRACT.md).

use super::layout::{Count, NOT_ALLOCATED};
use super::read::Chosen;
use crate::error::{PipelineError, Result};
use chrono::NaiveDate;
use contract::outputs::FitNoteMonthly;
use std::collections::{BTreeMap, BTreeSet};

/// A location's notes count towards an area holding at least this share of
/// its residents.
pub const ASSIGNED_FROM: f64 = 0.5;

/// One row of the sub-ICB location → area table.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    /// The location's ODS code, as the publication writes it (`02P`).
    pub code: String,
    /// Its ONS code (`E38000006`).
    pub ons_code: String,
    pub area_id: String,
    /// The share of its residents living in the area's footprint.
    pub share: f64,
}

/// Notes counted as published: the exact counts' sum, and how many cells
/// were `*` (whose value the rule for suppressed counts decides).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Tally {
    pub exact: u64,
    pub suppressed: u64,
}

impl Tally {
    fn add(&mut self, count: Count) {
        match count {
            Count::Exact(n) => self.exact += n,
            Count::Suppressed => self.suppressed += 1,
        }
    }

    /// The notes with each suppressed cell taken as `suppressed`.
    pub fn at(self, suppressed: u64) -> u64 {
        self.exact + self.suppressed * suppressed
    }
}

/// The area × month counts (all notes, may-be-fit notes), and the notes
/// that reach no area, read once; [`AreaMonths::monthly`] gives the panel
/// for any value of a suppressed count.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaMonths {
    cells: BTreeMap<(String, NaiveDate), [Tally; 2]>,
    pub unallocated: Tally,
    pub outside: Tally,
}

impl AreaMonths {
    /// `fit_note_monthly`, each suppressed count taken as `suppressed`; an
    /// area-month with no notes has no row.
    pub fn monthly(&self, suppressed: u64) -> Vec<FitNoteMonthly> {
        self.cells
            .iter()
            .map(|((area_id, month), [notes, may_be_fit])| {
                (
                    area_id,
                    *month,
                    notes.at(suppressed),
                    may_be_fit.at(suppressed),
                )
            })
            .filter(|(_, _, notes, _)| *notes > 0)
            .map(|(area_id, month, fit_notes, may_be_fit)| FitNoteMonthly {
                area_id: area_id.clone(),
                month,
                fit_notes,
                may_be_fit,
                may_be_fit_share: Some(may_be_fit as f64 / fit_notes as f64),
            })
            .collect()
    }
}

/// Areas of `areas` that no location reaches.
pub fn not_covered(locations: &[Location], areas: &[String]) -> Vec<String> {
    areas
        .iter()
        .filter(|a| {
            !locations
                .iter()
                .any(|l| &l.area_id == *a && l.share >= ASSIGNED_FROM)
        })
        .cloned()
        .collect()
}

/// `chosen`'s cells summed per area and month, each location checked
/// against `locations`.
pub fn area_months(
    chosen: &Chosen,
    locations: &[Location],
    areas: &[String],
) -> Result<AreaMonths> {
    let known: BTreeMap<&str, &str> = locations
        .iter()
        .map(|l| (l.code.as_str(), l.ons_code.as_str()))
        .collect();
    let wanted: BTreeSet<&str> = areas.iter().map(String::as_str).collect();
    let mut assigned: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for l in locations {
        if l.share >= ASSIGNED_FROM && wanted.contains(l.area_id.as_str()) {
            assigned.entry(&l.code).or_default().push(&l.area_id);
        }
    }
    let mut cells: BTreeMap<(String, NaiveDate), [Tally; 2]> = BTreeMap::new();
    let (mut unallocated, mut outside) = (Tally::default(), Tally::default());
    for ((month, code, may_be_fit, _, _), cell) in &chosen.cells {
        if code.eq_ignore_ascii_case(NOT_ALLOCATED) {
            unallocated.add(cell.count);
            continue;
        }
        let Some(ons) = known.get(code.as_str()) else {
            return Err(PipelineError::Published {
                file: cell.file.clone(),
                line: Some(cell.line),
                problem: format!(
                    "`Sub ICB location code` {code:?} is not a sub-ICB location of datasets/reference/sub_icb_locations.csv (April 2024); if the publication uses newer boundaries, add each new location with the share of its residents in each area (and its source) there"
                ),
            });
        };
        if let Some(given) = &cell.ons_code
            && !given.is_empty()
            && given != ons
        {
            return Err(PipelineError::Published {
                file: cell.file.clone(),
                line: Some(cell.line),
                problem: format!(
                    "`Sub ICB location ONS code` {given:?} is not {code}'s ({ons}); check the file against the publication"
                ),
            });
        }
        match assigned.get(code.as_str()) {
            None => outside.add(cell.count),
            Some(areas) => {
                for area in areas {
                    let sums = cells.entry((area.to_string(), *month)).or_default();
                    sums[0].add(cell.count);
                    if *may_be_fit {
                        sums[1].add(cell.count);
                    }
                }
            }
        }
    }
    Ok(AreaMonths {
        cells,
        unallocated,
        outside,
    })
}
