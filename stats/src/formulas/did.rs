//! Difference in differences of the fit-note `may_be_fit` share: the change in
//! a programme's areas from before to after its start, minus the same change
//! in comparison areas.

/// Fit notes in one (side, period) cell.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoteCounts {
    pub fit_notes: u64,
    pub may_be_fit: u64,
}

impl NoteCounts {
    /// Pooled share: may_be_fit notes ÷ notes.
    pub fn share(self) -> Option<f64> {
        (self.fit_notes > 0).then(|| self.may_be_fit as f64 / self.fit_notes as f64)
    }

    fn variance(self) -> Option<f64> {
        self.share().map(|q| q * (1.0 - q) / self.fit_notes as f64)
    }
}

/// z for the DiD's 95% interval, as the contract gives it.
pub const Z_DID: f64 = 1.96;

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DidEstimate {
    pub pre_share: Option<f64>,
    pub post_share: Option<f64>,
    pub comparison_pre_share: Option<f64>,
    pub comparison_post_share: Option<f64>,
    pub did: Option<f64>,
    pub did_se: Option<f64>,
    pub did_low: Option<f64>,
    pub did_high: Option<f64>,
}

/// did = (post − pre) − (comparison_post − comparison_pre), with
/// se² = Σ q(1−q)/notes over the four cells and interval did ± 1.96·se.
/// The shares are reported whenever their cell has notes; the difference
/// only when all four do.
pub fn difference_in_differences(
    pre: NoteCounts,
    post: NoteCounts,
    comparison_pre: NoteCounts,
    comparison_post: NoteCounts,
) -> DidEstimate {
    let mut estimate = DidEstimate {
        pre_share: pre.share(),
        post_share: post.share(),
        comparison_pre_share: comparison_pre.share(),
        comparison_post_share: comparison_post.share(),
        ..DidEstimate::default()
    };
    if let (Some(a), Some(b), Some(c), Some(d)) = (
        estimate.pre_share,
        estimate.post_share,
        estimate.comparison_pre_share,
        estimate.comparison_post_share,
    ) {
        let did = (b - a) - (d - c);
        let variance: f64 = [pre, post, comparison_pre, comparison_post]
            .iter()
            .filter_map(|cell| cell.variance())
            .sum();
        let se = variance.sqrt();
        estimate.did = Some(did);
        estimate.did_se = Some(se);
        estimate.did_low = Some(did - Z_DID * se);
        estimate.did_high = Some(did + Z_DID * se);
    }
    estimate
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notes(fit_notes: u64, may_be_fit: u64) -> NoteCounts {
        NoteCounts {
            fit_notes,
            may_be_fit,
        }
    }

    /// Worked by hand, every cell different: programme areas 40/800 →
    /// 120/1200 (0.05 → 0.10), comparison areas 70/1000 → 160/2000
    /// (0.07 → 0.08): did = 0.05 − 0.01 = 0.04;
    /// se² = 0.05·0.95/800 + 0.1·0.9/1200 + 0.07·0.93/1000 + 0.08·0.92/2000
    ///     = 0.000059375 + 0.000075 + 0.0000651 + 0.0000368 = 0.000236275,
    /// se = 0.01537124, interval 0.04 ± 0.03012763. Swapping the programme's
    /// pre cell with the comparison's changes the answer (the cells are not
    /// interchangeable).
    #[test]
    fn hand_worked_example() {
        let e = difference_in_differences(
            notes(800, 40),
            notes(1200, 120),
            notes(1000, 70),
            notes(2000, 160),
        );
        let close = |a: Option<f64>, b: f64| (a.unwrap() - b).abs() < 1e-7;
        assert!(close(e.pre_share, 0.05));
        assert!(close(e.post_share, 0.10));
        assert!(close(e.comparison_pre_share, 0.07));
        assert!(close(e.comparison_post_share, 0.08));
        assert!(close(e.did, 0.04));
        assert!(close(e.did_se, 0.015_371_24));
        assert!(close(e.did_low, 0.04 - 0.030_127_63));
        assert!(close(e.did_high, 0.04 + 0.030_127_63));
        let swapped = difference_in_differences(
            notes(1000, 70),
            notes(1200, 120),
            notes(800, 40),
            notes(2000, 160),
        );
        assert!(close(swapped.did, 0.03 - 0.03));
    }

    #[test]
    fn an_empty_cell_leaves_the_difference_unestimated() {
        let e = difference_in_differences(notes(0, 0), notes(10, 1), notes(10, 1), notes(10, 1));
        assert_eq!(e.pre_share, None);
        assert_eq!(e.post_share, Some(0.1));
        assert_eq!(e.did, None);
        assert_eq!(e.did_low, None);
    }
}
