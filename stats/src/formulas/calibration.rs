//! Empirical calibration (Schuemie et al. 2014, 2018; the OHDSI
//! `EmpiricalCalibration` R package): the systematic error of a design,
//! measured on negative controls (outcomes the programme cannot have
//! changed, so their true effect is zero), as a normal distribution
//! N(μ, σ²) of the error; and an effect's interval and p-value calibrated
//! for it. An estimate b with standard error s is then distributed as
//! N(θ + μ, σ² + s²) for a true effect θ.

use statrs::distribution::{ContinuousCDF, Normal};

/// The systematic error distribution fitted to negative controls.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Null {
    pub mean: f64,
    pub sd: f64,
    /// The negative controls it was fitted to.
    pub controls: usize,
    /// The standard error of `mean`: √(1/Σᵢ 1/(σ² + sᵢ²)), the variance
    /// of the inverse-variance weighted mean at the fitted σ. With the few
    /// controls a programme has it is not small beside an effect's own
    /// standard error ([`Null::with_its_uncertainty`]).
    pub mean_se: f64,
}

impl Null {
    /// The distribution of a new estimate's systematic error when the null
    /// itself is estimated: N(μ̂, σ̂² + se(μ̂)²). The package's
    /// `calibrateConfidenceInterval` and `calibrateP` take the null as
    /// known, which its usual dozens of negative controls allow (its
    /// `fitMcmcNull` carries the null's uncertainty instead); with five
    /// controls, calibrating against the point estimate alone
    /// under-covers (VALIDATION.md), so every calibrated figure here uses
    /// this.
    pub fn with_its_uncertainty(&self) -> Null {
        Null {
            sd: (self.sd * self.sd + self.mean_se * self.mean_se).sqrt(),
            mean_se: 0.0,
            ..*self
        }
    }
}

/// −log L of (μ, σ) for estimates `b` with standard errors `s`, each
/// b ~ N(μ, σ² + s²) (the package's `logLikelihoodNull`).
fn minus_log_likelihood(mean: f64, sd: f64, estimates: &[(f64, f64)]) -> f64 {
    estimates
        .iter()
        .map(|&(b, s)| {
            let v = sd * sd + s * s;
            0.5 * ((2.0 * std::f64::consts::PI * v).ln() + (b - mean).powi(2) / v)
        })
        .sum()
}

/// The maximum-likelihood null (`fitNull`): for a given σ the best μ is the
/// inverse-variance weighted mean, so the likelihood is maximised over σ
/// alone (golden-section search on a bracket found by doubling), and σ = 0
/// where the spread is no more than chance. Estimates that are not finite
/// are left out, as the package does; `None` without any left.
pub fn fit_null(estimates: &[(f64, f64)]) -> Option<Null> {
    let used: Vec<(f64, f64)> = estimates
        .iter()
        .copied()
        .filter(|(b, s)| b.is_finite() && s.is_finite() && *s >= 0.0)
        .collect();
    if used.is_empty() {
        return None;
    }
    let mean_at = |sd: f64| {
        let (mut num, mut den) = (0.0, 0.0);
        for &(b, s) in &used {
            let w = 1.0 / (sd * sd + s * s).max(f64::MIN_POSITIVE);
            num += w * b;
            den += w;
        }
        num / den
    };
    let profile = |sd: f64| minus_log_likelihood(mean_at(sd), sd, &used);
    // Bracket the optimum: the likelihood is unimodal in σ on [0, ∞) for
    // practical purposes; double the upper end until it rises.
    let spread = used
        .iter()
        .map(|(b, _)| (b - mean_at(0.0)).abs())
        .fold(0.0, f64::max)
        .max(1e-12);
    let mut high = spread;
    while profile(high * 2.0) < profile(high) && high < 1e6 {
        high *= 2.0;
    }
    let (mut a, mut b) = (0.0, high * 2.0);
    let ratio = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..200 {
        let c = b - ratio * (b - a);
        let d = a + ratio * (b - a);
        if profile(c) <= profile(d) {
            b = d;
        } else {
            a = c;
        }
    }
    let sd = (a + b) / 2.0;
    // The boundary: σ = 0 when it is at least as likely.
    let sd = if profile(0.0) <= profile(sd) { 0.0 } else { sd };
    let information: f64 = used
        .iter()
        .map(|(_, s)| 1.0 / (sd * sd + s * s).max(f64::MIN_POSITIVE))
        .sum();
    Some(Null {
        mean: mean_at(sd),
        sd,
        controls: used.len(),
        mean_se: (1.0 / information).sqrt(),
    })
}

/// The calibrated two-sided p-value of estimate `b` (standard error `s`)
/// against no effect, under `null` (`calibrateP`), with `cdf` the reference
/// distribution's (the standard normal's in the package; Student's t where
/// the estimate's own interval uses it).
pub fn calibrated_p(null: &Null, b: f64, s: f64, cdf: impl Fn(f64) -> f64) -> f64 {
    let z = (b - null.mean) / (null.sd * null.sd + s * s).sqrt();
    (2.0 * cdf(-z.abs())).min(1.0)
}

/// [`calibrated_p`] on Student's t with `df` degrees of freedom (the
/// normal's beyond 10⁷ or when infinite): how an effect whose own interval
/// uses t is calibrated.
pub fn calibrated_p_t(null: &Null, b: f64, s: f64, df: f64) -> Option<f64> {
    use statrs::distribution::StudentsT;
    if !df.is_finite() || df > 1e7 {
        let normal = Normal::standard();
        return Some(calibrated_p(null, b, s, |x| normal.cdf(x)));
    }
    let t = StudentsT::new(0.0, 1.0, df.max(1.0)).ok()?;
    Some(calibrated_p(null, b, s, |x| t.cdf(x)))
}

/// The calibrated interval of `b` (standard error `s`) at `critical`
/// (`calibrateConfidenceInterval` with an error model fitted to negative
/// controls alone, whose mean and spread do not depend on the true effect):
/// b − μ ± critical·√(σ² + s²).
pub fn calibrated_interval(null: &Null, b: f64, s: f64, critical: f64) -> (f64, f64) {
    let half = critical * (null.sd * null.sd + s * s).sqrt();
    (b - null.mean - half, b - null.mean + half)
}

/// The expected absolute systematic error, E|X| for X ~ N(μ, σ²)
/// (`computeExpectedAbsoluteSystematicError`): one number for how far the
/// design's estimates stray from the truth by design alone.
pub fn expected_absolute_systematic_error(null: &Null) -> f64 {
    let (mu, sigma) = (null.mean, null.sd);
    if sigma <= 0.0 {
        return mu.abs();
    }
    let normal = Normal::standard();
    let z = mu / sigma;
    sigma * (2.0 / std::f64::consts::PI).sqrt() * (-z * z / 2.0).exp()
        + mu * (1.0 - 2.0 * normal.cdf(-z))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The package's `sccs` example (`stats/tests/data/README.md`):
    /// `fitNull` on its 45 negative controls prints mean 0.7922 and SD
    /// 0.2834, and `calibrateP` gives the drug of interest 0.8389142. The
    /// package stops R's Nelder–Mead (from (0, 1), relative tolerance 1e-8
    /// on the likelihood) about 1e-4 short of the maximum; here the maximum
    /// is found exactly (mean 0.79212, SD 0.28342, p 0.83902), so the
    /// figures agree to 2e-4 and the likelihood here is at least the
    /// package's.
    #[test]
    fn reproduces_the_empirical_calibration_vignette() {
        let text = include_str!("../../tests/data/empirical_calibration_sccs.csv");
        let mut negatives = Vec::new();
        let mut of_interest = None;
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            let (b, s): (f64, f64) = (f[2].parse().unwrap(), f[3].parse().unwrap());
            if f[1] == "0" {
                negatives.push((b, s));
            } else {
                of_interest = Some((b, s));
            }
        }
        assert_eq!(negatives.len(), 45);
        let null = fit_null(&negatives).unwrap();
        assert!((null.mean - 0.7922).abs() < 2e-4, "{null:?}");
        assert!((null.sd - 0.2834).abs() < 2e-4, "{null:?}");
        assert!(
            minus_log_likelihood(null.mean, null.sd, &negatives)
                <= minus_log_likelihood(0.7922, 0.2834, &negatives)
        );
        let (b, s) = of_interest.unwrap();
        let normal = Normal::standard();
        let p = calibrated_p(&null, b, s, |x| normal.cdf(x));
        assert!((p - 0.838_914_2).abs() < 2e-4, "{p}");
    }

    /// Worked by hand: three controls at 0.01 ± 0.01, 0.03 ± 0.01 and
    /// −0.01 ± 0.01 scatter no more than chance around their mean 0.01
    /// (Σ(b − 0.01)²/s² = 8 on 2 degrees of freedom is more, so σ > 0):
    /// the ML σ solves Σ (b − μ)² = 3(σ² + s²), σ² = 0.0008/3 − 0.0001.
    #[test]
    fn the_null_by_hand_and_the_calibrated_figures() {
        let null = fit_null(&[(0.01, 0.01), (0.03, 0.01), (-0.01, 0.01)]).unwrap();
        assert!((null.mean - 0.01).abs() < 1e-9, "{null:?}");
        let sd = (0.0008f64 / 3.0 - 0.0001).sqrt();
        assert!((null.sd - sd).abs() < 1e-7, "{null:?} vs {sd}");
        // se(μ̂)² = 1/(3/(σ² + 0.0001)) = (0.0008/3)/3 = 0.0000888…; the
        // null with its uncertainty has variance σ² + that = 0.000255556.
        assert!(
            (null.mean_se - (0.0008f64 / 9.0).sqrt()).abs() < 1e-9,
            "{null:?}"
        );
        let wide = null.with_its_uncertainty();
        assert!((wide.sd.powi(2) - 0.000_255_555_6).abs() < 1e-9, "{wide:?}");
        assert_eq!(
            (wide.mean, wide.controls, wide.mean_se),
            (null.mean, 3, 0.0)
        );
        // Controls tighter than chance: σ = 0.
        let tight = fit_null(&[(0.0, 0.02), (0.001, 0.02), (-0.001, 0.02)]).unwrap();
        assert_eq!(tight.sd, 0.0);
        // b = 0.05, s = 0.01 against N(0.01, σ²): 0.04 ± 1.96·√(σ² + 0.0001).
        let (low, high) = calibrated_interval(&null, 0.05, 0.01, 1.96);
        let half = 1.96 * (sd * sd + 0.0001).sqrt();
        assert!((low - (0.04 - half)).abs() < 1e-9 && (high - (0.04 + half)).abs() < 1e-9);
        let normal = Normal::standard();
        let p = calibrated_p(&null, 0.05, 0.01, |x| normal.cdf(x));
        let z = (0.05 - null.mean) / (null.sd * null.sd + 0.0001).sqrt();
        assert!((p - 2.0 * normal.cdf(-z)).abs() < 1e-12);
        // E|X| for N(0, σ²) is σ√(2/π); for σ = 0 it is |μ|.
        let centred = Null {
            mean: 0.0,
            sd: 0.02,
            controls: 5,
            mean_se: 0.0,
        };
        let expected = 0.02 * (2.0 / std::f64::consts::PI).sqrt();
        assert!((expected_absolute_systematic_error(&centred) - expected).abs() < 1e-12);
        assert_eq!(expected_absolute_systematic_error(&tight), tight.mean.abs());
    }
}
