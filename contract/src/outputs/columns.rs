//! What a field of an output table's row struct contributes to the table:
//! one column (any [`Cell`]), or several (a block of columns that more than
//! one table carries, such as [`super::MatchedEffect`], declared once with
//! [`column_block!`] and flattened into each table under its own columns'
//! names).

use super::cell::{Cell, column};
use crate::error::Result;
use datafusion::arrow::array::{ArrayRef, RecordBatch};
use datafusion::arrow::datatypes::Field;

/// The columns one field of a row struct stands for.
pub trait Columns: Sized + Clone {
    /// The fields, for a field called `name` (a block ignores it: its
    /// columns keep their own names) with the table's nullability.
    fn fields(name: &str, nullable: bool) -> Vec<Field>;
    fn arrays(values: Vec<Self>) -> Vec<ArrayRef>;
    /// The values from `batch`; `location` names the file in errors.
    fn read(batch: &RecordBatch, name: &str, location: &str) -> Result<Vec<Self>>;
}

impl<T: Cell> Columns for T {
    fn fields(name: &str, nullable: bool) -> Vec<Field> {
        vec![Field::new(name, T::data_type(), nullable)]
    }
    fn arrays(values: Vec<Self>) -> Vec<ArrayRef> {
        vec![T::array(values)]
    }
    fn read(batch: &RecordBatch, name: &str, location: &str) -> Result<Vec<Self>> {
        T::read(
            column(batch, name, location)?,
            &format!("{location}: column `{name}`"),
        )
    }
}

/// Derive [`Columns`] for a struct from its fields, each of which is
/// itself [`Columns`] (a cell, or a block flattened in place); a field
/// marked `=> required` is a non-nullable column. Both a table's row
/// (`output_table!`) and a shared block (`column_block!`) are derived with
/// it, so the columns of either are built, written and read one way.
macro_rules! columns_of {
    ($name:ident { $( $field:ident : $ty:ty $(=> $required:ident)? ),* $(,)? }) => {
        impl $crate::outputs::Columns for $name {
            fn fields(_: &str, _: bool) -> Vec<datafusion::arrow::datatypes::Field> {
                let mut fields = Vec::new();
                $( fields.extend(<$ty as $crate::outputs::Columns>::fields(
                    stringify!($field),
                    !$crate::outputs::columns_of!(@required $($required)?),
                )); )*
                fields
            }

            fn arrays(values: Vec<Self>) -> Vec<datafusion::arrow::array::ArrayRef> {
                $( let mut $field: Vec<$ty> = Vec::with_capacity(values.len()); )*
                for value in values {
                    $( $field.push(value.$field); )*
                }
                let mut arrays = Vec::new();
                $( arrays.extend(<$ty as $crate::outputs::Columns>::arrays($field)); )*
                arrays
            }

            fn read(
                batch: &datafusion::arrow::array::RecordBatch,
                _: &str,
                location: &str,
            ) -> $crate::Result<Vec<Self>> {
                $(
                    let $field = <$ty as $crate::outputs::Columns>::read(
                        batch, stringify!($field), location,
                    )?;
                )*
                Ok((0..batch.num_rows())
                    .map(|i| $name { $( $field: $field[i].clone() ),* })
                    .collect())
            }
        }
    };
    (@required) => { false };
    (@required required) => { true };
}
pub(crate) use columns_of;

/// Declare a block of columns shared by several tables (every column
/// nullable, as a table's unmarked ones are).
macro_rules! column_block {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* pub $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Default)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        $crate::outputs::columns_of!($name { $( $field: $ty ),* });
    };
}
pub(crate) use column_block;
