//! The matching strata: comparison people's counts per stratum, and
//! participants' per (programme, dimension, value) group and stratum, from
//! `sql/comparison_strata.sql` and `sql/participant_strata.sql`.

use super::{parse, programme_order, query};
use crate::error::Result;
use crate::matching::{MatchedComparison, StratumCounts, coarsened_exact_match};
use contract::small::SmallResult;
use contract::vocabulary::Dimension;
use datafusion::prelude::SessionContext;
use std::collections::{BTreeMap, HashMap};

/// The matching stratum of a person.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StratumKey {
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

/// Comparison people's counts by stratum.
pub type Comparison = HashMap<StratumKey, StratumCounts>;

pub async fn comparison_strata(ctx: &SessionContext) -> Result<Comparison> {
    let r = query(ctx, "comparison_strata").await?;
    let keys = stratum_keys(&r)?;
    let eligible = r.counts("eligible")?;
    let in_work = r.counts("in_work_6m")?;
    Ok(keys
        .into_iter()
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
        .collect())
}

/// Participants of one (programme, dimension, value) group, by stratum.
#[derive(Default)]
pub struct Group {
    pub participants: u64,
    pub eligible: u64,
    pub in_work_6m: u64,
    strata: Vec<(StratumKey, StratumCounts)>,
}

impl Group {
    pub fn matched_against(&self, comparison: &Comparison) -> MatchedComparison {
        coarsened_exact_match(
            self.strata
                .iter()
                .map(|(key, counts)| (*counts, comparison.get(key).copied().unwrap_or_default())),
        )
    }
}

/// (programme in contract order, dimension, value).
pub type GroupKey = ((usize, String), Dimension, String);

pub async fn participant_groups(ctx: &SessionContext) -> Result<BTreeMap<GroupKey, Group>> {
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
        let dimension = parse(
            dimension[i].as_deref(),
            Dimension::parse,
            "participant_strata",
            "dimension",
        )?;
        let group = groups
            .entry((
                programme_order(programme[i].as_deref().unwrap_or_default()),
                dimension,
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
    Ok(groups)
}
