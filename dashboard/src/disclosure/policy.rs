//! The disclosure policy: thresholds, rounding, and which parts of a total
//! to suppress so that none can be had by difference.

/// Counts below this are suppressed.
pub const THRESHOLD: u64 = 10;
/// Shown counts are rounded to the nearest multiple of this.
pub const ROUNDING_BASE: u64 = 5;

/// The mark a suppressed value is shown as.
pub const SUPPRESSED: &str = "[c]";

/// The mark an effect withheld by its programme's failed diagnostics is
/// shown as in machine-readable tables.
pub const WITHHELD: &str = "[withheld]";

/// The footnote every page carries.
pub const FOOTNOTE: &str = "Disclosure control: counts are rounded to the nearest 5, and counts \
below 10 are suppressed and shown as [c], together with any rate, interval or effect built on \
them; where a single [c] could be worked out from a total, the next smallest figure is \
suppressed too. Rates, intervals, effects, shares, funnel positions and costs are computed from \
the rounded counts, so no figure can be worked back to an exact count; they are shown to 0.1 \
percentage point. Analysts with access to the exact tables see unrounded figures.";

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
/// total and the published parts. "Smallest" is judged on the rounded
/// counts (ties to the first), so which part is chosen says nothing about
/// exact counts a reader cannot already see.
pub fn complementary(parts: &[u64], total: u64) -> Vec<bool> {
    let mut hidden: Vec<bool> = parts.iter().map(|&n| n < THRESHOLD).collect();
    if total >= THRESHOLD && hidden.iter().filter(|&&h| h).count() == 1 {
        let smallest = (0..parts.len())
            .filter(|&i| !hidden[i])
            .min_by_key(|&i| (round_to_base(parts[i]), i));
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

/// Secondary suppression over groups that may overlap (an area's month of
/// fit notes is part of the total of every programme it runs): `groups` are
/// (member indices into `values`, the group's exact total). A member is
/// hidden when small, and where a group with a published total has exactly
/// one hidden member, its smallest other member is hidden too; hiding one
/// can leave another group with a lone hidden member, so this repeats until
/// no group has one.
pub fn hidden_in_overlapping_groups(values: &[u64], groups: &[(Vec<usize>, u64)]) -> Vec<bool> {
    let mut hidden: Vec<bool> = values.iter().map(|&v| v < THRESHOLD).collect();
    loop {
        let mut changed = false;
        for (members, total) in groups {
            if *total < THRESHOLD || members.iter().filter(|&&i| hidden[i]).count() != 1 {
                continue;
            }
            if let Some(&i) = members
                .iter()
                .filter(|&&i| !hidden[i])
                .min_by_key(|&&i| (round_to_base(values[i]), i))
            {
                hidden[i] = true;
                changed = true;
            }
        }
        if !changed {
            return hidden;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_have_three_significant_figures() {
        assert_eq!(three_significant_figures(12_345.6), 12_300.0);
        assert_eq!(three_significant_figures(97_179.77), 97_200.0);
    }

    /// Exact 12 and 11 both publish as 10: the first is chosen either way,
    /// so the choice does not tell a reader which is smaller.
    #[test]
    fn the_complementary_part_is_chosen_on_rounded_counts() {
        assert_eq!(complementary(&[12, 11, 4], 40), [true, false, true]);
        assert_eq!(complementary(&[11, 12, 4], 40), [true, false, true]);
        assert_eq!(complementary(&[13, 12, 4], 40), [false, true, true]);
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

    #[test]
    fn overlapping_groups_are_suppressed_until_none_has_a_lone_hidden_member() {
        // Values 0: 4 (small), 1: 30, 2: 40, 3: 50. Group A = {0, 1, 2}
        // hides 1 (the smallest other); group B = {1, 3} then has 1 alone
        // and hides 3.
        let groups = vec![(vec![0, 1, 2], 74), (vec![1, 3], 80)];
        assert_eq!(
            hidden_in_overlapping_groups(&[4, 30, 40, 50], &groups),
            [true, true, false, true]
        );
        // Without a published total nothing more is hidden.
        assert_eq!(
            hidden_in_overlapping_groups(&[4, 30], &[(vec![0, 1], 9)]),
            [true, false]
        );
    }
}
