//! The simulated world: the data window, areas and programmes by index,
//! and the model's probabilities of referral and of being in work.

use super::*;
/// The contract's enum values, in its order (the simulation indexes them).
pub(crate) use contract::inputs::{AGE_BANDS, CONDITIONS, REFERRAL_SOURCES as SOURCES, STATUSES};

/// First month of the synthetic data window.
pub const FIRST_MONTH: (i32, u32) = (2023, 10);
/// Number of months of data (October 2023 to September 2026).
pub const MONTHS: usize = 36;
pub(crate) const PEOPLE_PER_CHUNK: u64 = 20_000;
pub(crate) const PEOPLE_FILES: usize = 4;
pub(crate) const REFERRAL_FILES: usize = 2;

pub(crate) const AGE_WEIGHTS: [f64; 4] = [0.14, 0.22, 0.32, 0.32];
pub(crate) const CONDITION_WEIGHTS: [f64; 4] = [0.38, 0.22, 0.08, 0.32];
pub(crate) const EMPLOYED: usize = 0;
pub(crate) const UNEMPLOYED: usize = 1;
pub(crate) const INACTIVE: usize = 2;
pub(crate) const EDUCATION: usize = 3;
/// Observed baseline index for "no employment row in the index month".
pub(crate) const UNKNOWN: usize = 4;

pub(crate) fn month_start(index: usize) -> NaiveDate {
    let first = NaiveDate::from_ymd_opt(FIRST_MONTH.0, FIRST_MONTH.1, 1).expect("valid date");
    first + Months::new(index as u32)
}

pub(crate) fn date32(date: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    (date - epoch).num_days() as i32
}

pub(crate) fn days_in_month(index: usize) -> u32 {
    (month_start(index + 1) - month_start(index)).num_days() as u32
}

/// Month index of a date in the window (may be out of range).
pub(crate) fn month_index(date: NaiveDate) -> i64 {
    (date.year() as i64 - FIRST_MONTH.0 as i64) * 12 + date.month() as i64 - FIRST_MONTH.1 as i64
}

/// splitmix64's finaliser: a bijection on u64, so distinct people get
/// distinct opaque pseudonyms.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

pub(crate) fn pick(rng: &mut Pcg64Mcg, weights: &[f64]) -> usize {
    pick_with(rng.random(), weights)
}

/// `pick` from a uniform draw `draw` already made: the index whose share of
/// the weights' total holds it (the last where rounding leaves it past all).
pub(crate) fn pick_with(draw: f64, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut u = draw * total;
    for (i, w) in weights.iter().enumerate() {
        if u < *w {
            return i;
        }
        u -= w;
    }
    weights.len() - 1
}

/// Everything about areas and programmes the simulation needs, by index.
pub(crate) struct World {
    pub(crate) reference: Reference,
    /// Cumulative population weights for sampling an area.
    pub(crate) area_cumulative: Vec<f64>,
    /// Per area: (programme index, start month index) of each programme it runs.
    pub(crate) area_programmes: Vec<Vec<(usize, usize)>>,
    pub(crate) area_is_comparison: Vec<bool>,
    /// Per area: a fixed offset to the may_be_fit share.
    pub(crate) area_offset: Vec<f64>,
    /// Per area: its shock to the chance of being in work.
    pub(crate) area_shock: Vec<f64>,
    /// Per area and month: a shock to the may_be_fit share (local practice
    /// that month), with half the areas' in-work standard deviation.
    pub(crate) area_month_shock: Vec<Vec<f64>>,
    pub(crate) area_sd: f64,
    /// Per programme: start date (earliest start in area_programmes).
    pub(crate) programme_start: Vec<NaiveDate>,
    pub(crate) programme_names: Vec<String>,
    pub(crate) uplift: Vec<f64>,
    pub(crate) lift: Vec<f64>,
    pub(crate) referral_rate: Vec<f64>,
    pub(crate) education_uplift: Vec<f64>,
    pub(crate) earnings_uplift: Vec<f64>,
    pub(crate) difficulties: Difficulties,
    /// Per area: its region's employment level (`REGIONAL_LEVELS`), zero
    /// without regional differences.
    pub(crate) area_level: Vec<f64>,
    /// The planted outlier site: its area index and extra uplift.
    pub(crate) outlier: Option<(usize, f64)>,
    /// Programme areas' systematic difference from comparison areas.
    pub(crate) region: super::RegionGap,
    /// Per area: the areas overlapping it on the ground (from the
    /// footprints), in reference order.
    pub(crate) overlapping: Vec<Vec<usize>>,
}

/// How much each region's employment rate differs (a proportion): moves
/// both who is in work in the index month and who is in work 6 months on.
/// The programmes run mostly in the North, the Midlands and London, the
/// comparison areas mostly in the South and East, so a comparison that
/// ignores the local labour market understates every effect. Three comparison
/// areas share the weakest level (in the Midlands), so the weakest labour
/// markets can be matched.
pub(crate) const REGIONAL_LEVELS: [(&str, f64); 10] = [
    ("North East", -0.03),
    ("North West", -0.03),
    ("Yorkshire and The Humber", -0.03),
    ("Wales", -0.03),
    ("West Midlands", -0.03),
    ("East Midlands", -0.03),
    ("London", 0.0),
    ("South West", 0.0),
    ("East of England", 0.02),
    ("South East", 0.02),
];
/// How much more likely those out of work but in work within the year
/// (`State::recently_left`) are to be referred, with `difficulties.dip`.
pub(crate) const DIP_SELECTION: f64 = 2.5;
/// The national trend in everyone's chance of work (the monthly process's
/// weights), per month (centred on the window's middle month).
pub(crate) const TREND_PER_MONTH: f64 = 0.004;
/// Participants engage with this probability; the programme's effect
/// reaches only those who engage.
pub(crate) const ENGAGED_SHARE: f64 = 0.78;
/// The unobserved trait (motivation, support at home): this share of people
/// have it; it makes referral HIDDEN_REFERRAL times as likely and being in
/// work 6 months on HIDDEN_WORK likelier. No stratum holds it, so it biases
/// the matched comparison upwards by about the difference in its share
/// between participants and comparison people times HIDDEN_WORK: what the
/// E-value is for.
pub(crate) const HIDDEN_SHARE: f64 = 0.25;
pub(crate) const HIDDEN_REFERRAL: f64 = 1.5;
pub(crate) const HIDDEN_WORK: f64 = 0.03;

impl World {
    pub(crate) fn new(
        reference: Reference,
        seed: u64,
        area_sd: f64,
        difficulties: Difficulties,
        outlier: Option<&super::OutlierSite>,
        region: super::RegionGap,
    ) -> Result<Self> {
        let programme_names: Vec<String> = reference
            .programmes
            .iter()
            .map(|p| p.programme.clone())
            .collect();
        let programme_index = |name: &str| {
            programme_names
                .iter()
                .position(|p| p == name)
                .ok_or_else(|| {
                    GenerateError::Invalid(format!("reference data: unknown programme `{name}`"))
                })
        };
        let mut total = 0.0;
        let area_cumulative = reference
            .areas
            .iter()
            .map(|a| {
                total += a.working_age_population_thousands as f64;
                total
            })
            .collect();
        let mut area_programmes = vec![Vec::new(); reference.areas.len()];
        let mut programme_start = vec![NaiveDate::MAX; programme_names.len()];
        for ap in &reference.area_programmes {
            let area = reference
                .areas
                .iter()
                .position(|a| a.area_id == ap.area_id)
                .ok_or_else(|| {
                    GenerateError::Invalid(format!("reference data: unknown area `{}`", ap.area_id))
                })?;
            let p = programme_index(&ap.programme)?;
            let start = month_index(ap.start_date).clamp(0, MONTHS as i64) as usize;
            area_programmes[area].push((p, start));
            programme_start[p] = programme_start[p].min(ap.start_date);
        }
        // As sql/comparison_areas.sql.
        let comparison: Vec<&str> = reference
            .comparison_areas()
            .map(|a| a.area_id.as_str())
            .collect();
        let area_is_comparison = reference
            .areas
            .iter()
            .map(|a| comparison.contains(&a.area_id.as_str()))
            .collect();
        let mut rng = Pcg64Mcg::seed_from_u64(mix(seed ^ 0xA5EA));
        let area_offset = reference
            .areas
            .iter()
            .map(|_| rng.random_range(-0.01..0.01))
            .collect();
        // Each area's shock to the chance of being in work, for everyone
        // living there, participant or not.
        let shock = rand_distr::Normal::new(0.0, area_sd.max(0.0))
            .map_err(|e| GenerateError::Invalid(format!("area sd {area_sd}: {e}")))?;
        let mut rng = Pcg64Mcg::seed_from_u64(mix(seed ^ 0x5A0C));
        let area_shock = reference
            .areas
            .iter()
            .map(|_| shock.sample(&mut rng))
            .collect();
        let note_shock = rand_distr::Normal::new(0.0, area_sd.max(0.0) / 2.0)
            .map_err(|e| GenerateError::Invalid(format!("area sd {area_sd}: {e}")))?;
        let mut rng = Pcg64Mcg::seed_from_u64(mix(seed ^ 0xF17E));
        let area_month_shock = reference
            .areas
            .iter()
            .map(|_| (0..MONTHS).map(|_| note_shock.sample(&mut rng)).collect())
            .collect();
        let mut uplift = vec![0.0; programme_names.len()];
        let mut lift = vec![0.0; programme_names.len()];
        let mut referral_rate = vec![0.0; programme_names.len()];
        let mut education_uplift = vec![0.0; programme_names.len()];
        let mut earnings_uplift = vec![0.0; programme_names.len()];
        for e in &reference.effects {
            let p = programme_index(&e.programme)?;
            education_uplift[p] = e.education_uplift;
            earnings_uplift[p] = e.earnings_uplift;
            uplift[p] = e.in_work_6m_uplift;
            lift[p] = e.fit_note_may_be_fit_lift;
            referral_rate[p] = e.referral_rate;
        }
        let area_level = reference
            .areas
            .iter()
            .map(|a| {
                let level = REGIONAL_LEVELS
                    .iter()
                    .find(|(region, _)| *region == a.region)
                    .map_or(0.0, |(_, level)| *level);
                if difficulties.regional { level } else { 0.0 }
            })
            .collect();
        let outlier = outlier
            .map(|o| {
                reference
                    .areas
                    .iter()
                    .position(|a| a.area_id == o.area_id)
                    .filter(|&a| !area_programmes[a].is_empty())
                    .map(|a| (a, o.uplift))
                    .ok_or_else(|| {
                        GenerateError::Invalid(format!(
                            "outlier site `{}` runs no programme: give an area_id from datasets/reference/area_programmes.csv",
                            o.area_id
                        ))
                    })
            })
            .transpose()?;
        let area_index = |id: &str| reference.areas.iter().position(|a| a.area_id == id);
        let mut overlapping = vec![Vec::new(); reference.areas.len()];
        for o in crate::footprints::overlaps(&reference.footprints) {
            if let (Some(a), Some(b)) = (area_index(&o.area_id), area_index(&o.other_area_id)) {
                overlapping[a].push(b);
                overlapping[b].push(a);
            }
        }
        for areas in &mut overlapping {
            areas.sort_unstable();
        }
        Ok(World {
            overlapping,
            outlier,
            difficulties,
            area_level,
            region,
            reference,
            area_cumulative,
            area_programmes,
            area_is_comparison,
            area_offset,
            area_shock,
            area_month_shock,
            area_sd,
            programme_start,
            programme_names,
            uplift,
            lift,
            referral_rate,
            education_uplift,
            earnings_uplift,
        })
    }

    /// The planted uplift of programme `p` for a participant of `area`.
    pub(crate) fn uplift_in(&self, p: usize, area: usize) -> f64 {
        match self.outlier {
            Some((outlier, extra)) if outlier == area => self.uplift[p] + extra,
            _ => self.uplift[p],
        }
    }

    pub(crate) fn sample_area(&self, rng: &mut Pcg64Mcg) -> usize {
        let total = *self.area_cumulative.last().expect("areas exist");
        let u = rng.random::<f64>() * total;
        self.area_cumulative
            .partition_point(|c| *c <= u)
            .min(self.area_cumulative.len() - 1)
    }

    /// The may_be_fit probability of a note issued in `area` on `date`: a
    /// national level and trend, the area's own level, each programme's lift
    /// from the area's own start month, and the area's shock that month.
    pub(crate) fn may_be_fit_probability(&self, area: usize, date: NaiveDate) -> f64 {
        let month = month_index(date).clamp(0, MONTHS as i64 - 1) as usize;
        (self.expected_may_be_fit(area, month) + self.area_month_shock[area][month]).clamp(0.0, 1.0)
    }

    /// The national trend's shift to the chance of being in work 6 months
    /// after index month `month`.
    /// A programme area's systematic difference from the comparison areas
    /// in month `month` (`RegionGap`); 0 in a comparison area.
    pub(crate) fn region_shift(&self, area: usize, month: usize) -> f64 {
        if self.area_is_comparison[area] {
            return 0.0;
        }
        let years = (month as f64 - (MONTHS as f64 - 1.0) / 2.0) / 12.0;
        self.region.gap + self.region.trend_per_year * years
    }

    pub(crate) fn trend(&self, month: usize) -> f64 {
        if self.difficulties.trend {
            TREND_PER_MONTH * (month as f64 - (MONTHS as f64 - 1.0) / 2.0)
        } else {
            0.0
        }
    }

    /// The same without the month's shock: what an area's share would be on
    /// average over months like it, the truth estimators are judged against.
    pub(crate) fn expected_may_be_fit(&self, area: usize, month: usize) -> f64 {
        let mut q = 0.07 + self.area_offset[area] + 0.0005 * month as f64;
        for &(p, start) in &self.area_programmes[area] {
            if month >= start {
                q += self.lift[p];
            }
        }
        q
    }
}

/// Selection into programme `p`: how much more (or less) likely this person
/// is to be referred, by the matching strata only.
pub(crate) fn selection_factor(
    p_name: &str,
    age: usize,
    quintile: usize,
    condition: usize,
    observed: usize,
) -> f64 {
    let condition_factor = [1.3, 1.2, 1.0, 0.5][condition];
    let deprivation_factor = [1.4, 1.2, 1.0, 0.8, 0.7][quintile - 1];
    let age_factor = [0.9, 1.0, 1.1, 1.0][age];
    let status_factor = match (p_name, observed) {
        ("Inactivity Trailblazer", INACTIVE | UNEMPLOYED) => 2.0,
        ("Inactivity Trailblazer", EMPLOYED) => 0.3,
        ("WorkWell" | "Health and Growth Accelerator", EMPLOYED) => 1.8,
        ("WorkWell" | "Health and Growth Accelerator", INACTIVE) => 0.5,
        (_, UNKNOWN) => 1.0,
        _ => 0.8,
    };
    let youth_factor = match (p_name, age) {
        ("Youth Guarantee Trailblazer", 0) => 3.0,
        ("Youth Guarantee Trailblazer", _) => 0.05,
        _ => 1.0,
    };
    condition_factor * deprivation_factor * age_factor * status_factor * youth_factor
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_arithmetic() {
        assert_eq!(
            month_start(0),
            NaiveDate::from_ymd_opt(2023, 10, 1).unwrap()
        );
        assert_eq!(
            month_start(35),
            NaiveDate::from_ymd_opt(2026, 9, 1).unwrap()
        );
        assert_eq!(
            month_index(NaiveDate::from_ymd_opt(2024, 10, 15).unwrap()),
            12
        );
        assert_eq!(days_in_month(4), 29, "February 2024");
    }
}
