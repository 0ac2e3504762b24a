//! Deliberately invalid rows, so that quarantine is exercised.

use super::*;

/// A handful of rows that break the contract, so quarantine is exercised.
/// Each is an extra row: no generated row is altered.
pub(crate) fn write_invalid_rows(
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
