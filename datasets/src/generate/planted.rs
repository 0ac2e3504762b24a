//! What was planted: `_planted.json`, the truth estimates are checked
//! against.

use super::*;

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
    /// Each area's shock, by area id.
    pub area_shocks: BTreeMap<String, f64>,
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
    /// The lift added to may_be_fit probability in this programme's areas
    /// from its start date.
    pub fit_note_may_be_fit_lift: f64,
    /// The true value of the contract's fit-note difference in differences
    /// for this dataset: the same estimator applied to each note's true
    /// may_be_fit probability instead of its drawn outcome. It differs from
    /// the lift where an area runs several programmes and by the national
    /// trend's weighting across months.
    pub fit_note_did: f64,
    pub participants: u64,
}

pub(crate) fn planted(
    world: &World,
    options: &GenerateOptions,
    truth: &DidTruth,
    participants: &[u64],
    uplift_realised: &[f64],
    invalid_rows: BTreeMap<String, u64>,
) -> Planted {
    let programmes = world
        .programme_names
        .iter()
        .enumerate()
        .map(|(p, name)| {
            let did = (truth.share(p, 0, 1) - truth.share(p, 0, 0))
                - (truth.share(p, 1, 1) - truth.share(p, 1, 0));
            (
                name.clone(),
                PlantedProgramme {
                    in_work_6m_uplift: world.uplift[p],
                    in_work_6m_att: uplift_realised[p] / participants[p].max(1) as f64,
                    fit_note_may_be_fit_lift: world.lift[p],
                    fit_note_did: did,
                    participants: participants[p],
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
            "in_work_6m_att is the true ATT: every participant's probability of being employed 6 months after the index month is raised by in_work_6m_uplift (short of certainty), and selection into programmes depends only on the contract's matching strata.".into(),
            "area_shocks move everyone's chance of being in work in an area, participants' and comparison people's alike; they do not change the ATT but widen its uncertainty.".into(),
            "fit_note_did is the contract's DiD evaluated on true note probabilities; it is what the estimate should recover.".into(),
            "One referral of the first person is dated in 2031 and one fit note in 1899; both must be quarantined as impossible dates.".into(),
        ],
    }
}
