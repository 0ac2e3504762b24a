//! Reading the published files: each bad file named with its line and what
//! to do, revisions and suppression as CONTRACT.md states them.

use super::geography::{Location, area_months};
use super::layout::Count;
use super::read::{choose, read_file, read_folder};
use std::path::{Path, PathBuf};

const HEADER: &str =
    "Date,Sub ICB location code,Sub ICB location ONS code,Fitness for work,Count of fit notes";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn locations() -> Vec<Location> {
    let l = |code: &str, ons: &str, area: &str, share: f64| Location {
        code: code.into(),
        ons_code: ons.into(),
        area_id: area.into(),
        share,
    };
    vec![
        l("02P", "E38000006", "south-yorkshire", 1.0),
        l("36J", "E38000232", "west-yorkshire", 0.9148),
        l("36J", "E38000232", "york-and-north-yorkshire", 0.0852),
        l("91Q", "E38000237", "kent-and-medway", 1.0),
    ]
}

fn error_of(dir: &Path, name: &str, text: &str) -> String {
    let path = write(dir, name, text);
    read_file(&path).unwrap_err().to_string()
}

#[test]
fn bad_files_are_named_with_their_line_and_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let e = error_of(
        d,
        "a-dec-24.csv",
        "Date,Sub ICB location code,Fitness for work\nDec-24,02P,Not fit for work\n",
    );
    assert!(
        e.contains("a-dec-24.csv, line 1: required column `Count of fit notes` is missing"),
        "{e}"
    );
    let e = error_of(
        d,
        "b-dec-24.csv",
        "Date,Sub ICB location code,Fitness for work,Count of fitnotes\n",
    );
    assert!(
        e.contains(
            "b-dec-24.csv, line 1: column \"Count of fitnotes\" is not in the publication's layout"
        ),
        "{e}"
    );
    let e = error_of(
        d,
        "c-dec-24.csv",
        &format!(
            "{HEADER}\nDec-24,02P,E38000006,Not fit for work,12\n*,02P,E38000006,Not fit for work,3\n"
        ),
    );
    assert!(
        e.contains("c-dec-24.csv, line 3: `Date` is \"*\", not a month"),
        "{e}"
    );
    let e = error_of(
        d,
        "d-dec-24.csv",
        &format!("{HEADER}\nDec-24,02P,E38000006,Not fit for work,twelve\n"),
    );
    assert!(
        e.contains("d-dec-24.csv, line 2: `Count of fit notes` is \"twelve\""),
        "{e}"
    );
    let e = error_of(
        d,
        "e-dec-24.csv",
        &format!("{HEADER}\nDec-24,02P,E38000006,Unfit,1\n"),
    );
    assert!(e.contains("line 2: `Fitness for work` is \"Unfit\""), "{e}");
    let e = error_of(
        d,
        "f-dec-24.csv",
        &format!("{HEADER}\nDec-24,02P,E38000006,Unfit\n"),
    );
    assert!(
        e.contains("f-dec-24.csv, line 2: is not a well-formed CSV row"),
        "{e}"
    );
    let e = error_of(
        d,
        "g-dec-24.csv",
        &format!(
            "{HEADER}\nDec-24,02P,E38000006,Not fit for work,1\nDec-24,02P,E38000006,Not fit for work,2\n"
        ),
    );
    assert!(e.contains("g-dec-24.csv, line 3: repeats line 2's"), "{e}");
    let e = error_of(
        d,
        "h-nov-24.csv",
        &format!("{HEADER}\nDec-24,02P,E38000006,Not fit for work,1\n"),
    );
    assert!(
        e.contains("line 2: `Date` 2024-12-01 is after the release's last month 2024-11-01"),
        "{e}"
    );
    let e = error_of(d, "notes.csv", &format!("{HEADER}\n"));
    assert!(
        e.contains("notes.csv: the file name does not end in the release's month"),
        "{e}"
    );
}

#[test]
fn an_unknown_geography_code_names_its_line() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "n-dec-24.csv",
        &format!(
            "{HEADER}\nDec-24,02P,E38000006,Not fit for work,10\nDec-24,ZZZ,E38999999,Not fit for work,10\n"
        ),
    );
    let chosen = choose(&read_folder(dir.path()).unwrap()).unwrap();
    let areas = vec!["south-yorkshire".to_string()];
    let e = area_months(&chosen, &locations(), &areas)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(
            "n-dec-24.csv, line 3: `Sub ICB location code` \"ZZZ\" is not a sub-ICB location"
        ),
        "{e}"
    );
    std::fs::write(
        dir.path().join("n-dec-24.csv"),
        format!("{HEADER}\nDec-24,02P,E38000141,Not fit for work,10\n"),
    )
    .unwrap();
    let chosen = choose(&read_folder(dir.path()).unwrap()).unwrap();
    let e = area_months(&chosen, &locations(), &areas)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("line 2: `Sub ICB location ONS code` \"E38000141\" is not 02P's (E38000006)"),
        "{e}"
    );
}

#[test]
fn each_month_comes_from_the_latest_release_and_revisions_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    // The September release has July to September; the December release
    // restates September (a revision: 40 -> 44 and a new may-be-fit cell)
    // and adds October.
    write(
        dir.path(),
        "x-sep-24.csv",
        &format!(
            "{HEADER}\nJul-24,02P,E38000006,Not fit for work,30\nSep-24,02P,E38000006,Not fit for work,40\n"
        ),
    );
    write(
        dir.path(),
        "x-dec-24.csv",
        &format!(
            "{HEADER}\nSep-24,02P,E38000006,Not fit for work,44\nSep-24,02P,E38000006,May be fit for work,*\nOct-24,02P,E38000006,Not fit for work,50\n"
        ),
    );
    let files = read_folder(dir.path()).unwrap();
    let chosen = choose(&files).unwrap();
    assert_eq!(chosen.revised, 2);
    let sept = chosen
        .cells
        .iter()
        .filter(|(k, _)| k.0.to_string() == "2024-09-01")
        .count();
    assert_eq!(sept, 2);
    let from: Vec<u64> = files.iter().map(|f| chosen.months_from[&f.file]).collect();
    assert_eq!(
        from,
        vec![2, 1],
        "{:?}",
        files.iter().map(|f| &f.file).collect::<Vec<_>>()
    );
    let areas = vec!["south-yorkshire".to_string(), "west-yorkshire".to_string()];
    let m = area_months(&chosen, &locations(), &areas).unwrap();
    let cells: Vec<_> = m
        .monthly(2)
        .iter()
        .map(|r| (r.month.to_string(), r.fit_notes, r.may_be_fit))
        .collect();
    assert_eq!(
        cells,
        vec![
            ("2024-07-01".into(), 30, 0),
            ("2024-09-01".into(), 46, 2),
            ("2024-10-01".into(), 50, 0)
        ]
    );
    // At the ends of a suppressed count's range.
    assert_eq!(m.monthly(4)[1].may_be_fit, 4);
    assert!(chosen.cells.values().any(|c| c.count == Count::Suppressed));
}

#[test]
fn locations_count_where_half_their_residents_live() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "y-dec-24.csv",
        &format!(
            "{HEADER}\nDec-24,36J,E38000232,May be fit for work,7\nDec-24,91Q,E38000237,Not fit for work,9\nDec-24,Not allocated,,Not fit for work,3\n"
        ),
    );
    let chosen = choose(&read_folder(dir.path()).unwrap()).unwrap();
    let areas = vec![
        "west-yorkshire".to_string(),
        "york-and-north-yorkshire".to_string(),
    ];
    let m = area_months(&chosen, &locations(), &areas).unwrap();
    // 36J (91% West Yorkshire) counts there only; Kent and Medway is no
    // area of this design; the unallocated row is counted, in no area.
    let monthly = m.monthly(2);
    assert_eq!(monthly.len(), 1);
    assert_eq!(
        (monthly[0].area_id.as_str(), monthly[0].fit_notes),
        ("west-yorkshire", 7)
    );
    assert_eq!((m.outside.at(2), m.unallocated.at(2)), (9, 3));
}
