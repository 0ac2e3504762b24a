//! The truth a generated dataset is checked against: each outcome's true
//! effect per participant, summed per programme, and the true fit-note
//! shares behind the planted DiD.

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

/// What one participant's true effects are computed from: their chance of
/// being in work 6 months on without and with the programme, their status
/// in the index month, the early-job and education chances the programme
/// gives them (0 unless they engaged), and their pay without and with it.
pub(crate) struct OutcomeTruthInputs {
    pub(crate) without: f64,
    pub(crate) with: f64,
    pub(crate) employed: bool,
    pub(crate) education: bool,
    pub(crate) early: f64,
    pub(crate) education_shift: f64,
    pub(crate) pay: f64,
    pub(crate) pay_after: f64,
}

impl OutcomeTruthInputs {
    /// The participant's expected outcome with the programme minus without.
    pub(crate) fn effect(&self, outcome: Outcome) -> f64 {
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
