//! What was planted: `_planted.json`, the truth estimates are checked
//! against.

use super::*;
use contract::outputs::FitNoteArea;
use contract::vocabulary::{AreaSet, Side};
use stats::formulas::fit_note_effects::{DesignArea, ProgrammeEffects, effects_of_shares};

/// The true effects behind a generated dataset: `_planted.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Planted {
    pub seed: u64,
    pub people: u64,
    pub first_month: String,
    pub last_month: String,
    /// The standard deviation of the areas' shocks to the chance of being in
    /// work (a proportion).
    pub area_sd: f64,
    /// Which of the difficulties a real comparison faces were planted.
    pub difficulties: Difficulties,
    /// Each area's shock, by area id.
    pub area_shocks: BTreeMap<String, f64>,
    /// The planted outlier site, if any: every other site differs from its
    /// programme only by its area's shock and chance.
    pub outlier_site: Option<super::OutlierSite>,
    /// Programme areas' systematic difference from comparison areas
    /// (`--region-gap`, `--region-trend`).
    pub region: super::RegionGap,
    /// What every planted programme effect was multiplied by
    /// (`--effect-scale`; 0: none planted).
    pub effect_scale: f64,
    pub programmes: BTreeMap<String, PlantedProgramme>,
    /// Deliberately invalid rows added per table (each must be quarantined).
    pub invalid_rows: BTreeMap<String, u64>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlantedProgramme {
    /// The planted uplift: every participant's chance of being in work at 6
    /// months is raised by this much (short of certainty).
    pub in_work_6m_uplift: f64,
    /// The true average effect on the treated in this dataset: the
    /// participants' mean rise in their chance of being in work, which is the
    /// uplift except where it met certainty. Intervals are checked against it.
    pub in_work_6m_att: f64,
    /// The true average effect on those who engaged (the programme reaches
    /// no one else): in_work_6m_att divided by the share engaged, what
    /// Bloom's (1984) estimator recovers.
    pub in_work_6m_att_engaged: f64,
    pub engaged: u64,
    /// The programme's own lift to the may_be_fit probability, in each of its
    /// areas from that area's own start month. Its clean-area estimate
    /// (`fit_note_did.clean_did`) should recover it.
    pub fit_note_may_be_fit_lift: f64,
    /// What `fit_note_did.did` (all the programme's areas) should recover:
    /// the contract's staggered estimator applied to each area-month's
    /// expected may_be_fit probability (no monthly shocks, no sampling). It
    /// exceeds the own lift where the programme's areas run other programmes
    /// that start inside the window.
    pub fit_note_did: f64,
    /// The same over the clean areas only (null without one): the own lift.
    pub fit_note_clean_did: Option<f64>,
    /// What the earlier pooled estimator (all notes of the programme's areas
    /// around its earliest start against the comparison areas) would see:
    /// it applied to each note's probability.
    pub fit_note_pooled_did: f64,
    pub participants: u64,
    /// Participants also referred to another programme the same day
    /// (`difficulties.co_enrolment`): each programme's truth counts them
    /// with the effect they got, the first programme's.
    pub co_enrolled: u64,
    /// The true ATT of every outcome of `outcome_effects` (by its name),
    /// over the participants whose data reach it: what each interval is
    /// checked against. Proportions for the yes/no outcomes, months for
    /// months_in_work_12m, pounds a month for earnings.
    pub outcomes: BTreeMap<String, f64>,
    /// With difficulties.hidden: the share of participants with the
    /// unobserved trait, and the bias it plants in the 6-month effect,
    /// (share among participants − share among people never referred) ×
    /// HIDDEN_WORK, approximately (comparison people are a subset of those
    /// never referred).
    pub hidden_trait_share: Option<f64>,
    pub hidden_bias: Option<f64>,
}

/// What the chunks tally per programme for the truth: participants, those
/// who engaged, the realised 6-month uplift summed, every outcome's true
/// effect, and the unobserved trait's counts (participants with it; with
/// it and all among people never referred).
pub(crate) struct Tallies {
    participants: Vec<u64>,
    engaged: Vec<u64>,
    uplift_realised: Vec<f64>,
    outcomes: Vec<OutcomeTruth>,
    hidden_participants: Vec<u64>,
    hidden_not_referred: (u64, u64),
    co_enrolled: Vec<u64>,
}

impl Tallies {
    pub(crate) fn new(programmes: usize) -> Self {
        Tallies {
            participants: vec![0; programmes],
            engaged: vec![0; programmes],
            uplift_realised: vec![0.0; programmes],
            outcomes: vec![OutcomeTruth::new(); programmes],
            hidden_participants: vec![0; programmes],
            hidden_not_referred: (0, 0),
            co_enrolled: vec![0; programmes],
        }
    }

    pub(crate) fn add(&mut self, chunk: &Chunk) {
        let add = |total: &mut [u64], part: &[u64]| {
            total.iter_mut().zip(part).for_each(|(t, n)| *t += n);
        };
        add(&mut self.participants, &chunk.participants);
        add(&mut self.engaged, &chunk.engaged);
        add(&mut self.hidden_participants, &chunk.hidden_participants);
        add(&mut self.co_enrolled, &chunk.co_enrolled);
        for (t, u) in self.uplift_realised.iter_mut().zip(&chunk.uplift_realised) {
            *t += u;
        }
        for (t, o) in self.outcomes.iter_mut().zip(&chunk.outcomes) {
            t.add(o);
        }
        self.hidden_not_referred.0 += chunk.hidden_not_referred.0;
        self.hidden_not_referred.1 += chunk.hidden_not_referred.1;
    }
}

pub(crate) fn planted(
    world: &World,
    options: &GenerateOptions,
    truth: &DidTruth,
    tallies: &Tallies,
    invalid_rows: BTreeMap<String, u64>,
) -> Planted {
    let Tallies {
        participants,
        engaged,
        uplift_realised,
        outcomes,
        hidden_participants,
        hidden_not_referred,
        co_enrolled,
    } = tallies;
    let not_referred_share = hidden_not_referred.0 as f64 / hidden_not_referred.1.max(1) as f64;
    let staggered = fit_note_truth(world);
    let programmes = world
        .programme_names
        .iter()
        .enumerate()
        .map(|(p, name)| {
            let pooled = (truth.share(p, 0, 1) - truth.share(p, 0, 0))
                - (truth.share(p, 1, 1) - truth.share(p, 1, 0));
            let effects = staggered.iter().find(|e| &e.programme == name);
            let overall = |set| {
                effects
                    .and_then(|e| e.set(set))
                    .and_then(|s| s.overall)
                    .map(|o| o.estimate)
            };
            (
                name.clone(),
                PlantedProgramme {
                    in_work_6m_uplift: world.uplift[p],
                    in_work_6m_att: uplift_realised[p] / participants[p].max(1) as f64,
                    in_work_6m_att_engaged: uplift_realised[p] / engaged[p].max(1) as f64,
                    engaged: engaged[p],
                    fit_note_may_be_fit_lift: world.lift[p],
                    fit_note_did: overall(AreaSet::All).unwrap_or(f64::NAN),
                    fit_note_clean_did: overall(AreaSet::Clean),
                    fit_note_pooled_did: pooled,
                    participants: participants[p],
                    co_enrolled: co_enrolled[p],
                    outcomes: Outcome::ALL
                        .iter()
                        .filter_map(|&o| Some((o.as_str().to_string(), outcomes[p].att(o)?)))
                        .collect(),
                    hidden_trait_share: world
                        .difficulties
                        .hidden
                        .then(|| hidden_participants[p] as f64 / participants[p].max(1) as f64),
                    hidden_bias: world.difficulties.hidden.then(|| {
                        (hidden_participants[p] as f64 / participants[p].max(1) as f64
                            - not_referred_share)
                            * HIDDEN_WORK
                    }),
                },
            )
        })
        .collect();
    Planted {
        seed: options.seed,
        people: options.people,
        first_month: month_start(0).to_string(),
        last_month: month_start(MONTHS - 1).to_string(),
        area_sd: world.area_sd,
        difficulties: world.difficulties,
        outlier_site: options.outlier.clone(),
        region: options.region,
        effect_scale: options.effect_scale,
        area_shocks: world
            .reference
            .areas
            .iter()
            .zip(&world.area_shock)
            .map(|(a, s)| (a.area_id.clone(), *s))
            .collect(),
        programmes,
        invalid_rows,
        notes: vec![
            "in_work_6m_att is the true ATT (intention to treat): one monthly employment process runs for everybody (each month the status is kept with probability 0.9 or drawn afresh from that month's weights); for a participant who engages, the same draws are run again with their chance of work in the 6 months after the index month raised by in_work_6m_uplift divided by the share engaged and by 1 - 0.9^6 (short of certainty), so that over everyone referred the chance of being in work 6 months on rises by the uplift. Each participant's true effect on every outcome is the expected difference between their two paths given their state in the index month, computed exactly; in_work_6m_att_engaged is the effect on those who engaged.".into(),
            "Selection into programmes depends on the five original matching strata and, with difficulties.dip, on work history (out of work now but in work within the 12 months before: referred 2.5 times as often, and 30 points more likely to be drawn into work at each redraw while that lasts); with difficulties.trend everyone's chance of work rises 0.4 points a month; with difficulties.regional each region's level moves everyone's chance of work in every month. The contract's strata with work history, the index month's quarter and the area's labour-market band capture most of it (three bands are coarse against regional levels: VALIDATION.md).".into(),
            "outcomes holds each outcome's true ATT over the participants whose data reach it: the expected difference between the participant's paths with and without the programme (in work at 3, 6, 12, 18 and 24 months; in employment, education or training, where education_uplift moves that share of engaged participants' redraws out of work into education or training during the support; months in work; earnings, where earnings_uplift raises engaged participants' pay after the index month). The support lasts 6 months, so effects after 6 months fade as statuses are redrawn.".into(),
            "With difficulties.hidden, a quarter of people carry a trait no table records: it makes referral 1.5 times as likely and raises their chance of work in every month so that being in work 6 months on, given the status now, is 3 points likelier. Matching cannot remove the bias it plants (hidden_bias, about a quarter of a point); the E-value says how strong such a trait would have to be to explain an effect away.".into(),
            "area_shocks move everyone's chance of being in work 6 months on, given the status now, by the shock (the monthly process's weights move by the shock divided by 1 - 0.9^6), participants' and comparison people's alike; they do not change the ATT but widen its uncertainty.".into(),
            "area_month_shocks move the may_be_fit share of every note in an area in a month (standard deviation half of area_sd); programmes lift it from each area's own start month.".into(),
            "fit_note_did is the contract's staggered DiD evaluated on each area-month's expected may_be_fit probability; fit_note_clean_did the same over the clean areas, which equals the programme's own lift; fit_note_pooled_did is what the earlier pooled estimator would see.".into(),
            "One referral of the first person is dated in 2031 and one fit note in 1899; both must be quarantined as impossible dates.".into(),
        ],
    }
}

/// The design the pipeline derives from `area_programmes` (sql/fit_note_areas.sql),
/// built from the world: each programme's areas with their own start, clean
/// when no other programme of the area or of an area overlapping it on the
/// ground starts between 12 months before the programme's earliest start
/// and the last month; then the comparison areas.
pub(crate) fn fit_note_design(world: &World) -> Vec<FitNoteArea> {
    design_of(&world.reference, month_start(MONTHS - 1))
}

/// The design's rows as the estimator takes them.
pub(crate) fn as_design(rows: &[FitNoteArea]) -> Vec<DesignArea<'_>> {
    rows.iter().map(|a| a.parts().into()).collect()
}

/// The same from the reference alone, with the panel's last month `last`.
pub(crate) fn design_of(reference: &Reference, last: NaiveDate) -> Vec<FitNoteArea> {
    let comparison: Vec<&str> = reference
        .comparison_areas()
        .map(|a| a.area_id.as_str())
        .collect();
    let mut design = Vec::new();
    for name in reference.programmes.iter().map(|p| &p.programme) {
        let Some(start) = reference
            .area_programmes
            .iter()
            .filter(|ap| &ap.programme == name)
            .map(|ap| ap.start_date)
            .min()
        else {
            continue;
        };
        let window_start = start - Months::new(12);
        for ap in reference
            .area_programmes
            .iter()
            .filter(|ap| &ap.programme == name)
        {
            let reach = reference.reach(&ap.area_id);
            let mut others: Vec<_> = reference
                .area_programmes
                .iter()
                .filter(|o| reach.contains(&o.area_id) && &o.programme != name)
                .filter(|o| o.start_date >= window_start && o.start_date <= last)
                .collect();
            others.sort_by(|a, b| {
                (a.start_date, &a.programme, &a.area_id).cmp(&(
                    b.start_date,
                    &b.programme,
                    &b.area_id,
                ))
            });
            let others: Vec<String> = others
                .into_iter()
                .map(|o| {
                    let place = if o.area_id == ap.area_id {
                        String::new()
                    } else {
                        format!(" in {}", o.area_id)
                    };
                    format!("{}{place} from {}", o.programme, o.start_date)
                })
                .collect();
            design.push(FitNoteArea {
                programme: name.clone(),
                area_id: ap.area_id.clone(),
                side: Side::Programme,
                start_date: Some(ap.start_date),
                clean: others.is_empty(),
                overlapping: (!others.is_empty()).then(|| others.join("; ")),
            });
        }
        for area in reference.areas.iter() {
            if comparison.contains(&area.area_id.as_str()) {
                design.push(FitNoteArea {
                    programme: name.clone(),
                    area_id: area.area_id.clone(),
                    side: Side::Comparison,
                    start_date: None,
                    clean: true,
                    overlapping: None,
                });
            }
        }
    }
    design
}

/// The staggered estimator on every area-month's expected may_be_fit
/// probability.
fn fit_note_truth(world: &World) -> Vec<ProgrammeEffects> {
    let index: BTreeMap<&str, usize> = world
        .reference
        .areas
        .iter()
        .enumerate()
        .map(|(i, a)| (a.area_id.as_str(), i))
        .collect();
    effects_of_shares(
        month_start(0),
        month_start(MONTHS - 1),
        &as_design(&fit_note_design(world)),
        |area, month| {
            let m = month_index(month);
            Some(world.expected_may_be_fit(index[area], m as usize))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each programme's clean areas recover its own lift exactly from the
    /// expected shares, while all its areas together also pick up the lifts
    /// of programmes that start later in the same areas or on the same day
    /// (London runs both Trailblazers from the same day).
    #[test]
    fn clean_areas_recover_each_programmes_own_lift() {
        let world = World::new(
            Reference::load().unwrap(),
            1,
            0.03,
            Difficulties::ALL,
            None,
            RegionGap::default(),
        )
        .unwrap();
        let truth = fit_note_truth(&world);
        assert_eq!(truth.len(), world.programme_names.len());
        for (p, name) in world.programme_names.iter().enumerate() {
            let e = truth.iter().find(|e| &e.programme == name).unwrap();
            // Every Accelerator ICB overlaps another programme on the
            // ground: South and West Yorkshire run the Inactivity
            // Trailblazer, North East and North Cumbria holds the North East
            // and Tees Valley combined authorities' Trailblazers.
            if name == "Health and Growth Accelerator" {
                assert_eq!(e.clean_areas, 0, "{name}");
                assert!(e.set(AreaSet::Clean).is_none_or(|s| s.overall.is_none()));
                continue;
            }
            assert!(e.clean_areas > 0, "{name} has a clean area");
            let clean = e.set(AreaSet::Clean).unwrap().overall.unwrap().estimate;
            assert!((clean - world.lift[p]).abs() < 1e-12, "{name}: {clean}");
            // Other programmes that went live before this one's month before
            // go-live shift base and post alike; later ones add their lift.
            let all = e.set(AreaSet::All).unwrap().overall.unwrap().estimate;
            assert!(all > world.lift[p] - 1e-12, "{name}: all areas {all}");
            if name.ends_with("Trailblazer") {
                assert!(all > world.lift[p] + 1e-3, "{name}: all areas {all}");
            }
        }
        let design = fit_note_design(&world);
        let london = design
            .iter()
            .find(|a| a.area_id == "london" && a.programme == "Inactivity Trailblazer")
            .unwrap();
        assert!(!london.clean);
        // London also holds North Central and North West London, which run
        // WorkWell.
        assert_eq!(
            london.overlapping.as_deref(),
            Some(
                "WorkWell in north-central-london from 2024-10-01; WorkWell in north-west-london from 2024-12-01; Youth Guarantee Trailblazer from 2025-04-01"
            )
        );
        // Birmingham and Solihull lies inside the West Midlands Combined
        // Authority, which runs the Youth Guarantee Trailblazer.
        let birmingham = design
            .iter()
            .find(|a| a.area_id == "birmingham-and-solihull")
            .unwrap();
        assert_eq!(
            birmingham.overlapping.as_deref(),
            Some("Youth Guarantee Trailblazer in west-midlands from 2025-04-01")
        );
    }
}
