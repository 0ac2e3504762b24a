//! A second programme for some participants (co-enrolment), drawn from a
//! person's own random stream.

use super::*;

/// Of the participants who could also be referred to another programme
/// (one live at their index month in their own area, or in an area
/// overlapping theirs on the ground), the share who are, on the same day.
pub(crate) const CO_ENROLMENT_SHARE: f64 = 0.1;

/// A person's own random stream for co-enrolment, so that adding it left
/// every other draw of a seed as it was.
pub(crate) fn person_stream(seed: u64, n: u64) -> Pcg64Mcg {
    Pcg64Mcg::seed_from_u64(mix(mix(seed ^ 0xEA71) ^ n))
}

impl World {
    /// The programmes (each with the area whose site refers) a participant
    /// of `first` living in `area` could also be referred to at month
    /// `anchor`: every other programme live then in the area itself, then
    /// in the areas overlapping it on the ground (in reference order), each
    /// programme once.
    pub(crate) fn co_enrolment_options(
        &self,
        area: usize,
        anchor: usize,
        first: usize,
    ) -> Vec<(usize, usize)> {
        let mut options: Vec<(usize, usize)> = Vec::new();
        for &a in std::iter::once(&area).chain(&self.overlapping[area]) {
            for &(p, start) in &self.area_programmes[a] {
                if p != first && anchor >= start && options.iter().all(|(q, _)| *q != p) {
                    options.push((p, a));
                }
            }
        }
        options
    }
}
