//! Whether a programme's effect may be shown (OHDSI's "blinded until the
//! diagnostics pass", Schuemie et al. 2020): the checks a design must pass
//! before its estimate means what it says, each with its threshold. A
//! failing check withholds the effect from commissioners' pages, which say
//! which check failed and why.

/// The figures the checks are judged on, exact (the pipeline's).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DiagnosticInputs {
    /// Negative controls estimated, and the expected absolute systematic
    /// error of the null fitted to them.
    pub negative_controls: usize,
    pub expected_systematic_error: Option<f64>,
    /// The largest |standardised difference| after matching over the
    /// covariates matching should balance but does not match on (IMD
    /// decile, months employed and earnings in the year before).
    pub max_smd: Option<f64>,
    /// Matched ÷ eligible participants.
    pub matched_share: Option<f64>,
    /// The minimum detectable effect (80% power, 5% two-sided).
    pub mde: Option<f64>,
}

/// The fewest negative controls a null is fitted to.
pub const FEWEST_NEGATIVE_CONTROLS: usize = 3;
/// The largest expected absolute systematic error accepted: 2 points.
pub const MOST_SYSTEMATIC_ERROR: f64 = 0.02;
/// The largest standardised difference accepted after matching (Austin
/// 2009's 0.1).
pub const MOST_SMD: f64 = 0.1;
/// The smallest share of eligible participants the matching must keep:
/// below it the effect speaks for too few of them (OHDSI asks as much of
/// its equipoise, 20% of people in the middle preference range; here a
/// quarter of eligible participants matched).
pub const FEWEST_MATCHED: f64 = 0.25;
/// The effect the design must be able to detect (80% power at 5%): 10
/// points. A design that cannot detect an effect that large tells a panel
/// nothing either way (OHDSI's minimum detectable relative risk below 10 is
/// as lenient).
pub const PLAUSIBLE_EFFECT: f64 = 0.10;

/// One failed check: its name and why, in plain words.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub check: &'static str,
    pub why: String,
}

/// Every check `inputs` fail, in a fixed order; empty when all pass.
pub fn failures(inputs: &DiagnosticInputs) -> Vec<Failure> {
    let mut failed = Vec::new();
    let percent = |x: f64| format!("{:.1}", 100.0 * x);
    if inputs.negative_controls < FEWEST_NEGATIVE_CONTROLS {
        failed.push(Failure {
            check: "negative_controls",
            why: format!(
                "only {} negative controls could be estimated, fewer than {FEWEST_NEGATIVE_CONTROLS}, so the design's systematic error is unmeasured",
                inputs.negative_controls
            ),
        });
    } else {
        match inputs.expected_systematic_error {
            Some(e) if e <= MOST_SYSTEMATIC_ERROR => {}
            Some(e) => failed.push(Failure {
                check: "systematic_error",
                why: format!(
                    "the negative controls show an expected absolute systematic error of {} points, more than {}",
                    percent(e),
                    percent(MOST_SYSTEMATIC_ERROR)
                ),
            }),
            None => failed.push(Failure {
                check: "systematic_error",
                why: "the systematic error could not be estimated".into(),
            }),
        }
    }
    match inputs.max_smd {
        Some(d) if d <= MOST_SMD => {}
        Some(d) => failed.push(Failure {
            check: "balance",
            why: format!(
                "after matching, a covariate not matched on still differs by a standardised difference of {d:.2}, more than {MOST_SMD}"
            ),
        }),
        None => failed.push(Failure {
            check: "balance",
            why: "balance after matching could not be measured".into(),
        }),
    }
    match inputs.matched_share {
        Some(s) if s >= FEWEST_MATCHED => {}
        Some(s) => failed.push(Failure {
            check: "overlap",
            why: format!(
                "only {}% of eligible participants have comparison people like them, fewer than {}%",
                percent(s),
                percent(FEWEST_MATCHED)
            ),
        }),
        None => failed.push(Failure {
            check: "overlap",
            why: "no eligible participant has comparison people like them".into(),
        }),
    }
    match inputs.mde {
        Some(m) if m <= PLAUSIBLE_EFFECT => {}
        Some(m) => failed.push(Failure {
            check: "power",
            why: format!(
                "the smallest effect the data would detect is {} points, more than the plausible {}",
                percent(m),
                percent(PLAUSIBLE_EFFECT)
            ),
        }),
        None => failed.push(Failure {
            check: "power",
            why: "the smallest detectable effect could not be computed".into(),
        }),
    }
    failed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passing() -> DiagnosticInputs {
        DiagnosticInputs {
            negative_controls: 5,
            expected_systematic_error: Some(0.01),
            max_smd: Some(0.05),
            matched_share: Some(0.7),
            mde: Some(0.08),
        }
    }

    #[test]
    fn each_check_fails_on_its_own_side_of_its_threshold() {
        assert!(failures(&passing()).is_empty());
        let at_thresholds = DiagnosticInputs {
            expected_systematic_error: Some(MOST_SYSTEMATIC_ERROR),
            max_smd: Some(MOST_SMD),
            matched_share: Some(FEWEST_MATCHED),
            mde: Some(PLAUSIBLE_EFFECT),
            ..passing()
        };
        assert!(failures(&at_thresholds).is_empty(), "thresholds pass");
        let names = |i: DiagnosticInputs| -> Vec<&str> {
            failures(&i).into_iter().map(|f| f.check).collect()
        };
        assert_eq!(
            names(DiagnosticInputs {
                expected_systematic_error: Some(0.03),
                ..passing()
            }),
            ["systematic_error"]
        );
        assert_eq!(
            names(DiagnosticInputs {
                negative_controls: 2,
                ..passing()
            }),
            ["negative_controls"]
        );
        assert_eq!(
            names(DiagnosticInputs {
                max_smd: Some(0.2),
                ..passing()
            }),
            ["balance"]
        );
        assert_eq!(
            names(DiagnosticInputs {
                matched_share: Some(0.2),
                ..passing()
            }),
            ["overlap"]
        );
        assert_eq!(
            names(DiagnosticInputs {
                mde: Some(0.16),
                ..passing()
            }),
            ["power"]
        );
        let f = failures(&DiagnosticInputs {
            mde: Some(0.16),
            ..passing()
        });
        assert!(f[0].why.contains("16.0 points"), "{}", f[0].why);
    }
}
