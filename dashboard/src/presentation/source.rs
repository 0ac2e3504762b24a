//! Where a root's fit-note figures came from (`run.json`'s
//! `published_fit_notes`), as the fit-notes page writes it. Its figures are
//! about public official statistics, not records: the releases, the rule for
//! suppressed cells and how far it can move each effect; no count of notes.

use serde::Serialize;

/// Where a root's fit-note figures came from, as the fit-notes page shows
/// it: the publication, its releases, the geography, the suppression rule
/// and how far it can move each effect (no counts of notes).
#[derive(Serialize)]
pub struct Source {
    publication: String,
    publisher: String,
    url: String,
    releases: Vec<(String, String, u64)>,
    geography: String,
    suppression_rule: String,
    suppressed_cells: u64,
    revised_cells: u64,
    areas_not_covered: Vec<String>,
    bounds: Vec<(String, String, String)>,
}

pub fn source(s: &contract::manifest::PublishedFitNotes) -> Source {
    let range = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => format!("{} to {}", super::points(a.min(b)), super::points(a.max(b))),
        _ => "no estimate".to_string(),
    };
    Source {
        publication: s.publication.clone(),
        publisher: s.publisher.clone(),
        url: s.url.clone(),
        releases: s
            .releases
            .iter()
            .map(|r| {
                let file = r.file.rsplit('/').next().unwrap_or(&r.file).to_string();
                (r.release.clone(), file, r.months_used)
            })
            .collect(),
        geography: s.geography.clone(),
        suppression_rule: s.suppression_rule.clone(),
        suppressed_cells: s.suppressed_cells,
        revised_cells: s.revised_cells,
        areas_not_covered: s.areas_not_covered.clone(),
        bounds: s
            .suppression_bounds
            .iter()
            .map(|b| {
                (
                    b.programme.clone(),
                    range(b.did_if_one, b.did_if_four),
                    range(b.clean_did_if_one, b.clean_did_if_four),
                )
            })
            .collect(),
    }
}
