//! What an effect means for people and money: the cost per additional job
//! outcome with its interval, additional outcomes per £1m, and Bloom's
//! (1984) effect on those who engaged. The pipeline applies them to exact
//! figures, disclosure control to published ones (which then rounds the
//! money it shows).

/// The cost per additional job outcome, funding ÷ (effect × people), and
/// its interval from the effect's (Fieller's solution with the funding
/// known): `low` from the effect's upper limit, `high` from its lower one.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CostInterval {
    /// Only where the effect is significantly above zero (its interval
    /// lies wholly above zero).
    pub cost: Option<f64>,
    /// Wherever the effect's upper limit is above zero: "at least" this,
    /// when `cost` is `None`.
    pub low: Option<f64>,
    /// Only where the effect's lower limit is above zero.
    pub high: Option<f64>,
}

/// The cost of `att` (with interval `low`, `high`) for `people`
/// participants (all of a programme's participants for the published cost;
/// the matched ones for the earlier definition) out of `funding` pounds;
/// nothing without positive funding or people.
pub fn cost_interval(funding: f64, att: f64, low: f64, high: f64, people: u64) -> CostInterval {
    if funding.is_nan() || funding <= 0.0 || people == 0 {
        return CostInterval::default();
    }
    let m = people as f64;
    let cost = |effect: f64| (effect > 0.0).then(|| funding / (effect * m));
    let significant = low > 0.0;
    CostInterval {
        cost: significant.then(|| cost(att)).flatten(),
        low: cost(high),
        high: significant.then(|| cost(low)).flatten(),
    }
}

/// How much of the cost per additional job outcome may be claimed
/// (CONTRACT.md, cost per additional job outcome): all of it only where in
/// work at 6 months is the programme's declared headline and its
/// Holm-adjusted p-value is below 0.05; only the interval's "at least" end
/// where it is the headline but not significant after adjustment; nothing
/// where another outcome is the headline. The pipeline applies it to the
/// exact figures, disclosure control to the published ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CostClaim {
    Cost,
    AtLeast,
    Nothing,
}

pub fn cost_claim(in_work_headline: bool, p_adjusted: Option<f64>) -> CostClaim {
    match (in_work_headline, p_adjusted.is_some_and(|p| p < 0.05)) {
        (false, _) => CostClaim::Nothing,
        (true, true) => CostClaim::Cost,
        (true, false) => CostClaim::AtLeast,
    }
}

/// Additional job outcomes per £1m of funding: effect × people ÷ funding
/// × 1,000,000 (for the effect or either of its limits).
pub fn outcomes_per_million(funding: f64, effect: f64, people: u64) -> Option<f64> {
    (funding > 0.0).then(|| effect * people as f64 / funding * 1e6)
}

/// Bloom's (1984) effect on those who engaged: an effect (or a limit)
/// divided by the share of matched participants who engaged, assuming the
/// programme changes nothing for those who did not; `None` without a
/// positive share.
pub fn per_engaged(effect: f64, engaged_share: f64) -> Option<f64> {
    (engaged_share > 0.0).then(|| effect / engaged_share)
}

/// The count of engaged participants a published share of `matched` stands
/// for (the share is stored, the count rebuilt from it).
pub fn engaged_count(engaged_share: Option<f64>, matched: u64) -> u64 {
    engaged_share
        .map(|s| (s * matched as f64).round() as u64)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// £1m, 1000 matched, ATT 0.05 (0.01 to 0.09): £20,000 per outcome,
    /// between £1m/90 = £11,111 and £1m/10 = £100,000; 50 outcomes per
    /// £1m (10 to 90). Spanning zero, only "at least £11,111"; below zero,
    /// nothing.
    #[test]
    fn the_cost_interval_inverts_the_effect_interval() {
        let c = cost_interval(1e6, 0.05, 0.01, 0.09, 1000);
        assert!((c.cost.unwrap() - 20_000.0).abs() < 1e-6);
        assert!((c.low.unwrap() - 11_111.111).abs() < 1e-2);
        assert!((c.high.unwrap() - 100_000.0).abs() < 1e-6);
        assert!((outcomes_per_million(1e6, 0.05, 1000).unwrap() - 50.0).abs() < 1e-9);
        assert!((outcomes_per_million(1e6, 0.01, 1000).unwrap() - 10.0).abs() < 1e-9);
        let c = cost_interval(1e6, 0.05, -0.01, 0.09, 1000);
        assert_eq!((c.cost, c.high), (None, None));
        assert!((c.low.unwrap() - 11_111.111).abs() < 1e-2);
        assert_eq!(
            cost_interval(1e6, -0.05, -0.09, -0.01, 1000),
            CostInterval::default()
        );
        assert_eq!(
            cost_interval(0.0, 0.05, 0.01, 0.09, 1000),
            CostInterval::default()
        );
        assert_eq!(
            cost_interval(1e6, 0.05, 0.01, 0.09, 0),
            CostInterval::default()
        );
    }

    #[test]
    fn the_effect_on_those_who_engaged_divides_by_the_share() {
        assert_eq!(per_engaged(0.06, 0.5), Some(0.12));
        assert_eq!(per_engaged(0.06, 0.0), None);
        assert_eq!(engaged_count(Some(0.333), 300), 100);
        assert_eq!(engaged_count(None, 300), 0);
    }
}
