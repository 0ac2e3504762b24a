//! The disclosure policy: thresholds, rounding, and which parts of a total
//! to suppress so that none can be had by difference.

/// Counts below this are suppressed.
pub const THRESHOLD: u64 = 10;
/// Shown counts are rounded to the nearest multiple of this.
pub const ROUNDING_BASE: u64 = 5;

/// The mark a suppressed value is shown as.
pub const SUPPRESSED: &str = "[c]";

/// The footnote every page carries.
pub const FOOTNOTE: &str = "Disclosure control: counts are rounded to the nearest 5, and counts \
below 10 are suppressed and shown as [c], together with any rate, interval or effect built on \
them; where a single [c] could be worked out from a total, the next smallest figure is \
suppressed too. Rates are shown to 0.1 percentage point. Analysts with access to the exact tables see \
unrounded figures.";

pub fn round_to_base(n: u64) -> u64 {
    (n + ROUNDING_BASE / 2) / ROUNDING_BASE * ROUNDING_BASE
}

/// Proportions are published to 0.001 (0.1 percentage point).
pub fn round_share(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// Costs are published to 3 significant figures.
pub fn three_significant_figures(v: f64) -> f64 {
    if v <= 0.0 || !v.is_finite() {
        return v;
    }
    let scale = 10f64.powi(v.log10().floor() as i32 - 2);
    (v / scale).round() * scale
}

/// Which parts of a total to suppress: the small ones, and, where that
/// leaves exactly one suppressed part under a published total, the smallest
/// other part too, so that no suppressed part is the difference between the
/// total and the published parts.
pub fn complementary(parts: &[u64], total: u64) -> Vec<bool> {
    let mut hidden: Vec<bool> = parts.iter().map(|&n| n < THRESHOLD).collect();
    if total >= THRESHOLD && hidden.iter().filter(|&&h| h).count() == 1 {
        let smallest = (0..parts.len())
            .filter(|&i| !hidden[i])
            .min_by_key(|&i| (parts[i], i));
        if let Some(i) = smallest {
            hidden[i] = true;
        }
    }
    hidden
}

/// [`complementary`] over `rows` grouped by `group`, for one `measure`
/// whose group total is `total` (`None`: the group has no published total).
pub fn hidden_in_groups<T, K: Ord + Clone>(
    rows: &[T],
    group: impl Fn(&T) -> K,
    measure: impl Fn(&T) -> u64,
    total: impl Fn(&K) -> Option<u64>,
) -> Vec<bool> {
    let mut members: std::collections::BTreeMap<K, Vec<usize>> = Default::default();
    for (i, row) in rows.iter().enumerate() {
        members.entry(group(row)).or_default().push(i);
    }
    let mut hidden = vec![false; rows.len()];
    for (key, indices) in members {
        let parts: Vec<u64> = indices.iter().map(|&i| measure(&rows[i])).collect();
        // Without a total, no part can be had by difference.
        let flags = complementary(&parts, total(&key).unwrap_or(0));
        for (i, flag) in indices.into_iter().zip(flags) {
            hidden[i] = flag;
        }
    }
    hidden
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_have_three_significant_figures() {
        assert_eq!(three_significant_figures(12_345.6), 12_300.0);
        assert_eq!(three_significant_figures(97_179.77), 97_200.0);
    }

    #[test]
    fn a_lone_suppressed_part_takes_the_smallest_other_with_it() {
        // 4 would be 100 - 60 - 36 (give or take the rounding).
        assert_eq!(complementary(&[60, 36, 4], 100), [false, true, true]);
        // Two suppressed already: nothing more to do.
        assert_eq!(complementary(&[60, 3, 4], 67), [false, true, true]);
        // The total itself is suppressed.
        assert_eq!(complementary(&[5, 3], 8), [true, true]);
        // Nothing small.
        assert_eq!(complementary(&[60, 40], 100), [false, false]);
        // A tie goes to the first.
        assert_eq!(complementary(&[20, 20, 2], 42), [true, false, true]);
    }
}
