//! The joint test of the leads: Hotelling's T² on the leads averaged by
//! quarter, with the same pooled covariance as every interval.

use super::spread::Spread;
use super::{Contributions, Estimator, PreTrend, Weights};
use nalgebra::DVector;
use statrs::distribution::{ContinuousCDF, FisherSnedecor};

impl Estimator<'_> {
    /// Hotelling's T² on the leads averaged by quarter (−3…−1, −6…−4, …),
    /// up to `leads` months, keeping quarters observed for every treated
    /// area and no more quarters than the areas allow.
    pub(super) fn pretrend(&self, leads: usize) -> Option<PreTrend> {
        let all_treated: usize = self.sizes.values().sum();
        let mut quarters: Vec<Contributions> = Vec::new();
        for q in 0..leads.div_ceil(3) {
            let months: Vec<i64> = (1..=3)
                .map(|m| -(3 * q as i64 + m))
                .filter(|e| -*e <= leads as i64)
                .collect();
            let per_month: Vec<Weights> = months.iter().map(|e| self.event_weights(*e)).collect();
            if per_month.iter().any(Vec::is_empty) {
                break;
            }
            let weights: Weights = per_month
                .iter()
                .flat_map(|w| w.iter().map(|(cell, w)| (*cell, w / months.len() as f64)))
                .collect();
            let c = self.contributions(&weights);
            if c.treated.len() < all_treated {
                break;
            }
            quarters.push(c);
        }
        while !quarters.is_empty() {
            let spread = Spread::of(&quarters.iter().collect::<Vec<_>>(), &self.scales.value)?;
            let k = quarters.len() as f64;
            let nu = spread.df;
            if nu - k + 1.0 < 1.0 {
                quarters.pop();
                continue;
            }
            let theta = DVector::from_iterator(quarters.len(), quarters.iter().map(|c| c.theta));
            let v = &spread.area * spread.lambda2 + &spread.series;
            let inverse = v.try_inverse()?;
            let t2 = (theta.transpose() * inverse * &theta)[(0, 0)];
            let f = (nu - k + 1.0) / (nu * k) * t2;
            let (df1, df2) = (k, nu - k + 1.0);
            let p_value = 1.0 - FisherSnedecor::new(df1, df2).ok()?.cdf(f);
            return Some(PreTrend {
                quarters: quarters.len(),
                f,
                df1,
                df2,
                p_value,
            });
        }
        None
    }
}
