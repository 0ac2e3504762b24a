//! Typed access to the columns of small query results (aggregates collected
//! into memory), whatever Arrow type the engine chose for them.

use crate::error::{ContractError, Result};
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::{cast, concat_batches};
use datafusion::arrow::datatypes::{DataType, Date32Type, Float64Type, Int64Type};

/// A small query result as one batch.
pub struct SmallResult {
    batch: RecordBatch,
    what: String,
}

impl SmallResult {
    /// Concatenate the batches of a collected result; `what` names the query
    /// in error messages.
    pub fn new(batches: &[RecordBatch], what: impl Into<String>) -> Result<Self> {
        let what = what.into();
        let schema = batches.first().map(|b| b.schema()).ok_or_else(|| {
            ContractError::Invalid(format!("{what}: the query returned no schema"))
        })?;
        let batch = concat_batches(&schema, batches)
            .map_err(|e| ContractError::Invalid(format!("{what}: {e}")))?;
        Ok(SmallResult { batch, what })
    }

    pub fn num_rows(&self) -> usize {
        self.batch.num_rows()
    }

    /// Whether the result has a column `name`.
    pub fn has_column(&self, name: &str) -> bool {
        self.batch.column_by_name(name).is_some()
    }

    fn column_as(&self, name: &str, to: &DataType) -> Result<std::sync::Arc<dyn Array>> {
        let column = self.batch.column_by_name(name).ok_or_else(|| {
            ContractError::Invalid(format!("{}: no column `{name}` in the result", self.what))
        })?;
        cast(column, to).map_err(|e| {
            ContractError::Invalid(format!("{}: column `{name}` is not {to}: {e}", self.what))
        })
    }

    pub fn ints(&self, name: &str) -> Result<Vec<Option<i64>>> {
        let a = self.column_as(name, &DataType::Int64)?;
        Ok(a.as_primitive::<Int64Type>().iter().collect())
    }

    /// Counts: every value must be present and not negative. A null or a
    /// negative count is a metric query's bug (an unguarded outer join, a
    /// sum that should have been a count), never something to read as 0.
    pub fn counts(&self, name: &str) -> Result<Vec<u64>> {
        self.ints(name)?
            .into_iter()
            .enumerate()
            .map(|(row, v)| match v {
                Some(v) if v >= 0 => Ok(v as u64),
                other => Err(ContractError::Invalid(format!(
                    "{}: column `{name}` row {row} is {}, where a count (0 or more) is required: \
                     the query must count so that nothing counted is 0 (a COALESCE around a sum)",
                    self.what,
                    other.map_or("null".to_string(), |v| v.to_string()),
                ))),
            })
            .collect()
    }

    pub fn floats(&self, name: &str) -> Result<Vec<Option<f64>>> {
        let a = self.column_as(name, &DataType::Float64)?;
        Ok(a.as_primitive::<Float64Type>().iter().collect())
    }

    /// Dates as days since 1970-01-01 (Arrow's `date32`; see [`date32`]).
    pub fn dates(&self, name: &str) -> Result<Vec<Option<i32>>> {
        let a = self.column_as(name, &DataType::Date32)?;
        Ok(a.as_primitive::<Date32Type>().iter().collect())
    }

    pub fn bools(&self, name: &str) -> Result<Vec<Option<bool>>> {
        let a = self.column_as(name, &DataType::Boolean)?;
        Ok(a.as_boolean().iter().collect())
    }

    pub fn strings(&self, name: &str) -> Result<Vec<Option<String>>> {
        let a = self.column_as(name, &DataType::Utf8)?;
        Ok(a.as_string::<i32>()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect())
    }
}

/// The calendar date of an Arrow `date32` (days since 1970-01-01).
pub fn date32(days: i32) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?
        .checked_add_signed(chrono::Duration::days(days.into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::Int64Array;
    use datafusion::arrow::datatypes::{Field, Schema};
    use std::sync::Arc;

    fn result(values: Vec<Option<i64>>) -> SmallResult {
        let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, true)]));
        let batch = RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(values))]).unwrap();
        SmallResult::new(&[batch], "view `v`").unwrap()
    }

    #[test]
    fn counts_read_exactly() {
        assert_eq!(result(vec![Some(0), Some(7)]).counts("n").unwrap(), [0, 7]);
    }

    #[test]
    fn a_null_or_negative_count_is_an_error_naming_the_view_column_and_row() {
        let e = result(vec![Some(1), None]).counts("n").unwrap_err();
        assert!(
            e.to_string().contains("view `v`: column `n` row 1 is null"),
            "{e}"
        );
        let e = result(vec![Some(-2)]).counts("n").unwrap_err();
        assert!(e.to_string().contains("row 0 is -2"), "{e}");
    }
}
