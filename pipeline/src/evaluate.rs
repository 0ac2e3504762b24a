//! Evaluate: run the metric queries from `sql/` (registered by `metrics`) and
//! apply the estimators (`wilson`, `matching`, `funnel`, `did`) to their
//! aggregated counts, producing the contract's output tables.
//!
//! The queries do every join and aggregation over records; this module only
//! sees counts per programme, site, subgroup, stratum and period.

use crate::columns::SmallResult;
use crate::contract::{PROGRAMMES, SUBGROUP_DIMENSIONS};
use crate::did::{NoteCounts, difference_in_differences};
use crate::error::{QueryContext, Result};
use crate::funnel::{Z_95, Z_998, control_limits, funnel_flag};
use crate::matching::{MatchedComparison, StratumCounts, coarsened_exact_match};
use crate::wilson::wilson_95;
use datafusion::arrow::array::{
    ArrayRef, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray,
};
use datafusion::prelude::SessionContext;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Run a query with a small result and collect it.
async fn query_sql(ctx: &SessionContext, sql: &str, what: &str) -> Result<SmallResult> {
    let frame = ctx.sql(sql).await.context(format!("planning {what}"))?;
    // An empty result still needs its schema for the typed accessors.
    let schema = frame.schema().inner().clone();
    let mut batches = frame.collect().await.context(format!("computing {what}"))?;
    if batches.is_empty() {
        batches.push(RecordBatch::new_empty(schema));
    }
    SmallResult::new(&batches, what)
}

/// Collect one metric view (small: counts per group).
async fn query(ctx: &SessionContext, view: &str) -> Result<SmallResult> {
    query_sql(
        ctx,
        &format!("SELECT * FROM {view}"),
        &format!("sql/{view}.sql"),
    )
    .await
}

/// A rate with its 95% Wilson interval.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Rate {
    pub rate: Option<f64>,
    pub rate_low: Option<f64>,
    pub rate_high: Option<f64>,
}

impl Rate {
    fn of(in_work_6m: u64, eligible: u64) -> Self {
        let interval = wilson_95(in_work_6m, eligible);
        Rate {
            rate: (eligible > 0).then(|| in_work_6m as f64 / eligible as f64),
            rate_low: interval.map(|i| i.0),
            rate_high: interval.map(|i| i.1),
        }
    }
}

/// One row of `programme_outcomes`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ProgrammeOutcome {
    pub programme: String,
    pub participants: u64,
    pub eligible: u64,
    pub in_work_6m: u64,
    pub rate: Rate,
    pub matching: MatchedComparisonSummary,
    pub funding_gbp: Option<i64>,
    pub cost_per_additional_outcome: Option<f64>,
}

/// The parts of a [`MatchedComparison`] the outputs carry.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct MatchedComparisonSummary {
    pub matched: u64,
    pub unmatched: u64,
    pub strata_matched: u64,
    pub strata_dropped: u64,
    pub comparison_rate: Option<f64>,
    pub att: Option<f64>,
    pub att_low: Option<f64>,
    pub att_high: Option<f64>,
}

impl From<MatchedComparison> for MatchedComparisonSummary {
    fn from(m: MatchedComparison) -> Self {
        MatchedComparisonSummary {
            matched: m.matched,
            unmatched: m.unmatched,
            strata_matched: m.strata_matched,
            strata_dropped: m.strata_dropped,
            comparison_rate: m.comparison_rate,
            att: m.att,
            att_low: m.att_low,
            att_high: m.att_high,
        }
    }
}

/// Programme funding ÷ additional job outcomes (att × matched participants),
/// only where the effect is significantly above zero (its 95% interval
/// excludes zero from above).
pub fn cost_per_additional_outcome(
    funding_gbp: Option<i64>,
    m: &MatchedComparisonSummary,
) -> Option<f64> {
    let (funding, att, att_low) = (funding_gbp?, m.att?, m.att_low?);
    (att_low > 0.0 && m.matched > 0).then(|| funding as f64 / (att * m.matched as f64))
}

/// The matching stratum of a person.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct StratumKey {
    age_band: Option<String>,
    sex: Option<String>,
    imd_quintile: Option<i64>,
    condition: Option<String>,
    baseline_status: Option<String>,
}

fn stratum_keys(r: &SmallResult) -> Result<Vec<StratumKey>> {
    let age_band = r.strings("age_band")?;
    let sex = r.strings("sex")?;
    let imd_quintile = r.ints("imd_quintile")?;
    let condition = r.strings("condition")?;
    let baseline_status = r.strings("baseline_status")?;
    Ok((0..r.num_rows())
        .map(|i| StratumKey {
            age_band: age_band[i].clone(),
            sex: sex[i].clone(),
            imd_quintile: imd_quintile[i],
            condition: condition[i].clone(),
            baseline_status: baseline_status[i].clone(),
        })
        .collect())
}

/// Order programmes as the contract lists them, any others after.
fn programme_order(programme: &str) -> (usize, String) {
    let index = PROGRAMMES
        .iter()
        .position(|p| *p == programme)
        .unwrap_or(PROGRAMMES.len());
    (index, programme.to_string())
}

/// Participants of one (programme, dimension, value) group, by stratum.
#[derive(Default)]
struct Group {
    participants: u64,
    eligible: u64,
    in_work_6m: u64,
    strata: Vec<(StratumKey, StratumCounts)>,
}

impl Group {
    fn matched_against(
        &self,
        comparison: &HashMap<StratumKey, StratumCounts>,
    ) -> MatchedComparisonSummary {
        coarsened_exact_match(
            self.strata
                .iter()
                .map(|(key, counts)| (*counts, comparison.get(key).copied().unwrap_or_default())),
        )
        .into()
    }
}

type GroupKey = ((usize, String), usize, String);

/// How many people the evaluation followed, for the manifest.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CohortSize {
    /// (programme, person) pairs: a person referred to two programmes counts twice.
    pub participants: u64,
    pub participants_eligible: u64,
    pub comparison_pool: u64,
    pub comparison_eligible: u64,
}

/// The evaluation outputs computed in Rust (the rest are straight SQL).
pub struct Evaluation {
    pub cohort: CohortSize,
    pub programme_outcomes: Vec<ProgrammeOutcome>,
    pub site_outcomes: RecordBatch,
    pub subgroup_outcomes: RecordBatch,
    pub fit_note_did: RecordBatch,
    /// What the data cannot support yet, in plain English (for the manifest).
    pub warnings: Vec<String>,
}

pub async fn evaluate(ctx: &SessionContext) -> Result<Evaluation> {
    let comparison = {
        let r = query(ctx, "comparison_strata").await?;
        let keys = stratum_keys(&r)?;
        let eligible = r.counts("eligible")?;
        let in_work = r.counts("in_work_6m")?;
        keys.into_iter()
            .enumerate()
            .map(|(i, k)| {
                (
                    k,
                    StratumCounts {
                        eligible: eligible[i],
                        in_work_6m: in_work[i],
                    },
                )
            })
            .collect::<HashMap<_, _>>()
    };

    let groups = {
        let r = query(ctx, "participant_strata").await?;
        let keys = stratum_keys(&r)?;
        let programme = r.strings("programme")?;
        let dimension = r.strings("dimension")?;
        let value = r.strings("value")?;
        let participants = r.counts("participants")?;
        let eligible = r.counts("eligible")?;
        let in_work = r.counts("in_work_6m")?;
        let mut groups: BTreeMap<GroupKey, Group> = BTreeMap::new();
        for (i, key) in keys.into_iter().enumerate() {
            let dim = dimension[i].clone().unwrap_or_default();
            let dim_order = SUBGROUP_DIMENSIONS
                .iter()
                .position(|d| *d == dim)
                .map_or(0, |p| p + 1);
            let group = groups
                .entry((
                    programme_order(programme[i].as_deref().unwrap_or_default()),
                    dim_order,
                    value[i].clone().unwrap_or_else(|| "unknown".into()),
                ))
                .or_default();
            group.participants += participants[i];
            group.eligible += eligible[i];
            group.in_work_6m += in_work[i];
            group.strata.push((
                key,
                StratumCounts {
                    eligible: eligible[i],
                    in_work_6m: in_work[i],
                },
            ));
        }
        // The engine returns groups in no fixed order; summing strata in key
        // order makes every run's floating-point results bit-identical.
        for group in groups.values_mut() {
            group.strata.sort_by(|a, b| a.0.cmp(&b.0));
        }
        groups
    };

    let programme_outcomes = {
        let r = query(ctx, "programme_counts").await?;
        let programme = r.strings("programme")?;
        let participants = r.counts("participants")?;
        let eligible = r.counts("eligible")?;
        let in_work = r.counts("in_work_6m")?;
        let funding = r.ints("funding_gbp")?;
        let mut rows: Vec<ProgrammeOutcome> = (0..r.num_rows())
            .map(|i| {
                let name = programme[i].clone().unwrap_or_default();
                let matching = groups
                    .get(&(programme_order(&name), 0, "all".to_string()))
                    .map(|g| g.matched_against(&comparison))
                    .unwrap_or_default();
                ProgrammeOutcome {
                    rate: Rate::of(in_work[i], eligible[i]),
                    cost_per_additional_outcome: cost_per_additional_outcome(funding[i], &matching),
                    programme: name,
                    participants: participants[i],
                    eligible: eligible[i],
                    in_work_6m: in_work[i],
                    matching,
                    funding_gbp: funding[i],
                }
            })
            .collect();
        rows.sort_by_key(|row| programme_order(&row.programme));
        rows
    };

    let site_outcomes = site_outcomes(ctx, &programme_outcomes).await?;
    let subgroup_outcomes = subgroup_outcomes(&groups, &comparison)?;
    let fit_note_did = fit_note_did(ctx).await?;
    let warnings = coverage_warnings(ctx, &programme_outcomes).await?;
    let cohort = {
        let r = query_sql(
            ctx,
            "SELECT arm, count(*) AS people, sum(CASE WHEN eligible THEN 1 ELSE 0 END) AS eligible FROM cohort GROUP BY arm",
            "cohort sizes",
        )
        .await?;
        let mut size = CohortSize::default();
        let rows = r
            .strings("arm")?
            .into_iter()
            .zip(r.counts("people")?)
            .zip(r.counts("eligible")?);
        for ((arm, people), eligible) in rows {
            match arm.as_deref() {
                Some("participant") => {
                    (size.participants, size.participants_eligible) = (people, eligible)
                }
                Some("comparison") => {
                    (size.comparison_pool, size.comparison_eligible) = (people, eligible)
                }
                _ => {}
            }
        }
        size
    };
    Ok(Evaluation {
        cohort,
        programme_outcomes,
        site_outcomes,
        subgroup_outcomes,
        fit_note_did,
        warnings,
    })
}

/// Warnings for programmes the data do not cover yet: one that starts after
/// the last fit note (no post-period for its DiD), one whose participants
/// are all too recent for the 6-month outcome, one with no participants.
async fn coverage_warnings(
    ctx: &SessionContext,
    programme_outcomes: &[ProgrammeOutcome],
) -> Result<Vec<String>> {
    let r = query(ctx, "programme_coverage").await?;
    let programme = r.strings("programme")?;
    let start = r.dates("start_date")?;
    let last_note = r.dates("last_fit_note")?;
    let last_month = r.dates("last_employment_month")?;
    let show = |days: Option<i32>| {
        days.and_then(crate::columns::date32)
            .map_or_else(|| "none".to_string(), |d| d.to_string())
    };
    let mut warnings = Vec::new();
    for i in 0..r.num_rows() {
        let name = programme[i].clone().unwrap_or_default();
        if start[i].is_some() && (last_note[i].is_none() || start[i] > last_note[i]) {
            warnings.push(format!(
                "{name} starts on {}, after the last fit note ({}): its fit-note difference in differences cannot be estimated. Check its start_date in area_programmes, or rerun when later fit notes arrive.",
                show(start[i]),
                show(last_note[i])
            ));
        }
        match programme_outcomes.iter().find(|o| o.programme == name) {
            None => warnings.push(format!(
                "{name} has no participants: no valid referral names it. Its outcomes are empty; check referrals.programme and the quarantine."
            )),
            Some(o) if o.eligible == 0 && o.participants > 0 => warnings.push(format!(
                "{name} has participants but none eligible for the 6-month outcome: the month six months after each referral is after the last employment month ({}). Rerun when later employment data arrive.",
                show(last_month[i])
            )),
            Some(_) => {}
        }
    }
    Ok(warnings)
}

fn strings(values: impl IntoIterator<Item = impl Into<Option<String>>>) -> ArrayRef {
    Arc::new(values.into_iter().map(Into::into).collect::<StringArray>())
}
fn ints(values: impl IntoIterator<Item = u64>) -> ArrayRef {
    Arc::new(values.into_iter().map(|v| v as i64).collect::<Int64Array>())
}
fn floats(values: impl IntoIterator<Item = Option<f64>>) -> ArrayRef {
    Arc::new(values.into_iter().collect::<Float64Array>())
}

fn batch(columns: Vec<(&str, ArrayRef)>) -> Result<RecordBatch> {
    RecordBatch::try_from_iter_with_nullable(columns.into_iter().map(|(n, a)| (n, a, true)))
        .map_err(|e| {
            crate::error::PipelineError::Invalid(format!("assembling an output table: {e}"))
        })
}

/// `programme_outcomes` as a record batch.
pub fn programme_outcomes_batch(rows: &[ProgrammeOutcome]) -> Result<RecordBatch> {
    batch(vec![
        (
            "programme",
            strings(rows.iter().map(|r| r.programme.clone())),
        ),
        ("participants", ints(rows.iter().map(|r| r.participants))),
        ("eligible", ints(rows.iter().map(|r| r.eligible))),
        ("in_work_6m", ints(rows.iter().map(|r| r.in_work_6m))),
        ("rate", floats(rows.iter().map(|r| r.rate.rate))),
        ("rate_low", floats(rows.iter().map(|r| r.rate.rate_low))),
        ("rate_high", floats(rows.iter().map(|r| r.rate.rate_high))),
        ("matched", ints(rows.iter().map(|r| r.matching.matched))),
        ("unmatched", ints(rows.iter().map(|r| r.matching.unmatched))),
        (
            "strata_matched",
            ints(rows.iter().map(|r| r.matching.strata_matched)),
        ),
        (
            "strata_dropped",
            ints(rows.iter().map(|r| r.matching.strata_dropped)),
        ),
        (
            "comparison_rate",
            floats(rows.iter().map(|r| r.matching.comparison_rate)),
        ),
        ("att", floats(rows.iter().map(|r| r.matching.att))),
        ("att_low", floats(rows.iter().map(|r| r.matching.att_low))),
        ("att_high", floats(rows.iter().map(|r| r.matching.att_high))),
        (
            "funding_gbp",
            Arc::new(rows.iter().map(|r| r.funding_gbp).collect::<Int64Array>()),
        ),
        (
            "cost_per_additional_outcome",
            floats(rows.iter().map(|r| r.cost_per_additional_outcome)),
        ),
    ])
}

async fn site_outcomes(
    ctx: &SessionContext,
    programmes: &[ProgrammeOutcome],
) -> Result<RecordBatch> {
    let r = query(ctx, "site_counts").await?;
    let programme = r.strings("programme")?;
    let area_id = r.strings("area_id")?;
    let participants = r.counts("participants")?;
    let eligible = r.counts("eligible")?;
    let in_work = r.counts("in_work_6m")?;
    let area_name = r.strings("area_name")?;
    let start_date = r.dates("start_date")?;
    let mut order: Vec<usize> = (0..r.num_rows()).collect();
    order.sort_by_key(|&i| {
        (
            programme_order(programme[i].as_deref().unwrap_or_default()),
            area_id[i].clone(),
        )
    });

    let target = |name: &Option<String>| {
        programmes
            .iter()
            .find(|p| Some(&p.programme) == name.as_ref())
            .and_then(|p| p.rate.rate)
    };
    let mut columns: [Vec<Option<f64>>; 8] = Default::default();
    let mut flags = Vec::new();
    for &i in &order {
        let rate = Rate::of(in_work[i], eligible[i]);
        let p0 = target(&programme[i]);
        let limits95 = p0.and_then(|p0| control_limits(p0, eligible[i], Z_95));
        let limits998 = p0.and_then(|p0| control_limits(p0, eligible[i], Z_998));
        let values = [
            rate.rate,
            rate.rate_low,
            rate.rate_high,
            p0,
            limits95.map(|l| l.0),
            limits95.map(|l| l.1),
            limits998.map(|l| l.0),
            limits998.map(|l| l.1),
        ];
        for (column, value) in columns.iter_mut().zip(values) {
            column.push(value);
        }
        flags.push(funnel_flag(rate.rate, limits998).as_str().to_string());
    }
    let [
        rate,
        rate_low,
        rate_high,
        target_rate,
        l95_low,
        l95_high,
        l998_low,
        l998_high,
    ] = columns;
    batch(vec![
        (
            "programme",
            strings(order.iter().map(|&i| programme[i].clone())),
        ),
        (
            "area_id",
            strings(order.iter().map(|&i| area_id[i].clone())),
        ),
        (
            "area_name",
            strings(order.iter().map(|&i| area_name[i].clone())),
        ),
        (
            "start_date",
            Arc::new(
                order
                    .iter()
                    .map(|&i| start_date[i])
                    .collect::<Date32Array>(),
            ),
        ),
        ("participants", ints(order.iter().map(|&i| participants[i]))),
        ("eligible", ints(order.iter().map(|&i| eligible[i]))),
        ("in_work_6m", ints(order.iter().map(|&i| in_work[i]))),
        ("rate", floats(rate)),
        ("rate_low", floats(rate_low)),
        ("rate_high", floats(rate_high)),
        ("target_rate", floats(target_rate)),
        ("limit95_low", floats(l95_low)),
        ("limit95_high", floats(l95_high)),
        ("limit998_low", floats(l998_low)),
        ("limit998_high", floats(l998_high)),
        ("funnel_flag", strings(flags)),
    ])
}

fn subgroup_outcomes(
    groups: &BTreeMap<GroupKey, Group>,
    comparison: &HashMap<StratumKey, StratumCounts>,
) -> Result<RecordBatch> {
    let rows: Vec<_> = groups
        .iter()
        .filter(|((_, dimension, _), _)| *dimension > 0)
        .map(|(((_, programme), dimension, value), group)| {
            (
                programme.clone(),
                SUBGROUP_DIMENSIONS[dimension - 1].to_string(),
                value.clone(),
                group,
                Rate::of(group.in_work_6m, group.eligible),
                group.matched_against(comparison),
            )
        })
        .collect();
    batch(vec![
        ("programme", strings(rows.iter().map(|r| r.0.clone()))),
        ("dimension", strings(rows.iter().map(|r| r.1.clone()))),
        ("value", strings(rows.iter().map(|r| r.2.clone()))),
        ("participants", ints(rows.iter().map(|r| r.3.participants))),
        ("eligible", ints(rows.iter().map(|r| r.3.eligible))),
        ("in_work_6m", ints(rows.iter().map(|r| r.3.in_work_6m))),
        ("rate", floats(rows.iter().map(|r| r.4.rate))),
        ("rate_low", floats(rows.iter().map(|r| r.4.rate_low))),
        ("rate_high", floats(rows.iter().map(|r| r.4.rate_high))),
        ("matched", ints(rows.iter().map(|r| r.5.matched))),
        ("unmatched", ints(rows.iter().map(|r| r.5.unmatched))),
        (
            "comparison_rate",
            floats(rows.iter().map(|r| r.5.comparison_rate)),
        ),
        ("att", floats(rows.iter().map(|r| r.5.att))),
        ("att_low", floats(rows.iter().map(|r| r.5.att_low))),
        ("att_high", floats(rows.iter().map(|r| r.5.att_high))),
    ])
}

async fn fit_note_did(ctx: &SessionContext) -> Result<RecordBatch> {
    let starts = {
        let r = query_sql(
            ctx,
            "SELECT programme, min(start_date) AS start_date FROM area_programmes GROUP BY programme",
            "programme start dates",
        )
        .await?;
        let programme = r.strings("programme")?;
        let start_date = r.dates("start_date")?;
        programme
            .into_iter()
            .zip(start_date)
            .filter_map(|(p, d)| Some((programme_order(&p?), d?)))
            .collect::<BTreeMap<_, _>>()
    };
    let r = query(ctx, "fit_note_did_counts").await?;
    let programme = r.strings("programme")?;
    let side = r.strings("side")?;
    let period = r.strings("period")?;
    let notes = r.counts("fit_notes")?;
    let may_be_fit = r.counts("may_be_fit")?;
    let mut cells: HashMap<(String, String, String), NoteCounts> = HashMap::new();
    for i in 0..r.num_rows() {
        cells.insert(
            (
                programme[i].clone().unwrap_or_default(),
                side[i].clone().unwrap_or_default(),
                period[i].clone().unwrap_or_default(),
            ),
            NoteCounts {
                fit_notes: notes[i],
                may_be_fit: may_be_fit[i],
            },
        );
    }
    let cell = |p: &str, side: &str, period: &str| {
        cells
            .get(&(p.to_string(), side.to_string(), period.to_string()))
            .copied()
            .unwrap_or_default()
    };
    let rows: Vec<_> = starts
        .iter()
        .map(|((_, p), start)| {
            let counts = [
                cell(p, "programme", "pre"),
                cell(p, "programme", "post"),
                cell(p, "comparison", "pre"),
                cell(p, "comparison", "post"),
            ];
            (
                p.clone(),
                *start,
                counts,
                difference_in_differences(counts[0], counts[1], counts[2], counts[3]),
            )
        })
        .collect();
    batch(vec![
        ("programme", strings(rows.iter().map(|r| r.0.clone()))),
        (
            "start_date",
            Arc::new(rows.iter().map(|r| Some(r.1)).collect::<Date32Array>()),
        ),
        ("pre_fit_notes", ints(rows.iter().map(|r| r.2[0].fit_notes))),
        (
            "post_fit_notes",
            ints(rows.iter().map(|r| r.2[1].fit_notes)),
        ),
        (
            "comparison_pre_fit_notes",
            ints(rows.iter().map(|r| r.2[2].fit_notes)),
        ),
        (
            "comparison_post_fit_notes",
            ints(rows.iter().map(|r| r.2[3].fit_notes)),
        ),
        (
            "pre_may_be_fit",
            ints(rows.iter().map(|r| r.2[0].may_be_fit)),
        ),
        (
            "post_may_be_fit",
            ints(rows.iter().map(|r| r.2[1].may_be_fit)),
        ),
        (
            "comparison_pre_may_be_fit",
            ints(rows.iter().map(|r| r.2[2].may_be_fit)),
        ),
        (
            "comparison_post_may_be_fit",
            ints(rows.iter().map(|r| r.2[3].may_be_fit)),
        ),
        ("pre_share", floats(rows.iter().map(|r| r.3.pre_share))),
        ("post_share", floats(rows.iter().map(|r| r.3.post_share))),
        (
            "comparison_pre_share",
            floats(rows.iter().map(|r| r.3.comparison_pre_share)),
        ),
        (
            "comparison_post_share",
            floats(rows.iter().map(|r| r.3.comparison_post_share)),
        ),
        ("did", floats(rows.iter().map(|r| r.3.did))),
        ("did_low", floats(rows.iter().map(|r| r.3.did_low))),
        ("did_high", floats(rows.iter().map(|r| r.3.did_high))),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_only_where_the_effect_is_significantly_positive() {
        let significant = MatchedComparisonSummary {
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
        let spans_zero = MatchedComparisonSummary {
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
