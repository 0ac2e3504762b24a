//! The between-area variance τ² from the method of moments, and what an
//! interval may take from it when areas are few.
//!
//! Each area i gives an observed square Oᵢ whose expectation is
//! nᵢ + kᵢ·τ² (nᵢ its *null*, the square's expectation without area
//! shocks; kᵢ the known coefficient of τ²). The moment estimate is
//! τ̂²ₘ = Σ(Oᵢ − nᵢ) / Σkᵢ: with equal weights and Oᵢ the squared deviation
//! from the unweighted mean it is Hedges' (1983) estimator, metafor's
//! `method = "HE"` (checked below against metafor's published results).
//!
//! Truncating τ̂²ₘ at zero and plugging it into an interval as if known
//! fails with few areas twice over: the area part vanishes whenever the
//! areas happen to agree (a dataset of three areas with an area SD of 3
//! points gave z = −3.7), and its degrees of freedom become infinite. So:
//!
//! - **its variance**: each Oᵢ is taken as (kᵢτ² + nᵢ)·χ²(kᵢ)/kᵢ, a
//!   scaled χ² with kᵢ degrees of freedom (so that with no chance part the
//!   degrees of freedom are Σkᵢ, the areas less the means estimated), and
//!   Var(τ̂²ₘ) = 2 Σᵢ (kᵢτ² + nᵢ)²/kᵢ / (Σkᵢ)²;
//! - **the τ² an interval uses**, τ̃², is Chung, Rabe-Hesketh and Choi
//!   (2013)'s Bayes modal estimate: the mode of the area SD τ under their
//!   Gamma(2, λ → 0) prior (density ∝ τ), the estimate being normal about
//!   τ² with that standard error s (evaluated at max(0, τ̂²ₘ)). Setting the
//!   log posterior's derivative 1/τ + 2τ(τ̂²ₘ − τ²)/s² to zero gives
//!   τ̃² = (τ̂²ₘ + √(τ̂²ₘ² + 2s²))/2: never 0 while the estimate is
//!   uncertain (s/√2 at τ̂²ₘ = 0), τ̂²ₘ + s²/(2τ̂²ₘ) where it is sure;
//! - **its degrees of freedom** are Σkᵢ, the moment estimate's with no
//!   chance part (the areas less the means). Satterthwaite's with the
//!   chance part counted, 2τ⁴/Var(τ̂²ₘ) (near K·τ⁴/(τ² + ν)² for K areas
//!   of chance variance ν), was built and measured: it over-covers (98.5%
//!   for 15 areas with no area variation, `VALIDATION.md`), because the
//!   interval's variance W + τ̃²S never falls below the people's part W,
//!   which Satterthwaite's χ² approximation lets reach 0.

/// The moment sums over areas: Σ(Oᵢ − nᵢ), Σkᵢ, Σnᵢ and Σnᵢ²/kᵢ (areas
/// with kᵢ > 0 only: a coefficient of 0 is an area the means fix exactly,
/// whose square carries no information).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MomentSums {
    pub excess: f64,
    pub coefficient: f64,
    pub null: f64,
    pub null_squares: f64,
}

impl MomentSums {
    /// Adds one area's observed square, null and coefficient.
    pub fn add(&mut self, observed: f64, null: f64, coefficient: f64) {
        if coefficient <= 0.0 {
            return;
        }
        self.excess += observed - null;
        self.coefficient += coefficient;
        self.null += null;
        self.null_squares += null * null / coefficient;
    }

    /// The sums of two sets of areas together.
    pub fn plus(self, other: MomentSums) -> MomentSums {
        MomentSums {
            excess: self.excess + other.excess,
            coefficient: self.coefficient + other.coefficient,
            null: self.null + other.null,
            null_squares: self.null_squares + other.null_squares,
        }
    }

    /// The untruncated moment estimate Σ(Oᵢ − nᵢ)/Σkᵢ (negative when the
    /// areas agree better than chance alone predicts).
    pub fn moment(&self) -> Option<f64> {
        (self.coefficient > 0.0).then(|| self.excess / self.coefficient)
    }

    /// The moment estimate's standard error if τ² were `tau2`:
    /// √(2 Σ(kᵢτ² + nᵢ)²/kᵢ) / Σkᵢ.
    pub fn standard_error(&self, tau2: f64) -> f64 {
        let c = self.coefficient;
        let spread = tau2 * tau2 * c + 2.0 * tau2 * self.null + self.null_squares;
        (2.0 * spread).max(0.0).sqrt() / c
    }

    /// τ² for an interval; `None` when no area has a coefficient.
    pub fn estimate(&self) -> Option<Tau2> {
        let moment = self.moment()?;
        let se = self.standard_error(moment.max(0.0));
        Some(Tau2 {
            moment,
            se,
            for_interval: bayes_modal(moment, se),
            df: self.coefficient,
        })
    }
}

/// What the moments say about τ².
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tau2 {
    /// τ̂²ₘ, untruncated.
    pub moment: f64,
    /// Its standard error at max(0, τ̂²ₘ).
    pub se: f64,
    /// τ̃², the τ² intervals use (> 0 whenever `se` > 0).
    pub for_interval: f64,
    /// τ̃²'s degrees of freedom, Σkᵢ.
    pub df: f64,
}

/// The Bayes modal τ² for a moment estimate `estimate` of standard error
/// `se`: (estimate + √(estimate² + 2·se²))/2, computed as
/// se²/(√(estimate² + 2·se²) − estimate) where `estimate` < 0 (the same
/// value, without cancelling digits). `max(0, estimate)` when `se` is 0.
pub fn bayes_modal(estimate: f64, se: f64) -> f64 {
    if se <= 0.0 || !se.is_finite() {
        return estimate.max(0.0);
    }
    let root = (estimate * estimate + 2.0 * se * se).sqrt();
    if estimate < 0.0 {
        se * se / (root - estimate)
    } else {
        (estimate + root) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hedges' estimator as moments: yᵢ about the unweighted mean ȳ, null
    /// vᵢ(1 − 2/K) + Σv/K², coefficient 1 − 1/K.
    fn hedges(y: &[f64], v: &[f64]) -> MomentSums {
        let k = y.len() as f64;
        let mean = y.iter().sum::<f64>() / k;
        let sum_v: f64 = v.iter().sum();
        let mut sums = MomentSums::default();
        for (yi, vi) in y.iter().zip(v) {
            sums.add(
                (yi - mean).powi(2),
                vi * (1.0 - 2.0 / k) + sum_v / (k * k),
                1.0 - 1.0 / k,
            );
        }
        sums
    }

    /// The CLASP trials as metafor's `tests/testthat/test_analysis_example_dersimonian2007.r`
    /// gives them (DerSimonian and Kacker 2007, Tables 3 and 4): log odds
    /// ratios with vᵢ = 1/a + 1/b + 1/c + 1/d. Published τ for Hedges'
    /// ("CA") estimator: 0.4410.
    #[test]
    fn hedges_estimator_reproduces_metafor_on_clasp() {
        let n1: [f64; 6] = [156.0, 303.0, 565.0, 1570.0, 103.0, 4659.0];
        let n2 = [74.0, 303.0, 477.0, 1565.0, 105.0, 4650.0];
        let a = [5.0, 5.0, 12.0, 69.0, 9.0, 313.0];
        let c = [8.0, 17.0, 9.0, 94.0, 11.0, 352.0];
        let y: Vec<f64> = (0..6)
            .map(|i| ((a[i] / (n1[i] - a[i])) / (c[i] / (n2[i] - c[i]))).ln())
            .collect();
        let v: Vec<f64> = (0..6)
            .map(|i| 1.0 / a[i] + 1.0 / (n1[i] - a[i]) + 1.0 / c[i] + 1.0 / (n2[i] - c[i]))
            .collect();
        let tau = hedges(&y, &v).moment().unwrap().sqrt();
        assert!((tau - 0.4410).abs() < 5e-5, "{tau}");
    }

    /// Raudenbush (1985)'s teacher-expectancy studies (d and its standard
    /// error, Raudenbush and Bryk's table). metafor's
    /// `tests/testthat/test_analysis_example_raudenbush2009.r` (Raudenbush
    /// 2009, Table 16.3) publishes τ̂² = 0.0804 for method "HE".
    #[test]
    fn hedges_estimator_reproduces_metafor_on_teacher_expectancy() {
        let y = [
            0.03, 0.12, -0.14, 1.18, 0.26, -0.06, -0.02, -0.32, 0.27, 0.80, 0.54, 0.18, -0.02,
            0.23, -0.18, -0.06, 0.30, 0.07, -0.07,
        ];
        let se: [f64; 19] = [
            0.125, 0.147, 0.167, 0.373, 0.369, 0.103, 0.103, 0.220, 0.164, 0.251, 0.302, 0.223,
            0.289, 0.290, 0.159, 0.167, 0.139, 0.094, 0.174,
        ];
        let v: Vec<f64> = se.iter().map(|s| s * s).collect();
        let tau2 = hedges(&y, &v).moment().unwrap();
        assert!((tau2 - 0.0804).abs() < 5e-5, "{tau2}");
    }

    /// The degrees of freedom are Σkᵢ: K equal areas about their mean give
    /// K − 1, as τ̂² = SS/(K − 1) ~ τ²χ²(K−1)/(K−1) without chance.
    #[test]
    fn the_degrees_of_freedom_are_the_coefficients() {
        let sums = hedges(&[0.1, -0.2, 0.05, 0.3], &[0.0; 4]);
        let t = sums.estimate().unwrap();
        assert!(t.for_interval > t.moment, "{t:?}");
        assert!((t.df - 3.0).abs() < 1e-12, "{t:?}");
    }

    /// Hand-worked: two areas' sums, X = 0.0002, C = 2, Σn = 0.001,
    /// Σn²/k = 0.0000005 → τ̂²ₘ = 0.0001; spread at 0.0001 =
    /// 1e-8·2 + 2e-4·1e-3 + 5e-7 = 7.2e-7, se = √(1.44e-6)/2 = 0.0006;
    /// τ̃² = (0.0001 + √(1e-8 + 2·3.6e-7))/2 = (0.0001 + 0.000854400)/2 =
    /// 0.000477200, on C = 2 degrees of freedom.
    #[test]
    fn hand_worked_tau2_for_an_interval() {
        let mut sums = MomentSums::default();
        sums.add(0.0006, 0.0005, 1.0);
        sums.add(0.0006, 0.0005, 1.0);
        let t = sums.estimate().unwrap();
        assert!((t.moment - 0.0001).abs() < 1e-15);
        assert!((t.se - 0.0006).abs() < 1e-12, "{t:?}");
        assert!((t.for_interval - 0.000_477_200).abs() < 1e-9, "{t:?}");
        assert_eq!(t.df, 2.0);
    }

    /// Three areas with an area SD of 3 points whose deviations happen to
    /// agree: the moment estimate is negative, τ̂² truncated to 0, but the
    /// interval's τ² keeps an area part, on finite degrees of freedom.
    /// Here τ̂²ₘ = −0.000495; each null is 0.00057·(1/3) + 3·0.00057/9 =
    /// 0.00038 with k = 2/3, so s = √(2·3·0.00038²/(2/3))/2 = 0.00057;
    /// and τ̃² = s²/(√(τ̂²ₘ² + 2s²) − τ̂²ₘ) = 0.000225476 (an area SD of 1.5
    /// points), on 2 degrees of freedom.
    #[test]
    fn three_areas_truncated_to_zero_keep_an_area_part() {
        // Three programme areas of ~350 people (chance variance 0.2/350 ≈
        // 0.00057 each); drawn shocks of +1, −0.5, −0.5 points about an
        // area SD of 3: the squares fall below their nulls.
        let y = [0.010, -0.005, -0.005];
        let v = [0.000_57; 3];
        let sums = hedges(&y, &v);
        let t = sums.estimate().unwrap();
        assert!((t.moment + 0.000_495).abs() < 1e-12, "{t:?}");
        assert!((t.se - 0.000_57).abs() < 1e-12, "{t:?}");
        assert!((t.for_interval - 0.000_225_476).abs() < 1e-9, "{t:?}");
        assert_eq!(t.df, 2.0);
    }

    #[test]
    fn bayes_modal_at_the_edges() {
        assert_eq!(bayes_modal(-1.0, 0.0), 0.0);
        assert_eq!(bayes_modal(2.0, 0.0), 2.0);
        // At 0: s/√2.
        assert!((bayes_modal(0.0, 1.0) - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-15);
        // Far below zero: about s²/(2|estimate|), positive, without
        // cancelling digits.
        let far = bayes_modal(-100.0, 1.0);
        assert!(
            (far - 1.0 / (10_002.0_f64.sqrt() + 100.0)).abs() < 1e-15,
            "{far}"
        );
        assert!((bayes_modal(-1e6, 1.0) - 5e-7).abs() < 1e-15);
        // Far above: the estimate plus s²/(2·estimate).
        assert!((bayes_modal(10.0, 1.0) - 10.049_752_469).abs() < 1e-9);
    }
}
