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

fn respond(
    published: &Published,
    scope: Scope,
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
            chart.svg()?,
        )
            .into_response(),
        Form::Png => (
            [
                (header::CONTENT_TYPE, "image/png".to_string()),
                (header::CONTENT_DISPOSITION, attachment("png")),
            ],
            chart.png()?,
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
    Ok(respond(&published, Scope::Overview, &file, "evidence-")?)
}

pub async fn programme_chart(
    State(state): State<AppState>,
    Path((slug, file)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let published = state.published().await?;
    let programme = programme_of(&published, &slug)?;
    Ok(respond(
        &published,
        Scope::Programme(programme),
        &file,
        &format!("{slug}-"),
    )?)
}

pub async fn site_chart(
    State(state): State<AppState>,
    Path((slug, area, file)): Path<(String, String, String)>,
) -> Result<Response, PageError> {
    let published = state.published().await?;
    let programme = programme_of(&published, &slug)?;
    let site = site_of(&published, programme, &area)?;
    Ok(respond(
        &published,
        Scope::Site(programme, site),
        &file,
        &format!("{slug}-{area}-"),
    )?)
}
