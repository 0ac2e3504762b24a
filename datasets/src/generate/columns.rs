//! Column builders for the generated tables, one struct per table.

use super::*;

/// Column builders for one table.
pub(crate) struct PeopleCols {
    pub(crate) person_id: StringBuilder,
    pub(crate) area_id: StringBuilder,
    pub(crate) age_band: StringBuilder,
    pub(crate) sex: StringBuilder,
    pub(crate) imd_decile: Int8Builder,
}

pub(crate) struct ReferralCols {
    pub(crate) referral_id: StringBuilder,
    pub(crate) person_id: StringBuilder,
    pub(crate) programme: StringBuilder,
    pub(crate) area_id: StringBuilder,
    pub(crate) referral_date: Date32Builder,
    pub(crate) referral_source: StringBuilder,
    pub(crate) primary_condition: StringBuilder,
    pub(crate) engaged: BooleanBuilder,
}

pub(crate) struct FitNoteCols {
    pub(crate) fit_note_id: StringBuilder,
    pub(crate) person_id: StringBuilder,
    pub(crate) area_id: StringBuilder,
    pub(crate) issue_date: Date32Builder,
    pub(crate) assessment: StringBuilder,
    pub(crate) duration_days: Int32Builder,
    pub(crate) condition: StringBuilder,
    pub(crate) phased_return: BooleanBuilder,
    pub(crate) altered_hours: BooleanBuilder,
    pub(crate) amended_duties: BooleanBuilder,
    pub(crate) workplace_adaptations: BooleanBuilder,
}

pub(crate) struct EmploymentCols {
    pub(crate) person_id: StringBuilder,
    pub(crate) month: Date32Builder,
    pub(crate) status: StringBuilder,
    pub(crate) earnings_gbp: Float64Builder,
}

macro_rules! new_cols {
    ($t:ident { $($f:ident : $b:ty),* $(,)? }) => {
        $t { $($f: <$b>::new()),* }
    };
}

impl PeopleCols {
    pub(crate) fn new() -> Self {
        new_cols!(PeopleCols {
            person_id: StringBuilder,
            area_id: StringBuilder,
            age_band: StringBuilder,
            sex: StringBuilder,
            imd_decile: Int8Builder
        })
    }
    pub(crate) fn finish(mut self) -> Result<RecordBatch> {
        batch(
            "people",
            vec![
                ("person_id", Arc::new(self.person_id.finish()) as ArrayRef),
                ("area_id", Arc::new(self.area_id.finish())),
                ("age_band", Arc::new(self.age_band.finish())),
                ("sex", Arc::new(self.sex.finish())),
                ("imd_decile", Arc::new(self.imd_decile.finish())),
            ],
        )
    }
}

impl ReferralCols {
    pub(crate) fn new() -> Self {
        new_cols!(ReferralCols {
            referral_id: StringBuilder,
            person_id: StringBuilder,
            programme: StringBuilder,
            area_id: StringBuilder,
            referral_date: Date32Builder,
            referral_source: StringBuilder,
            primary_condition: StringBuilder,
            engaged: BooleanBuilder,
        })
    }
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn push(
        &mut self,
        id: &str,
        person: &str,
        programme: &str,
        area: &str,
        date: NaiveDate,
        source: &str,
        condition: &str,
        engaged: bool,
    ) {
        self.referral_id.append_value(id);
        self.person_id.append_value(person);
        self.programme.append_value(programme);
        self.area_id.append_value(area);
        self.referral_date.append_value(date32(date));
        self.referral_source.append_value(source);
        self.primary_condition.append_value(condition);
        self.engaged.append_value(engaged);
    }
    pub(crate) fn finish(mut self) -> Result<RecordBatch> {
        batch(
            "referrals",
            vec![
                (
                    "referral_id",
                    Arc::new(self.referral_id.finish()) as ArrayRef,
                ),
                ("person_id", Arc::new(self.person_id.finish())),
                ("programme", Arc::new(self.programme.finish())),
                ("area_id", Arc::new(self.area_id.finish())),
                ("referral_date", Arc::new(self.referral_date.finish())),
                ("referral_source", Arc::new(self.referral_source.finish())),
                (
                    "primary_condition",
                    Arc::new(self.primary_condition.finish()),
                ),
                ("engaged", Arc::new(self.engaged.finish())),
            ],
        )
    }
}

impl FitNoteCols {
    pub(crate) fn new() -> Self {
        new_cols!(FitNoteCols {
            fit_note_id: StringBuilder,
            person_id: StringBuilder,
            area_id: StringBuilder,
            issue_date: Date32Builder,
            assessment: StringBuilder,
            duration_days: Int32Builder,
            condition: StringBuilder,
            phased_return: BooleanBuilder,
            altered_hours: BooleanBuilder,
            amended_duties: BooleanBuilder,
            workplace_adaptations: BooleanBuilder,
        })
    }
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn push(
        &mut self,
        id: &str,
        person: &str,
        area: &str,
        date: NaiveDate,
        assessment: &str,
        duration: i32,
        condition: &str,
        adjustments: [bool; 4],
    ) {
        self.fit_note_id.append_value(id);
        self.person_id.append_value(person);
        self.area_id.append_value(area);
        self.issue_date.append_value(date32(date));
        self.assessment.append_value(assessment);
        self.duration_days.append_value(duration);
        self.condition.append_value(condition);
        self.phased_return.append_value(adjustments[0]);
        self.altered_hours.append_value(adjustments[1]);
        self.amended_duties.append_value(adjustments[2]);
        self.workplace_adaptations.append_value(adjustments[3]);
    }
    pub(crate) fn finish(mut self) -> Result<RecordBatch> {
        batch(
            "fit_notes",
            vec![
                (
                    "fit_note_id",
                    Arc::new(self.fit_note_id.finish()) as ArrayRef,
                ),
                ("person_id", Arc::new(self.person_id.finish())),
                ("area_id", Arc::new(self.area_id.finish())),
                ("issue_date", Arc::new(self.issue_date.finish())),
                ("assessment", Arc::new(self.assessment.finish())),
                ("duration_days", Arc::new(self.duration_days.finish())),
                ("condition", Arc::new(self.condition.finish())),
                ("phased_return", Arc::new(self.phased_return.finish())),
                ("altered_hours", Arc::new(self.altered_hours.finish())),
                ("amended_duties", Arc::new(self.amended_duties.finish())),
                (
                    "workplace_adaptations",
                    Arc::new(self.workplace_adaptations.finish()),
                ),
            ],
        )
    }
}

impl EmploymentCols {
    pub(crate) fn new() -> Self {
        new_cols!(EmploymentCols {
            person_id: StringBuilder,
            month: Date32Builder,
            status: StringBuilder,
            earnings_gbp: Float64Builder
        })
    }
    pub(crate) fn push(
        &mut self,
        person: &str,
        month: NaiveDate,
        status: &str,
        earnings: Option<f64>,
    ) {
        self.person_id.append_value(person);
        self.month.append_value(date32(month));
        self.status.append_value(status);
        self.earnings_gbp.append_option(earnings);
    }
    pub(crate) fn finish(mut self) -> Result<RecordBatch> {
        batch(
            "employment",
            vec![
                ("person_id", Arc::new(self.person_id.finish()) as ArrayRef),
                ("month", Arc::new(self.month.finish())),
                ("status", Arc::new(self.status.finish())),
                ("earnings_gbp", Arc::new(self.earnings_gbp.finish())),
            ],
        )
    }
}

pub(crate) fn batch(table: &'static str, columns: Vec<(&str, ArrayRef)>) -> Result<RecordBatch> {
    RecordBatch::try_from_iter_with_nullable(columns.into_iter().map(|(n, a)| (n, a, true)))
        .map_err(|source| GenerateError::Arrow { table, source })
}

/// `_planted_participants.parquet`: each participant's true effect on every
/// outcome (`Outcome::ALL`, one column each, null where their data do not
/// reach it), once per programme they were referred to, so a coverage study
/// can take the truth over exactly the participants a design matched.
pub(crate) struct ParticipantTruthCols {
    pub(crate) person_id: StringBuilder,
    pub(crate) programme: StringBuilder,
    pub(crate) effects: Vec<Float64Builder>,
}

impl ParticipantTruthCols {
    pub(crate) fn new() -> Self {
        ParticipantTruthCols {
            person_id: StringBuilder::new(),
            programme: StringBuilder::new(),
            effects: Outcome::ALL.iter().map(|_| Float64Builder::new()).collect(),
        }
    }
    pub(crate) fn push(&mut self, person: &str, programme: &str, effects: &[Option<f64>]) {
        self.person_id.append_value(person);
        self.programme.append_value(programme);
        for (builder, effect) in self.effects.iter_mut().zip(effects) {
            builder.append_option(*effect);
        }
    }
    pub(crate) fn finish(mut self) -> Result<RecordBatch> {
        let mut columns = vec![
            ("person_id", Arc::new(self.person_id.finish()) as ArrayRef),
            ("programme", Arc::new(self.programme.finish())),
        ];
        for (outcome, builder) in Outcome::ALL.iter().zip(self.effects.iter_mut()) {
            columns.push((outcome.as_str(), Arc::new(builder.finish())));
        }
        batch("_planted_participants", columns)
    }
}
