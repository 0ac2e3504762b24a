//! Difference in differences with staggered starts (Callaway and Sant'Anna
//! 2021), areas as the unit, never-treated areas as the comparison, and
//! inference from the areas.
//!
//! A panel holds one outcome per area and period (for fit notes: the
//! may_be_fit share of an area's notes in a month). A treated area's cohort
//! `g` is the first period it runs the programme. For each cohort `g` and
//! period `t` the group-time effect is
//!
//! ATT(g, t) = mean over cohort g of (Y_t − Y_b) − mean over comparison areas of (Y_t − Y_b)
//!
//! with base period b = g − 1 for every t (R `did`'s "universal" base: each
//! lead is the long difference to the month before go-live, as each lag is,
//! so a steady pre-trend shows as a slope rather than as a row of small
//! one-period changes; Roth 2024). The cell t = g − 1 is the reference, 0
//! by construction, with no interval. R `did`'s default "varying" base
//! (b = t − 1 before go-live) is kept for the check against its README.
//! Cohorts are aggregated as R `did`'s `aggte` does: by event time
//! e = t − g with weights proportional to cohort size ("dynamic"), and to one
//! overall effect by averaging each cohort's post-start effects and weighting
//! cohorts by size ("group"). No two-way fixed-effects regression is run.
//!
//! Inference comes from the areas, not from the notes (Donald and Lang 2007;
//! Conley and Taber 2011). Every aggregate θ is a sum of one contribution per
//! treated area (its own effect e_i, weighted λ_i, Σλ_i = 1) less the
//! comparison areas' mean of one series each (q_c). The spread of an area's
//! effect is estimated from the treated areas' effects around θ and from the
//! comparison areas' placebo effects (the same estimator with one comparison
//! area in place of each cohort), pooled: σ² = (SS_treated + SS_placebo) /
//! (n_T − 1 + n_C − 1), which still has degrees of freedom with one treated
//! area. Then Var θ = σ²·Σλ_i² + s²_q/n_C, with Satterthwaite's degrees of
//! freedom and a t critical value. The joint test of the leads averages them
//! by quarter before go-live and uses Hotelling's T² with the same pooled
//! covariance, as an F test on ν = n_T + n_C − 2 degrees of freedom. The
//! event study also gets a simultaneous (sup-t) band (`band`).

use spread::Spread;
use statrs::distribution::{ContinuousCDF, StudentsT};
use std::collections::BTreeMap;

/// The base period of a group-time effect before go-live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    /// b = g − 1 for every period (published).
    Universal,
    /// b = t − 1 before go-live, g − 1 from it (R `did`'s default).
    Varying,
}

/// One area's outcomes by period.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    /// The first period the area runs the programme; `None` for a comparison
    /// area (never treated).
    pub cohort: Option<usize>,
    /// Outcome per period, `None` where the area has no observation.
    pub outcomes: Vec<Option<f64>>,
}

/// Areas by periods 0 … periods − 1.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Panel {
    pub periods: usize,
    pub units: Vec<Unit>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GroupTime {
    pub cohort: usize,
    pub period: usize,
    pub att: f64,
    /// Treated and comparison areas with both periods observed.
    pub treated_areas: usize,
    pub comparison_areas: usize,
}

/// An aggregate with its area-based uncertainty. The interval fields are
/// `None` where the areas cannot support one (no comparison area with a
/// spread, or no degrees of freedom).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub estimate: f64,
    pub se: Option<f64>,
    pub df: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub p_value: Option<f64>,
    pub treated_areas: usize,
    pub comparison_areas: usize,
}

impl Estimate {
    /// The simultaneous band at this estimate: estimate ∓ `critical` × se
    /// (`band`); `None` without a critical value or a standard error.
    pub fn band(&self, critical: Option<f64>) -> Option<(f64, f64)> {
        let (c, se) = critical.zip(self.se)?;
        Some((self.estimate - c * se, self.estimate + c * se))
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PreTrend {
    /// Quarters of leads tested jointly.
    pub quarters: usize,
    pub f: f64,
    pub df1: f64,
    pub df2: f64,
    pub p_value: f64,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Staggered {
    pub group_time: Vec<GroupTime>,
    /// By event time e = t − g, from −leads on.
    pub event_study: Vec<(i64, Estimate)>,
    /// Per cohort, the mean of its post-start effects.
    pub cohorts: Vec<(usize, f64)>,
    /// Cohort sizes as weights ("group" aggregation).
    pub overall: Option<Estimate>,
    /// The mean of the event-study effects from go-live on (R `did`'s
    /// dynamic overall summary).
    pub dynamic_overall: Option<f64>,
    /// `None` where no lead is observed or the areas are too few for the
    /// joint test.
    pub pretrend: Option<PreTrend>,
    /// The critical values of the event study's simultaneous band, by event
    /// time: each event time with an interval gets estimate ± its critical
    /// value × se (`band`). Empty where no event time has an interval.
    pub band_critical: BTreeMap<i64, f64>,
    /// The first year's mean effect (event months 0–11) robust to any
    /// straight-line difference in trends (`robust`). `None` where the
    /// months or areas cannot support it.
    pub robust: Option<Estimate>,
}

/// One group-time cell: each observed area's change, and the comparison
/// areas' mean change.
struct Cell {
    treated: Vec<(usize, f64)>,
    comparison: Vec<(usize, f64)>,
    comparison_mean: f64,
}

impl Cell {
    fn att(&self) -> f64 {
        mean(self.treated.iter().map(|(_, d)| *d)) - self.comparison_mean
    }
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    sum / n as f64
}

/// Weights over cells, summing to 1.
type Weights = Vec<((usize, usize), f64)>;

/// What one aggregate rests on, area by area.
struct Contributions {
    theta: f64,
    /// Per treated area: (λ_i, e_i).
    treated: BTreeMap<usize, (f64, f64)>,
    /// Per cohort and comparison area: its placebo effect.
    placebo: BTreeMap<usize, BTreeMap<usize, f64>>,
    /// Per comparison area: its weighted series q_c.
    series: BTreeMap<usize, f64>,
    /// Treated areas per cohort.
    cohort_sizes: BTreeMap<usize, usize>,
}

struct Estimator<'a> {
    panel: &'a Panel,
    cells: BTreeMap<(usize, usize), Cell>,
    /// Treated areas per cohort.
    sizes: BTreeMap<usize, usize>,
    comparison: Vec<usize>,
    /// Each unit's noise scale and its degrees of freedom
    /// (`spread::scales`).
    scales: spread::Scales,
}

impl<'a> Estimator<'a> {
    fn new(panel: &'a Panel, base: Base) -> Self {
        let t_max = panel.periods;
        let mut sizes = BTreeMap::new();
        for u in &panel.units {
            if let Some(g) = u.cohort.filter(|g| (1..t_max).contains(g)) {
                *sizes.entry(g).or_insert(0) += 1;
            }
        }
        let comparison: Vec<usize> = (0..panel.units.len())
            .filter(|&i| panel.units[i].cohort.is_none())
            .collect();
        let change = |i: usize, t: usize, b: usize| -> Option<f64> {
            let y = &panel.units[i].outcomes;
            Some(y.get(t).copied()?? - y.get(b).copied()??)
        };
        let mut cells = BTreeMap::new();
        for &g in sizes.keys() {
            let first = match base {
                Base::Universal => 0,
                Base::Varying => 1,
            };
            for t in first..t_max {
                let b = match base {
                    Base::Varying if t < g => t - 1,
                    _ => g - 1,
                };
                let treated: Vec<(usize, f64)> = (0..panel.units.len())
                    .filter(|&i| panel.units[i].cohort == Some(g))
                    .filter_map(|i| Some((i, change(i, t, b)?)))
                    .collect();
                let comparison: Vec<(usize, f64)> = comparison
                    .iter()
                    .filter_map(|&i| Some((i, change(i, t, b)?)))
                    .collect();
                if treated.is_empty() || comparison.is_empty() {
                    continue;
                }
                let comparison_mean = mean(comparison.iter().map(|(_, d)| *d));
                cells.insert(
                    (g, t),
                    Cell {
                        treated,
                        comparison,
                        comparison_mean,
                    },
                );
            }
        }
        let scales = spread::scales(panel, &comparison, |i| {
            panel.units[i].cohort.is_none_or(|g| sizes.contains_key(&g))
        });
        Estimator {
            panel,
            cells,
            sizes,
            comparison,
            scales,
        }
    }

    /// Cells (g, g + e) for event time e, weighted by cohort size.
    fn event_weights(&self, e: i64) -> Weights {
        let cells: Vec<(usize, usize)> = self
            .sizes
            .keys()
            .filter_map(|&g| {
                let t = usize::try_from(g as i64 + e).ok()?;
                self.cells.contains_key(&(g, t)).then_some((g, t))
            })
            .collect();
        let total: usize = cells.iter().map(|(g, _)| self.sizes[g]).sum();
        cells
            .into_iter()
            .map(|(g, t)| ((g, t), self.sizes[&g] as f64 / total as f64))
            .collect()
    }

    /// Each cohort's post-start cells averaged, cohorts weighted by size.
    fn group_weights(&self) -> Weights {
        let post = |g: usize| -> Vec<usize> {
            (g..self.panel.periods)
                .filter(|t| self.cells.contains_key(&(g, *t)))
                .collect()
        };
        let cohorts: Vec<usize> = self
            .sizes
            .keys()
            .copied()
            .filter(|&g| !post(g).is_empty())
            .collect();
        let total: usize = cohorts.iter().map(|g| self.sizes[g]).sum();
        cohorts
            .into_iter()
            .flat_map(|g| {
                let periods = post(g);
                let w = self.sizes[&g] as f64 / total as f64 / periods.len() as f64;
                periods.into_iter().map(move |t| ((g, t), w))
            })
            .collect()
    }

    fn contributions(&self, weights: &Weights) -> Contributions {
        let mut theta = 0.0;
        let mut treated: BTreeMap<usize, (f64, f64)> = BTreeMap::new();
        let mut placebo: BTreeMap<usize, BTreeMap<usize, (f64, f64)>> = BTreeMap::new();
        let mut series: BTreeMap<usize, f64> = BTreeMap::new();
        for &((g, t), w) in weights {
            let cell = &self.cells[&(g, t)];
            theta += w * cell.att();
            let n = cell.treated.len() as f64;
            for &(i, d) in &cell.treated {
                let (lambda, sum) = treated.entry(i).or_insert((0.0, 0.0));
                *lambda += w / n;
                *sum += w / n * (d - cell.comparison_mean);
            }
            let m = cell.comparison.len() as f64;
            for &(c, d) in &cell.comparison {
                let (weight, sum) = placebo.entry(g).or_default().entry(c).or_insert((0.0, 0.0));
                *weight += w;
                *sum += w * (d - cell.comparison_mean);
                *series.entry(c).or_insert(0.0) += w * d * (self.comparison.len() as f64 / m);
            }
        }
        let mut cohort_sizes = BTreeMap::new();
        for i in treated.keys() {
            if let Some(g) = self.panel.units[*i].cohort {
                *cohort_sizes.entry(g).or_insert(0) += 1;
            }
        }
        Contributions {
            theta,
            cohort_sizes,
            treated: treated
                .into_iter()
                .map(|(i, (lambda, sum))| (i, (lambda, sum / lambda)))
                .collect(),
            placebo: placebo
                .into_iter()
                .map(|(g, areas)| {
                    let areas = areas
                        .into_iter()
                        .map(|(c, (weight, sum))| (c, sum / weight))
                        .collect();
                    (g, areas)
                })
                .collect(),
            series,
        }
    }

    /// The aggregate over `weights` with its interval, from the areas.
    fn estimate(&self, weights: &Weights) -> Option<Estimate> {
        if weights.is_empty() {
            return None;
        }
        let c = self.contributions(weights);
        let mut estimate = Estimate {
            estimate: c.theta,
            se: None,
            df: None,
            low: None,
            high: None,
            p_value: None,
            treated_areas: c.treated.len(),
            comparison_areas: c.series.len(),
        };
        let Some(spread) = Spread::of(&[&c], &self.scales.value) else {
            return Some(estimate);
        };
        let (a, b) = (spread.area[(0, 0)] * spread.lambda2, spread.series[(0, 0)]);
        let variance = a + b;
        if variance <= 0.0 || !variance.is_finite() {
            return Some(estimate);
        }
        let terms: Vec<(usize, f64)> = c
            .treated
            .iter()
            .map(|(i, (l, _))| (*i, l * l * self.scales.value[*i]))
            .collect();
        let df_area = self.scales.product_df(spread.df, &terms);
        let df = variance.powi(2)
            / (a.powi(2) / df_area + b.powi(2) / (spread.comparison_areas - 1) as f64);
        let se = variance.sqrt();
        let t = StudentsT::new(0.0, 1.0, df).ok()?;
        let critical = t.inverse_cdf(0.975);
        estimate.se = Some(se);
        estimate.df = Some(df);
        estimate.low = Some(c.theta - critical * se);
        estimate.high = Some(c.theta + critical * se);
        estimate.p_value = Some(2.0 * (1.0 - t.cdf((c.theta / se).abs())));
        Some(estimate)
    }
}

/// Group-time effects with the universal base, their event-study and
/// overall aggregates, the event study's simultaneous band, and the joint
/// test of up to `leads` leads.
pub fn callaway_santanna(panel: &Panel, leads: usize) -> Staggered {
    callaway_santanna_based(panel, leads, Base::Universal, band::DRAWS)
}

/// The same with either base period, and the band from `band_draws` draws
/// (none with 0).
pub fn callaway_santanna_based(
    panel: &Panel,
    leads: usize,
    base: Base,
    band_draws: usize,
) -> Staggered {
    let estimator = Estimator::new(panel, base);
    let lead = |g: usize, t: usize| t as i64 - g as i64 >= -(leads as i64);
    let group_time = estimator
        .cells
        .iter()
        .filter(|((g, t), _)| lead(*g, *t))
        .map(|(&(cohort, period), cell)| GroupTime {
            cohort,
            period,
            att: cell.att(),
            treated_areas: cell.treated.len(),
            comparison_areas: cell.comparison.len(),
        })
        .collect();
    let last = estimator
        .cells
        .keys()
        .map(|(g, t)| *t as i64 - *g as i64)
        .max();
    let event_study: Vec<(i64, Estimate)> = last
        .map(|last| -(leads as i64)..=last)
        .into_iter()
        .flatten()
        .filter_map(|e| Some((e, estimator.estimate(&estimator.event_weights(e))?)))
        .collect();
    let cohorts = estimator
        .sizes
        .keys()
        .filter_map(|&g| {
            let post: Vec<f64> = estimator
                .cells
                .iter()
                .filter(|((cg, t), _)| *cg == g && *t >= g)
                .map(|(_, c)| c.att())
                .collect();
            (!post.is_empty()).then(|| (g, mean(post.into_iter())))
        })
        .collect();
    let lags: Vec<f64> = event_study
        .iter()
        .filter(|(e, _)| *e >= 0)
        .map(|(_, x)| x.estimate)
        .collect();
    Staggered {
        group_time,
        cohorts,
        overall: estimator.estimate(&estimator.group_weights()),
        dynamic_overall: (!lags.is_empty()).then(|| mean(lags.into_iter())),
        pretrend: estimator.pretrend(leads),
        band_critical: estimator.band(&event_study, band_draws),
        robust: estimator.robust(&event_study, leads),
        event_study,
    }
}

pub mod band;
#[cfg(test)]
mod coverage;
mod pretrend;
mod robust;
mod spread;
pub use robust::FIRST_YEAR;
#[cfg(test)]
mod tests;
