//! Typed access to the columns of small query results (aggregates collected
//! into memory), whatever Arrow type the engine chose for them.

use crate::error::{ContractError, Result};
use crate::metrics::Kind;
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::{cast, concat_batches};
use datafusion::arrow::datatypes::{DataType, Date32Type, Float64Type, Int64Type};

/// A small query result as one batch.
pub struct SmallResult {
    batch: RecordBatch,
    what: String,
    /// The metric view it came from: only its declared columns may be read,
    /// each as its declared kind (`crate::metrics`).
    view: Option<String>,
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
        Ok(SmallResult {
            batch,
            what,
            view: None,
        })
    }

    /// The collected rows of the metric view `view` (`SELECT * FROM view`):
    /// reading a column it does not declare, or as another kind, is an error.
    pub fn of_view(batches: &[RecordBatch], view: &str) -> Result<Self> {
        let mut result = SmallResult::new(batches, format!("sql/{view}.sql"))?;
        result.view = Some(view.to_string());
        Ok(result)
    }

    /// That `name` may be read as one of `kinds`.
    fn declared(&self, name: &str, kinds: &[Kind]) -> Result<()> {
        let Some(view) = &self.view else {
            return Ok(());
        };
        match crate::metrics::declared(view, name) {
            Some(kind) if kinds.contains(&kind) => Ok(()),
            Some(kind) => Err(ContractError::Invalid(format!(
                "{}: column `{name}` is declared as {kind:?} in contract::metrics but read as {kinds:?}",
                self.what
            ))),
            None => Err(ContractError::Invalid(format!(
                "{}: column `{name}` is read but not declared in contract::metrics; declare it there",
                self.what
            ))),
        }
    }

    pub fn num_rows(&self) -> usize {
        self.batch.num_rows()
    }

    /// Whether the result has a column `name` (for a metric view: declares
    /// one).
    pub fn has_column(&self, name: &str) -> bool {
        match &self.view {
            Some(view) => crate::metrics::declared(view, name).is_some(),
            None => self.batch.column_by_name(name).is_some(),
        }
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
        self.declared(name, &[Kind::Int, Kind::Count])?;
        let a = self.column_as(name, &DataType::Int64)?;
        Ok(a.as_primitive::<Int64Type>().iter().collect())
    }

    /// Counts: every value must be present and not negative. A null or a
    /// negative count is a metric query's bug (an unguarded outer join, a
    /// sum that should have been a count), never something to read as 0.
    pub fn counts(&self, name: &str) -> Result<Vec<u64>> {
        self.declared(name, &[Kind::Count])?;
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
        self.declared(name, &[Kind::Float])?;
        let a = self.column_as(name, &DataType::Float64)?;
        Ok(a.as_primitive::<Float64Type>().iter().collect())
    }

    /// Dates as days since 1970-01-01 (Arrow's `date32`; see [`date32`]).
    pub fn dates(&self, name: &str) -> Result<Vec<Option<i32>>> {
        self.declared(name, &[Kind::Date])?;
        let a = self.column_as(name, &DataType::Date32)?;
        Ok(a.as_primitive::<Date32Type>().iter().collect())
    }

    pub fn bools(&self, name: &str) -> Result<Vec<Option<bool>>> {
        self.declared(name, &[Kind::Bool])?;
        let a = self.column_as(name, &DataType::Boolean)?;
        Ok(a.as_boolean().iter().collect())
    }

    pub fn strings(&self, name: &str) -> Result<Vec<Option<String>>> {
        self.declared(name, &[Kind::Text])?;
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
    fn a_metric_views_columns_are_read_only_as_declared() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("eligible", DataType::Int64, true),
            Field::new("area_id", DataType::Int64, true),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from(vec![Some(4)])),
                Arc::new(Int64Array::from(vec![Some(1)])),
            ],
        )
        .unwrap();
        let r = SmallResult::of_view(&[batch], "comparison_strata").unwrap();
        assert_eq!(r.counts("eligible").unwrap(), [4]);
        let e = r.floats("eligible").unwrap_err();
        assert!(e.to_string().contains("declared as Count"), "{e}");
        let e = r.counts("in_work").unwrap_err();
        assert!(
            e.to_string().contains("not declared in contract::metrics"),
            "{e}"
        );
        assert!(!r.has_column("participants"));
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
