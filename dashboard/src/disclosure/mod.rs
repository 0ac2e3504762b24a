//! Disclosure control, in one place. The contract: anything shown outside
//! the analyst role is rounded to the nearest 5, and any count below 10 is
//! suppressed and shown as `[c]`, with the rates built on it.
//!
//! [`control`] turns an exact evidence root (`contract::Evidence`) into
//! [`Published`]; nothing else in the crate can make a published value. The
//! value types ([`Count`], [`Share`], [`Effect`], [`Money`]) have private
//! fields and constructors visible only here, so a page, chart or export can
//! only ever hold a controlled value. This module knows nothing of HTTP,
//! templates or serialisation (`crate::presentation` writes the values).
//!
//! Choices beyond the contract's words, each on the cautious side:
//! - A rate is suppressed when its numerator, its denominator *or their
//!   difference* is below 10: a 97% rate of 105 would otherwise reveal the 3
//!   people not in work.
//! - Rates and effects are published to 0.1 percentage point, so a rate and
//!   its rounded count cannot be solved back to an exact count.
//! - An ATT or comparison rate is suppressed with its matched count.
//! - A DiD is suppressed when any of its four shares is.
//! - Secondary suppression: sites add up to their programme, and each
//!   subgroup dimension's values add up to the programme too. Where exactly
//!   one part of such a total is suppressed, it could be estimated as the
//!   total minus the others, so the smallest other part is suppressed as well
//!   (with the rate built on it). See [`policy::complementary`].
//! - Funnel limits are drawn at the published eligible count around the
//!   programme's published rate.

mod control;
pub mod policy;
mod published;

mod values;

pub use control::{SPINE, control, spine_value};
pub use policy::{FOOTNOTE, ROUNDING_BASE, SUPPRESSED, THRESHOLD, WITHHELD};
pub use published::*;
pub use values::{Calibrated, CostPerOutcome, Count, Effect, Money, Share, Significance};
