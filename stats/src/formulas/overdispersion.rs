//! Overdispersion in a funnel plot (Spiegelhalter 2005, "Handling
//! over-dispersion of performance indicators", Quality and Safety in Health
//! Care 14:347–351; as FunnelPlotR's `od_adjustment.R` implements it).
//! With many people per site, real differences between sites — local labour
//! markets, services — make most sites fall outside limits drawn for chance
//! alone. Each site's z-score against the target is winsorised at 10% each
//! side, their mean square is the dispersion ratio φ (1 when sites differ
//! by chance only), and an additive between-site variance τ² (DerSimonian
//! and Laird's moment estimator) widens every site's limits to
//! `target ± z·√(s² + τ²)`, s the site's standard error under the target.

use statrs::distribution::{ChiSquared, ContinuousCDF, Normal, StudentsT};
use vocabulary::Tau2Source;

/// The share of z-scores winsorised at each end.
pub const WINSORISE: f64 = 0.1;
/// Fewer sites than this give no usable φ: a programme with fewer borrows
/// τ² estimated over every programme's sites, and without that many sites
/// in all its funnel shows limits but flags nothing.
pub const FEWEST_SITES: usize = 10;

/// The `p` quantile of sorted values by linear interpolation between order
/// statistics (R's default, `quantile(type = 7)`, which FunnelPlotR uses).
pub fn quantile_type7(sorted: &[f64], p: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let h = (n - 1) as f64 * p.clamp(0.0, 1.0);
    let (lo, frac) = (h.floor() as usize, h - h.floor());
    let hi = (lo + 1).min(n - 1);
    Some(sorted[lo] + frac * (sorted[hi] - sorted[lo]))
}

/// z-scores with those below the `by` quantile raised to it and those above
/// the `1 − by` quantile lowered to it.
pub fn winsorise(z: &[f64], by: f64) -> Vec<f64> {
    let mut sorted = z.to_vec();
    sorted.sort_by(f64::total_cmp);
    let (Some(low), Some(high)) = (
        quantile_type7(&sorted, by),
        quantile_type7(&sorted, 1.0 - by),
    ) else {
        return Vec::new();
    };
    z.iter().map(|&x| x.clamp(low, high)).collect()
}

/// The dispersion of a set of sites around their target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dispersion {
    pub sites: usize,
    /// φ = Σ zᵢ²/I over the winsorised z-scores.
    pub phi: f64,
    /// P(χ²_{I−1} ≥ I·φ): small when the sites vary more than chance allows
    /// (I − 1 degrees of freedom, the target being estimated from them).
    pub p_value: f64,
    /// The between-site variance on the indicator's scale: 0 when I·φ ≤ I − 1,
    /// else (I·φ − (I − 1)) ÷ (Σ wᵢ − Σ wᵢ²/Σ wᵢ), wᵢ = 1/sᵢ².
    pub tau2: f64,
}

/// φ and τ² from each site's z-score `z[i]` against the target and its
/// standard error `s[i]` under the target. `None` with fewer than two sites
/// or a standard error that is not positive.
pub fn dispersion(z: &[f64], s: &[f64]) -> Option<Dispersion> {
    let sites = z.len();
    if sites < 2 || s.len() != sites || s.iter().any(|s| s.is_nan() || *s <= 0.0 || !s.is_finite())
    {
        return None;
    }
    let winsorised = winsorise(z, WINSORISE);
    let i = sites as f64;
    let phi = winsorised.iter().map(|z| z * z).sum::<f64>() / i;
    let p_value = ChiSquared::new(i - 1.0).ok()?.sf(i * phi);
    let w: Vec<f64> = s.iter().map(|s| 1.0 / (s * s)).collect();
    let sum_w: f64 = w.iter().sum();
    let sum_w2: f64 = w.iter().map(|w| w * w).sum();
    let tau2 = if i * phi <= i - 1.0 {
        0.0
    } else {
        ((i * phi - (i - 1.0)) / (sum_w - sum_w2 / sum_w)).max(0.0)
    };
    Some(Dispersion {
        sites,
        phi,
        p_value,
        tau2,
    })
}

/// Limits `target ± z·√(s² + τ²)` (clip them for a proportion).
pub fn additive_limits(target: f64, s: f64, tau2: f64, z: f64) -> (f64, f64) {
    let half = z * (s * s + tau2).sqrt();
    (target - half, target + half)
}

/// Which between-site variance one programme's funnel uses, and whether it
/// may flag sites.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpreadRule {
    /// The dispersion the τ² comes from: the programme's own sites', or
    /// every programme's; with `Tau2Source::None`, the programme's own (if
    /// it has two sites), published but not used.
    pub dispersion: Option<Dispersion>,
    pub source: Tau2Source,
}

impl SpreadRule {
    /// The τ² its limits add (0 when it has none).
    pub fn tau2(&self) -> f64 {
        match (self.source, self.dispersion) {
            (Tau2Source::Own | Tau2Source::Pooled, Some(d)) => d.tau2,
            _ => 0.0,
        }
    }

    /// The critical value for limits at the one-sided `probability`
    /// (0.975 for the 95% limits, 0.999 for the 99.8%): with a τ² > 0,
    /// Student's t on (sites − 2) degrees of freedom, the prediction
    /// interval for a new site of a random-effects model (Higgins, Thompson
    /// and Spiegelhalter 2009), since τ̂² from a handful of sites is itself
    /// uncertain; without one, the normal quantile.
    pub fn critical(&self, probability: f64) -> f64 {
        let normal = Normal::standard().inverse_cdf(probability);
        match (self.source, self.dispersion) {
            (Tau2Source::Own | Tau2Source::Pooled, Some(d)) if d.tau2 > 0.0 => {
                let df = (d.sites as f64 - 2.0).max(1.0);
                StudentsT::new(0.0, 1.0, df).map_or(normal, |t| t.inverse_cdf(probability))
            }
            _ => normal,
        }
    }

    /// Whether a site outside its limits may be flagged: not when no τ²
    /// could be estimated, since limits for chance alone would flag sites
    /// for the spread every set of areas has.
    pub fn flags(&self) -> bool {
        self.source != Tau2Source::None
    }
}

/// For each programme, its sites' (z, s): the rule its funnel follows. A
/// programme with at least [`FEWEST_SITES`] sites uses its own; one with
/// fewer borrows the dispersion of every programme's sites together (each
/// z against its own programme's target) if they number that many; else
/// none.
pub fn spread_rules(programmes: &[Vec<(f64, f64)>]) -> Vec<SpreadRule> {
    let split = |sites: &[(f64, f64)]| -> (Vec<f64>, Vec<f64>) { sites.iter().copied().unzip() };
    let all: Vec<(f64, f64)> = programmes.iter().flatten().copied().collect();
    let pooled = (all.len() >= FEWEST_SITES)
        .then(|| {
            let (z, s) = split(&all);
            dispersion(&z, &s)
        })
        .flatten();
    programmes
        .iter()
        .map(|sites| {
            let (z, s) = split(sites);
            let own = dispersion(&z, &s);
            match (sites.len() >= FEWEST_SITES, own, pooled) {
                (true, Some(own), _) => SpreadRule {
                    dispersion: Some(own),
                    source: Tau2Source::Own,
                },
                (_, _, Some(pooled)) => SpreadRule {
                    dispersion: Some(pooled),
                    source: Tau2Source::Pooled,
                },
                _ => SpreadRule {
                    dispersion: own,
                    source: Tau2Source::None,
                },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_rs_type_7() {
        // R: quantile(c(1, 2, 4, 8), c(0.1, 0.5, 0.9)) = 1.3, 3.0, 6.8.
        let x = [1.0, 2.0, 4.0, 8.0];
        assert!((quantile_type7(&x, 0.1).unwrap() - 1.3).abs() < 1e-12);
        assert!((quantile_type7(&x, 0.5).unwrap() - 3.0).abs() < 1e-12);
        assert!((quantile_type7(&x, 0.9).unwrap() - 6.8).abs() < 1e-12);
        assert_eq!(quantile_type7(&[], 0.5), None);
    }

    /// Ten sites worked by hand. z sorted: −3, −1.5, −1, −0.5, 0, 0.2, 0.5,
    /// 1, 1.5, 4. The 10% quantile is at h = 9·0.1 = 0.9: −3 + 0.9·1.5 =
    /// −1.65; the 90% at h = 8.1: 1.5 + 0.1·2.5 = 1.75. Winsorised squares:
    /// 2.7225 + 2.25 + 1 + 0.25 + 0 + 0.04 + 0.25 + 1 + 2.25 + 3.0625 =
    /// 12.825, so φ = 1.2825. Five sites have s = 0.05 (w = 400) and five
    /// s = 0.1 (w = 100): Σw = 2500, Σw² = 850,000, Σw²/Σw = 340, so
    /// τ² = (12.825 − 9)/(2500 − 340) = 3.825/2160 = 0.001770833…
    #[test]
    fn dispersion_by_hand() {
        let z = [-3.0, -1.5, -1.0, -0.5, 0.0, 0.2, 0.5, 1.0, 1.5, 4.0];
        let s = [0.05, 0.05, 0.05, 0.05, 0.05, 0.1, 0.1, 0.1, 0.1, 0.1];
        let d = dispersion(&z, &s).unwrap();
        assert_eq!(d.sites, 10);
        assert!((d.phi - 1.2825).abs() < 1e-12, "{}", d.phi);
        assert!((d.tau2 - 3.825 / 2160.0).abs() < 1e-15, "{}", d.tau2);
        // P(χ²₉ ≥ 12.825): between the 0.25 and 0.10 points (11.389, 14.684).
        assert!(d.p_value > 0.10 && d.p_value < 0.25, "{}", d.p_value);
        let winsorised = winsorise(&z, WINSORISE);
        assert!((winsorised[0] + 1.65).abs() < 1e-12 && (winsorised[9] - 1.75).abs() < 1e-12);
        assert_eq!(&winsorised[1..9], &z[1..9]);
    }

    #[test]
    fn sites_within_chance_add_nothing() {
        // Σz² = 1 + 0.25 + 0 + 0.25 + 1 (winsorising moves only the ends,
        // inwards) is below I − 1 = 4: τ² = 0.
        let d = dispersion(&[-1.0, -0.5, 0.0, 0.5, 1.0], &[0.02; 5]).unwrap();
        assert!(d.phi < 1.0);
        assert_eq!(d.tau2, 0.0);
        assert_eq!(dispersion(&[1.0], &[0.1]), None);
        assert_eq!(dispersion(&[1.0, 2.0], &[0.1, 0.0]), None);
    }

    #[test]
    fn additive_limits_widen_by_tau2() {
        // 0.5 ± 1.96·√(0.0016 + 0.0009) = 0.5 ± 1.96·0.05.
        let (l, h) = additive_limits(0.5, 0.04, 0.0009, 1.96);
        assert!((l - 0.402).abs() < 1e-12 && (h - 0.598).abs() < 1e-12);
        assert!(additive_limits(0.01, 0.1, 0.0, 3.09).0 < 0.0);
    }

    /// With τ² > 0 the limits use t on (sites − 2) df: 15 sites give
    /// t₁₃(0.999) = 3.852 (tables: 3.852) where the normal gives 3.090.
    #[test]
    fn limits_with_tau2_use_t_on_sites_less_two() {
        let rule = SpreadRule {
            dispersion: Some(Dispersion {
                sites: 15,
                phi: 2.0,
                p_value: 0.01,
                tau2: 0.001,
            }),
            source: Tau2Source::Own,
        };
        assert!(
            (rule.critical(0.999) - 3.852).abs() < 5e-4,
            "{}",
            rule.critical(0.999)
        );
        assert!(
            (rule.critical(0.975) - 2.160).abs() < 5e-4,
            "{}",
            rule.critical(0.975)
        );
        let chance = SpreadRule {
            dispersion: Some(Dispersion {
                tau2: 0.0,
                ..rule.dispersion.unwrap()
            }),
            ..rule
        };
        assert!((chance.critical(0.999) - 3.090_232).abs() < 1e-6);
    }

    #[test]
    fn few_sites_borrow_every_programmes_spread_or_flag_nothing() {
        let many: Vec<(f64, f64)> = (0..12).map(|i| (i as f64 / 3.0 - 2.0, 0.05)).collect();
        let few: Vec<(f64, f64)> = vec![(2.5, 0.04), (-2.5, 0.04), (0.1, 0.04)];
        let rules = spread_rules(&[many.clone(), few.clone()]);
        assert_eq!(rules[0].source, Tau2Source::Own);
        let (z, s): (Vec<f64>, Vec<f64>) = many.iter().copied().unzip();
        assert_eq!(rules[0].dispersion, dispersion(&z, &s));
        assert_eq!(rules[1].source, Tau2Source::Pooled);
        let (z, s): (Vec<f64>, Vec<f64>) = many.iter().chain(&few).copied().unzip();
        assert_eq!(rules[1].dispersion, dispersion(&z, &s));
        assert!(rules[1].flags());
        // Three sites in all: no τ², no flags, the own φ still reported.
        let alone = spread_rules(&[few]);
        assert_eq!(alone[0].source, Tau2Source::None);
        assert!(!alone[0].flags());
        assert_eq!(alone[0].tau2(), 0.0);
        assert!(alone[0].dispersion.unwrap().phi > 1.0);
    }
}
