//! Plain-English labels for the contract's words.

use crate::disclosure::{SUPPRESSED, Site};
use contract::vocabulary::Dimension;

/// Where a site sits against its adjusted funnel's limits, in words: its
/// flag, "not flagged" where the programme's funnel flags nothing (too few
/// sites), `[c]` where its rate is suppressed.
pub fn adjusted_flag(site: &Site) -> &'static str {
    match site.adjusted {
        None => SUPPRESSED,
        Some(a) => a.flag.map_or("not flagged", |f| f.as_str()),
    }
}

pub fn dimension_label(dimension: Dimension) -> &'static str {
    match dimension {
        Dimension::All => "All participants",
        Dimension::Condition => "Condition",
        Dimension::ReferralSource => "Referral source",
        Dimension::AgeBand => "Age band",
        Dimension::Sex => "Sex",
        Dimension::ImdQuintile => "Deprivation quintile",
        Dimension::CoEnrolment => "Referred to another programme too",
    }
}

/// A balance covariate's label, and whether its values are shares (of a
/// level) rather than means.
pub fn covariate_label(covariate: &str) -> &str {
    match covariate {
        "age_band" => "Age band",
        "sex" => "Sex",
        "imd_quintile" => "Deprivation quintile",
        "condition" => "Condition",
        "baseline_status" => "Status in the month of referral",
        "work_history" => "Work history (3, 6 and 12 months before)",
        "index_period" => "Quarter of referral",
        "labour_market" => "Local labour market",
        "region" => "Region",
        "imd_decile" => "Deprivation decile (mean)",
        "months_employed_before" => "Months in work in the year before (mean)",
        "earnings_before" => "Monthly earnings in the year before (mean)",
        "fit_notes_before" => "Fit notes in the year before (mean)",
        other => other,
    }
}
