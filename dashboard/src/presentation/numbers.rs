//! How published values are written: counts with thousands separators,
//! proportions as % or to 3 decimals, differences in percentage points,
//! pounds; `[c]` wherever a value is suppressed.

use crate::disclosure::{Count, Effect, Money, SUPPRESSED, Share, WITHHELD};

/// Thousands separators, for counts and pounds (the CLI's summary uses it
/// too).
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn percent(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

pub fn points(v: f64) -> String {
    // Rounded first, so a difference that rounds to nothing reads "0.0 pp",
    // not "-0.0 pp".
    let x = (v * 1000.0).round() / 10.0;
    if x == 0.0 {
        "0.0 pp".into()
    } else {
        format!("{x:+.1} pp")
    }
}

/// A value of an outcome as written in its unit: a share as %, months to
/// 0.1, pounds to £1; `signed` for a difference (pp, ±months, ±£).
pub fn in_unit(unit: contract::outcomes::Unit, v: f64, signed: bool) -> String {
    use contract::outcomes::Unit;
    match (unit, signed) {
        (Unit::Proportion, false) => percent(v),
        (Unit::Proportion, true) => points(v),
        (Unit::Months, false) => format!("{v:.1} months"),
        (Unit::Months, true) => {
            let x = (v * 10.0).round() / 10.0;
            if x == 0.0 {
                "0.0 months".into()
            } else {
                format!("{x:+.1} months")
            }
        }
        (Unit::Pounds, false) => format!("£{}", thousands(v.round().max(0.0) as u64)),
        (Unit::Pounds, true) => {
            let x = v.round();
            let sign = if x > 0.0 {
                "+"
            } else if x < 0.0 {
                "−"
            } else {
                ""
            };
            format!("{sign}£{}", thousands(x.abs() as u64))
        }
    }
}

fn plain_proportion(v: Option<f64>) -> String {
    v.map_or_else(|| SUPPRESSED.to_string(), |v| format!("{v:.3}"))
}

impl std::fmt::Display for Count {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.value() {
            Some(n) => f.write_str(&thousands(n)),
            None => f.write_str(SUPPRESSED),
        }
    }
}

impl Count {
    /// The machine-readable form (CSV): digits or `[c]`.
    pub fn plain(self) -> String {
        self.value()
            .map_or_else(|| SUPPRESSED.to_string(), |n| n.to_string())
    }
}

impl Share {
    /// The machine-readable form: a proportion to 3 decimals, or `[c]`.
    pub fn plain(self) -> String {
        plain_proportion(self.value())
    }
    pub fn plain_low(self) -> String {
        plain_proportion(self.interval().map(|i| i.0))
    }
    pub fn plain_high(self) -> String {
        plain_proportion(self.interval().map(|i| i.1))
    }
}

impl Effect {
    /// Machine-readable: a difference of proportions to 3 decimals, or `[c]`;
    /// an event study's reference month is 0 with no interval.
    pub fn plain(self) -> [String; 3] {
        match (self.value(), self.interval()) {
            (Some(v), Some((l, h))) => [v, l, h].map(|v| format!("{v:.3}")),
            _ if self.is_reference() => ["0.000".into(), String::new(), String::new()],
            _ if self.is_withheld() => std::array::from_fn(|_| WITHHELD.to_string()),
            _ => std::array::from_fn(|_| SUPPRESSED.to_string()),
        }
    }
}

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = self.value();
        if v >= 1_000_000.0 {
            write!(f, "£{:.1}m", v / 1_000_000.0)
        } else {
            write!(f, "£{}", thousands(v.round() as u64))
        }
    }
}

/// A proportion to 3 decimals, or `[c]` (for columns that are not a
/// [`Share`], such as a funnel limit).
pub fn plain(v: Option<f64>) -> String {
    plain_proportion(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_thousands() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn writes_percent_and_points() {
        assert_eq!(percent(0.6801), "68.0%");
        assert_eq!(points(0.0816), "+8.2 pp");
        assert_eq!(points(-0.004), "-0.4 pp");
        assert_eq!(plain(None), "[c]");
    }
}
