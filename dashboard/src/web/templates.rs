//! The page templates (minijinja), compiled into the binary, and the
//! stylesheet. HTML is auto-escaped.

use crate::error::DashboardError;
use axum::http::StatusCode;
use axum::response::Html;
use minijinja::Environment;
use std::sync::OnceLock;

pub const CSS: &str = include_str!("../../static/style.css");

const TEMPLATES: [(&str, &str); 11] = [
    ("login.html", include_str!("../../templates/login.html")),
    (
        "workbench.html",
        include_str!("../../templates/workbench.html"),
    ),
    ("base.html", include_str!("../../templates/base.html")),
    ("macros.html", include_str!("../../templates/macros.html")),
    (
        "overview.html",
        include_str!("../../templates/overview.html"),
    ),
    (
        "programme.html",
        include_str!("../../templates/programme.html"),
    ),
    ("site.html", include_str!("../../templates/site.html")),
    (
        "fit_notes.html",
        include_str!("../../templates/fit_notes.html"),
    ),
    (
        "data_quality.html",
        include_str!("../../templates/data_quality.html"),
    ),
    ("report.html", include_str!("../../templates/report.html")),
    ("error.html", include_str!("../../templates/error.html")),
];

fn environment() -> &'static Result<Environment<'static>, String> {
    static ENV: OnceLock<Result<Environment<'static>, String>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .map_err(|e| format!("template {name}: {e:#}"))?;
        }
        Ok(env)
    })
}

pub fn render_string(name: &str, ctx: minijinja::Value) -> Result<String, DashboardError> {
    let fail = |problem: String| DashboardError::Template {
        template: name.to_string(),
        problem,
    };
    let env = environment().as_ref().map_err(|e| fail(e.clone()))?;
    env.get_template(name)
        .and_then(|t| t.render(ctx))
        .map_err(|e| fail(format!("{e:#}")))
}

pub fn render(name: &str, ctx: minijinja::Value) -> Result<Html<String>, super::error::PageError> {
    Ok(render_string(name, ctx).map(Html)?)
}

/// The error page; plain text if even that cannot be rendered.
pub fn error_page(status: StatusCode, message: &str) -> String {
    render_string(
        "error.html",
        minijinja::context! {
            title => status.canonical_reason().unwrap_or("Error"),
            status => status.as_u16(),
            message,
            footnote => crate::disclosure::FOOTNOTE,
        },
    )
    .unwrap_or_else(|_| format!("{status}: {message}"))
}
