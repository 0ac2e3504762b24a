//! The pilots' footprints in real geography: each area as the local
//! authority districts (2024 codes) it covers, with the share of a
//! district's residents where an ICB boundary splits it, and the source and
//! date of each mapping (`datasets/reference/footprints.csv`, sources in
//! `datasets/reference/FOOTPRINTS.md`); and which areas overlap on the
//! ground, derived from it.

use serde::Deserialize;
use std::collections::BTreeMap;

/// One (area, district) row of the footprint table.
#[derive(Debug, Clone, Deserialize)]
pub struct Footprint {
    pub area_id: String,
    pub lad_code: String,
    pub lad_name: String,
    /// The share of the district's residents (Census 2021) in the area: 1
    /// for a whole district.
    pub share: f64,
    pub source: String,
    pub source_date: chrono::NaiveDate,
}

/// An area's own GSS code (ICB `E54…`, combined authority `E47…`, the GLA
/// or a nation) and its kind.
#[derive(Debug, Clone, Deserialize)]
pub struct AreaCode {
    pub area_id: String,
    pub gss_code: String,
    pub kind: String,
    pub source: String,
    pub source_date: chrono::NaiveDate,
}

/// Shares are given to 4 decimal places: two that sum to more than 1 by
/// less than this are a district split between two areas, not shared.
pub const SHARE_TOLERANCE: f64 = 1e-4;

/// Two areas that overlap on the ground, and the districts they share.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Overlap {
    pub area_id: String,
    pub other_area_id: String,
    pub lad_codes: Vec<String>,
}

impl Overlap {
    /// The other area of the pair, if `area_id` is one of them.
    pub fn touches(&self, area_id: &str) -> Option<&str> {
        if self.area_id == area_id {
            Some(&self.other_area_id)
        } else if self.other_area_id == area_id {
            Some(&self.area_id)
        } else {
            None
        }
    }
}

/// The pairs of areas (each pair once, in area id order) that share
/// residents: a district both cover with shares summing to more than 1
/// (ICBs partition England, so two ICBs that split a district do not
/// overlap; a combined authority holds whole districts, so it overlaps the
/// ICBs it shares a district with).
pub fn overlaps(footprints: &[Footprint]) -> Vec<Overlap> {
    let mut by_district: BTreeMap<&str, Vec<&Footprint>> = BTreeMap::new();
    for f in footprints {
        by_district.entry(&f.lad_code).or_default().push(f);
    }
    let mut pairs: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for (lad, areas) in by_district {
        for (i, a) in areas.iter().enumerate() {
            for b in &areas[i + 1..] {
                if a.area_id != b.area_id && a.share + b.share > 1.0 + SHARE_TOLERANCE {
                    let key = if a.area_id < b.area_id {
                        (a.area_id.clone(), b.area_id.clone())
                    } else {
                        (b.area_id.clone(), a.area_id.clone())
                    };
                    pairs.entry(key).or_default().push(lad.to_string());
                }
            }
        }
    }
    pairs
        .into_iter()
        .map(|((area_id, other_area_id), lad_codes)| Overlap {
            area_id,
            other_area_id,
            lad_codes,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_split_district_is_not_shared_and_a_whole_one_is() {
        let row = |area: &str, share: f64| Footprint {
            area_id: area.into(),
            lad_code: "E07000089".into(),
            lad_name: "Hart".into(),
            share,
            source: "test".into(),
            source_date: chrono::NaiveDate::from_ymd_opt(2024, 4, 1).unwrap(),
        };
        assert!(overlaps(&[row("a", 0.7497), row("b", 0.2503)]).is_empty());
        assert_eq!(
            overlaps(&[row("b", 1.0), row("a", 0.2503)]),
            vec![Overlap {
                area_id: "a".into(),
                other_area_id: "b".into(),
                lad_codes: vec!["E07000089".into()],
            }]
        );
    }
}
