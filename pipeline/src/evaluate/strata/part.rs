//! One part of a stratum key held inline: the contract's vocabularies and
//! `index_period` are a few bytes long, so keys are copied, compared and
//! hashed without touching the heap (with strings, parsing, sorting and
//! dropping hundreds of thousands of keys per outcome took a third of a
//! run's estimator time at 1M people). Ordered as its text is, byte by byte.

use std::cmp::Ordering;
use std::fmt;

/// The longest part a stratum key may hold, in bytes.
pub const PART_BYTES: usize = 23;

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Part {
    len: u8,
    /// The text, then zeros (so equal texts are equal arrays).
    bytes: [u8; PART_BYTES],
}

impl Part {
    /// The part holding `text`, or none when it is longer than
    /// [`PART_BYTES`].
    pub fn new(text: &str) -> Option<Part> {
        let len = text.len();
        if len > PART_BYTES {
            return None;
        }
        let mut bytes = [0u8; PART_BYTES];
        bytes[..len].copy_from_slice(text.as_bytes());
        Some(Part {
            len: len as u8,
            bytes,
        })
    }

    pub fn as_str(&self) -> &str {
        // Built from a `&str` whole, so always valid UTF-8.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl Ord for Part {
    fn cmp(&self, other: &Self) -> Ordering {
        self.bytes[..usize::from(self.len)].cmp(&other.bytes[..usize::from(other.len)])
    }
}

impl PartialOrd for Part {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Debug for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_order_as_their_text_does() {
        let words = [
            "",
            "a",
            "ab",
            "abc",
            "b",
            "education_or_training",
            "employed",
            "16-24",
            "2024-Q1",
            "2024-Q2",
            "Female",
            "Male",
        ];
        for a in words {
            for b in words {
                let (pa, pb) = (Part::new(a).unwrap(), Part::new(b).unwrap());
                assert_eq!(pa.cmp(&pb), a.cmp(b), "{a} {b}");
                assert_eq!(pa == pb, a == b, "{a} {b}");
                assert_eq!(Some(pa).cmp(&None), Some(a).cmp(&None));
            }
            assert_eq!(Part::new(a).unwrap().as_str(), a);
        }
        assert!(Part::new(&"x".repeat(PART_BYTES)).is_some());
        assert!(Part::new(&"x".repeat(PART_BYTES + 1)).is_none());
    }
}
