//! The metric queries: every `<name>.sql` file of this folder, embedded by
//! name so that the crates that run them (the contract registers them,
//! the pipeline runs them) depend on this package, which Cargo sees,
//! rather than on a path outside their own. The queries' tests are the
//! `test/*.slt` files, run by `pipeline/tests/it/sqllogictests.rs`.

macro_rules! queries {
    ($($name:literal),* $(,)?) => {
        /// Every query as (name, text), in name order.
        pub const QUERIES: &[(&str, &str)] = &[
            $( ($name, include_str!(concat!("../", $name, ".sql"))) ),*
        ];
    };
}

queries![
    "analysis_cohort",
    "analysts_cohort_file",
    "area_labour_markets",
    "area_overlaps",
    "area_reach",
    "balance_strata",
    "cohort",
    "cohort_size",
    "comparison_areas",
    "comparison_pool",
    "comparison_strata",
    "event_statuses",
    "fit_note_areas",
    "fit_note_did_counts",
    "fit_note_monthly",
    "fit_note_trend",
    "index_events",
    "negative_control_strata",
    "outcome_strata",
    "own_area_balance_strata",
    "participant_exposure",
    "participant_strata",
    "participants",
    "placebo_strata",
    "programme_counts",
    "programme_coverage",
    "programme_starts",
    "site_counts",
    "site_quarters",
];

/// The text of the query `name`; a name with no file is a compile error
/// where it is used in a constant (`const Q: &str = sql::text("…")`).
pub const fn text(name: &str) -> &'static str {
    let mut i = 0;
    while i < QUERIES.len() {
        if equal(QUERIES[i].0, name) {
            return QUERIES[i].1;
        }
        i += 1;
    }
    panic!("no such query in sql/")
}

const fn equal(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `.sql` file of the folder is embedded, and nothing else.
    #[test]
    fn every_file_is_a_query() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| {
                let name = e.unwrap().file_name().into_string().unwrap();
                name.strip_suffix(".sql").map(str::to_string)
            })
            .collect();
        files.sort();
        let names: Vec<&str> = QUERIES.iter().map(|q| q.0).collect();
        assert_eq!(files, names);
        const COHORT: &str = text("cohort");
        assert!(COHORT.contains("SELECT"));
    }
}
