//! How published figures are written for people and programs: number
//! formats, URL slugs, labels, serialisation for templates and JSON, and the
//! commissioners' tables. Everything here takes `crate::disclosure` values,
//! so nothing it writes can be an exact figure.

pub mod labels;
pub mod numbers;
pub mod serialise;
pub mod slugs;
pub mod source;
pub mod tables;

pub use labels::dimension_label;
pub use numbers::{percent, points, thousands};
pub use serialise::{PRETREND_CAUTION, p_value};
pub use slugs::slug;
pub use source::source;
