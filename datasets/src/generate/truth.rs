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
