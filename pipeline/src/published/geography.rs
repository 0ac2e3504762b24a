//! From sub-ICB locations to the pilots' areas: each location's notes count
//! towards every area holding at least half of its residents
//! (`datasets/reference/sub_icb_locations.csv`, CONTRACT.md).

use super::layout::NOT_ALLOCATED;
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

/// The area × month counts, and the notes that reach no area.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaMonths {
    pub monthly: Vec<FitNoteMonthly>,
    pub unallocated: u64,
    pub outside: u64,
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

/// `chosen`'s cells summed per area and month, a suppressed count taken as
/// `suppressed`.
pub fn area_months(
    chosen: &Chosen,
    locations: &[Location],
    areas: &[String],
    suppressed: u64,
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
    let mut sums: BTreeMap<(&str, NaiveDate), (u64, u64)> = BTreeMap::new();
    let (mut unallocated, mut outside) = (0u64, 0u64);
    for ((month, code, may_be_fit, _, _), cell) in &chosen.cells {
        let n = cell.count.value(suppressed);
        if code.eq_ignore_ascii_case(NOT_ALLOCATED) {
            unallocated += n;
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
            None => outside += n,
            Some(areas) => {
                for area in areas {
                    let s = sums.entry((area, *month)).or_default();
                    s.0 += n;
                    if *may_be_fit {
                        s.1 += n;
                    }
                }
            }
        }
    }
    let monthly = sums
        .into_iter()
        .filter(|(_, (notes, _))| *notes > 0)
        .map(
            |((area_id, month), (fit_notes, may_be_fit))| FitNoteMonthly {
                area_id: area_id.to_string(),
                month,
                fit_notes,
                may_be_fit,
                may_be_fit_share: Some(may_be_fit as f64 / fit_notes as f64),
            },
        )
        .collect();
    Ok(AreaMonths {
        monthly,
        unallocated,
        outside,
    })
}
