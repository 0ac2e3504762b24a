//! The row checks, derived from the contract: nulls in required columns,
//! enum values, impossible dates, value ranges, duplicate keys, orphan
//! references and the contract's own consistency rules; and the SQL that
//! reads a table once, naming every check each row fails.

use chrono::NaiveDate;
use contract::inputs::{ColumnKind, InputTable};

/// One named check on one table's rows.
#[derive(Debug, Clone)]
pub struct Check {
    pub name: String,
    /// SQL predicate that is true for a failing row; the table is aliased
    /// `t`, its duplicated keys `__dup`, parents `__parent_<column>`.
    pub(super) predicate: String,
    /// The column whose value is shown as the example of a failure.
    pub(super) column: Option<String>,
}

pub(super) fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The checks for one table, derived from the contract: nulls in required
/// columns, enum values, impossible dates, value ranges, duplicate keys,
/// orphan references and the contract's own consistency rules.
pub fn checks(table: &InputTable, as_of: NaiveDate) -> Vec<Check> {
    let mut checks = Vec::new();
    let mut add = |name: String, predicate: String, column: Option<&str>| {
        checks.push(Check {
            name,
            predicate,
            column: column.map(str::to_string),
        })
    };
    for column in table.columns.iter().filter(|c| !c.nullable) {
        add(
            format!("missing_{}", column.name),
            format!("t.{} IS NULL", column.name),
            None,
        );
    }
    for column in &table.columns {
        if let Some(allowed) = column.allowed {
            let list = allowed
                .iter()
                .map(|v| sql_string(v))
                .collect::<Vec<_>>()
                .join(", ");
            add(
                format!("unknown_{}", column.name),
                format!("t.{} NOT IN ({list})", column.name),
                Some(column.name),
            );
        }
        if column.kind == ColumnKind::Date {
            add(
                format!("impossible_{}", column.name),
                format!(
                    "(t.{c} < DATE '1900-01-01' OR t.{c} > DATE '{as_of}')",
                    c = column.name,
                    as_of = as_of.format("%Y-%m-%d")
                ),
                Some(column.name),
            );
        }
    }
    let mut range = |column: &str, low: i64, high: Option<i64>| {
        if table.column(column).is_some() {
            let predicate = match high {
                Some(high) => format!("(t.{column} < {low} OR t.{column} > {high})"),
                None => format!("t.{column} < {low}"),
            };
            add(format!("out_of_range_{column}"), predicate, Some(column));
        }
    };
    match table.name {
        "people" => range("imd_decile", 1, Some(10)),
        "fit_notes" => range("duration_days", 1, Some(365)),
        "programmes" | "area_programmes" => range("funding_gbp", 0, None),
        _ => {}
    }
    match table.name {
        "fit_notes" => add(
            "adjustments_on_not_fit_note".into(),
            "(t.assessment = 'not_fit' AND (t.phased_return OR t.altered_hours OR t.amended_duties OR t.workplace_adaptations))"
                .into(),
            Some("assessment"),
        ),
        "area_footprints" => add(
            "out_of_range_share".into(),
            "(t.share <= 0 OR t.share > 1)".into(),
            Some("share"),
        ),
        "employment" => {
            add(
                "month_not_first_day".into(),
                "date_part('day', t.month) <> 1".into(),
                Some("month"),
            );
            add(
                "negative_earnings_gbp".into(),
                "t.earnings_gbp < 0".into(),
                Some("earnings_gbp"),
            );
        }
        _ => {}
    }
    if !table.key.is_empty() {
        add(
            format!("duplicate_{}", table.key.join("_and_")),
            "__dup.__copies > 1".into(),
            None,
        );
    }
    for (column, _, _) in table.references {
        add(
            format!("orphan_{column}"),
            format!("(t.{column} IS NOT NULL AND __parent_{column}.__key IS NULL)"),
            Some(column),
        );
    }
    checks
}

/// The query that reads `raw_<table>` once and adds the `reason` column.
pub(super) fn annotate_sql(table: &InputTable, checks: &[Check], has_duplicates: bool) -> String {
    let columns = table
        .columns
        .iter()
        .map(|c| format!("t.{}", c.name))
        .collect::<Vec<_>>()
        .join(", ");
    let reasons = checks
        .iter()
        .map(|c| {
            // Without duplicate keys, the duplicate check cannot fail.
            let predicate = if !has_duplicates && c.name.starts_with("duplicate_") {
                "FALSE"
            } else {
                &c.predicate
            };
            format!("CASE WHEN {predicate} THEN {} END", sql_string(&c.name))
        })
        .collect::<Vec<_>>()
        .join(",\n        ");
    let mut sql = format!(
        "SELECT {columns},\n    NULLIF(concat_ws('; ',\n        {reasons}), '') AS reason\nFROM raw_{} t",
        table.name
    );
    if has_duplicates {
        let on = table
            .key
            .iter()
            .map(|k| format!("__dup.{k} = t.{k}"))
            .collect::<Vec<_>>()
            .join(" AND ");
        sql += &format!("\nLEFT JOIN duplicate_keys_{} __dup ON {on}", table.name);
    }
    for (column, parent, parent_column) in table.references {
        sql += &format!(
            "\nLEFT JOIN (SELECT DISTINCT {parent_column} AS __key FROM {parent}) __parent_{column} ON __parent_{column}.__key = t.{column}"
        );
    }
    sql
}

/// A label that identifies a row in a `data_quality` example.
pub(super) fn row_label(table: &InputTable) -> String {
    let parts = table
        .key
        .iter()
        .map(|k| format!("'{k}=', COALESCE(CAST({k} AS VARCHAR), 'NULL')"))
        .collect::<Vec<_>>()
        .join(", ' ', ");
    if parts.is_empty() {
        "''".into()
    } else {
        format!("concat({parts})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use contract::inputs::input_tables;

    fn table(name: &str) -> InputTable {
        input_tables().into_iter().find(|t| t.name == name).unwrap()
    }

    #[test]
    fn referral_checks_cover_the_contract() {
        let as_of = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let names: Vec<_> = checks(&table("referrals"), as_of)
            .into_iter()
            .map(|c| c.name)
            .collect();
        for expected in [
            "missing_referral_id",
            "unknown_programme",
            "unknown_referral_source",
            "unknown_primary_condition",
            "impossible_referral_date",
            "duplicate_referral_id",
            "orphan_person_id",
            "orphan_area_id",
        ] {
            assert!(
                names.iter().any(|n| n == expected),
                "{expected} missing from {names:?}"
            );
        }
    }

    #[test]
    fn nullable_columns_have_no_missing_check() {
        let as_of = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let names: Vec<_> = checks(&table("employment"), as_of)
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert!(!names.iter().any(|n| n == "missing_earnings_gbp"));
        assert!(names.iter().any(|n| n == "duplicate_person_id_and_month"));
    }

    #[test]
    fn enum_values_are_quoted() {
        assert_eq!(sql_string("O'Brien"), "'O''Brien'");
    }
}
