//! Page handlers: each gathers published figures and charts for one
//! template. No page computes a statistic; it only chooses and orders.

use super::error::PageError;
use super::extract::Viewer;
use super::templates::render;
use crate::charts::Chart;
use crate::charts::catalogue::{self, Scope};
use crate::disclosure::{Programme, Published, Site, Subgroup};
use crate::error::DashboardError;
use crate::presentation::{dimension_label, slugs};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use minijinja::context;
use serde::{Deserialize, Serialize};

type PageResult = Result<Html<String>, PageError>;

/// A chart as a page shows it: inline SVG, caption, data table, links.
#[derive(Serialize)]
pub struct Figure {
    name: String,
    title: String,
    caption: String,
    svg: String,
    url: String,
    table: crate::charts::DataTable,
}

fn figures(published: &Published, scope: Scope) -> Result<Vec<Figure>, DashboardError> {
    catalogue::charts(published, scope)
        .into_iter()
        .map(|c| figure(&scope, c))
        .collect()
}

fn figure(scope: &Scope, chart: Chart) -> Result<Figure, DashboardError> {
    Ok(Figure {
        svg: chart.svg()?,
        url: format!("{}/{}", scope.base_url(), chart.name),
        name: chart.name,
        title: chart.title,
        caption: chart.caption,
        table: chart.table,
    })
}

#[derive(Serialize)]
struct Crumb {
    label: String,
    url: String,
}

fn crumb(label: &str, url: String) -> Crumb {
    Crumb {
        label: label.to_string(),
        url,
    }
}

pub(crate) fn programme_of<'a>(
    published: &'a Published,
    slug: &str,
) -> Result<&'a Programme, DashboardError> {
    slugs::programme(published, slug).ok_or_else(|| {
        DashboardError::NotFound(format!(
            "There is no programme called `{slug}`. The programmes are: {}.",
            slugs::programme_slugs(published).join(", ")
        ))
    })
}

pub(crate) fn site_of<'a>(
    published: &'a Published,
    programme: &Programme,
    area: &str,
) -> Result<&'a Site, DashboardError> {
    slugs::site(published, programme, area).ok_or_else(|| {
        DashboardError::NotFound(format!(
            "{} has no site `{area}`; its sites are listed on its programme page.",
            programme.name
        ))
    })
}

pub async fn overview(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    let published = state.published().await?;
    let rows: Vec<_> = published
        .programmes
        .iter()
        .map(|p| context! { programme => p, did => published.did_of(p) })
        .collect();
    render(
        "overview.html",
        context! {
            title => "Overview",
            nav => "overview",
            rows,
            figures => figures(&published, Scope::Overview)?,
            ..frame(Some(&published), &viewer)
        },
    )
}

#[derive(Deserialize)]
pub struct SiteSort {
    sort: Option<String>,
    dir: Option<String>,
}

/// Sortable columns of the site table: (query value, heading).
const SITE_COLUMNS: [(&str, &str); 7] = [
    ("site", "Site"),
    ("start", "Go-live"),
    ("participants", "Participants"),
    ("eligible", "Eligible"),
    ("rate", "In work at 6 months"),
    ("effect", "Site's effect"),
    ("flag", "Against the adjusted funnel limits"),
];

pub async fn programme(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    Query(order): Query<SiteSort>,
) -> PageResult {
    let published = state.published().await?;
    let programme = programme_of(&published, &slug)?;
    let sort = order
        .sort
        .filter(|s| SITE_COLUMNS.iter().any(|c| c.0 == s))
        .unwrap_or_else(|| "site".into());
    let descending = order.dir.as_deref() == Some("desc");
    let mut sites: Vec<&Site> = published.sites_of(programme).collect();
    // Suppressed values sort after shown ones whichever the direction.
    sites.sort_by(|a, b| {
        use std::cmp::Ordering;
        let by = |x: Option<f64>, y: Option<f64>| match (x, y) {
            (Some(x), Some(y)) => {
                let o = x.total_cmp(&y);
                if descending { o.reverse() } else { o }
            }
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        let text = |x: &str, y: &str| if descending { y.cmp(x) } else { x.cmp(y) };
        match sort.as_str() {
            "start" => text(
                &a.start_date.map(|d| d.to_string()).unwrap_or_default(),
                &b.start_date.map(|d| d.to_string()).unwrap_or_default(),
            ),
            "participants" => by(
                a.participants.value().map(|v| v as f64),
                b.participants.value().map(|v| v as f64),
            ),
            "eligible" => by(
                a.eligible.value().map(|v| v as f64),
                b.eligible.value().map(|v| v as f64),
            ),
            "rate" => by(a.rate.value(), b.rate.value()),
            "flag" => {
                // Suppressed last, whichever the direction of the rest.
                let flag = |s: &Site| match crate::presentation::labels::adjusted_flag(s) {
                    crate::disclosure::SUPPRESSED => "~",
                    flag => flag,
                };
                text(flag(a), flag(b))
            }
            "effect" => by(a.effect.value(), b.effect.value()),
            _ => text(&a.area_name, &b.area_name),
        }
        .then_with(|| a.area_name.cmp(&b.area_name))
    });
    let columns: Vec<_> = SITE_COLUMNS
        .iter()
        .map(|(key, heading)| {
            let current = sort == *key;
            let next = if current && !descending { "desc" } else { "asc" };
            context! {
                heading,
                url => format!("/programme/{slug}?sort={key}&dir={next}#sites"),
                aria_sort => if current { if descending { "descending" } else { "ascending" } } else { "none" },
            }
        })
        .collect();
    let mut dimensions: Vec<(String, Vec<&Subgroup>)> = Vec::new();
    for s in published.subgroups_of(programme) {
        let label = dimension_label(s.dimension).to_string();
        match dimensions.iter_mut().find(|(d, _)| *d == label) {
            Some((_, rows)) => rows.push(s),
            None => dimensions.push((label, vec![s])),
        }
    }
    let dimensions: Vec<_> = dimensions
        .into_iter()
        .map(|(label, rows)| context! { label, rows })
        .collect();
    render(
        "programme.html",
        context! {
            title => programme.name,
            nav => slugs::slug(&programme.name),
            programme,
            did => published.did_of(programme),
            sites,
            columns,
            dimensions,
            figures => figures(&published, Scope::Programme(programme))?,
            spreads => spreads(&published, programme),
            breadcrumbs => vec![crumb("Overview", "/".into())],
            ..frame(Some(&published), &viewer)
        },
    )
}

/// Each site funnel's spread beyond chance, for the table beside the
/// funnel: φ, its p-value, √τ² and where τ² came from.
fn spreads(published: &Published, programme: &Programme) -> Vec<minijinja::Value> {
    use contract::vocabulary::{SiteIndicator, Tau2Source};
    [
        (
            SiteIndicator::AdjustedRate,
            "Case-mix adjusted in-work rate",
        ),
        (SiteIndicator::Effect, "Site effects"),
    ]
    .into_iter()
    .filter_map(|(indicator, label)| {
        let s = published.spread_of(programme, indicator)?;
        Some(context! {
            label,
            sites => s.sites,
            phi => s.phi.map(|p| format!("{p:.2}")),
            p_value => s.phi_p_value.map(crate::presentation::serialise::p_value),
            tau_sd => format!("{:.1} pp", s.tau2.sqrt() * 100.0),
            source => match s.source {
                Tau2Source::Own => "this programme's own sites",
                Tau2Source::Pooled => "every programme's sites (this programme has fewer than 10)",
                Tau2Source::None => "none: fewer than 10 sites in all, so no site is flagged",
            },
            sentence => crate::charts::catalogue::spread_sentence(published, programme, indicator),
        })
    })
    .collect()
}

pub async fn site(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((slug, area)): Path<(String, String)>,
) -> PageResult {
    let published = state.published().await?;
    let programme = programme_of(&published, &slug)?;
    let site = site_of(&published, programme, &area)?;
    render(
        "site.html",
        context! {
            title => format!("{} – {}", site.area_name, programme.name),
            nav => slugs::slug(&programme.name),
            programme,
            site,
            figures => figures(&published, Scope::Site(programme, site))?,
            breadcrumbs => vec![
                crumb("Overview", "/".into()),
                crumb(&programme.name, format!("/programme/{}", slugs::slug(&programme.name))),
            ],
            ..frame(Some(&published), &viewer)
        },
    )
}

pub async fn fit_notes(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    let published = state.published().await?;
    let did_chart = catalogue::chart(&published, Scope::Overview, "fit-note-did")
        .map(|c| figure(&Scope::Overview, c))
        .transpose()?;
    let mut trends = Vec::new();
    let mut event_studies = Vec::new();
    for d in &published.did {
        let scope = Scope::FitNotes(&d.programme);
        if let Some(c) = catalogue::chart(&published, scope, "fit-notes") {
            trends.push(figure(&scope, c)?);
        }
        if let Some(c) = catalogue::chart(&published, scope, "event-study") {
            event_studies.push(figure(&scope, c)?);
        }
    }
    render(
        "fit_notes.html",
        context! {
            title => "Fit notes",
            nav => "fit-notes",
            did => published.did,
            source => published.run.published_fit_notes.as_ref().map(crate::presentation::source),
            did_chart,
            trends,
            event_studies,
            ..frame(Some(&published), &viewer)
        },
    )
}

pub async fn data_quality(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    let published = state.published().await?;
    render(
        "data_quality.html",
        context! {
            title => "Data quality",
            nav => "data-quality",
            checks => published.checks,
            evidence_root => state.evidence_root().as_str(),
            ..frame(Some(&published), &viewer)
        },
    )
}

async fn report_page(
    state: &AppState,
    viewer: &Viewer,
    slug: &str,
    standalone: bool,
) -> Result<String, PageError> {
    let published = state.published().await?;
    let programme = programme_of(&published, slug)?;
    let scope = Scope::Programme(programme);
    let mut report_figures = Vec::new();
    for name in ["outcomes", "balance", "funnel", "fit-notes"] {
        if let Some(c) = catalogue::chart(&published, scope, name) {
            report_figures.push(figure(&scope, c)?);
        }
    }
    let sites: Vec<&Site> = published.sites_of(programme).collect();
    let outside: Vec<&&Site> = sites
        .iter()
        .filter(|s| {
            matches!(
                s.adjusted.and_then(|a| a.flag),
                Some(
                    contract::vocabulary::FunnelFlag::Above
                        | contract::vocabulary::FunnelFlag::Below
                )
            )
        })
        .collect();
    let html = super::templates::render_string(
        "report.html",
        context! {
            title => format!("{}: evidence summary", programme.name),
            nav => slugs::slug(&programme.name),
            standalone,
            css => super::templates::CSS,
            programme,
            did => published.did_of(programme),
            sites => sites.len(),
            outside,
            spread => crate::charts::catalogue::spread_sentence(
                &published,
                programme,
                contract::vocabulary::SiteIndicator::AdjustedRate,
            ),
            figures => report_figures,
            breadcrumbs => vec![
                crumb("Overview", "/".into()),
                crumb(&programme.name, format!("/programme/{}", slugs::slug(&programme.name))),
            ],
            ..frame(Some(&published), viewer)
        },
    )?;
    Ok(html)
}

pub async fn report(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> PageResult {
    Ok(Html(report_page(&state, &viewer, &slug, false).await?))
}

/// The report as one self-contained HTML file (styles and charts inlined).
pub async fn report_download(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let html = report_page(&state, &viewer, &slug, true).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{slug}-evidence-summary.html\""),
            ),
        ],
        html,
    )
        .into_response())
}

/// What every page's frame needs: the programmes for the navigation, the
/// run for the footer, the disclosure footnote, who is signed in.
pub fn frame(published: Option<&Published>, viewer: &Viewer) -> minijinja::Value {
    context! {
        programmes => published.map(|p| &p.programmes),
        run => published.map(|p| &p.run),
        footnote => crate::disclosure::FOOTNOTE,
        viewer_name => viewer.user.as_ref().map(|u| u.name.clone()),
        viewer_role => viewer.user.as_ref().map(|u| u.role.as_str()),
        csrf => viewer.csrf,
    }
}
