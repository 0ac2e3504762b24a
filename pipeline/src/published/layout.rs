//! The layout of the published fit-note statistics as Evidence reads them
//! (NHS England, *Fit Notes Issued by GP Practices, England*; CONTRACT.md,
//! "Published fit-note statistics"): the release in each file's name, the
//! columns, and how each value is read. Declared once, here.

use chrono::NaiveDate;

/// A column of the published file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Date,
    SubIcbCode,
    SubIcbOnsCode,
    SubIcbName,
    FitnessForWork,
    Diagnosis,
    Duration,
    Count,
}

/// Every column: its header as published, and whether a file must have it.
pub const COLUMNS: [(Column, &str, bool); 8] = [
    (Column::Date, "Date", true),
    (Column::SubIcbCode, "Sub ICB location code", true),
    (Column::SubIcbOnsCode, "Sub ICB location ONS code", false),
    (Column::SubIcbName, "Sub ICB location name", false),
    (Column::FitnessForWork, "Fitness for work", true),
    (Column::Diagnosis, "Diagnosis (ICD10 chapter)", false),
    (Column::Duration, "Duration", false),
    (Column::Count, "Count of fit notes", true),
];

/// The publication's two outcomes of an assessment.
pub const MAY_BE_FIT: &str = "May be fit for work";
pub const NOT_FIT: &str = "Not fit for work";

/// What the publication writes for notes it could not place in a sub-ICB
/// location.
pub const NOT_ALLOCATED: &str = "Not allocated";

/// A suppressed count (`*`) is one of 1, 2, 3 or 4; the estimates take it
/// as this.
pub const SUPPRESSED_AS: u64 = 2;
pub const SUPPRESSED_RANGE: (u64, u64) = (1, 4);

/// A header as compared: trimmed, a byte-order mark dropped, case ignored.
pub fn normalise(header: &str) -> String {
    header.trim_start_matches('\u{feff}').trim().to_lowercase()
}

/// The column a header names, if any.
pub fn column(header: &str) -> Option<Column> {
    let h = normalise(header);
    COLUMNS
        .iter()
        .find(|(_, name, _)| name.to_lowercase() == h)
        .map(|(c, _, _)| *c)
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn month_of_name(name: &str) -> Option<u32> {
    let name = name.to_lowercase();
    if name.len() < 3 {
        return None;
    }
    let full = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    MONTHS
        .iter()
        .zip(full)
        .position(|(short, long)| {
            name == *short || name == long || (name == "sept" && *short == "sep")
        })
        .map(|i| i as u32 + 1)
}

fn year_of(text: &str) -> Option<i32> {
    match text.len() {
        2 => text.parse::<i32>().ok().map(|y| 2000 + y),
        4 => text.parse().ok(),
        _ => None,
    }
}

/// A release from a file's name, as the publication names its files
/// (`…-<mon>-<yy>.csv`, e.g. `gp-fit-note-eng-csv-ep-dur-sep-22.csv`): the
/// first day of the last month it covers.
pub fn release_of_file_name(name: &str) -> Option<NaiveDate> {
    let stem = name
        .strip_suffix(".csv")
        .or_else(|| name.strip_suffix(".CSV"))?;
    let mut parts = stem.rsplit(['-', '_']);
    let year = year_of(parts.next()?)?;
    let month = month_of_name(parts.next()?)?;
    NaiveDate::from_ymd_opt(year, month, 1)
}

/// A `Date` value: a month as `Apr-24`, `Apr 2024`, `April 2024`,
/// `Apr-2024` or `2024-04` (the first of the month).
pub fn month_of(value: &str) -> Option<NaiveDate> {
    let v = value.trim();
    if let Some((y, m)) = v.split_once('-')
        && y.len() == 4
        && let (Ok(y), Ok(m)) = (y.parse::<i32>(), m.parse::<u32>())
    {
        return NaiveDate::from_ymd_opt(y, m, 1);
    }
    let (name, year) = v.split_once(['-', ' '])?;
    NaiveDate::from_ymd_opt(year_of(year.trim())?, month_of_name(name.trim())?, 1)
}

/// A `Count of fit notes` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    Exact(u64),
    Suppressed,
}

impl Count {
    pub fn parse(value: &str) -> Option<Count> {
        let v = value.trim();
        if v == "*" {
            return Some(Count::Suppressed);
        }
        // Thousands separators are how a spreadsheet may have saved it.
        let digits: String = v.chars().filter(|c| *c != ',').collect();
        if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok().map(Count::Exact)
    }

    /// The count, a suppressed one as `suppressed`.
    pub fn value(self, suppressed: u64) -> u64 {
        match self {
            Count::Exact(n) => n,
            Count::Suppressed => suppressed,
        }
    }
}

/// A `Fitness for work` value: whether the note says "may be fit".
pub fn may_be_fit(value: &str) -> Option<bool> {
    let v = value.trim();
    if v.eq_ignore_ascii_case(MAY_BE_FIT) {
        Some(true)
    } else if v.eq_ignore_ascii_case(NOT_FIT) {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, 1).unwrap()
    }

    #[test]
    fn releases_come_from_the_file_name_as_published() {
        assert_eq!(
            release_of_file_name("gp-fit-note-eng-csv-ep-dur-sep-22.csv"),
            Some(d(2022, 9))
        );
        assert_eq!(
            release_of_file_name("gp-fit-note-eng-csv-sicbl-dec-2023.csv"),
            Some(d(2023, 12))
        );
        assert_eq!(release_of_file_name("fit-notes.csv"), None);
        assert_eq!(release_of_file_name("notes-sep-22.xlsx"), None);
    }

    #[test]
    fn months_are_read_in_the_forms_a_spreadsheet_writes() {
        for v in [
            "Apr-24",
            "Apr 2024",
            "April 2024",
            "apr-2024",
            "2024-04",
            " Apr-24 ",
        ] {
            assert_eq!(month_of(v), Some(d(2024, 4)), "{v}");
        }
        for v in ["", "2024", "13-24", "Foo-24", "2024-13", "Apr-1"] {
            assert_eq!(month_of(v), None, "{v}");
        }
    }

    #[test]
    fn counts_are_whole_numbers_or_a_star() {
        assert_eq!(Count::parse("12"), Some(Count::Exact(12)));
        assert_eq!(Count::parse("1,204"), Some(Count::Exact(1204)));
        assert_eq!(Count::parse("*"), Some(Count::Suppressed));
        for v in ["", "-3", "2.5", "x", "**"] {
            assert_eq!(Count::parse(v), None, "{v}");
        }
        assert_eq!(Count::Suppressed.value(SUPPRESSED_AS), 2);
    }

    #[test]
    fn headers_are_matched_whatever_their_case() {
        assert_eq!(column("\u{feff}DATE"), Some(Column::Date));
        assert_eq!(column(" count of fit notes "), Some(Column::Count));
        assert_eq!(column("Count of fitnotes"), None);
        assert_eq!(may_be_fit("may be fit for work"), Some(true));
        assert_eq!(may_be_fit("Unfit"), None);
    }
}
