//! Reading a folder of the published fit-note statistics: every release
//! file checked row by row (each bad row named with its file and line), then
//! each month taken from the latest release that covers it.

use super::layout::{self, Column, Count, NOT_ALLOCATED};
use crate::error::{PipelineError, Result};
use chrono::NaiveDate;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The most bytes one release file may have: the national sub-ICB files are
/// a few tens of megabytes.
pub const MAX_FILE_BYTES: u64 = 2 << 30;

/// What identifies a cell: month, sub-ICB location, "may be fit", and the
/// breakdown (diagnosis, duration; empty where a file has no such column).
pub type Key = (NaiveDate, String, bool, String, String);

/// One published count, with where it was read.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub count: Count,
    /// `Sub ICB location ONS code`, where the file has it.
    pub ons_code: Option<String>,
    pub file: String,
    pub line: u64,
}

/// One release file as read.
#[derive(Debug, Clone)]
pub struct ReleaseFile {
    pub file: String,
    pub release: NaiveDate,
    pub rows: u64,
    pub cells: BTreeMap<Key, Cell>,
}

fn bad(file: &str, line: Option<u64>, problem: impl Into<String>) -> PipelineError {
    PipelineError::Published {
        file: file.to_string(),
        line,
        problem: problem.into(),
    }
}

/// Every `.csv` file in `folder`, read and checked.
pub fn read_folder(folder: &Path) -> Result<Vec<ReleaseFile>> {
    let shown = folder.display().to_string();
    let entries = std::fs::read_dir(folder).map_err(|source| PipelineError::Io {
        context: format!(
            "{shown}: cannot list the folder of published fit-note files; give the folder you downloaded them into"
        ),
        source,
    })?;
    let mut paths = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| PipelineError::Io {
            context: format!("{shown}: cannot list the folder"),
            source,
        })?;
        let path = entry.path();
        let is_csv = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        if is_csv && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    if paths.is_empty() {
        return Err(bad(
            &shown,
            None,
            "holds no .csv file; download the release's CSV files of *Fit Notes Issued by GP Practices, England* into it",
        ));
    }
    paths.iter().map(|p| read_file(p)).collect()
}

/// One release file.
pub fn read_file(path: &Path) -> Result<ReleaseFile> {
    let file = path.display().to_string();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let release = layout::release_of_file_name(&name).ok_or_else(|| {
        bad(
            &file,
            None,
            "the file name does not end in the release's month and year (`…-dec-23.csv`) as the publication names its files; keep the name it was downloaded with",
        )
    })?;
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if bytes > MAX_FILE_BYTES {
        return Err(bad(
            &file,
            None,
            format!(
                "is {bytes} bytes, over the {MAX_FILE_BYTES}-byte limit for one release file; is it the right file?"
            ),
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_path(path)
        .map_err(|e| bad(&file, None, format!("cannot be read as CSV: {e}")))?;
    let headers = reader
        .headers()
        .map_err(|e| bad(&file, Some(1), format!("cannot read the header row: {e}")))?
        .clone();
    let columns = columns(&file, &headers)?;
    let at = |c: Column| columns.iter().position(|x| *x == c);
    let mut cells = BTreeMap::new();
    let mut rows = 0u64;
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line());
            bad(&file, line, format!("is not a well-formed CSV row: {e}"))
        })?;
        rows += 1;
        let line = record.position().map_or(rows + 1, |p| p.line());
        let get = |c: Column| at(c).and_then(|i| record.get(i)).unwrap_or("").trim();
        let date = get(Column::Date);
        let month = layout::month_of(date).ok_or_else(|| {
            bad(
                &file,
                Some(line),
                format!("`Date` is {date:?}, not a month (`Apr-24`, `April 2024` or `2024-04`)"),
            )
        })?;
        if month > release {
            return Err(bad(
                &file,
                Some(line),
                format!(
                    "`Date` {month} is after the release's last month {release} (from the file name); rename the file as published"
                ),
            ));
        }
        let code = get(Column::SubIcbCode);
        if code.is_empty() {
            return Err(bad(
                &file,
                Some(line),
                format!(
                    "`Sub ICB location code` is empty; the publication writes {NOT_ALLOCATED:?} for notes it could not place"
                ),
            ));
        }
        let status = get(Column::FitnessForWork);
        let may_be_fit = layout::may_be_fit(status).ok_or_else(|| {
            bad(
                &file,
                Some(line),
                format!(
                    "`Fitness for work` is {status:?}; it must be {:?} or {:?}",
                    layout::MAY_BE_FIT,
                    layout::NOT_FIT
                ),
            )
        })?;
        let value = get(Column::Count);
        let count = Count::parse(value).ok_or_else(|| {
            bad(
                &file,
                Some(line),
                format!("`Count of fit notes` is {value:?}; it must be a whole number of notes or `*` (suppressed, 1 to 4)"),
            )
        })?;
        let ons_code = at(Column::SubIcbOnsCode).map(|_| get(Column::SubIcbOnsCode).to_string());
        let key = (
            month,
            code.to_string(),
            may_be_fit,
            get(Column::Diagnosis).to_string(),
            get(Column::Duration).to_string(),
        );
        let cell = Cell {
            count,
            ons_code,
            file: file.clone(),
            line,
        };
        if let Some(first) = cells.insert(key, cell) {
            return Err(bad(
                &file,
                Some(line),
                format!(
                    "repeats line {}'s month, sub-ICB location, fitness for work and breakdown; a release has one count for each",
                    first.line
                ),
            ));
        }
    }
    Ok(ReleaseFile {
        file,
        release,
        rows,
        cells,
    })
}

/// Each header's column; every required column present, none unknown.
fn columns(file: &str, headers: &csv::StringRecord) -> Result<Vec<Column>> {
    let expected = || {
        layout::COLUMNS
            .iter()
            .map(|(_, name, required)| {
                if *required {
                    format!("`{name}`")
                } else {
                    format!("`{name}` (optional)")
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut columns = Vec::new();
    for h in headers {
        let c = layout::column(h).ok_or_else(|| {
            bad(
                file,
                Some(1),
                format!("column {h:?} is not in the publication's layout as Evidence reads it ({}); if the publication has changed its layout, the reader (pipeline/src/published/layout.rs) must change with it", expected()),
            )
        })?;
        if columns.contains(&c) {
            return Err(bad(file, Some(1), format!("column {h:?} appears twice")));
        }
        columns.push(c);
    }
    for (c, name, required) in layout::COLUMNS {
        if required && !columns.contains(&c) {
            return Err(bad(
                file,
                Some(1),
                format!(
                    "required column `{name}` is missing (the header has {}); the layout is {}",
                    headers
                        .iter()
                        .map(|h| format!("{h:?}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    expected()
                ),
            ));
        }
    }
    Ok(columns)
}

/// The cells the panel uses: each month from the latest release that
/// covers it (all of that month's cells, none from older releases), with
/// how many months each file gave and how many cells were revised.
#[derive(Debug, Clone)]
pub struct Chosen {
    pub cells: BTreeMap<Key, Cell>,
    pub months_from: BTreeMap<String, u64>,
    /// Cells of a chosen month whose count differs from (or is missing in)
    /// the next-latest release covering that month.
    pub revised: u64,
}

pub fn choose(files: &[ReleaseFile]) -> Result<Chosen> {
    // Per release, its cells by month. Files of one release are one
    // release: no key twice.
    type Months = BTreeMap<NaiveDate, BTreeMap<Key, Cell>>;
    let mut releases: BTreeMap<NaiveDate, Months> = BTreeMap::new();
    for f in files {
        let months = releases.entry(f.release).or_default();
        for (key, cell) in &f.cells {
            let cells = months.entry(key.0).or_default();
            if let Some(other) = cells.get(key) {
                return Err(bad(
                    &f.file,
                    Some(cell.line),
                    format!(
                        "the same cell is in {} line {} of the same release; remove the duplicate file",
                        other.file, other.line
                    ),
                ));
            }
            cells.insert(key.clone(), cell.clone());
        }
    }
    let mut chosen = Chosen {
        cells: BTreeMap::new(),
        months_from: files.iter().map(|f| (f.file.clone(), 0)).collect(),
        revised: 0,
    };
    let all_months: BTreeSet<NaiveDate> =
        releases.values().flat_map(|m| m.keys().copied()).collect();
    for month in all_months {
        let mut covering = releases.values().rev().filter_map(|m| m.get(&month));
        let latest = covering.next().expect("some release covers the month");
        if let Some(earlier) = covering.next() {
            chosen.revised += latest
                .iter()
                .filter(|(k, c)| earlier.get(*k).map(|o| o.count) != Some(c.count))
                .count() as u64;
            chosen.revised += earlier.keys().filter(|k| !latest.contains_key(*k)).count() as u64;
        }
        let mut files_used = BTreeSet::new();
        for (k, c) in latest {
            files_used.insert(c.file.clone());
            chosen.cells.insert(k.clone(), c.clone());
        }
        for f in files_used {
            *chosen.months_from.entry(f).or_default() += 1;
        }
    }
    Ok(chosen)
}
