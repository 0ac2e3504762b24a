//! The matching stratum as a key: parsed once from `cohort.stratum`,
//! compared part by part.

use super::{PART_BYTES, Part};
use crate::error::Result;
use contract::small::SmallResult;

/// The matching stratum of a person.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StratumKey {
    pub(in crate::evaluate) age_band: Option<Part>,
    pub(in crate::evaluate) sex: Option<Part>,
    pub(in crate::evaluate) imd_quintile: Option<i64>,
    pub(in crate::evaluate) condition: Option<Part>,
    pub(in crate::evaluate) baseline_status: Option<Part>,
    pub(in crate::evaluate) work_history: Option<Part>,
    pub(in crate::evaluate) index_period: Option<Part>,
    pub(in crate::evaluate) labour_market: Option<Part>,
}

/// Each row's stratum, parsed from `cohort.stratum` (sql/cohort.sql: its
/// eight parts joined by `|`, `-` for a missing one). The parts are named
/// here and in that one SQL expression only; keys sort part by part, as
/// the estimators' sums need a fixed order.
pub(in crate::evaluate) fn stratum_keys(r: &SmallResult, view: &str) -> Result<Vec<StratumKey>> {
    r.strings("stratum")?
        .into_iter()
        .enumerate()
        .map(|(row, key)| {
            let key = key.unwrap_or_default();
            StratumKey::parse(&key).ok_or_else(|| {
                crate::error::PipelineError::Invalid(format!(
                    "sql/{view}.sql wrote the stratum `{key}` in row {row}, which is not the eight `|`-separated parts of cohort.stratum, each at most {PART_BYTES} bytes"
                ))
            })
        })
        .collect()
}

impl StratumKey {
    /// The key `cohort.stratum` writes.
    fn parse(key: &str) -> Option<StratumKey> {
        let mut raw: [Option<&str>; 8] = [None; 8];
        let mut count = 0;
        for part in key.split('|') {
            *raw.get_mut(count)? = (part != "-").then_some(part);
            count += 1;
        }
        if count != 8 {
            return None;
        }
        let text = |p: Option<&str>| -> Option<Option<Part>> {
            match p {
                Some(p) => Part::new(p).map(Some),
                None => Some(None),
            }
        };
        let imd_quintile = match raw[2] {
            Some(q) => Some(q.parse().ok()?),
            None => None,
        };
        Some(StratumKey {
            age_band: text(raw[0])?,
            sex: text(raw[1])?,
            imd_quintile,
            condition: text(raw[3])?,
            baseline_status: text(raw[4])?,
            work_history: text(raw[5])?,
            index_period: text(raw[6])?,
            labour_market: text(raw[7])?,
        })
    }

    /// The eight parts as text (`imd_quintile` as its digits), none where
    /// missing.
    pub(in crate::evaluate) fn levels(&self) -> [Option<String>; 8] {
        let text = |p: &Option<Part>| p.map(|p| p.as_str().to_string());
        [
            text(&self.age_band),
            text(&self.sex),
            self.imd_quintile.map(|q| q.to_string()),
            text(&self.condition),
            text(&self.baseline_status),
            text(&self.work_history),
            text(&self.index_period),
            text(&self.labour_market),
        ]
    }
}
