//! Chart exports: every chart at `<page>/charts/<name>.svg|png|csv`.

use super::error::PageError;
use super::pages::{programme_of, site_of};
use crate::charts::Chart;
use crate::charts::catalogue::{self, Scope};
use crate::disclosure::Published;
use crate::error::DashboardError;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

enum Form {
    Svg,
    Png,
    Csv,
}

/// Split `funnel.png` into the chart name and its form.
fn parse(file: &str) -> Result<(&str, Form), DashboardError> {
    let (name, ext) = file.rsplit_once('.').ok_or_else(|| {
        DashboardError::NotFound(format!(
            "`{file}`: ask for a chart as NAME.svg, NAME.png or NAME.csv"
        ))
    })?;
    let form = match ext {
        "svg" => Form::Svg,
        "png" => Form::Png,
        "csv" => Form::Csv,
        _ => {
            return Err(DashboardError::NotFound(format!(
                "`{file}`: charts come as .svg, .png or .csv"
            )));
        }
    };
    Ok((name, form))
}

/// The chart `file` of `scope`; images are drawn through
/// [`AppState::draw`] (bounded, off the page-serving workers).
async fn respond(
    state: &AppState,
    published: &Published,
    scope: Scope<'_>,
    file: &str,
    download_prefix: &str,
) -> Result<Response, DashboardError> {
    let (name, form) = parse(file)?;
    let chart: Chart = catalogue::chart(published, scope, name).ok_or_else(|| {
        DashboardError::NotFound(format!(
            "There is no chart `{name}` here; this page's charts are: {}.",
            scope.names().join(", ")
        ))
    })?;
    let attachment = |ext: &str| format!("attachment; filename=\"{download_prefix}{name}.{ext}\"");
    Ok(match form {
        Form::Svg => (
            [(header::CONTENT_TYPE, "image/svg+xml".to_string())],
            state.draw(name, move || chart.svg()).await?,
        )
            .into_response(),
        Form::Png => (
            [
                (header::CONTENT_TYPE, "image/png".to_string()),
                (header::CONTENT_DISPOSITION, attachment("png")),
            ],
            state.draw(name, move || chart.png()).await?,
        )
            .into_response(),
        Form::Csv => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (header::CONTENT_DISPOSITION, attachment("csv")),
            ],
            chart.table.csv()?,
        )
            .into_response(),
    })
}

pub async fn overview_chart(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, PageError> {
    let published = state.published().await?;
    Ok(respond(&state, &published, Scope::Overview, &file, "evidence-").await?)
}

pub async fn programme_chart(
    State(state): State<AppState>,
    Path((slug, file)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let published = state.published().await?;
    let programme = programme_of(&published, &slug)?;
    Ok(respond(
        &state,
        &published,
        Scope::Programme(programme),
        &file,
        &format!("{slug}-"),
    )
    .await?)
}

/// A programme's fit-note chart on the fit-notes page (every programme
/// with a `fit_note_did` row, outcomes or not).
pub async fn fit_notes_chart(
    State(state): State<AppState>,
    Path((slug, file)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let published = state.published().await?;
    let name = published
        .did
        .iter()
        .map(|d| d.programme.as_str())
        .find(|p| crate::presentation::slug(p) == slug)
        .ok_or_else(|| {
            DashboardError::NotFound(format!(
                "No programme `{slug}` has fit-note figures in this evidence root."
            ))
        })?;
    Ok(respond(
        &state,
        &published,
        Scope::FitNotes(name),
        &file,
        &format!("{slug}-"),
    )
    .await?)
}

pub async fn site_chart(
    State(state): State<AppState>,
    Path((slug, area, file)): Path<(String, String, String)>,
) -> Result<Response, PageError> {
    let published = state.published().await?;
    let programme = programme_of(&published, &slug)?;
    let site = site_of(&published, programme, &area)?;
    Ok(respond(
        &state,
        &published,
        Scope::Site(programme, site),
        &file,
        &format!("{slug}-{area}-"),
    )
    .await?)
}

/// Every chart of a programme in one zip, for a funding paper: each as SVG,
/// as PNG at print resolution (300 dpi) and as CSV, with a README giving
/// the run, the disclosure rule and each chart's methods note (its caption).
pub async fn programme_archive(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let published = state.published().await?;
    let programme = programme_of(&published, &slug)?;
    let charts = catalogue::charts(&published, Scope::Programme(programme));
    let run_id = published.run.run_id.clone();
    let title = programme.name.clone();
    // Drawing seven charts at 300 dpi is CPU work: off the async threads,
    // once per run and programme, one archive at a time.
    let made = run_id.clone();
    let bytes = state
        .archive(&run_id, &slug, move || archive(&title, &made, &charts))
        .await?;
    let bytes = bytes.as_ref().clone();
    let file = format!("{slug}-charts-{}.zip", published.run.run_id);
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

fn archive(programme: &str, run_id: &str, charts: &[Chart]) -> Result<Vec<u8>, DashboardError> {
    use std::io::Write;
    let fail = |e: &dyn std::fmt::Display| DashboardError::Chart {
        chart: "archive".into(),
        problem: format!("writing the zip: {e}"),
    };
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut readme = format!(
        "{programme}: every chart of its page\n\nEvidence run {run_id}.\n\n{}\n\nEach chart comes as NAME.svg (vector), NAME.png (300 dpi, for print) and NAME.csv (the data drawn, exactly as published). What each shows and how it was estimated:\n",
        crate::disclosure::FOOTNOTE
    );
    for chart in charts {
        for (ext, bytes) in [
            ("svg", chart.svg()?.into_bytes()),
            ("png", crate::charts::print::print_png(chart)?),
            ("csv", chart.table.csv()?),
        ] {
            zip.start_file(format!("{}.{ext}", chart.name), options)
                .map_err(|e| fail(&e))?;
            zip.write_all(&bytes).map_err(|e| fail(&e))?;
        }
        readme.push_str(&format!(
            "\n{}: {}\n  {}\n",
            chart.name, chart.title, chart.caption
        ));
    }
    readme.push_str("\nMethods in full: the repository's CONTRACT.md and VALIDATION.md.\n");
    zip.start_file("README.txt", options)
        .map_err(|e| fail(&e))?;
    zip.write_all(readme.as_bytes()).map_err(|e| fail(&e))?;
    Ok(zip.finish().map_err(|e| fail(&e))?.into_inner())
}
