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
}

impl Reference {
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
        })
    }

    /// Areas that run no programme.
    pub fn comparison_areas(&self) -> impl Iterator<Item = &Area> {
        self.areas.iter().filter(|a| {
            !self
                .area_programmes
                .iter()
                .any(|ap| ap.area_id == a.area_id)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

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
}
