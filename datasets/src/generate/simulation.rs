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

        let deprivation_shift = 0.03 * (3.0 - quintile as f64) - world.area_level[area];
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
            let probability = (world.referral_rate[p] * factors[chosen] * dip).min(0.95);
            if rng.random_bool(probability) {
                programme = Some(p);
            }
        }
        let engaged = programme.is_some() && rng.random_bool(ENGAGED_SHARE);
        if let Some(p) = programme {
            participants[p] += 1;
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
            + world.trend(anchor)
            + if since > 0 { DIP_RETURN } else { 0.0 })
        .clamp(0.0, 1.0);
        let mut probability = without;
        if let Some(p) = programme {
            // The effect reaches those who engage, scaled so that the
            // average over everyone referred is the planted uplift.
            if engaged {
                probability = (without + world.uplift[p] / ENGAGED_SHARE).clamp(0.0, 1.0);
            }
            uplift_realised[p] += probability - without;
        }
        let in_work = rng.random_bool(probability);
        let outcome_status = if in_work {
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
        let pay = (earnings.sample(&mut rng) * 100.0).round() / 100.0;
        for (m, cols) in employment.iter_mut().enumerate() {
            if (gap_at_anchor && m == anchor) || (gap_at_outcome && m == anchor + 6) {
                continue;
            }
            let status = if since > 0 && m + since <= anchor {
                EMPLOYED
            } else if m < anchor + 6 {
                true_status
            } else {
                outcome_status
            };
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
    })
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
