//! Plain-English labels for the contract's words.

use contract::vocabulary::Dimension;

pub fn dimension_label(dimension: Dimension) -> &'static str {
    match dimension {
        Dimension::All => "All participants",
        Dimension::Condition => "Condition",
        Dimension::ReferralSource => "Referral source",
        Dimension::AgeBand => "Age band",
        Dimension::Sex => "Sex",
        Dimension::ImdQuintile => "Deprivation quintile",
    }
}
