//! One monthly employment process for everybody, participants and
//! comparison people alike, and each participant's path with and without
//! the programme.
//!
//! Each month a person keeps last month's status with probability
//! `PERSISTENCE` and otherwise draws afresh from that month's weights
//! (`Process::weights`): their age band's and deprivation's shares, their
//! area's level, shock, gap and trend that month, the national trend,
//! their condition, sex and hidden trait, and, with `difficulties.dip`, a
//! better chance of work while they are within `RECENT` months of their
//! last month in work. An engaged participant's weights get the programme's
//! uplift (and education shift) for the `SUPPORT_MONTHS` after the index
//! month; nothing else differs between their two paths. Their true effect
//! on an outcome is the expected difference between the two paths given
//! their state in the index month, computed exactly (`Process::expected`),
//! so it is the effect any design should recover, whatever it compares.

use super::*;

/// The chance a person keeps last month's status.
pub(crate) const PERSISTENCE: f64 = 0.9;
/// Months the chain runs before the window's first month (from month 0's
/// weights), so that the first month's statuses and times since work are
/// the process's own.
pub(crate) const BURN_IN: usize = 24;
/// With `difficulties.dip`, a person out of work within this many months of
/// their last month in work has `DIP_BOOST` added to their chance of work
/// in every redraw: the dip before a referral, and the recovery after it.
pub(crate) const RECENT: usize = 12;
pub(crate) const DIP_BOOST: f64 = 0.3;
/// Months after the index month in which an engaged participant's weights
/// carry the programme's uplift; afterwards the effect fades at the rate
/// statuses are redrawn.
pub(crate) const SUPPORT_MONTHS: usize = 6;
/// The furthest horizon an outcome looks at.
const HORIZON: usize = 24;

/// What a shift to the chance of work in every month does to the chance of
/// being in work 6 months on, given the status now: 1 − PERSISTENCE⁶. An
/// area's shock, the hidden trait and the programme's uplift are divided by
/// it, so that each moves the 6-month chance by its stated size.
pub(crate) fn six_month_reach() -> f64 {
    1.0 - PERSISTENCE.powi(6)
}

/// The weights of employed, unemployed, inactive and in education in a
/// month, by age band (0 is 16–24) and IMD quintile, for an area whose
/// level (its region's, and its gap and trend that month) is `level`.
pub(crate) fn status_weights(age: usize, quintile: usize, level: f64) -> [f64; 4] {
    let shift = 0.03 * (3.0 - quintile as f64) - level;
    if age == 0 {
        [0.38 - shift, 0.14, 0.20 + shift, 0.28]
    } else {
        [0.58 - shift, 0.10, 0.30 + shift, 0.02]
    }
}

/// A person's state in a month: their status and the months since they
/// were last in work (0 in work; `RECENT + 1` stands for longer or never).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct State {
    pub(crate) status: usize,
    pub(crate) since: usize,
}

impl State {
    fn after(self, status: usize) -> State {
        State {
            status,
            since: if status == EMPLOYED {
                0
            } else {
                (self.since + 1).min(RECENT + 1)
            },
        }
    }
    /// Out of work now but in work within the last `RECENT` months.
    pub(crate) fn recently_left(self) -> bool {
        self.status != EMPLOYED && self.since <= RECENT
    }
}

/// What the programme does to an engaged participant's weights in the
/// `SUPPORT_MONTHS` after `month`: `uplift` added to the chance of work,
/// and `education` of the rest moved into education or training.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Support {
    pub(crate) month: usize,
    pub(crate) uplift: f64,
    pub(crate) education: f64,
}

impl Support {
    fn active(&self, month: usize) -> bool {
        month > self.month && month <= self.month + SUPPORT_MONTHS
    }
}

/// The uniform draws behind one person's path: the first status, then a
/// (keep, redraw) pair for each month of the burn-in and the window.
pub(crate) struct Draws {
    first: f64,
    months: Vec<(f64, f64)>,
}

impl Draws {
    pub(crate) fn new(rng: &mut Pcg64Mcg) -> Draws {
        Draws {
            first: rng.random(),
            months: (0..BURN_IN + MONTHS)
                .map(|_| (rng.random(), rng.random()))
                .collect(),
        }
    }
}

/// One person's monthly process.
pub(crate) struct Process<'a> {
    pub(crate) world: &'a World,
    pub(crate) area: usize,
    pub(crate) age: usize,
    pub(crate) quintile: usize,
    /// The person's own shift to the chance of work in every month: their
    /// condition, sex, hidden trait and area's shock.
    pub(crate) own: f64,
}

impl Process<'_> {
    /// A person's own shift to the chance of work (`Process::own`).
    pub(crate) fn own_shift(
        world: &World,
        area: usize,
        condition: usize,
        female: bool,
        hidden: bool,
    ) -> f64 {
        let condition_adj = [-0.05, -0.02, -0.07, 0.0][condition];
        let sex_adj = if female { -0.01 } else { 0.0 };
        let hidden_adj = if hidden { HIDDEN_WORK } else { 0.0 };
        condition_adj + sex_adj + (world.area_shock[area] + hidden_adj) / six_month_reach()
    }

    /// The weights a redraw in `month` uses for someone in `state` the
    /// month before, with `support` where the programme reaches them.
    pub(crate) fn weights(
        &self,
        month: usize,
        state: State,
        support: Option<&Support>,
    ) -> [f64; 4] {
        let world = self.world;
        let level = world.area_level[self.area] + world.region_shift(self.area, month);
        let base = status_weights(self.age, self.quintile, level);
        let mut work = base[EMPLOYED] + self.own + world.trend(month);
        if world.difficulties.dip && state.recently_left() {
            work += DIP_BOOST;
        }
        // Short of certainty without the programme; the programme's support
        // (or a planted outlier site's harm) may take it up to certainty or
        // down to none.
        let mut work = work.clamp(0.02, 0.97);
        let support = support.filter(|s| s.active(month));
        if let Some(s) = support {
            work = (work + s.uplift).clamp(0.0, 1.0);
        }
        let rest = base[UNEMPLOYED] + base[INACTIVE] + base[EDUCATION];
        let mut education = base[EDUCATION] / rest;
        if let Some(s) = support {
            education += (1.0 - education) * s.education;
        }
        let others = 1.0 - education;
        let unemployed = base[UNEMPLOYED] / (base[UNEMPLOYED] + base[INACTIVE]);
        [
            work,
            (1.0 - work) * others * unemployed,
            (1.0 - work) * others * (1.0 - unemployed),
            (1.0 - work) * education,
        ]
    }

    /// The state in `month` after `state`, from two uniform draws: `keep`
    /// decides whether the status is kept, `draw` which status a redraw
    /// gives.
    pub(crate) fn step(
        &self,
        month: usize,
        state: State,
        support: Option<&Support>,
        keep: f64,
        draw: f64,
    ) -> State {
        if keep < PERSISTENCE {
            return state.after(state.status);
        }
        state.after(pick_with(draw, &self.weights(month, state, support)))
    }

    /// Every month's state in the window, from `BURN_IN` months before it,
    /// driven by `draws`; `support` (an engaged participant's) applies after
    /// its month. The same draws with and without support give a
    /// participant's two paths.
    pub(crate) fn path(&self, draws: &Draws, support: Option<&Support>) -> Vec<State> {
        let never = State {
            status: UNEMPLOYED,
            since: RECENT + 1,
        };
        let mut state = self.step(0, never, None, 1.0, draws.first);
        for &(keep, draw) in &draws.months[..BURN_IN] {
            state = self.step(0, state, None, keep, draw);
        }
        draws.months[BURN_IN..]
            .iter()
            .enumerate()
            .map(|(m, &(keep, draw))| {
                state = self.step(m, state, support, keep, draw);
                state
            })
            .collect()
    }

    /// From `state` in month `from`, the chance of being in work and of
    /// being in work, education or training in each of the 24 months after
    /// it (index k − 1 for month from + k, past the window's end too), with
    /// `support` or without.
    pub(crate) fn expected(
        &self,
        from: usize,
        state: State,
        support: Option<&Support>,
    ) -> Vec<(f64, f64)> {
        let width = RECENT + 2;
        let mut mass = vec![0.0; 4 * width];
        mass[state.status * width + state.since] = 1.0;
        let mut out = Vec::with_capacity(HORIZON);
        for month in from + 1..=from + HORIZON {
            let mut next = vec![0.0; 4 * width];
            for status in 0..4 {
                for since in 0..width {
                    let p = mass[status * width + since];
                    if p == 0.0 {
                        continue;
                    }
                    let here = State { status, since };
                    let kept = here.after(status);
                    next[kept.status * width + kept.since] += p * PERSISTENCE;
                    let weights = self.weights(month, here, support);
                    for (s, w) in weights.iter().enumerate() {
                        let to = here.after(s);
                        next[to.status * width + to.since] += p * (1.0 - PERSISTENCE) * w;
                    }
                }
            }
            mass = next;
            let share = |status: usize| {
                mass[status * width..(status + 1) * width]
                    .iter()
                    .sum::<f64>()
            };
            out.push((share(EMPLOYED), share(EMPLOYED) + share(EDUCATION)));
        }
        out
    }

    /// A participant's true effects: the expected outcome with `support`
    /// minus without, from their state in the index month `from`, with pay
    /// `pay` and `pay_after` after it.
    pub(crate) fn effects(
        &self,
        from: usize,
        state: State,
        support: &Support,
        pay: f64,
        pay_after: f64,
    ) -> Effects {
        let without = self.expected(from, state, None);
        let with = self.expected(from, state, Some(support));
        let at = |k: usize| (from + k < MONTHS).then(|| (with[k - 1], without[k - 1]));
        let work = |k: usize| at(k).map(|((w1, _), (w0, _))| w1 - w0);
        let earnings = |range: std::ops::RangeInclusive<usize>| {
            let months = range.clone().count() as f64;
            range
                .map(|k| at(k).map(|((w1, _), (w0, _))| w1 * pay_after - w0 * pay))
                .sum::<Option<f64>>()
                .map(|total| total / months)
        };
        let outcomes = Outcome::ALL
            .iter()
            .map(|&outcome| match outcome {
                Outcome::InWork3m => work(3),
                Outcome::InWork6m => work(6),
                Outcome::InWork12m => work(12),
                Outcome::InWork18m => work(18),
                Outcome::InWork24m => work(24),
                Outcome::Eet6m => at(6).map(|((_, e1), (_, e0))| e1 - e0),
                Outcome::Eet12m => at(12).map(|((_, e1), (_, e0))| e1 - e0),
                Outcome::MonthsInWork12m => (1..=12).map(work).sum(),
                Outcome::Earnings1To6m => earnings(1..=6),
                Outcome::Earnings7To12m => earnings(7..=12),
            })
            .collect();
        Effects {
            outcomes,
            in_work_6m: with[5].0 - without[5].0,
        }
    }
}

/// A participant's true effects (`Process::effects`).
pub(crate) struct Effects {
    /// On every outcome, in `Outcome::ALL` order; `None` where the window
    /// ends before the outcome's horizon.
    pub(crate) outcomes: Vec<Option<f64>>,
    /// On being in work 6 months on, whether or not the window reaches it
    /// (what `in_work_6m_att` averages over every participant).
    pub(crate) in_work_6m: f64,
}

#[cfg(test)]
mod tests;
