//! The average effect on the treated from its parts: the matched
//! participants' in-work count and number, the comparison rate and the
//! comparison side's variance, what the areas add, and the critical value.
//!
//! att = p − c with p = k/m. The interval squares and adds (Newcombe 1998,
//! method 10; Zou and Donner 2008's MOVER) each part's distance to its own
//! limit at the same critical value t:
//!
//! - the participants' rate: its Wilson interval (l, u) at t on the
//!   effective size m/d, so a rate of 0 or 1 still has a width; d, the
//!   design effect, is the participants' variance within their strata over
//!   their whole variance (≤ 1): the matching holds the strata fixed, so
//!   only the spread within them is chance;
//! - the comparison rate: c ± t·√V, V = Σₛ wₛ² cₛ(1−cₛ)/mₛ;
//! - the areas: ± t·√A, A = τ²·S (see `stats::estimators::between_areas`);
//!
//! low = att − √((p − l)² + t²V + t²A), high = att + √((u − p)² + t²V + t²A).
//! With no area part and t = 1.96 this is Newcombe's interval for a
//! difference of proportions with a Wald comparison side.

use super::wilson::wilson_interval_at;
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

/// The normal critical value the contract's intervals use where the areas
/// add nothing.
pub const Z_ATT: f64 = 1.96;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Att {
    /// The matched participants' rate, p.
    pub participant_rate: f64,
    pub att: f64,
    /// √(p(1−p)/m + V + A): the standard error the p-value and the minimum
    /// detectable effect use.
    pub se: f64,
    pub low: f64,
    pub high: f64,
}

/// What an ATT rests on besides the matched participants' counts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AttParts {
    pub comparison_rate: f64,
    /// What the comparison side adds to the variance.
    pub comparison_variance: f64,
    /// What the areas add to the variance (τ²·S); 0 where not counted.
    pub area_variance: f64,
    /// The two-sided 95% critical value.
    pub critical: f64,
    /// The participants' design effect d: their variance within strata
    /// over their whole variance, in (0, 1]; 1 counts the spread between
    /// strata as chance.
    pub design_effect: f64,
}

impl AttParts {
    /// The parts for `matched` participants at rate `p` with the areas'
    /// variance counted: the critical value is Student's t on Satterthwaite's
    /// degrees of freedom (also returned), the within part being
    /// p(1−p)/m + V and the area part estimated with `tau2_df` of them.
    pub fn with_areas(
        p: f64,
        matched: u64,
        comparison_rate: f64,
        comparison_variance: f64,
        area_variance: f64,
        tau2_df: f64,
    ) -> (Self, f64) {
        Self::with_areas_of_variance(
            p * (1.0 - p),
            matched,
            comparison_rate,
            comparison_variance,
            area_variance,
            tau2_df,
        )
    }

    /// [`AttParts::with_areas`] for any outcome: `unit_variance` is one
    /// participant's variance (p(1−p) for a proportion, s² for a mean).
    pub fn with_areas_of_variance(
        unit_variance: f64,
        matched: u64,
        comparison_rate: f64,
        comparison_variance: f64,
        area_variance: f64,
        tau2_df: f64,
    ) -> (Self, f64) {
        Self::within_strata(
            unit_variance,
            1.0,
            matched,
            (comparison_rate, comparison_variance),
            area_variance,
            tau2_df,
        )
    }

    /// [`AttParts::with_areas_of_variance`] with the participants' design
    /// effect `design_effect` (the people's part of the variance is
    /// d·`unit_variance`/m + V).
    pub fn within_strata(
        unit_variance: f64,
        design_effect: f64,
        matched: u64,
        (comparison_rate, comparison_variance): (f64, f64),
        area_variance: f64,
        tau2_df: f64,
    ) -> (Self, f64) {
        let d = design_effect_or_one(design_effect);
        let within = d * unit_variance / matched.max(1) as f64 + comparison_variance;
        let (df, critical) = satterthwaite(within, area_variance, tau2_df);
        let parts = AttParts {
            comparison_rate,
            comparison_variance,
            area_variance,
            critical,
            design_effect: d,
        };
        (parts, df)
    }

    /// The contract's interval before areas were counted: z = 1.96.
    pub fn without_areas(comparison_rate: f64, comparison_variance: f64) -> Self {
        AttParts {
            comparison_rate,
            comparison_variance,
            area_variance: 0.0,
            critical: Z_ATT,
            design_effect: 1.0,
        }
    }

    /// The same parts with the participants' design effect `d`.
    pub fn with_design_effect(self, d: f64) -> Self {
        AttParts {
            design_effect: design_effect_or_one(d),
            ..self
        }
    }
}

/// A design effect as the formulas use it: d in (0, 1], and 1 for anything
/// else (no spread within strata to go on, or none given).
pub fn design_effect_or_one(d: f64) -> f64 {
    if d > 0.0 && d <= 1.0 { d } else { 1.0 }
}

/// The participants' design effect from their strata: the spread within
/// strata pooled over the strata of two or more, Σₛ(Qₛ − Tₛ²/nₛ) /
/// Σₛ(nₛ − 1), over their whole variance (Q − T²/m)/(m − 1) (nₛ, Tₛ, Qₛ a
/// stratum's participants and the sum of their values and of their
/// squares; m, T, Q the same over all), as [`design_effect_or_one`] takes
/// it: 1 when either is 0 or missing (strata that are all in work or all
/// out say nothing of their chance spread) or when it would exceed 1.
pub fn design_effect(strata: impl IntoIterator<Item = (u64, f64, f64)>) -> f64 {
    let (mut within, mut df, mut m, mut total, mut squares) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (n, t, q) in strata {
        let n_f = n as f64;
        if n >= 2 {
            within += (q - t * t / n_f).max(0.0);
            df += n_f - 1.0;
        }
        m += n_f;
        total += t;
        squares += q;
    }
    if df == 0.0 || m < 2.0 {
        return 1.0;
    }
    let whole = (squares - total * total / m).max(0.0) / (m - 1.0);
    if whole <= 0.0 {
        return 1.0;
    }
    design_effect_or_one(within / df / whole)
}

/// Square and add: the limits of `estimate` = a − b from each part's own
/// distances to its limits.
pub fn mover(estimate: f64, lower_distances: &[f64], upper_distances: &[f64]) -> (f64, f64) {
    let root = |d: &[f64]| d.iter().map(|x| x * x).sum::<f64>().sqrt();
    (
        estimate - root(lower_distances),
        estimate + root(upper_distances),
    )
}

/// The ATT for `in_work` of `matched` participants against `parts`; `None`
/// without matched participants.
pub fn att(in_work: u64, matched: u64, parts: AttParts) -> Option<Att> {
    if matched == 0 || !parts.comparison_rate.is_finite() {
        return None;
    }
    let m = matched as f64;
    let p = in_work as f64 / m;
    let att = p - parts.comparison_rate;
    let d = design_effect_or_one(parts.design_effect);
    let (l, u) = wilson_interval_at(p, m / d, parts.critical)?;
    let t = parts.critical;
    let others = [
        t * parts.comparison_variance.max(0.0).sqrt(),
        t * parts.area_variance.max(0.0).sqrt(),
    ];
    let (low, high) = mover(
        att,
        &[p - l, others[0], others[1]],
        &[u - p, others[0], others[1]],
    );
    Some(Att {
        participant_rate: p,
        att,
        se: (d * p * (1.0 - p) / m + parts.comparison_variance + parts.area_variance).sqrt(),
        low,
        high,
    })
}

/// The ATT of a mean outcome (months in work, earnings) for `matched`
/// participants whose values sum to `total` with squares summing to
/// `squares`: the participants' mean ȳ with its t interval
/// ȳ ± t·s/√m (s² the unbiased sample variance), combined with the
/// comparison's and areas' parts by square and add, as [`att`] does with
/// Wilson's interval for a proportion. `None` with fewer than two matched
/// participants (no spread to estimate).
pub fn att_mean(total: f64, squares: f64, matched: u64, parts: AttParts) -> Option<Att> {
    if matched < 2 || !parts.comparison_rate.is_finite() {
        return None;
    }
    let m = matched as f64;
    let mean = total / m;
    let variance = design_effect_or_one(parts.design_effect)
        * ((squares - total * total / m) / (m - 1.0)).max(0.0);
    let att = mean - parts.comparison_rate;
    let t = parts.critical;
    let own = t * (variance / m).sqrt();
    let others = [
        t * parts.comparison_variance.max(0.0).sqrt(),
        t * parts.area_variance.max(0.0).sqrt(),
    ];
    let (low, high) = mover(
        att,
        &[own, others[0], others[1]],
        &[own, others[0], others[1]],
    );
    Some(Att {
        participant_rate: mean,
        att,
        se: (variance / m + parts.comparison_variance + parts.area_variance).sqrt(),
        low,
        high,
    })
}

/// Satterthwaite's degrees of freedom for a variance `within + areas` whose
/// area part was estimated with `tau2_df` degrees of freedom (the within part
/// with infinitely many), and the two-sided 95% t critical value.
pub fn satterthwaite(within: f64, areas: f64, tau2_df: f64) -> (f64, f64) {
    let df = if areas > 0.0 {
        (within + areas).powi(2) / (areas.powi(2) / tau2_df)
    } else {
        f64::INFINITY
    };
    (df, t_975(df))
}

/// The two-sided 95% critical value of Student's t with `df` degrees of
/// freedom (the normal's for infinite `df`).
pub fn t_975(df: f64) -> f64 {
    if !df.is_finite() || df > 1e7 {
        return Normal::standard().inverse_cdf(0.975);
    }
    StudentsT::new(0.0, 1.0, df.max(1.0))
        .map(|t| t.inverse_cdf(0.975))
        .unwrap_or(f64::NAN)
}

/// The interval's own two-sided p-value for no effect: with t* the
/// critical value at which the limit nearer zero (`low` for a positive
/// `att`, `high` for a negative one) reaches 0, p = 2·P(T_df > t*) (the
/// normal's for infinite `df`); 1 when `att` is 0. `limits(t)` gives the
/// interval at critical value t, whose limits move away from `att` as t
/// grows, so t* is found by bisection (to 1e-12 of t*). `att_p_value` < α
/// exactly when the 1 − α interval leaves out zero: a Wald p-value beside a
/// Wilson–MOVER interval can disagree near zero (issue 27, item 6). For a
/// mean outcome, whose interval is t·se on each side, it is the Wald
/// p-value.
pub fn interval_p_value(
    att: f64,
    df: f64,
    limits: impl Fn(f64) -> Option<(f64, f64)>,
) -> Option<f64> {
    if !att.is_finite() {
        return None;
    }
    if att == 0.0 {
        return Some(1.0);
    }
    // How far the nearer limit is on att's side of zero: positive at t = 0.
    let margin = |t: f64| limits(t).map(|(low, high)| if att > 0.0 { low } else { -high });
    let (mut below, mut above) = (0.0, 1.0);
    while margin(above)? > 0.0 {
        below = above;
        above *= 2.0;
        if above > 1e12 {
            return super::multiplicity::p_value(above, 1.0, df);
        }
    }
    while above - below > 1e-12 * above {
        let middle = 0.5 * (below + above);
        if margin(middle)? > 0.0 {
            below = middle;
        } else {
            above = middle;
        }
    }
    super::multiplicity::p_value(0.5 * (below + above), 1.0, df)
}

/// [`interval_p_value`] of [`att`]'s or [`att_mean`]'s interval: `estimate`
/// gives the ATT at a critical value (`parts.critical` replaced).
pub fn att_p_value(
    estimate: impl Fn(AttParts) -> Option<Att>,
    parts: AttParts,
    df: f64,
) -> Option<f64> {
    let at = estimate(parts)?;
    interval_p_value(at.att, df, |critical| {
        estimate(AttParts { critical, ..parts }).map(|a| (a.low, a.high))
    })
}

/// The own-area design's effect (CONTRACT.md): `in_work` of `matched`
/// against comparison rate `c` with variance `v`, with no areas' part (each
/// cell's two sides share their area) and the participants' variance scaled
/// by `design_effect`; with its interval's own p-value, on the normal. None
/// where [`att`] is.
pub fn att_within_areas(
    in_work: u64,
    matched: u64,
    c: f64,
    v: f64,
    design_effect: f64,
) -> Option<(Att, Option<f64>)> {
    let parts = AttParts::without_areas(c, v).with_design_effect(design_effect);
    let a = att(in_work, matched, parts)?;
    let p = att_p_value(|parts| att(in_work, matched, parts), parts, f64::INFINITY);
    Some((a, p))
}

/// The minimum detectable effect for one site of `n` eligible participants:
/// the programme's rate `p` and comparison part, τ̂² for the site's own
/// area (weight 1) and the comparison areas (`comparison_weight`), at the
/// Satterthwaite t critical value.
pub fn site_minimum_detectable_effect(
    p: f64,
    n: u64,
    comparison_variance: f64,
    tau2: f64,
    comparison_weight: f64,
    tau2_df: f64,
) -> Option<f64> {
    let area_variance = tau2 * (1.0 + comparison_weight);
    let (parts, _) =
        AttParts::with_areas(p, n, f64::NAN, comparison_variance, area_variance, tau2_df);
    minimum_detectable_effect(p, n, parts)
}

/// Φ⁻¹(0.8): the normal quantile of 80% power.
pub const Z_80: f64 = 0.841_621_233_572_914_3;

/// The minimum detectable effect at 80% power and the two-sided level of
/// `critical`: (t + z₀.₈)·√(p(1−p)/m + V + A) for `m` participants at rate
/// `p`, with the comparison's and areas' variance parts of `parts`.
pub fn minimum_detectable_effect(p: f64, m: u64, parts: AttParts) -> Option<f64> {
    minimum_detectable_effect_of_variance(p * (1.0 - p), m, parts)
}

/// [`minimum_detectable_effect`] for any outcome: `unit_variance` is one
/// participant's variance.
pub fn minimum_detectable_effect_of_variance(
    unit_variance: f64,
    m: u64,
    parts: AttParts,
) -> Option<f64> {
    let d = design_effect_or_one(parts.design_effect);
    (m > 0 && parts.critical.is_finite()).then(|| {
        minimum_detectable_effect_of_se(
            parts.critical,
            (d * unit_variance / m as f64 + parts.comparison_variance + parts.area_variance).sqrt(),
        )
    })
}

/// The minimum detectable effect of an estimate with standard error `se`
/// whose two-sided 5% test uses `critical`: (critical + z₀.₈)·se.
pub fn minimum_detectable_effect_of_se(critical: f64, se: f64) -> f64 {
    (critical + Z_80) * se
}

#[cfg(test)]
mod tests;
