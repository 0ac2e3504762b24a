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
    pub programmes: BTreeMap<String, PlantedProgramme>,
    /// Deliberately invalid rows added per table (each must be quarantined).
    pub invalid_rows: BTreeMap<String, u64>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlantedProgramme {
    /// The true average effect on the treated: every participant's chance of
    /// being in work at 6 months is raised by exactly this much.
    pub in_work_6m_uplift: f64,
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
        programmes,
        invalid_rows,
        notes: vec![
            "in_work_6m_uplift is the true ATT: every participant's probability of being employed 6 months after the index month is raised by it, and selection into programmes depends only on the contract's matching strata.".into(),
            "fit_note_did is the contract's DiD evaluated on true note probabilities; it is what the estimate should recover.".into(),
            "One referral of the first person is dated in 2031 and one fit note in 1899; both must be quarantined as impossible dates.".into(),
        ],
    }
}
