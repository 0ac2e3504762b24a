//! A site's trend, as Fingertips marks one: the chi-squared test for a
//! linear trend in proportions (Armitage 1955; Cochran 1954) over the most
//! recent `TREND_POINTS` periods, significant at the 99.9% level, else "no
//! significant change"; fewer periods than that get no mark.

use statrs::distribution::{ChiSquared, ContinuousCDF};
use vocabulary::Trend;

/// How many of the most recent periods the test uses (and needs).
pub const TREND_POINTS: usize = 5;
/// The test's level: a trend is marked when p < 0.001.
pub const TREND_ALPHA: f64 = 0.001;

/// χ² for a linear trend across periods of (eligible, in work), scored 1,
/// 2, …: T = Σ rᵢxᵢ − R·x̄, χ² = T² ÷ (p̄(1−p̄)(Σ nᵢxᵢ² − N·x̄²)). Returns
/// (χ², p-value, T's sign), `None` without people or spread.
pub fn chi_squared_for_trend(periods: &[(u64, u64)]) -> Option<(f64, f64, f64)> {
    let n: f64 = periods.iter().map(|p| p.0 as f64).sum();
    let r: f64 = periods.iter().map(|p| p.1 as f64).sum();
    if n <= 0.0 {
        return None;
    }
    let x = |i: usize| (i + 1) as f64;
    let x_bar = periods
        .iter()
        .enumerate()
        .map(|(i, p)| p.0 as f64 * x(i))
        .sum::<f64>()
        / n;
    let t = periods
        .iter()
        .enumerate()
        .map(|(i, p)| p.1 as f64 * x(i))
        .sum::<f64>()
        - r * x_bar;
    let sxx = periods
        .iter()
        .enumerate()
        .map(|(i, p)| p.0 as f64 * x(i) * x(i))
        .sum::<f64>()
        - n * x_bar * x_bar;
    let p_bar = r / n;
    let variance = p_bar * (1.0 - p_bar) * sxx;
    if variance.is_nan() || variance <= 0.0 {
        return None;
    }
    let chi2 = t * t / variance;
    let p = ChiSquared::new(1.0).ok()?.sf(chi2);
    Some((chi2, p, t.signum()))
}

/// Quarters in time order from the first to the last of `quarters` (each
/// its first day and its counts, `None` where they are not known), a
/// quarter in between that has none as empty (0, 0): the periods [`trend`]
/// reads.
pub fn consecutive_quarters(
    quarters: &[(chrono::NaiveDate, Option<(u64, u64)>)],
) -> Vec<Option<(u64, u64)>> {
    let (Some(first), Some(last)) = (quarters.first(), quarters.last()) else {
        return Vec::new();
    };
    let mut periods = Vec::new();
    let mut quarter = first.0;
    while quarter <= last.0 {
        periods.push(
            quarters
                .iter()
                .find(|q| q.0 == quarter)
                .map_or(Some((0, 0)), |q| q.1),
        );
        quarter = quarter
            .checked_add_months(chrono::Months::new(3))
            .unwrap_or(chrono::NaiveDate::MAX);
    }
    periods
}

/// The trend mark over the most recent [`TREND_POINTS`] of `periods` (in
/// time order; a period is `None` where its counts are not known, such as
/// suppressed): those points must all be known.
pub fn trend(periods: &[Option<(u64, u64)>]) -> Trend {
    if periods.len() < TREND_POINTS {
        return Trend::NotEnoughPoints;
    }
    let recent = &periods[periods.len() - TREND_POINTS..];
    let Some(known) = recent.iter().copied().collect::<Option<Vec<_>>>() else {
        return Trend::NotEnoughPoints;
    };
    match chi_squared_for_trend(&known) {
        Some((_, p, sign)) if p < TREND_ALPHA && sign > 0.0 => Trend::Increasing,
        Some((_, p, sign)) if p < TREND_ALPHA && sign < 0.0 => Trend::Decreasing,
        _ => Trend::NoSignificantChange,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// n = 100, 100, 100 and r = 20, 30, 40 scored 1, 2, 3: N = 300, R = 90,
    /// p̄ = 0.3, x̄ = 2, Σrx = 200, T = 200 − 180 = 20, Σnx² − Nx̄² = 1400 −
    /// 1200 = 200, variance 0.21·200 = 42, χ² = 400/42 = 9.5238….
    #[test]
    fn chi_squared_by_hand() {
        let (chi2, p, sign) = chi_squared_for_trend(&[(100, 20), (100, 30), (100, 40)]).unwrap();
        assert!((chi2 - 400.0 / 42.0).abs() < 1e-12);
        // P(χ²₁ ≥ 9.52): between the 0.005 and 0.001 points (7.879, 10.828).
        assert!(p > 0.001 && p < 0.005, "{p}");
        assert_eq!(sign, 1.0);
        assert_eq!(chi_squared_for_trend(&[(10, 10), (10, 10)]), None);
    }

    #[test]
    fn a_quarter_without_people_between_others_is_empty() {
        let day = |y, m| chrono::NaiveDate::from_ymd_opt(y, m, 1).unwrap();
        let quarters = [
            (day(2025, 1), Some((10, 4))),
            (day(2025, 7), None),
            (day(2025, 10), Some((12, 6))),
        ];
        assert_eq!(
            consecutive_quarters(&quarters),
            [Some((10, 4)), Some((0, 0)), None, Some((12, 6))]
        );
        assert!(consecutive_quarters(&[]).is_empty());
    }

    #[test]
    fn marks_need_five_known_points_and_p_below_a_thousandth() {
        let rising: Vec<_> = (0..5).map(|i| Some((200, 40 + 20 * i))).collect();
        assert_eq!(trend(&rising), Trend::Increasing);
        let falling: Vec<_> = rising.iter().rev().copied().collect();
        assert_eq!(trend(&falling), Trend::Decreasing);
        let flat: Vec<_> = (0..6).map(|_| Some((200, 80))).collect();
        assert_eq!(trend(&flat), Trend::NoSignificantChange);
        assert_eq!(trend(&rising[..4]), Trend::NotEnoughPoints);
        let mut gap = rising.clone();
        gap[2] = None;
        assert_eq!(trend(&gap), Trend::NotEnoughPoints);
        // Only the last five count: an old dip does not make a trend.
        let mut old = vec![Some((200, 0))];
        old.extend(flat[..5].iter().copied());
        assert_eq!(trend(&old), Trend::NoSignificantChange);
    }
}
