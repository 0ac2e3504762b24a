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

    /// Non-negative counts; a null count (an empty sum) is zero.
    pub fn counts(&self, name: &str) -> Result<Vec<u64>> {
        Ok(self
            .ints(name)?
            .into_iter()
            .map(|v| v.unwrap_or(0).max(0) as u64)
            .collect())
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
