//! `programme_outcomes`: each programme's rate, matched comparison and cost
//! per additional job outcome.

use super::strata::{Comparison, Group, GroupKey};
use super::{programme_order, query, rate};
use crate::error::Result;
use crate::matching::MatchedComparison;
use contract::outputs::ProgrammeOutcome;
use contract::vocabulary::{Dimension, Significance};
use datafusion::prelude::SessionContext;
use std::collections::BTreeMap;

/// Programme funding ÷ additional job outcomes (att × matched participants),
/// only where the effect is significantly above zero (its 95% interval lies
/// above zero).
pub fn cost_per_additional_outcome(funding_gbp: Option<i64>, m: &MatchedComparison) -> Option<f64> {
    let (funding, att) = (funding_gbp?, m.att?);
    (Significance::of(m.att_low, m.att_high) == Some(Significance::Above) && m.matched > 0)
        .then(|| funding as f64 / (att * m.matched as f64))
}

pub async fn programme_outcomes(
    ctx: &SessionContext,
    groups: &BTreeMap<GroupKey, Group>,
    comparison: &Comparison,
) -> Result<Vec<ProgrammeOutcome>> {
    let r = query(ctx, "programme_counts").await?;
    let programme = r.strings("programme")?;
    let participants = r.counts("participants")?;
    let eligible = r.counts("eligible")?;
    let in_work = r.counts("in_work_6m")?;
    let funding = r.ints("funding_gbp")?;
    let mut rows: Vec<ProgrammeOutcome> = (0..r.num_rows())
        .map(|i| {
            let name = programme[i].clone().unwrap_or_default();
            let m = groups
                .get(&(programme_order(&name), Dimension::All, "all".to_string()))
                .map(|g| g.matched_against(comparison))
                .unwrap_or_default();
            let [rate, rate_low, rate_high] = rate(in_work[i], eligible[i]);
            ProgrammeOutcome {
                cost_per_additional_outcome: cost_per_additional_outcome(funding[i], &m),
                programme: name,
                participants: participants[i],
                eligible: eligible[i],
                in_work_6m: in_work[i],
                rate,
                rate_low,
                rate_high,
                matched: m.matched,
                matched_in_work: m.matched_in_work,
                unmatched: m.unmatched,
                strata_matched: m.strata_matched,
                strata_dropped: m.strata_dropped,
                comparison_rate: m.comparison_rate,
                comparison_variance: m.comparison_variance,
                att: m.att,
                att_low: m.att_low,
                att_high: m.att_high,
                funding_gbp: funding[i],
            }
        })
        .collect();
    rows.sort_by_key(|row| programme_order(&row.programme));
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_only_where_the_effect_is_significantly_positive() {
        let significant = MatchedComparison {
            matched: 1000,
            att: Some(0.05),
            att_low: Some(0.01),
            att_high: Some(0.09),
            ..Default::default()
        };
        // £1,000,000 / (0.05 × 1000 = 50 additional outcomes) = £20,000 each.
        assert_eq!(
            cost_per_additional_outcome(Some(1_000_000), &significant),
            Some(20_000.0)
        );
        let spans_zero = MatchedComparison {
            att_low: Some(-0.01),
            ..significant
        };
        assert_eq!(
            cost_per_additional_outcome(Some(1_000_000), &spans_zero),
            None
        );
        assert_eq!(cost_per_additional_outcome(None, &significant), None);
    }
}
