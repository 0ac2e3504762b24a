//! The dataset root's input tables (CONTRACT.md, "Inputs") as data: their
//! required columns and types, the enum values, keys and references.
//!
//! Everything that checks or reads the contract's inputs takes its names from
//! here, so the contract is written down once.

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use std::sync::Arc;

/// The four programmes, exactly as written in the contract.
pub const PROGRAMMES: [&str; 4] = [
    "WorkWell",
    "Health and Growth Accelerator",
    "Inactivity Trailblazer",
    "Youth Guarantee Trailblazer",
];
pub const AGE_BANDS: [&str; 4] = ["16-24", "25-34", "35-49", "50-64"];
pub const SEXES: [&str; 2] = ["Female", "Male"];
pub const REFERRAL_SOURCES: [&str; 6] = [
    "GP",
    "Self",
    "Employer",
    "Jobcentre Plus",
    "Other health service",
    "Other",
];
pub const CONDITIONS: [&str; 4] = [
    "Mental health",
    "Musculoskeletal",
    "Cardiovascular",
    "Other",
];
pub const ASSESSMENTS: [&str; 2] = ["not_fit", "may_be_fit"];
pub const STATUSES: [&str; 4] = [
    "employed",
    "unemployed",
    "inactive",
    "education_or_training",
];

/// The kind of value a required column holds. A file may store it in any
/// Arrow type of that kind (e.g. `int8` or `int64` for an integer, `utf8` or
/// `large_utf8` for text); it is read as [`ColumnKind::read_type`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Text,
    Integer,
    Float,
    Date,
    Boolean,
}

impl ColumnKind {
    /// The type the pipeline reads the column as. Integers are widened to
    /// `int64` so that an out-of-range value is quarantined by validation
    /// rather than failing a cast.
    pub fn read_type(self) -> DataType {
        match self {
            ColumnKind::Text => DataType::Utf8,
            ColumnKind::Integer => DataType::Int64,
            ColumnKind::Float => DataType::Float64,
            ColumnKind::Date => DataType::Date32,
            ColumnKind::Boolean => DataType::Boolean,
        }
    }

    /// Whether a column stored as `stored` can be read as this kind without
    /// losing meaning.
    pub fn accepts(self, stored: &DataType) -> bool {
        use DataType::*;
        match self {
            ColumnKind::Text => matches!(stored, Utf8 | LargeUtf8 | Utf8View),
            ColumnKind::Integer => stored.is_integer(),
            ColumnKind::Float => stored.is_floating() || stored.is_integer(),
            ColumnKind::Date => matches!(stored, Date32 | Date64),
            ColumnKind::Boolean => matches!(stored, Boolean),
        }
    }

    /// How the contract writes the type, for error messages.
    pub fn contract_name(self, column: &Column) -> &'static str {
        match (self, column.name) {
            (ColumnKind::Integer, "imd_decile") => "int8",
            (ColumnKind::Integer, "duration_days") => "int32",
            (ColumnKind::Integer, _) => "int64",
            (ColumnKind::Text, _) => "utf8",
            (ColumnKind::Float, _) => "float64",
            (ColumnKind::Date, _) => "date32",
            (ColumnKind::Boolean, _) => "boolean",
        }
    }
}

/// One required column of an input table.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: &'static str,
    pub kind: ColumnKind,
    /// Whether the contract allows nulls.
    pub nullable: bool,
    /// The allowed values, for a text enum.
    pub allowed: Option<&'static [&'static str]>,
}

const fn col(name: &'static str, kind: ColumnKind) -> Column {
    Column {
        name,
        kind,
        nullable: false,
        allowed: None,
    }
}

const fn nullable(name: &'static str, kind: ColumnKind) -> Column {
    Column {
        name,
        kind,
        nullable: true,
        allowed: None,
    }
}

const fn one_of(name: &'static str, allowed: &'static [&'static str]) -> Column {
    Column {
        name,
        kind: ColumnKind::Text,
        nullable: false,
        allowed: Some(allowed),
    }
}

/// One input table of the contract.
#[derive(Debug, Clone)]
pub struct InputTable {
    pub name: &'static str,
    pub columns: Vec<Column>,
    /// The columns whose combination must be unique.
    pub key: &'static [&'static str],
    /// Foreign keys: (column, referenced table, referenced column).
    pub references: &'static [(&'static str, &'static str, &'static str)],
    /// Whether a dataset root may leave the table out (or give it no rows):
    /// it then reads as empty.
    pub optional: bool,
}

impl InputTable {
    /// The schema the pipeline reads the table with: the required columns
    /// only (extra columns in a file are ignored), in the read types.
    pub fn read_schema(&self) -> SchemaRef {
        Arc::new(Schema::new(
            self.columns
                .iter()
                .map(|c| Field::new(c.name, c.kind.read_type(), true))
                .collect::<Vec<_>>(),
        ))
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// The input tables in dependency order: a table only references tables
/// before it, so validating in this order lets orphan checks use the
/// already-validated parents.
pub fn input_tables() -> Vec<InputTable> {
    use ColumnKind::*;
    vec![
        InputTable {
            name: "areas",
            columns: vec![
                col("area_id", Text),
                col("area_name", Text),
                col("region", Text),
            ],
            key: &["area_id"],
            references: &[],
            optional: false,
        },
        InputTable {
            name: "programmes",
            columns: vec![
                one_of("programme", &PROGRAMMES),
                col("funding_gbp", Integer),
                col("description", Text),
            ],
            key: &["programme"],
            references: &[],
            optional: false,
        },
        InputTable {
            name: "area_programmes",
            columns: vec![
                col("area_id", Text),
                one_of("programme", &PROGRAMMES),
                col("start_date", Date),
                nullable("funding_gbp", Integer),
            ],
            key: &["area_id", "programme"],
            references: &[("area_id", "areas", "area_id")],
            optional: false,
        },
        InputTable {
            name: "area_footprints",
            columns: vec![
                col("area_id", Text),
                col("lad_code", Text),
                col("share", Float),
                nullable("source", Text),
                nullable("source_date", Date),
            ],
            key: &["area_id", "lad_code"],
            references: &[("area_id", "areas", "area_id")],
            optional: true,
        },
        InputTable {
            name: "people",
            columns: vec![
                col("person_id", Text),
                col("area_id", Text),
                one_of("age_band", &AGE_BANDS),
                one_of("sex", &SEXES),
                col("imd_decile", Integer),
            ],
            key: &["person_id"],
            references: &[("area_id", "areas", "area_id")],
            optional: false,
        },
        InputTable {
            name: "referrals",
            columns: vec![
                col("referral_id", Text),
                col("person_id", Text),
                one_of("programme", &PROGRAMMES),
                col("area_id", Text),
                col("referral_date", Date),
                one_of("referral_source", &REFERRAL_SOURCES),
                one_of("primary_condition", &CONDITIONS),
                col("engaged", Boolean),
            ],
            key: &["referral_id"],
            references: &[
                ("person_id", "people", "person_id"),
                ("area_id", "areas", "area_id"),
            ],
            optional: false,
        },
        InputTable {
            name: "fit_notes",
            columns: vec![
                col("fit_note_id", Text),
                col("person_id", Text),
                col("area_id", Text),
                col("issue_date", Date),
                one_of("assessment", &ASSESSMENTS),
                col("duration_days", Integer),
                one_of("condition", &CONDITIONS),
                col("phased_return", Boolean),
                col("altered_hours", Boolean),
                col("amended_duties", Boolean),
                col("workplace_adaptations", Boolean),
            ],
            key: &["fit_note_id"],
            references: &[
                ("person_id", "people", "person_id"),
                ("area_id", "areas", "area_id"),
            ],
            optional: false,
        },
        InputTable {
            name: "employment",
            columns: vec![
                col("person_id", Text),
                col("month", Date),
                one_of("status", &STATUSES),
                nullable("earnings_gbp", Float),
            ],
            key: &["person_id", "month"],
            references: &[("person_id", "people", "person_id")],
            optional: false,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_point_backwards_in_dependency_order() {
        let tables = input_tables();
        for (i, t) in tables.iter().enumerate() {
            for (column, parent, parent_column) in t.references {
                assert!(t.column(column).is_some(), "{}.{column}", t.name);
                let p = tables.iter().position(|p| p.name == *parent).expect(parent);
                assert!(
                    p < i,
                    "{} references {} which is validated later",
                    t.name,
                    parent
                );
                assert!(tables[p].column(parent_column).is_some());
            }
            for k in t.key {
                assert!(t.column(k).is_some(), "{}.{k}", t.name);
            }
        }
    }

    #[test]
    fn integer_kind_accepts_any_width_but_not_text() {
        assert!(ColumnKind::Integer.accepts(&DataType::Int8));
        assert!(ColumnKind::Integer.accepts(&DataType::UInt32));
        assert!(!ColumnKind::Integer.accepts(&DataType::Utf8));
        assert!(!ColumnKind::Date.accepts(&DataType::Utf8));
        assert!(ColumnKind::Text.accepts(&DataType::Utf8View));
    }
}
