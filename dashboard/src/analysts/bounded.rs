//! Functions that could build one enormous value outside the memory pool
//! (DataFusion does not count a function's output against it):
//! `repeat('x', 2147483647)` makes 2 GiB in one call. Each is replaced, for
//! analysts' SQL, by the same function that first checks how large its
//! result would be and refuses a value over [`MOST_VALUE_BYTES`] or a call
//! over [`MOST_CALL_BYTES`]. A constant value is made once and then copied
//! into every row of a batch, so the analysts' engine also keeps batches to
//! 1,024 rows: at most 64 MiB of such copies at a time.

use datafusion::arrow::array::{ArrayRef, AsArray};
use datafusion::arrow::compute::{cast, kernels::length::length};
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::common::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
};
use datafusion::prelude::SessionContext;
use std::sync::Arc;

/// The largest value one call may make: 64 KiB.
pub const MOST_VALUE_BYTES: i64 = 64 << 10;
/// The most one call may make over a batch of rows: 16 MiB.
pub const MOST_CALL_BYTES: i64 = 16 << 20;

/// How a function's result size follows from its arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Size {
    /// `repeat(text, n)`: the text's bytes times n.
    Repeat,
    /// `lpad(text, n [, fill])`, `rpad`: n characters, up to 4 bytes each.
    Pad,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Bounded {
    inner: Arc<ScalarUDF>,
    size: Size,
}

fn ints(value: &ColumnarValue, rows: usize) -> Result<Vec<Option<i64>>> {
    let array: ArrayRef = value.clone().into_array(rows)?;
    let array = cast(&array, &DataType::Int64)?;
    Ok(array.as_primitive::<Int64Type>().iter().collect())
}

fn byte_lengths(value: &ColumnarValue, rows: usize) -> Result<Vec<Option<i64>>> {
    let array: ArrayRef = value.clone().into_array(rows)?;
    let array = cast(&array, &DataType::LargeUtf8)?;
    let lengths = length(&array)?;
    ints(&ColumnarValue::Array(lengths), rows)
}

impl Bounded {
    /// The largest value and the total the call would make.
    fn sizes(&self, args: &ScalarFunctionArgs) -> Result<(i64, i64)> {
        let rows = args.number_rows.max(1);
        let counts = ints(&args.args[1], rows)?;
        let per = match self.size {
            Size::Repeat => byte_lengths(&args.args[0], rows)?,
            Size::Pad => vec![Some(4); rows],
        };
        let sizes = counts
            .iter()
            .zip(&per)
            .map(|(n, b)| n.unwrap_or(0).max(0).saturating_mul(b.unwrap_or(0)));
        Ok(sizes.fold((0, 0), |(most, all): (i64, i64), s| {
            (most.max(s), all.saturating_add(s))
        }))
    }
}

impl ScalarUDFImpl for Bounded {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn aliases(&self) -> &[String] {
        self.inner.aliases()
    }
    fn signature(&self) -> &Signature {
        self.inner.signature()
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.inner.return_type(arg_types)
    }
    fn return_field_from_args(
        &self,
        args: ReturnFieldArgs,
    ) -> Result<datafusion::arrow::datatypes::FieldRef> {
        self.inner.return_field_from_args(args)
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.inner.coerce_types(arg_types)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        if args.args.len() >= 2 {
            let (largest, total) = self.sizes(&args)?;
            if largest > MOST_VALUE_BYTES {
                return Err(DataFusionError::ResourcesExhausted(format!(
                    "{}() would make a value of {largest} bytes, more than the {} KiB one value may have",
                    self.name(),
                    MOST_VALUE_BYTES >> 10
                )));
            }
            if total > MOST_CALL_BYTES {
                return Err(DataFusionError::ResourcesExhausted(format!(
                    "{}() would make {total} bytes over {} rows, more than the {} MiB one call may make",
                    self.name(),
                    args.number_rows,
                    MOST_CALL_BYTES >> 20
                )));
            }
        }
        self.inner.invoke_with_args(args)
    }
}

/// Replace `repeat`, `lpad` and `rpad` in `ctx` by their bounded forms.
pub fn register(ctx: &SessionContext) {
    for (inner, size) in [
        (datafusion::functions::string::repeat(), Size::Repeat),
        (datafusion::functions::unicode::lpad(), Size::Pad),
        (datafusion::functions::unicode::rpad(), Size::Pad),
    ] {
        ctx.register_udf(ScalarUDF::new_from_impl(Bounded { inner, size }));
    }
}
