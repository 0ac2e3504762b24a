//! The outcomes each programme is judged on, and which one is its headline.
//!
//! Every outcome is estimated with the same matched estimator, intervals
//! and disclosure as the contract's `in_work_6m` (`outcome_effects`); the
//! metric query `sql/outcome_strata.sql` writes each one's counts as
//! `<outcome>_eligible`, `<outcome>_total`, `<outcome>_squares` and
//! `<outcome>_engaged`. The headline outcome of each programme was declared
//! before any result was seen, in `contract/reference/headline_outcomes.csv`
//! (compiled in: changing it is a visible commit); every other outcome is
//! secondary.

::vocabulary::vocabulary! {
    /// An outcome of `outcome_effects.outcome`, in the order pages list them.
    Outcome {
        InWork3m = "in_work_3m",
        InWork6m = "in_work_6m",
        InWork12m = "in_work_12m",
        InWork18m = "in_work_18m",
        InWork24m = "in_work_24m",
        Eet6m = "eet_6m",
        Eet12m = "eet_12m",
        MonthsInWork12m = "months_in_work_12m",
        Earnings1To6m = "earnings_1_6m",
        Earnings7To12m = "earnings_7_12m",
    }
}

::vocabulary::vocabulary! {
    /// How an outcome's values are measured (`outcome_effects.unit`).
    Unit {
        /// Yes or no per person: the effect is a difference in proportions.
        Proportion = "proportion",
        /// Months (0 to 12) per person: a difference in means.
        Months = "months",
        /// Pounds a month per person: a difference in means.
        Pounds = "pounds",
    }
}

::vocabulary::vocabulary! {
    /// An outcome's part in a programme's evaluation
    /// (`outcome_effects.role`): declared in advance as its headline, or
    /// secondary.
    Role {
        Headline = "headline",
        Secondary = "secondary",
    }
}

impl Outcome {
    pub fn unit(self) -> Unit {
        match self {
            Outcome::MonthsInWork12m => Unit::Months,
            Outcome::Earnings1To6m | Outcome::Earnings7To12m => Unit::Pounds,
            _ => Unit::Proportion,
        }
    }

    /// Months after the index month the outcome is measured at (the end of
    /// its window).
    pub fn horizon_months(self) -> u32 {
        match self {
            Outcome::InWork3m => 3,
            Outcome::InWork6m | Outcome::Eet6m | Outcome::Earnings1To6m => 6,
            Outcome::InWork12m
            | Outcome::Eet12m
            | Outcome::MonthsInWork12m
            | Outcome::Earnings7To12m => 12,
            Outcome::InWork18m => 18,
            Outcome::InWork24m => 24,
        }
    }

    /// Plain words for a page.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::InWork3m => "In work at 3 months",
            Outcome::InWork6m => "In work at 6 months",
            Outcome::InWork12m => "In work at 12 months",
            Outcome::InWork18m => "In work at 18 months",
            Outcome::InWork24m => "In work at 24 months",
            Outcome::Eet6m => "In employment, education or training at 6 months",
            Outcome::Eet12m => "In employment, education or training at 12 months",
            Outcome::MonthsInWork12m => "Months in work in the year after referral",
            Outcome::Earnings1To6m => "Mean monthly earnings, months 1-6 (£)",
            Outcome::Earnings7To12m => "Mean monthly earnings, months 7-12 (£)",
        }
    }

    /// The metric query's column for `part` (`eligible`, `total`,
    /// `squares`, `engaged`).
    pub fn column(self, part: &str) -> String {
        format!("{}_{part}", self.as_str())
    }
}

::vocabulary::vocabulary! {
    /// A negative control (`negative_controls.control`): an outcome the
    /// programme cannot have changed, since it is measured before the
    /// index month, and that the matching strata do not hold (they look
    /// back 3, 6 and 12 months). Its true effect is zero, so what its
    /// estimate shows beyond chance is the design's systematic error
    /// (Schuemie et al. 2014), which `stats::formulas::calibration`
    /// measures and corrects for.
    NegativeControl {
        InWorkBefore9m = "in_work_before_9m",
        InWorkBefore15m = "in_work_before_15m",
        InWorkBefore18m = "in_work_before_18m",
        InWorkBefore21m = "in_work_before_21m",
        InWorkBefore24m = "in_work_before_24m",
    }
}

impl NegativeControl {
    /// How many months before the index month it is measured.
    pub fn months_before(self) -> u32 {
        match self {
            NegativeControl::InWorkBefore9m => 9,
            NegativeControl::InWorkBefore15m => 15,
            NegativeControl::InWorkBefore18m => 18,
            NegativeControl::InWorkBefore21m => 21,
            NegativeControl::InWorkBefore24m => 24,
        }
    }

    /// Plain words for a page.
    pub fn label(self) -> String {
        format!("In work {} months before referral", self.months_before())
    }

    /// The metric query's column for `part` (`eligible`, `total`).
    pub fn column(self, part: &str) -> String {
        format!("{}_{part}", self.as_str())
    }
}

/// One programme's pre-declared headline outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Headline {
    pub programme: String,
    pub outcome: Outcome,
    /// When it was declared (before the results it governs).
    pub declared: String,
    pub rationale: String,
}

/// The reference file, compiled in.
pub const HEADLINE_FILE: &str = include_str!("../reference/headline_outcomes.csv");

/// Every programme's headline, from [`HEADLINE_FILE`].
pub fn headlines() -> Vec<Headline> {
    HEADLINE_FILE
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .filter_map(|line| {
            let mut fields = line.splitn(4, ',');
            let programme = fields.next()?.trim().to_string();
            let outcome = Outcome::parse(fields.next()?.trim())?;
            let declared = fields.next()?.trim().to_string();
            let rationale = fields.next()?.trim().to_string();
            Some(Headline {
                programme,
                outcome,
                declared,
                rationale,
            })
        })
        .collect()
}

/// The headline outcome of `programme`: its declared one, or the contract's
/// `in_work_6m` for a programme the file does not list.
pub fn headline_of(programme: &str) -> Outcome {
    headlines()
        .into_iter()
        .find(|h| h.programme == programme)
        .map_or(Outcome::InWork6m, |h| h.outcome)
}

impl Role {
    /// `outcome`'s role in `programme`'s evaluation.
    pub fn of(programme: &str, outcome: Outcome) -> Role {
        if headline_of(programme) == outcome {
            Role::Headline
        } else {
            Role::Secondary
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_programme_declares_one_known_headline() {
        let declared = headlines();
        assert_eq!(
            HEADLINE_FILE
                .lines()
                .skip(1)
                .filter(|l| !l.is_empty())
                .count(),
            declared.len(),
            "every line of headline_outcomes.csv parses to a known outcome"
        );
        for programme in crate::inputs::PROGRAMMES {
            let rows: Vec<_> = declared
                .iter()
                .filter(|h| h.programme == *programme)
                .collect();
            assert_eq!(rows.len(), 1, "{programme} declares one headline");
        }
        assert_eq!(headline_of("Youth Guarantee Trailblazer"), Outcome::Eet6m);
        assert_eq!(headline_of("WorkWell"), Outcome::InWork6m);
        assert_eq!(headline_of("A programme not listed"), Outcome::InWork6m);
    }
}
