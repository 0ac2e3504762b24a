//! What a generated person's record holds beyond the index month's model: a
//! status for every month before their work history (one monthly process,
//! so that the areas' levels, gaps and trends reach the months the negative
//! controls look at), and a second programme for some participants
//! (co-enrolment).

use super::*;

/// Before the work history's window (the 12 months before the index month,
/// which the strata hold through the months 3, 6 and 12 before), each month
/// keeps the next month's status with this probability and is otherwise
/// drawn afresh from that month's status weights (`status_weights`: the
/// area's level, and for a programme area its gap and trend that month).
pub(crate) const EARLIER_PERSISTENCE: f64 = 0.8;

/// Of the participants who could also be referred to another programme
/// (one live at their index month in their own area, or in an area
/// overlapping theirs on the ground), the share who are, on the same day.
pub(crate) const CO_ENROLMENT_SHARE: f64 = 0.1;

/// A person's own random stream for what was added after the first model
/// (the earlier months and co-enrolment), so that every other draw of a
/// seed stays as it was.
pub(crate) fn person_stream(seed: u64, n: u64) -> Pcg64Mcg {
    Pcg64Mcg::seed_from_u64(mix(mix(seed ^ 0xEA71) ^ n))
}

/// The weights of employed, unemployed, inactive and in education in a
/// month, by age band (0 is 16–24) and IMD quintile, for an area whose
/// level (its region's, and its gap and trend that month) is `level`.
pub(crate) fn status_weights(age: usize, quintile: usize, level: f64) -> [f64; 4] {
    let shift = 0.03 * (3.0 - quintile as f64) - level;
    if age == 0 {
        [0.38 - shift, 0.14, 0.20 + shift, 0.28]
    } else {
        [0.58 - shift, 0.10, 0.30 + shift, 0.02]
    }
}

/// The statuses of months 0 up to (not including) `history_start`, the
/// month 12 months before the index month, whose status is `at_start`:
/// going back a month at a time, each keeps the later month's status with
/// probability `EARLIER_PERSISTENCE` and is otherwise drawn from
/// `weights_at(month)`.
pub(crate) fn earlier_months(
    rng: &mut Pcg64Mcg,
    history_start: usize,
    at_start: usize,
    weights_at: impl Fn(usize) -> [f64; 4],
) -> Vec<usize> {
    let mut months = vec![at_start; history_start];
    let mut later = at_start;
    for m in (0..history_start).rev() {
        if !rng.random_bool(EARLIER_PERSISTENCE) {
            later = pick(rng, &weights_at(m));
        }
        months[m] = later;
    }
    months
}

impl World {
    /// The programmes (each with the area whose site refers) a participant
    /// of `first` living in `area` could also be referred to at month
    /// `anchor`: every other programme live then in the area itself, then
    /// in the areas overlapping it on the ground (in reference order), each
    /// programme once.
    pub(crate) fn co_enrolment_options(
        &self,
        area: usize,
        anchor: usize,
        first: usize,
    ) -> Vec<(usize, usize)> {
        let mut options: Vec<(usize, usize)> = Vec::new();
        for &a in std::iter::once(&area).chain(&self.overlapping[area]) {
            for &(p, start) in &self.area_programmes[a] {
                if p != first && anchor >= start && options.iter().all(|(q, _)| *q != p) {
                    options.push((p, a));
                }
            }
        }
        options
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earlier_months_keep_or_redraw_from_that_months_weights() {
        let mut rng = Pcg64Mcg::seed_from_u64(1);
        // Only inactive can be drawn: every redrawn month and every month
        // before it (until the next redraw) is inactive.
        let months = earlier_months(&mut rng, 24, EMPLOYED, |_| [0.0, 0.0, 1.0, 0.0]);
        assert_eq!(months.len(), 24);
        let first_redraw = months.iter().rposition(|&s| s == INACTIVE).unwrap();
        assert!(months[..=first_redraw].iter().all(|&s| s == INACTIVE));
        assert!(months[first_redraw + 1..].iter().all(|&s| s == EMPLOYED));
        // With persistence 0.8, 24 months back is redrawn with probability
        // 1 − 0.8²⁴ (over 99%): over many people almost all are.
        let redrawn = (0..2_000)
            .filter(|_| {
                earlier_months(&mut rng, 24, EMPLOYED, |_| [0.0, 0.0, 1.0, 0.0])[0] == INACTIVE
            })
            .count();
        assert!(redrawn > 1_950, "{redrawn}");
        assert!(earlier_months(&mut rng, 0, EMPLOYED, |_| [1.0, 0.0, 0.0, 0.0]).is_empty());
    }

    #[test]
    fn a_lower_level_means_fewer_in_work() {
        let at = |level| status_weights(2, 3, level);
        assert!((at(0.0)[EMPLOYED] - at(-0.03)[EMPLOYED] - 0.03).abs() < 1e-12);
        assert!((at(0.0).iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }
}
