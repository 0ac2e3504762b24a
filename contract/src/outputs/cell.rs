//! The Rust types an output column can have, each with its Arrow type and
//! its conversion to and from an Arrow array. Reading casts whatever type a
//! file stored (`Utf8View`, `Int32`, ...) to the declared one, so roots written
//! by other engines read too.

use crate::error::{ContractError, Result};
use crate::small::date32;
use crate::vocabulary::{
    AreaSet, Arm, Dimension, FunnelFlag, Period, Side, SiteIndicator, Tau2Source, Trend,
};
use chrono::NaiveDate;
use datafusion::arrow::array::{
    ArrayRef, AsArray, BooleanArray, Date32Array, Float64Array, Int64Array, StringArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Date32Type, Float64Type, Int64Type};
use std::sync::Arc;

/// One cell of an output table.
pub trait Cell: Sized + Clone {
    fn data_type() -> DataType;
    fn array(values: Vec<Self>) -> ArrayRef;
    /// The column's values; `what` names the table and column in errors.
    fn read(column: &ArrayRef, what: &str) -> Result<Vec<Self>>;
}

fn cast_to(column: &ArrayRef, to: &DataType, what: &str) -> Result<ArrayRef> {
    cast(column, to).map_err(|e| ContractError::Invalid(format!("{what} is not {to}: {e}")))
}

fn null_in(what: &str, row: usize) -> ContractError {
    ContractError::Invalid(format!(
        "{what} is null in row {row}, where a value is required"
    ))
}

/// Days since 1970-01-01 of a date (Arrow's `date32`).
pub fn days(date: NaiveDate) -> i32 {
    date.signed_duration_since(NaiveDate::default())
        .num_days()
        .try_into()
        .unwrap_or(i32::MAX)
}

impl Cell for String {
    fn data_type() -> DataType {
        DataType::Utf8
    }
    fn array(values: Vec<Self>) -> ArrayRef {
        Arc::new(values.into_iter().map(Some).collect::<StringArray>())
    }
    fn read(column: &ArrayRef, what: &str) -> Result<Vec<Self>> {
        Option::<String>::read(column, what)?
            .into_iter()
            .enumerate()
            .map(|(i, v)| v.ok_or_else(|| null_in(what, i)))
            .collect()
    }
}

impl Cell for Option<String> {
    fn data_type() -> DataType {
        DataType::Utf8
    }
    fn array(values: Vec<Self>) -> ArrayRef {
        Arc::new(values.into_iter().collect::<StringArray>())
    }
    fn read(column: &ArrayRef, what: &str) -> Result<Vec<Self>> {
        let a = cast_to(column, &DataType::Utf8, what)?;
        Ok(a.as_string::<i32>()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect())
    }
}

/// A count: stored as `int64`, never null or negative (either is an error
/// naming the table, column and row: a root some other engine wrote wrongly).
impl Cell for u64 {
    fn data_type() -> DataType {
        DataType::Int64
    }
    fn array(values: Vec<Self>) -> ArrayRef {
        Arc::new(
            values
                .into_iter()
                .map(|v| i64::try_from(v).unwrap_or(i64::MAX))
                .collect::<Int64Array>(),
        )
    }
    fn read(column: &ArrayRef, what: &str) -> Result<Vec<Self>> {
        Option::<i64>::read(column, what)?
            .into_iter()
            .enumerate()
            .map(|(i, v)| match v {
                Some(v) if v >= 0 => Ok(v as u64),
                Some(v) => Err(ContractError::Invalid(format!(
                    "{what} is {v} in row {i}, where a count (0 or more) is required"
                ))),
                None => Err(null_in(what, i)),
            })
            .collect()
    }
}

impl Cell for Option<i64> {
    fn data_type() -> DataType {
        DataType::Int64
    }
    fn array(values: Vec<Self>) -> ArrayRef {
        Arc::new(values.into_iter().collect::<Int64Array>())
    }
    fn read(column: &ArrayRef, what: &str) -> Result<Vec<Self>> {
        let a = cast_to(column, &DataType::Int64, what)?;
        Ok(a.as_primitive::<Int64Type>().iter().collect())
    }
}

impl Cell for i64 {
    fn data_type() -> DataType {
        DataType::Int64
    }
    fn array(values: Vec<Self>) -> ArrayRef {
        Arc::new(values.into_iter().collect::<Int64Array>())
    }
    fn read(column: &ArrayRef, what: &str) -> Result<Vec<Self>> {
        Option::<i64>::read(column, what)?
            .into_iter()
            .enumerate()
            .map(|(i, v)| v.ok_or_else(|| null_in(what, i)))
            .collect()
    }
}

impl Cell for bool {
    fn data_type() -> DataType {
        DataType::Boolean
    }
    fn array(values: Vec<Self>) -> ArrayRef {
        Arc::new(values.into_iter().map(Some).collect::<BooleanArray>())
    }
    fn read(column: &ArrayRef, what: &str) -> Result<Vec<Self>> {
        let a = cast_to(column, &DataType::Boolean, what)?;
        a.as_boolean()
            .iter()
            .enumerate()
            .map(|(i, v)| v.ok_or_else(|| null_in(what, i)))
            .collect()
    }
}

impl Cell for Option<f64> {
    fn data_type() -> DataType {
        DataType::Float64
    }
    fn array(values: Vec<Self>) -> ArrayRef {
        Arc::new(values.into_iter().collect::<Float64Array>())
    }
    fn read(column: &ArrayRef, what: &str) -> Result<Vec<Self>> {
        let a = cast_to(column, &DataType::Float64, what)?;
        Ok(a.as_primitive::<Float64Type>().iter().collect())
    }
}

impl Cell for Option<NaiveDate> {
    fn data_type() -> DataType {
        DataType::Date32
    }
    fn array(values: Vec<Self>) -> ArrayRef {
        Arc::new(
            values
                .into_iter()
                .map(|d| d.map(days))
                .collect::<Date32Array>(),
        )
    }
    fn read(column: &ArrayRef, what: &str) -> Result<Vec<Self>> {
        let a = cast_to(column, &DataType::Date32, what)?;
        Ok(a.as_primitive::<Date32Type>()
            .iter()
            .map(|d| d.and_then(date32))
            .collect())
    }
}

impl Cell for NaiveDate {
    fn data_type() -> DataType {
        DataType::Date32
    }
    fn array(values: Vec<Self>) -> ArrayRef {
        Option::<NaiveDate>::array(values.into_iter().map(Some).collect())
    }
    fn read(column: &ArrayRef, what: &str) -> Result<Vec<Self>> {
        Option::<NaiveDate>::read(column, what)?
            .into_iter()
            .enumerate()
            .map(|(i, v)| v.ok_or_else(|| null_in(what, i)))
            .collect()
    }
}

/// A vocabulary value (`crate::vocabulary`): stored as its SQL literal; a
/// value that is not one of them is an error naming it.
macro_rules! vocabulary_cell {
    ($($ty:ty),*) => {$(
        impl Cell for $ty {
            fn data_type() -> DataType {
                DataType::Utf8
            }
            fn array(values: Vec<Self>) -> ArrayRef {
                String::array(values.into_iter().map(|v| v.as_str().to_string()).collect())
            }
            fn read(column: &ArrayRef, what: &str) -> Result<Vec<Self>> {
                String::read(column, what)?
                    .into_iter()
                    .map(|v| {
                        <$ty>::parse(&v).ok_or_else(|| {
                            ContractError::Invalid(format!(
                                "{what} holds `{v}`, which is none of {:?}",
                                <$ty>::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>()
                            ))
                        })
                    })
                    .collect()
            }
        }
    )*};
}

vocabulary_cell!(
    crate::outcomes::NegativeControl,
    crate::outcomes::Outcome,
    crate::outcomes::Role,
    crate::outcomes::Unit,
    Arm,
    Side,
    Period,
    Dimension,
    FunnelFlag,
    AreaSet,
    Tau2Source,
    SiteIndicator,
    Trend
);

/// A vocabulary value that may be absent (null).
macro_rules! optional_vocabulary_cell {
    ($($ty:ty),*) => {$(
        impl Cell for Option<$ty> {
            fn data_type() -> DataType {
                DataType::Utf8
            }
            fn array(values: Vec<Self>) -> ArrayRef {
                <Option<String>>::array(values.into_iter().map(|v| v.map(|v| v.as_str().to_string())).collect())
            }
            fn read(column: &ArrayRef, what: &str) -> Result<Vec<Self>> {
                <Option<String>>::read(column, what)?
                    .into_iter()
                    .map(|v| match v {
                        None => Ok(None),
                        Some(v) => <$ty>::parse(&v).map(Some).ok_or_else(|| {
                            ContractError::Invalid(format!(
                                "{what} holds `{v}`, which is none of {:?}",
                                <$ty>::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>()
                            ))
                        }),
                    })
                    .collect()
            }
        }
    )*};
}

optional_vocabulary_cell!(FunnelFlag);

/// A column of `batch` by name, or an error naming it.
pub fn column<'a>(
    batch: &'a datafusion::arrow::array::RecordBatch,
    name: &str,
    location: &str,
) -> Result<&'a ArrayRef> {
    batch
        .column_by_name(name)
        .ok_or_else(|| ContractError::Evidence {
            location: location.to_string(),
            problem: format!(
                "no column `{name}`; rerun `evidence run` to rewrite the evidence root with this version"
            ),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        // 2024-01-01 is day 19,723; January to September 2024 add 274.
        let d = NaiveDate::from_ymd_opt(2024, 10, 1).unwrap();
        let a = NaiveDate::array(vec![d]);
        assert_eq!(a.as_primitive::<Date32Type>().value(0), 19_997);
        assert_eq!(NaiveDate::read(&a, "t.c").unwrap(), vec![d]);
    }

    #[test]
    fn counts_read_any_integer_and_refuse_a_null_or_a_negative() {
        let a: ArrayRef = Arc::new(datafusion::arrow::array::Int32Array::from(vec![
            Some(3),
            Some(0),
        ]));
        assert_eq!(u64::read(&a, "t.c").unwrap(), vec![3, 0]);
        let a: ArrayRef = Arc::new(datafusion::arrow::array::Int32Array::from(vec![
            Some(3),
            None,
        ]));
        let e = u64::read(&a, "t.c").unwrap_err();
        assert!(e.to_string().contains("t.c is null in row 1"), "{e}");
        let a: ArrayRef = Arc::new(datafusion::arrow::array::Int64Array::from(vec![-1]));
        let e = u64::read(&a, "t.c").unwrap_err();
        assert!(e.to_string().contains("t.c is -1 in row 0"), "{e}");
    }

    #[test]
    fn a_null_where_a_value_is_required_is_named() {
        let a = Option::<String>::array(vec![Some("x".into()), None]);
        let e = String::read(&a, "site_outcomes.area_id").unwrap_err();
        assert!(
            e.to_string()
                .contains("site_outcomes.area_id is null in row 1")
        );
    }
}
