//! The published reference data, kept as CSV files in `datasets/reference/`
//! and compiled in: areas, which programme runs where and from when, the
//! national allocations, the synthetic effects the generator plants, and
//! each area's footprint in real geography (`crate::footprints`).

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Area {
    pub area_id: String,
    pub area_name: String,
    pub region: String,
    /// Relative size, used to spread synthetic people across areas.
    pub working_age_population_thousands: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AreaProgramme {
    pub area_id: String,
    pub programme: String,
    pub start_date: chrono::NaiveDate,
    pub funding_gbp: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Programme {
    pub programme: String,
    pub funding_gbp: i64,
    pub description: String,
}

/// The true effects the synthetic generator plants for one programme.
#[derive(Debug, Clone, Deserialize)]
pub struct SyntheticEffect {
    pub programme: String,
    /// Added to a participant's probability of being in work at 6 months.
    pub in_work_6m_uplift: f64,
    /// Added to the may_be_fit probability of notes issued in the
    /// programme's areas from its start date on.
    pub fit_note_may_be_fit_lift: f64,
    /// Base chance that an eligible person in the programme's area is
    /// referred, before selection on age, deprivation, condition and status.
    pub referral_rate: f64,
    /// Of the engaged participants out of work 6 months on who would not
    /// have been in education or training, the share the programme moves
    /// into it (divided by the share engaged, so that it is the effect per
    /// participant), from 6 months on.
    pub education_uplift: f64,
    /// The proportional rise in an engaged participant's pay after the
    /// index month.
    pub earnings_uplift: f64,
}

impl SyntheticEffect {
    fn scaled(self, by: f64) -> Self {
        SyntheticEffect {
            in_work_6m_uplift: self.in_work_6m_uplift * by,
            fit_note_may_be_fit_lift: self.fit_note_may_be_fit_lift * by,
            education_uplift: self.education_uplift * by,
            earnings_uplift: self.earnings_uplift * by,
            ..self
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("reference file datasets/reference/{file}: {source}")]
pub struct ReferenceError {
    file: &'static str,
    #[source]
    source: csv::Error,
}

fn parse<T: for<'de> Deserialize<'de>>(
    file: &'static str,
    text: &str,
) -> Result<Vec<T>, ReferenceError> {
    csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .collect::<Result<Vec<T>, _>>()
        .map_err(|source| ReferenceError { file, source })
}

/// All reference data.
#[derive(Debug, Clone)]
pub struct Reference {
    pub areas: Vec<Area>,
    pub area_programmes: Vec<AreaProgramme>,
    pub programmes: Vec<Programme>,
    pub effects: Vec<SyntheticEffect>,
    /// Each area's districts (`crate::footprints`).
    pub footprints: Vec<crate::footprints::Footprint>,
    pub area_codes: Vec<crate::footprints::AreaCode>,
    /// Each sub-ICB location (April 2024) with the share of its residents
    /// in each area's footprint, for the published fit-note statistics.
    pub sub_icb_locations: Vec<SubIcbLocation>,
}

/// One row of `sub_icb_locations.csv`.
#[derive(Debug, Clone, Deserialize)]
pub struct SubIcbLocation {
    pub sub_icb_code: String,
    pub sub_icb_ons_code: String,
    pub sub_icb_name: String,
    pub icb_code: String,
    pub area_id: String,
    pub share: f64,
    pub source: String,
    pub source_date: chrono::NaiveDate,
}

impl Reference {
    /// The same reference with every planted programme effect multiplied
    /// by `by` (`GenerateOptions::effect_scale`).
    pub fn with_effects_scaled(mut self, by: f64) -> Self {
        self.effects = self.effects.into_iter().map(|e| e.scaled(by)).collect();
        self
    }

    pub fn load() -> Result<Self, ReferenceError> {
        Ok(Reference {
            areas: parse("areas.csv", include_str!("../reference/areas.csv"))?,
            area_programmes: parse(
                "area_programmes.csv",
                include_str!("../reference/area_programmes.csv"),
            )?,
            programmes: parse(
                "programmes.csv",
                include_str!("../reference/programmes.csv"),
            )?,
            effects: parse(
                "synthetic_effects.csv",
                include_str!("../reference/synthetic_effects.csv"),
            )?,
            footprints: parse(
                "footprints.csv",
                include_str!("../reference/footprints.csv"),
            )?,
            area_codes: parse(
                "area_codes.csv",
                include_str!("../reference/area_codes.csv"),
            )?,
            sub_icb_locations: parse(
                "sub_icb_locations.csv",
                include_str!("../reference/sub_icb_locations.csv"),
            )?,
        })
    }

    /// Areas that run no programme (sql/comparison_areas.sql).
    pub fn comparison_areas(&self) -> impl Iterator<Item = &Area> {
        self.areas.iter().filter(|a| {
            !self
                .area_programmes
                .iter()
                .any(|ap| ap.area_id == a.area_id)
        })
    }

    /// Each area with the areas that overlap it on the ground (itself
    /// first).
    pub fn reach(&self, area_id: &str) -> Vec<String> {
        let mut reach = vec![area_id.to_string()];
        for o in crate::footprints::overlaps(&self.footprints) {
            if let Some(other) = o.touches(area_id) {
                reach.push(other.to_string());
            }
        }
        reach
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeSet, HashMap, HashSet};

    #[test]
    fn reference_matches_the_published_allocations() {
        let r = Reference::load().unwrap();
        let count = |p: &str| {
            r.area_programmes
                .iter()
                .filter(|ap| ap.programme == p)
                .count()
        };
        assert_eq!(count("WorkWell"), 15);
        assert_eq!(count("Health and Growth Accelerator"), 3);
        assert_eq!(count("Inactivity Trailblazer"), 7);
        assert_eq!(count("Youth Guarantee Trailblazer"), 7);
        let funding = |p: &str| {
            r.programmes
                .iter()
                .find(|x| x.programme == p)
                .unwrap()
                .funding_gbp
        };
        assert_eq!(funding("WorkWell"), 64_000_000);
        assert_eq!(funding("Health and Growth Accelerator"), 45_000_000);
        assert_eq!(funding("Inactivity Trailblazer"), 125_000_000);
        assert_eq!(funding("Youth Guarantee Trailblazer"), 45_000_000);
        assert!(r.comparison_areas().count() >= 10);
        let south_yorkshire = r
            .area_programmes
            .iter()
            .filter(|ap| ap.area_id == "south-yorkshire")
            .count();
        assert_eq!(south_yorkshire, 3);
        let ids: HashSet<_> = r.areas.iter().map(|a| a.area_id.as_str()).collect();
        assert_eq!(ids.len(), r.areas.len(), "area ids are unique");
        assert!(
            r.area_programmes
                .iter()
                .all(|ap| ids.contains(ap.area_id.as_str()))
        );
        assert_eq!(r.effects.len(), 4);
    }

    #[test]
    fn every_area_has_a_footprint_and_the_districts_hold_together() {
        let r = Reference::load().unwrap();
        for area in &r.areas {
            assert!(
                r.footprints.iter().any(|f| f.area_id == area.area_id),
                "{} has no footprint",
                area.area_id
            );
            let codes: Vec<_> = r
                .area_codes
                .iter()
                .filter(|c| c.area_id == area.area_id)
                .collect();
            assert_eq!(codes.len(), 1, "{}", area.area_id);
        }
        let mut icb_share: HashMap<&str, f64> = HashMap::new();
        for f in &r.footprints {
            assert!(f.share > 0.0 && f.share <= 1.0, "{f:?}");
            assert!(
                (f.lad_code.starts_with('E') || f.lad_code.starts_with('W'))
                    && f.lad_code.len() == 9,
                "{f:?}"
            );
            let kind = &r
                .area_codes
                .iter()
                .find(|c| c.area_id == f.area_id)
                .unwrap()
                .kind;
            if kind == "icb" {
                *icb_share.entry(&f.lad_code).or_default() += f.share;
            }
        }
        // ICBs partition England: no district is more than wholly in them.
        for (lad, share) in icb_share {
            assert!(
                share <= 1.0 + crate::footprints::SHARE_TOLERANCE,
                "{lad}: {share}"
            );
        }
    }

    #[test]
    fn overlaps_on_the_ground_are_the_combined_authorities_over_their_icbs() {
        let r = Reference::load().unwrap();
        let found: BTreeSet<(String, String, usize)> = crate::footprints::overlaps(&r.footprints)
            .into_iter()
            .map(|o| (o.area_id, o.other_area_id, o.lad_codes.len()))
            .collect();
        let expected: BTreeSet<(String, String, usize)> = [
            ("birmingham-and-solihull", "west-midlands", 2),
            ("black-country", "west-midlands", 4),
            (
                "bristol-north-somerset-and-south-gloucestershire",
                "west-of-england",
                2,
            ),
            ("coventry-and-warwickshire", "west-midlands", 1),
            (
                "lancashire-and-south-cumbria",
                "york-and-north-yorkshire",
                1,
            ),
            ("london", "north-central-london", 5),
            ("london", "north-west-london", 8),
            ("north-east", "north-east-and-north-cumbria", 7),
            ("north-east-and-north-cumbria", "tees-valley", 5),
        ]
        .into_iter()
        .map(|(a, b, n)| (a.to_string(), b.to_string(), n))
        .collect();
        // Frimley and Surrey Heartlands split four districts between them
        // and share none of their residents: not an overlap.
        assert_eq!(found, expected);
    }
}
