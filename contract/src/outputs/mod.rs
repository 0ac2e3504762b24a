//! The evidence root's output tables, one Rust type each: the row struct is
//! the table's definition (column names, types, nullability), and its Arrow
//! schema and its conversion to and from record batches are derived from
//! it. [`Tables`] holds one of each, so a table that is not written, or not
//! read, is a compile error; [`OUTPUT_TABLES`] is derived from it.
//!
//! Adding a column is a struct field (plus the SQL or estimator that fills
//! it): the writer and every reader pick it up. A block of columns several
//! tables carry (the matched effect) is one type, flattened into each.

mod cell;
mod columns;
mod fit_notes;
mod negative_controls;
mod sites;
mod tables;

pub use cell::{Cell, days};
pub use columns::Columns;
pub(crate) use columns::{column_block, columns_of};
pub use fit_notes::*;
pub use negative_controls::*;
pub use sites::*;
pub use tables::*;

use crate::error::{ContractError, Result};
use crate::root::Root;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::prelude::{ParquetReadOptions, SessionContext};

/// One output table's row type.
pub trait OutputTable: Sized {
    /// The table's name: `<evidence root>/<NAME>.parquet`.
    const NAME: &'static str;
    /// The columns whose combination is unique.
    const GRAIN: &'static [&'static str];
    fn schema() -> SchemaRef;
    fn to_batch(rows: &[Self]) -> Result<RecordBatch>;
    /// The rows of `batch`; `location` names the file in errors.
    fn from_batch(batch: &RecordBatch, location: &str) -> Result<Vec<Self>>;
}

/// Define an output table's row struct and derive its [`OutputTable`]
/// implementation. A field marked `=> required` is a non-nullable column.
macro_rules! output_table {
    (
        $(#[$meta:meta])*
        pub struct $name:ident = $table:literal, grain [$($grain:literal),*] {
            $( $(#[$fmeta:meta])* pub $field:ident : $ty:ty $(=> $required:ident)? ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        $crate::outputs::columns_of!($name { $( $field: $ty $(=> $required)? ),* });

        impl $crate::outputs::OutputTable for $name {
            const NAME: &'static str = $table;
            const GRAIN: &'static [&'static str] = &[$($grain),*];

            fn schema() -> datafusion::arrow::datatypes::SchemaRef {
                std::sync::Arc::new(datafusion::arrow::datatypes::Schema::new(
                    <Self as $crate::outputs::Columns>::fields($table, false),
                ))
            }

            fn to_batch(rows: &[Self]) -> $crate::Result<datafusion::arrow::array::RecordBatch> {
                datafusion::arrow::array::RecordBatch::try_new(
                    Self::schema(),
                    <Self as $crate::outputs::Columns>::arrays(rows.to_vec()),
                )
                .map_err(|e| $crate::ContractError::Invalid(format!("assembling {}: {e}", $table)))
            }

            fn from_batch(
                batch: &datafusion::arrow::array::RecordBatch,
                location: &str,
            ) -> $crate::Result<Vec<Self>> {
                <Self as $crate::outputs::Columns>::read(batch, $table, location)
            }
        }
    };
}
pub(crate) use output_table;

/// Declare the evidence root's tables once: the [`Tables`] struct, the list
/// of names, and reading and converting all of them.
macro_rules! evidence_tables {
    ($( $(#[$fmeta:meta])* $field:ident : $ty:ty ),* $(,)?) => {
        /// Every output table of one run, exact (for analysts).
        #[derive(Debug, Clone, PartialEq, Default)]
        pub struct Tables {
            $( $(#[$fmeta])* pub $field: Vec<$ty>, )*
        }

        /// The output tables, `<evidence root>/<table>.parquet`, in the order
        /// the contract lists them.
        pub const OUTPUT_TABLES: &[&str] = &[$( <$ty as OutputTable>::NAME ),*];

        // Each field of `Tables` is named after its table: checked when the
        // crate compiles, so the list is written once, here.
        const _: () = {
            $( assert!(
                const_str_eq(stringify!($field), <$ty as OutputTable>::NAME),
                "a field of Tables is not named after its table"
            ); )*
        };

        impl Tables {
            /// Each table as a record batch, with its name.
            pub fn batches(&self) -> Result<Vec<(&'static str, RecordBatch)>> {
                Ok(vec![$( (<$ty as OutputTable>::NAME, <$ty as OutputTable>::to_batch(&self.$field)?) ),*])
            }

            /// Read every table of the evidence root at `root`.
            pub async fn read(ctx: &SessionContext, root: &Root) -> Result<Tables> {
                Ok(Tables {
                    $( $field: read_table::<$ty>(ctx, root).await?, )*
                })
            }
        }
    };
}

evidence_tables! {
    programme_outcomes: ProgrammeOutcome,
    site_outcomes: SiteOutcome,
    site_funnels: SiteFunnel,
    site_quarters: SiteQuarter,
    subgroup_outcomes: SubgroupOutcome,
    fit_note_monthly: FitNoteMonthly,
    fit_note_did: FitNoteDid,
    fit_note_trend: FitNoteTrend,
    fit_note_areas: FitNoteArea,
    fit_note_group_time: FitNoteGroupTime,
    fit_note_event_study: FitNoteEventStudy,
    balance: Balance,
    outcome_effects: OutcomeEffect,
    negative_controls: NegativeControlEffect,
    data_quality: DataQuality,
}

/// `a == b`, in a constant.
const fn const_str_eq(a: &str, b: &str) -> bool {
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

/// Read one output table of the evidence root at `root`.
pub async fn read_table<T: OutputTable>(ctx: &SessionContext, root: &Root) -> Result<Vec<T>> {
    let location = root.join(&format!("{}.parquet", T::NAME));
    let unreadable = |e: &dyn std::fmt::Display| ContractError::Evidence {
        location: location.clone(),
        problem: format!(
            "cannot read the table ({e}); rerun `evidence run` to rewrite the evidence root"
        ),
    };
    let frame = ctx
        .read_parquet(&location, ParquetReadOptions::default())
        .await
        .map_err(|e| unreadable(&e))?;
    let schema = frame.schema().inner().clone();
    let batches = frame.collect().await.map_err(|e| unreadable(&e))?;
    let batch = datafusion::arrow::compute::concat_batches(&schema, &batches)
        .map_err(|e| unreadable(&e))?;
    T::from_batch(&batch, &location).map_err(|e| match e {
        ContractError::Evidence { .. } => e,
        other => unreadable(&other),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The contract's six required tables come first, in its order, and
    /// every name is distinct (the fields' names are checked against the
    /// tables' at compile time).
    #[test]
    fn the_contracts_tables_are_all_written_and_names_are_distinct() {
        for required in [
            "programme_outcomes",
            "site_outcomes",
            "subgroup_outcomes",
            "fit_note_monthly",
            "fit_note_did",
            "data_quality",
        ] {
            assert!(
                OUTPUT_TABLES.contains(&required),
                "{required} is not written"
            );
        }
        let distinct: std::collections::BTreeSet<_> = OUTPUT_TABLES.iter().collect();
        assert_eq!(distinct.len(), OUTPUT_TABLES.len());
        assert_eq!(
            const_str_eq("balance", "balance"),
            !const_str_eq("balance", "balanced")
        );
    }

    #[test]
    fn rows_survive_a_record_batch() {
        let rows = vec![DataQuality {
            table_name: "people".into(),
            check_name: "unknown_sex".into(),
            rows_failed: 2,
            example: None,
        }];
        let batch = DataQuality::to_batch(&rows).unwrap();
        assert_eq!(batch.schema(), DataQuality::schema());
        assert_eq!(DataQuality::from_batch(&batch, "dq").unwrap(), rows);
    }

    #[test]
    fn a_missing_column_names_the_file_and_what_to_do() {
        let batch = DataQuality::to_batch(&[]).unwrap();
        let narrower = batch.project(&[0, 1]).unwrap();
        let e = DataQuality::from_batch(&narrower, "evidence/data_quality.parquet").unwrap_err();
        assert!(
            e.to_string()
                .contains("evidence/data_quality.parquet: no column `rows_failed`; rerun"),
            "{e}"
        );
    }

    #[test]
    fn required_columns_are_not_nullable() {
        let schema = FitNoteMonthly::schema();
        assert!(!schema.field_with_name("fit_notes").unwrap().is_nullable());
        assert!(schema.field_with_name("may_be_fit").unwrap().is_nullable());
    }
}
