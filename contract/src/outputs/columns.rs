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

/// Declare a block of nullable-or-not columns shared by several tables.
/// Every field is a [`Cell`]; a count (`u64`) is never null, an `Option` is.
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

        impl $crate::outputs::Columns for $name {
            fn fields(_: &str, _: bool) -> Vec<datafusion::arrow::datatypes::Field> {
                vec![ $( datafusion::arrow::datatypes::Field::new(
                    stringify!($field),
                    <$ty as $crate::outputs::Cell>::data_type(),
                    true,
                ) ),* ]
            }

            fn arrays(values: Vec<Self>) -> Vec<datafusion::arrow::array::ArrayRef> {
                vec![ $( <$ty as $crate::outputs::Cell>::array(
                    values.iter().map(|v| v.$field.clone()).collect()
                ) ),* ]
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
}
pub(crate) use column_block;
