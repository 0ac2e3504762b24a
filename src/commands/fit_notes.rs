//! `evidence fit-notes --published`: the fit-note effect from the published
//! statistics, and `evidence generate-fit-notes`: a fixture in their layout.

use anyhow::{Context, Result};
use std::path::PathBuf;

/// The programmes' design from the built-in reference.
fn design(reference: &datasets::Reference) -> pipeline::published::Design {
    use pipeline::published::geography::Location;
    let first = reference.sub_icb_locations.first();
    pipeline::published::Design {
        areas: reference.areas.iter().map(|a| a.area_id.clone()).collect(),
        area_programmes: reference
            .area_programmes
            .iter()
            .map(|ap| (ap.area_id.clone(), ap.programme.clone(), ap.start_date))
            .collect(),
        footprints: reference
            .footprints
            .iter()
            .map(|f| (f.area_id.clone(), f.lad_code.clone(), f.share))
            .collect(),
        locations: reference
            .sub_icb_locations
            .iter()
            .map(|l| Location {
                code: l.sub_icb_code.clone(),
                ons_code: l.sub_icb_ons_code.clone(),
                area_id: l.area_id.clone(),
                share: l.share,
            })
            .collect(),
        geography: first.map_or_else(String::new, |l| {
            format!(
                "datasets/reference/sub_icb_locations.csv: sub-ICB locations of {} ({}), each counted in the areas holding half or more of its residents",
                l.source_date, l.source
            )
        }),
    }
}

pub async fn published(folder: PathBuf, out: String) -> Result<()> {
    let reference = datasets::Reference::load().context("loading the built-in reference data")?;
    let options = pipeline::published::PublishedOptions {
        folder: folder.clone(),
        out,
        design: design(&reference),
    };
    let progress = super::run::RunProgress::start();
    let manifest = pipeline::published::run_published(&options, &progress).await;
    progress.finish();
    let manifest = manifest.with_context(|| {
        format!(
            "evaluating the published fit-note statistics in {}",
            folder.display()
        )
    })?;
    let source = manifest
        .published_fit_notes
        .as_ref()
        .context("the run wrote no source")?;
    println!("Evidence root: {}", manifest.evidence_root);
    println!(
        "Source: {}, {} ({})",
        source.publication, source.publisher, source.url
    );
    for r in &source.releases {
        println!(
            "  release {} ({}): {} rows, {} months used",
            r.release, r.file, r.rows, r.months_used
        );
    }
    println!(
        "Suppressed cells: {}; revised cells: {}; unallocated notes: {}; notes outside the areas: {}",
        source.suppressed_cells,
        source.revised_cells,
        source.unallocated_fit_notes,
        source.fit_notes_outside_areas
    );
    for w in &manifest.warnings {
        println!("Note: {w}");
    }
    Ok(())
}

pub fn generate(options: datasets::PublishedFixtureOptions) -> Result<()> {
    let reference = datasets::Reference::load().context("loading the built-in reference data")?;
    let planted = datasets::generate_published(&reference, &options)
        .with_context(|| format!("writing the fixture into {}", options.out.display()))?;
    println!(
        "Wrote {} release files ({} suppressed cells) to {}; the planted effects are in _planted.json",
        planted.files.len(),
        planted.suppressed_cells,
        options.out.display()
    );
    Ok(())
}
