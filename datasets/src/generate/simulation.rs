//! Simulating people chunk by chunk: each person's area, strata, referrals,
//! fit notes and monthly employment, and the true fit-note shares behind the
//! planted DiD.

use super::*;

/// Sums of true may_be_fit probabilities per (programme, side, period), for
/// the planted DiD: index = programme·4 + side·2 + period.
#[derive(Default, Clone)]
pub(crate) struct DidTruth {
    pub(crate) probability_sum: Vec<f64>,
    pub(crate) notes: Vec<u64>,
}

impl DidTruth {
    pub(crate) fn new(programmes: usize) -> Self {
        DidTruth {
            probability_sum: vec![0.0; programmes * 4],
            notes: vec![0; programmes * 4],
        }
    }
    pub(crate) fn add(&mut self, other: &DidTruth) {
        for (a, b) in self.probability_sum.iter_mut().zip(&other.probability_sum) {
            *a += b;
        }
        for (a, b) in self.notes.iter_mut().zip(&other.notes) {
            *a += b;
        }
    }
    pub(crate) fn share(&self, p: usize, side: usize, period: usize) -> f64 {
        let i = p * 4 + side * 2 + period;
        self.probability_sum[i] / self.notes[i].max(1) as f64
    }
}

/// One chunk of people, all tables.
pub(crate) struct Chunk {
    pub(crate) people: RecordBatch,
    pub(crate) referrals: RecordBatch,
    pub(crate) fit_notes_by_year: BTreeMap<i32, RecordBatch>,
    pub(crate) employment_by_month: Vec<RecordBatch>,
    pub(crate) truth: DidTruth,
    pub(crate) participants: Vec<u64>,
    /// Per programme, the sum over participants of the uplift their chance
    /// of being in work really got (less than the planted one where it hit
    /// certainty).
    pub(crate) uplift_realised: Vec<f64>,
    /// Per programme, participants who engaged.
    pub(crate) engaged: Vec<u64>,
    /// Per programme, each outcome's true effect summed over the
    /// participants whose data reach it (`OutcomeTruth`).
    pub(crate) outcomes: Vec<OutcomeTruth>,
    /// People with the hidden trait and all people, among participants
    /// (per programme) and among those never referred.
    pub(crate) hidden_participants: Vec<u64>,
    pub(crate) hidden_not_referred: (u64, u64),
}

/// Each outcome's (contract::outcomes::Outcome::ALL order) true effect per
/// participant, summed, and how many participants' data reach it (their
/// index month plus the outcome's horizon is in the window).
#[derive(Debug, Clone, Default)]
pub(crate) struct OutcomeTruth {
    pub(crate) sum: Vec<f64>,
    pub(crate) reach: Vec<u64>,
}

impl OutcomeTruth {
    pub(crate) fn new() -> Self {
        OutcomeTruth {
            sum: vec![0.0; Outcome::ALL.len()],
            reach: vec![0; Outcome::ALL.len()],
        }
    }

    pub(crate) fn add(&mut self, other: &OutcomeTruth) {
        for (a, b) in self.sum.iter_mut().zip(&other.sum) {
            *a += b;
        }
        for (a, b) in self.reach.iter_mut().zip(&other.reach) {
            *a += b;
        }
    }

    /// The true ATT of `outcome`, over the participants its data reach.
    pub(crate) fn att(&self, outcome: Outcome) -> Option<f64> {
        let i = Outcome::ALL.iter().position(|o| *o == outcome)?;
        (self.reach[i] > 0).then(|| self.sum[i] / self.reach[i] as f64)
    }
}

pub(crate) fn person_id(seed: u64, n: u64) -> String {
    format!("{:016x}", mix(n ^ mix(seed)))
}

pub(crate) fn generate_chunk(
    world: &World,
    seed: u64,
    chunk: u64,
    first: u64,
    count: u64,
) -> Result<Chunk> {
    let mut rng = Pcg64Mcg::seed_from_u64(mix(seed ^ mix(chunk + 1)));
    let earnings = LogNormal::new(2100f64.ln(), 0.45).expect("valid parameters");
    let areas = &world.reference.areas;
    let mut people = PeopleCols::new();
    let mut referrals = ReferralCols::new();
    let mut notes: BTreeMap<i32, FitNoteCols> = BTreeMap::new();
    let mut employment: Vec<EmploymentCols> = (0..MONTHS).map(|_| EmploymentCols::new()).collect();
    let mut truth = DidTruth::new(world.programme_names.len());
    let mut participants = vec![0u64; world.programme_names.len()];
    let mut uplift_realised = vec![0.0; world.programme_names.len()];
    let mut engaged_count = vec![0u64; world.programme_names.len()];
    let mut outcomes = vec![OutcomeTruth::new(); world.programme_names.len()];
    let mut hidden_participants = vec![0u64; world.programme_names.len()];
    let mut hidden_not_referred = (0u64, 0u64);
    let window_end = month_start(MONTHS) - chrono::Days::new(1);

    for n in first..first + count {
        let id = person_id(seed, n);
        let area = world.sample_area(&mut rng);
        let area_id = areas[area].area_id.as_str();
        let age = pick(&mut rng, &AGE_WEIGHTS);
        let female = rng.random_bool(0.51);
        let decile: i8 = rng.random_range(1..=10);
        let quintile = (decile as usize).div_ceil(2);
        let condition = pick(&mut rng, &CONDITION_WEIGHTS);
        let anchor = rng.random_range(0..MONTHS);
        let anchor_date = month_start(anchor)
            + chrono::Days::new(rng.random_range(0..days_in_month(anchor)) as u64);

        let deprivation_shift = 0.03 * (3.0 - quintile as f64)
            - world.area_level[area]
            - world.region_shift(area, anchor);
        let status_weights = if age == 0 {
            [
                0.38 - deprivation_shift,
                0.14,
                0.20 + deprivation_shift,
                0.28,
            ]
        } else {
            [
                0.58 - deprivation_shift,
                0.10,
                0.30 + deprivation_shift,
                0.02,
            ]
        };
        let true_status = pick(&mut rng, &status_weights);
        let gap_at_anchor = rng.random_bool(0.03);
        let gap_at_outcome = rng.random_bool(0.04);
        let observed = if gap_at_anchor { UNKNOWN } else { true_status };
        // The dip: out of work now, in work until `since` months ago.
        let since =
            if world.difficulties.dip && true_status != EMPLOYED && rng.random_bool(DIP_SHARE) {
                rng.random_range(1..=12usize)
            } else {
                0
            };

        people.person_id.append_value(&id);
        people.area_id.append_value(area_id);
        people.age_band.append_value(AGE_BANDS[age]);
        people
            .sex
            .append_value(if female { "Female" } else { "Male" });
        people.imd_decile.append_value(decile);

        let hidden = world.difficulties.hidden && rng.random_bool(HIDDEN_SHARE);

        // Referral: to one of the area's programmes live at the anchor month.
        let live: Vec<usize> = world.area_programmes[area]
            .iter()
            .filter(|(_, start)| anchor >= *start)
            .map(|(p, _)| *p)
            .collect();
        let mut programme = None;
        if !live.is_empty() {
            let factors: Vec<f64> = live
                .iter()
                .map(|&p| {
                    selection_factor(
                        &world.programme_names[p],
                        age,
                        quintile,
                        condition,
                        observed,
                    )
                })
                .collect();
            let chosen = pick(&mut rng, &factors);
            let p = live[chosen];
            let dip = if since > 0 { DIP_SELECTION } else { 1.0 };
            let trait_factor = if hidden { HIDDEN_REFERRAL } else { 1.0 };
            let probability =
                (world.referral_rate[p] * factors[chosen] * dip * trait_factor).min(0.95);
            if rng.random_bool(probability) {
                programme = Some(p);
            }
        }
        let engaged = programme.is_some() && rng.random_bool(ENGAGED_SHARE);
        if programme.is_none() {
            hidden_not_referred.0 += u64::from(hidden);
            hidden_not_referred.1 += 1;
        }
        if let Some(p) = programme {
            participants[p] += 1;
            hidden_participants[p] += u64::from(hidden);
            engaged_count[p] += u64::from(engaged);
            let source = match observed {
                EMPLOYED => pick(&mut rng, &[0.35, 0.15, 0.25, 0.05, 0.12, 0.08]),
                UNEMPLOYED | INACTIVE => pick(&mut rng, &[0.35, 0.15, 0.02, 0.30, 0.12, 0.06]),
                _ => pick(&mut rng, &[0.40, 0.25, 0.03, 0.15, 0.10, 0.07]),
            };
            let name = &world.programme_names[p];
            referrals.push(
                &format!("R{id}-1"),
                &id,
                name,
                area_id,
                anchor_date,
                SOURCES[source],
                CONDITIONS[condition],
                engaged,
            );
            if rng.random_bool(0.05) {
                let later = anchor_date + chrono::Days::new(rng.random_range(20..90));
                if later <= window_end {
                    referrals.push(
                        &format!("R{id}-2"),
                        &id,
                        name,
                        area_id,
                        later,
                        SOURCES[source],
                        CONDITIONS[condition],
                        true,
                    );
                }
            }
        }

        // Outcome six months after the anchor month.
        let without = (in_work_probability(age, female, quintile, condition, observed)
            + world.area_shock[area]
            + world.area_level[area]
            + world.region_shift(area, anchor + 6)
            + world.trend(anchor)
            + if since > 0 { DIP_RETURN } else { 0.0 }
            + if hidden { HIDDEN_WORK } else { 0.0 })
        .clamp(0.0, 1.0);
        let mut probability = without;
        if let Some(p) = programme {
            // The effect reaches those who engage, scaled so that the
            // average over everyone referred is the planted uplift.
            if engaged {
                probability = (without + world.uplift_in(p, area) / ENGAGED_SHARE).clamp(0.0, 1.0);
            }
            uplift_realised[p] += probability - without;
        }
        // What the programme does for those who engage besides the 6-month
        // chance: an early job (months 3 to 5) for those out of work, a move
        // into education or training for some of those out of work 6
        // months on, and better pay.
        let effect = programme.filter(|_| engaged);
        let early_probability = match effect {
            Some(p) if true_status != EMPLOYED => {
                (EARLY_SHARE * world.uplift[p] / ENGAGED_SHARE).clamp(0.0, 1.0)
            }
            _ => 0.0,
        };
        let early_job = early_probability > 0.0 && rng.random_bool(early_probability);
        let education_shift = effect.map_or(0.0, |p| {
            (world.education_uplift[p] / ENGAGED_SHARE).clamp(0.0, 1.0)
        });
        let in_work = rng.random_bool(probability);
        let mut outcome_status = if in_work {
            EMPLOYED
        } else if true_status == EMPLOYED {
            if rng.random_bool(0.6) {
                INACTIVE
            } else {
                UNEMPLOYED
            }
        } else {
            true_status
        };
        if !in_work
            && outcome_status != EDUCATION
            && education_shift > 0.0
            && rng.random_bool(education_shift)
        {
            outcome_status = EDUCATION;
        }
        let pay = (earnings.sample(&mut rng) * 100.0).round() / 100.0;
        let pay_after = match effect {
            Some(p) => (pay * (1.0 + world.earnings_uplift[p]) * 100.0).round() / 100.0,
            None => pay,
        };
        if let Some(p) = programme {
            let truth = OutcomeTruthInputs {
                without,
                with: probability,
                employed: true_status == EMPLOYED,
                education: true_status == EDUCATION,
                early: early_probability,
                education_shift,
                pay,
                pay_after,
            };
            for (i, &outcome) in Outcome::ALL.iter().enumerate() {
                if anchor + (outcome.horizon_months() as usize) < MONTHS {
                    outcomes[p].sum[i] += truth.effect(outcome);
                    outcomes[p].reach[i] += 1;
                }
            }
        }
        for (m, cols) in employment.iter_mut().enumerate() {
            if (gap_at_anchor && m == anchor) || (gap_at_outcome && m == anchor + 6) {
                continue;
            }
            let status = if since > 0 && m + since <= anchor {
                EMPLOYED
            } else if m < anchor + 3 {
                true_status
            } else if m < anchor + 6 {
                if early_job { EMPLOYED } else { true_status }
            } else {
                outcome_status
            };
            let pay = if m > anchor { pay_after } else { pay };
            cols.push(
                &id,
                month_start(m),
                STATUSES[status],
                (status == EMPLOYED).then_some(pay),
            );
        }

        // Fit notes: everyone outside a programme, 60% of participants.
        if programme.is_none() || rng.random_bool(0.6) {
            let mut date = anchor_date;
            let mut k = 1;
            loop {
                let q = world.may_be_fit_probability(area, date);
                let may_be_fit = rng.random_bool(q);
                let duration: i32 = if may_be_fit {
                    [14, 28, 28, 56][rng.random_range(0..4)]
                } else {
                    [7, 14, 14, 28, 28, 28, 56, 56, 90][rng.random_range(0..9)]
                };
                let adjustments = if may_be_fit {
                    [
                        rng.random_bool(0.4),
                        rng.random_bool(0.35),
                        rng.random_bool(0.3),
                        rng.random_bool(0.15),
                    ]
                } else {
                    [false; 4]
                };
                notes
                    .entry(date.year())
                    .or_insert_with(FitNoteCols::new)
                    .push(
                        &format!("F{id}-{k}"),
                        &id,
                        area_id,
                        date,
                        if may_be_fit { "may_be_fit" } else { "not_fit" },
                        duration,
                        CONDITIONS[condition],
                        adjustments,
                    );
                record_truth(world, &mut truth, area, date, q);
                k += 1;
                if k > 6 || !rng.random_bool(0.4) {
                    break;
                }
                date = date + chrono::Days::new(duration as u64 + rng.random_range(0..30));
                if date > window_end {
                    break;
                }
            }
        }
    }
    Ok(Chunk {
        people: people.finish()?,
        referrals: referrals.finish()?,
        fit_notes_by_year: notes
            .into_iter()
            .map(|(y, c)| Ok((y, c.finish()?)))
            .collect::<Result<_>>()?,
        employment_by_month: employment
            .into_iter()
            .map(EmploymentCols::finish)
            .collect::<Result<_>>()?,
        truth,
        participants,
        uplift_realised,
        engaged: engaged_count,
        outcomes,
        hidden_participants,
        hidden_not_referred,
    })
}

/// What one participant's true effects are computed from: their chance of
/// being in work 6 months on without and with the programme, their status
/// in the index month, the early-job and education chances the programme
/// gives them (0 unless they engaged), and their pay without and with it.
struct OutcomeTruthInputs {
    without: f64,
    with: f64,
    employed: bool,
    education: bool,
    early: f64,
    education_shift: f64,
    pay: f64,
    pay_after: f64,
}

impl OutcomeTruthInputs {
    /// The participant's expected outcome with the programme minus without.
    fn effect(&self, outcome: Outcome) -> f64 {
        let (p0, p1) = (self.without, self.with);
        let e0 = f64::from(u8::from(self.employed));
        let edu0 = f64::from(u8::from(self.education));
        let eet0 = p0 + (1.0 - p0) * edu0;
        let eet1 = p1 + (1.0 - p1) * (edu0 + (1.0 - edu0) * self.education_shift);
        match outcome {
            // Months 3 to 5: employed already, or the early job.
            Outcome::InWork3m => self.early,
            Outcome::InWork6m | Outcome::InWork12m | Outcome::InWork18m | Outcome::InWork24m => {
                p1 - p0
            }
            Outcome::Eet6m | Outcome::Eet12m => eet1 - eet0,
            // Months 1-2 as in the index month, 3-5 with the early job, 6-12
            // the 6-month status.
            Outcome::MonthsInWork12m => 3.0 * self.early + 7.0 * (p1 - p0),
            Outcome::Earnings1To6m => {
                let with = (2.0 * e0 + 3.0 * (e0 + self.early) + p1) * self.pay_after;
                let without = (5.0 * e0 + p0) * self.pay;
                (with - without) / 6.0
            }
            Outcome::Earnings7To12m => p1 * self.pay_after - p0 * self.pay,
        }
    }
}

pub(crate) fn record_truth(
    world: &World,
    truth: &mut DidTruth,
    area: usize,
    date: NaiveDate,
    q: f64,
) {
    for (p, start) in world.programme_start.iter().enumerate() {
        let side = if world.area_programmes[area].iter().any(|(ap, _)| *ap == p) {
            0
        } else if world.area_is_comparison[area] {
            1
        } else {
            continue;
        };
        let pre_start = *start - Months::new(12);
        let period = if date >= *start {
            1
        } else if date >= pre_start {
            0
        } else {
            continue;
        };
        let i = p * 4 + side * 2 + period;
        truth.probability_sum[i] += q;
        truth.notes[i] += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_are_distinct_and_opaque() {
        let ids: std::collections::HashSet<_> = (0..10_000).map(|n| person_id(7, n)).collect();
        assert_eq!(ids.len(), 10_000);
        assert_eq!(person_id(7, 0).len(), 16);
    }
}
