//! How far the data reach (`sql/programme_coverage.sql`), the warnings for
//! what they cannot support yet, and how many people the evaluation followed
//! (`sql/cohort_size.sql`).

use super::{parse, query};
use crate::error::Result;
use chrono::NaiveDate;
use contract::manifest::CohortSize;
use contract::outputs::ProgrammeOutcome;
use contract::small::date32;
use contract::vocabulary::Arm;
use datafusion::prelude::SessionContext;

/// One programme's row of `programme_coverage`.
pub struct Coverage {
    pub programme: String,
    /// The earliest start_date it has in area_programmes.
    pub start_date: Option<NaiveDate>,
    pub last_fit_note: Option<NaiveDate>,
    pub last_employment_month: Option<NaiveDate>,
}

pub async fn programme_coverage(ctx: &SessionContext) -> Result<Vec<Coverage>> {
    let r = query(ctx, "programme_coverage").await?;
    let programme = r.strings("programme")?;
    let start = r.dates("start_date")?;
    let last_note = r.dates("last_fit_note")?;
    let last_month = r.dates("last_employment_month")?;
    Ok((0..r.num_rows())
        .map(|i| Coverage {
            programme: programme[i].clone().unwrap_or_default(),
            start_date: start[i].and_then(date32),
            last_fit_note: last_note[i].and_then(date32),
            last_employment_month: last_month[i].and_then(date32),
        })
        .collect())
}

/// Warnings for programmes the data do not cover yet: one that starts after
/// the last fit note (no post-period for its DiD), one whose participants
/// are all too recent for the 6-month outcome, one with no participants.
pub fn warnings(coverage: &[Coverage], programme_outcomes: &[ProgrammeOutcome]) -> Vec<String> {
    let show = |d: Option<NaiveDate>| d.map_or_else(|| "none".to_string(), |d| d.to_string());
    let mut warnings = Vec::new();
    for c in coverage {
        let name = &c.programme;
        if c.start_date.is_some() && (c.last_fit_note.is_none() || c.start_date > c.last_fit_note) {
            warnings.push(format!(
                "{name} starts on {}, after the last fit note ({}): its fit-note difference in differences cannot be estimated. Check its start_date in area_programmes, or rerun when later fit notes arrive.",
                show(c.start_date),
                show(c.last_fit_note)
            ));
        }
        match programme_outcomes.iter().find(|o| &o.programme == name) {
            None => warnings.push(format!(
                "{name} has no participants: no valid referral names it. Its outcomes are empty; check referrals.programme and the quarantine."
            )),
            Some(o) if o.eligible == 0 && o.participants > 0 => warnings.push(format!(
                "{name} has participants but none eligible for the 6-month outcome: the month six months after each referral is after the last employment month ({}). Rerun when later employment data arrive.",
                show(c.last_employment_month)
            )),
            Some(_) => {}
        }
    }
    warnings
}

pub async fn cohort_size(ctx: &SessionContext) -> Result<CohortSize> {
    let r = query(ctx, "cohort_size").await?;
    let mut size = CohortSize::default();
    let (arm, people, eligible) = (
        r.strings("arm")?,
        r.counts("people")?,
        r.counts("eligible")?,
    );
    for i in 0..r.num_rows() {
        match parse(arm[i].as_deref(), Arm::parse, "cohort_size", "arm")? {
            Arm::Participant => {
                (size.participants, size.participants_eligible) = (people[i], eligible[i])
            }
            Arm::Comparison => {
                (size.comparison_pool, size.comparison_eligible) = (people[i], eligible[i])
            }
            // sql/cohort_size.sql leaves them out.
            Arm::OwnArea => {}
        }
    }
    Ok(size)
}
