//! Simulating people chunk by chunk: each person's area, strata, referrals,
//! fit notes and monthly employment, and the true fit-note shares behind the
//! planted DiD.

use super::*;

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
    /// Per programme, participants also referred to another programme.
    pub(crate) co_enrolled: Vec<u64>,
    /// Each participant's true effects (`_planted_participants.parquet`).
    pub(crate) participant_truth: RecordBatch,
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
    let mut co_enrolled = vec![0u64; world.programme_names.len()];
    let mut hidden_not_referred = (0u64, 0u64);
    let mut participant_truth = ParticipantTruthCols::new();
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

        let hidden = world.difficulties.hidden && rng.random_bool(HIDDEN_SHARE);
        // One monthly process for everybody (`employment`): the path
        // without any programme, and the state it is in at the anchor.
        let process = Process {
            world,
            area,
            age,
            quintile,
            own: Process::own_shift(world, area, condition, female, hidden),
        };
        let draws = Draws::new(&mut rng);
        let without_programme = process.path(&draws, None);
        let at_anchor = without_programme[anchor];
        let true_status = at_anchor.status;
        let gap_at_anchor = rng.random_bool(0.03);
        let gap_at_outcome = rng.random_bool(0.04);
        let observed = if gap_at_anchor { UNKNOWN } else { true_status };
        // The dip: out of work now, in work within the last year.
        let dip = world.difficulties.dip && at_anchor.recently_left();
        let mut own = person_stream(seed, n);

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
        let mut also: Option<usize> = None;
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
            let dip = if dip { DIP_SELECTION } else { 1.0 };
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
            // Co-enrolment: referred to a second programme the same day.
            // The effect they get is the first programme's; each
            // programme's truth counts them with it.
            let options = world.co_enrolment_options(area, anchor, p);
            if world.difficulties.co_enrolment
                && !options.is_empty()
                && own.random_bool(CO_ENROLMENT_SHARE)
            {
                let (q, site) = options[own.random_range(0..options.len())];
                also = Some(q);
                participants[q] += 1;
                hidden_participants[q] += u64::from(hidden);
                engaged_count[q] += u64::from(engaged);
                co_enrolled[p] += 1;
                co_enrolled[q] += 1;
                referrals.push(
                    &format!("R{id}-c"),
                    &id,
                    &world.programme_names[q],
                    &areas[site].area_id,
                    anchor_date,
                    SOURCES[source],
                    CONDITIONS[condition],
                    engaged,
                );
            }
        }

        // The programme reaches those who engage: for the months of its
        // support, their chance of work is raised so that the average over
        // everyone referred moves 6 months on by the planted uplift.
        let effect = programme.filter(|_| engaged);
        let support = effect.map(|p| Support {
            month: anchor,
            uplift: world.uplift_in(p, area) / ENGAGED_SHARE / six_month_reach(),
            education: (world.education_uplift[p] / ENGAGED_SHARE).clamp(0.0, 1.0),
        });
        let path = match &support {
            Some(s) => process.path(&draws, Some(s)),
            None => without_programme,
        };
        let pay = (earnings.sample(&mut rng) * 100.0).round() / 100.0;
        let pay_after = match effect {
            Some(p) => (pay * (1.0 + world.earnings_uplift[p]) * 100.0).round() / 100.0,
            None => pay,
        };
        if let Some(p) = programme {
            let Effects {
                outcomes: effects,
                in_work_6m: six_months,
            } = match &support {
                Some(s) => process.effects(anchor, at_anchor, s, pay, pay_after),
                None => Effects {
                    outcomes: Outcome::ALL
                        .iter()
                        .map(|o| (anchor + (o.horizon_months() as usize) < MONTHS).then_some(0.0))
                        .collect(),
                    in_work_6m: 0.0,
                },
            };
            for r in std::iter::once(p).chain(also) {
                uplift_realised[r] += six_months;
                for (i, effect) in effects.iter().enumerate() {
                    if let Some(effect) = effect {
                        outcomes[r].sum[i] += effect;
                        outcomes[r].reach[i] += 1;
                    }
                }
                participant_truth.push(&id, &world.programme_names[r], &effects);
            }
        }
        for (m, cols) in employment.iter_mut().enumerate() {
            if (gap_at_anchor && m == anchor) || (gap_at_outcome && m == anchor + 6) {
                continue;
            }
            let status = path[m].status;
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
        co_enrolled,
        participant_truth: participant_truth.finish()?,
    })
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
