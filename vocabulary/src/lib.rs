//! The words shared by `sql/` and Rust: each value's SQL literal is written
//! here once. The metric queries emit these literals (`cohort.arm`,
//! `fit_note_did_counts.side`, ...); Rust parses them back with `parse`, so a
//! literal that changes on one side only is an error naming the column, not a
//! silently empty group. `metrics::tests::every_vocabulary_literal_is_written_by_some_metric_query`
//! checks the SQL side. A crate of its own, with no dependency, so the
//! contract and the statistics (`stats`, which has no query engine) share
//! it without depending on each other.

/// Declare a vocabulary: an enum whose values each have one literal.
#[macro_export]
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $literal:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in the order the contract lists them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value as SQL writes it (and as the evidence root stores it).
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $literal),+
                }
            }

            /// The value a query or table wrote, if it is one of these.
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($literal => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

crate::vocabulary! {
    /// Which side of the evaluation a person of `cohort` is on.
    Arm {
        Participant = "participant",
        Comparison = "comparison",
        /// A never-referred person of a programme area, for the own-area
        /// design (`sql/comparison_pool.sql`'s pool).
        OwnArea = "own_area",
    }
}

crate::vocabulary! {
    /// Which areas a fit-note count is for: the programme's or the
    /// comparison areas (`fit_note_did_counts.side`, `fit_note_trend.side`).
    Side {
        Programme = "programme",
        Comparison = "comparison",
    }
}

crate::vocabulary! {
    /// Which of a programme's areas a fit-note effect is estimated over:
    /// every area running it, or only those running no other programme that
    /// starts inside the analysis window (`fit_note_event_study.areas`).
    AreaSet {
        All = "all",
        Clean = "clean",
    }
}

crate::vocabulary! {
    /// Before or after a programme's start (`fit_note_did_counts.period`).
    Period {
        Pre = "pre",
        Post = "post",
    }
}

crate::vocabulary! {
    /// A subgroup dimension of `subgroup_outcomes`, in the contract's order;
    /// `participant_strata` also emits `all`, the whole programme.
    Dimension {
        All = "all",
        Condition = "condition",
        ReferralSource = "referral_source",
        AgeBand = "age_band",
        Sex = "sex",
        ImdQuintile = "imd_quintile",
        /// Whether the participant is also a participant of another
        /// programme (values `co-enrolled`, `this programme only`).
        CoEnrolment = "co_enrolment",
    }
}

/// The `co_enrolment` subgroup's value for a participant who is also a
/// participant of another programme (`sql/participant_strata.sql`).
pub const CO_ENROLLED: &str = "co-enrolled";

impl Dimension {
    /// The dimensions `subgroup_outcomes` reports (all but `all`).
    pub fn subgroups() -> impl Iterator<Item = Dimension> {
        Dimension::ALL
            .iter()
            .copied()
            .filter(|d| *d != Dimension::All)
    }
}

crate::vocabulary! {
    /// Where a site sits against its 99.8% funnel limits
    /// (`site_outcomes.funnel_flag`).
    FunnelFlag {
        Above = "above",
        Within = "within",
        Below = "below",
    }
}

crate::vocabulary! {
    /// How a programme's sites' spread beyond chance was estimated
    /// (`site_funnels.tau2_source`): from its own sites, from every
    /// programme's sites (fewer than `overdispersion::FEWEST_SITES` of its
    /// own), or not at all (too few sites anywhere: limits without flags).
    Tau2Source {
        Own = "own",
        Pooled = "pooled",
        None = "none",
    }
}

crate::vocabulary! {
    /// What a site funnel compares (`site_funnels.indicator`): the case-mix
    /// adjusted in-work rate at 6 months, or the site's matched effect.
    SiteIndicator {
        AdjustedRate = "adjusted_rate",
        Effect = "effect",
    }
}

crate::vocabulary! {
    /// A site's recent trend (`site_outcomes.trend`), Fingertips' marks.
    Trend {
        Increasing = "increasing",
        Decreasing = "decreasing",
        NoSignificantChange = "no_significant_change",
        NotEnoughPoints = "not_enough_points",
    }
}

/// Where an effect's 95% interval lies against zero. Decided once, on the
/// exact interval: the cost per additional outcome exists exactly when an
/// effect is `Above`, and the dashboard shows the same verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Significance {
    Above,
    Below,
    SpansZero,
}

impl Significance {
    /// The verdict for an interval `(low, high)`; `None` without one.
    pub fn of(low: Option<f64>, high: Option<f64>) -> Option<Significance> {
        let (low, high) = (low?, high?);
        Some(if low > 0.0 {
            Significance::Above
        } else if high < 0.0 {
            Significance::Below
        } else {
            Significance::SpansZero
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_round_trip() {
        for d in Dimension::ALL {
            assert_eq!(Dimension::parse(d.as_str()), Some(*d));
        }
        assert_eq!(Arm::parse("Participant"), None, "matched exactly");
        assert_eq!(Dimension::subgroups().count(), 6);
    }

    #[test]
    fn significance_by_hand() {
        assert_eq!(
            Significance::of(Some(0.001), Some(0.2)),
            Some(Significance::Above)
        );
        assert_eq!(
            Significance::of(Some(-0.2), Some(-0.0001)),
            Some(Significance::Below)
        );
        assert_eq!(
            Significance::of(Some(0.0), Some(0.2)),
            Some(Significance::SpansZero)
        );
        assert_eq!(Significance::of(None, Some(0.2)), None);
    }
}
