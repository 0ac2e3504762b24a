//! Charts drawn server-side with plotters. A [`Chart`] is its data table plus
//! how to draw it; the `.svg`, `.png` and `.csv` forms all come from one
//! `Chart`, so the CSV is exactly the data behind the picture. Charts are
//! built only from [`crate::disclosure::Published`] values.

mod balance;
pub mod catalogue;
mod draw;
mod fit_notes;
mod funnel;
mod outcomes;
pub mod print;
pub mod result;
mod sites;
mod spine;

use crate::error::DashboardError;
use chrono::NaiveDate;

pub const WIDTH: u32 = 960;

/// Okabe–Ito colours, distinguishable with the common colour-vision
/// deficiencies: blue, vermillion, bluish green, orange, reddish purple, sky
/// blue.
pub const PALETTE: [(u8, u8, u8); 6] = [
    (0, 114, 178),
    (213, 94, 0),
    (0, 158, 115),
    (230, 159, 0),
    (204, 121, 167),
    (86, 180, 233),
];

/// The data behind a chart, as published (CSV cells, `[c]` for suppressed).
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct DataTable {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl DataTable {
    pub fn new(columns: &[&str]) -> Self {
        DataTable {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: Vec::new(),
        }
    }
    pub fn push(&mut self, row: Vec<String>) {
        debug_assert_eq!(row.len(), self.columns.len());
        self.rows.push(row);
    }
    pub fn csv(&self) -> Result<Vec<u8>, DashboardError> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let fail = |e: &dyn std::fmt::Display| DashboardError::Chart {
            chart: "csv".into(),
            problem: e.to_string(),
        };
        w.write_record(&self.columns).map_err(|e| fail(&e))?;
        for row in &self.rows {
            w.write_record(row).map_err(|e| fail(&e))?;
        }
        w.into_inner().map_err(|e| fail(&e))
    }
}

/// One row of a forest plot: a point estimate with its interval.
#[derive(Clone, Debug)]
pub struct ForestRow {
    pub label: String,
    pub series: usize,
    pub value: Option<f64>,
    pub interval: Option<(f64, f64)>,
    /// Not drawn because its programme's diagnostics failed (otherwise a
    /// row without a value is suppressed).
    pub withheld: bool,
}

impl ForestRow {
    /// A row drawing a published effect.
    pub fn of_effect(label: String, series: usize, effect: crate::disclosure::Effect) -> ForestRow {
        ForestRow {
            label,
            series,
            value: effect.value(),
            interval: effect.interval(),
            withheld: effect.is_withheld(),
        }
    }
}

/// One site on a funnel plot.
#[derive(Clone, Debug)]
pub struct FunnelPoint {
    pub label: String,
    /// Where it sits on the x axis: its (effective) number eligible.
    pub size: f64,
    pub rate: f64,
    pub outside: bool,
}

/// How a site compares with its programme on one indicator (Fingertips'
/// better, similar, worse; every indicator here is better higher).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Better,
    Similar,
    Worse,
    NotCompared,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Better => "better",
            Verdict::Similar => "similar",
            Verdict::Worse => "worse",
            Verdict::NotCompared => "not compared",
        }
    }
}

/// One indicator of a spine chart: the site's value against its
/// programme's benchmark and the range over every site.
#[derive(Clone, Debug)]
pub struct SpineRow {
    pub label: String,
    pub value: Option<f64>,
    pub benchmark: Option<f64>,
    /// Lowest, 25th percentile, 75th percentile, highest over all sites.
    pub range: Option<[f64; 4]>,
    pub verdict: Verdict,
    /// Percentage points rather than a share.
    pub difference: bool,
}

#[derive(Clone, Debug)]
pub struct Line {
    pub name: String,
    pub points: Vec<(NaiveDate, f64)>,
}

/// One estimate of an event study: months since go-live.
#[derive(Clone, Debug)]
pub struct EventPoint {
    pub event_month: i64,
    pub value: f64,
    pub interval: Option<(f64, f64)>,
    /// The simultaneous band at this event month.
    pub band: Option<(f64, f64)>,
}

/// One covariate level of a Love plot.
#[derive(Clone, Debug)]
pub struct LoveRow {
    pub label: String,
    pub before: Option<f64>,
    pub after: Option<f64>,
}

#[derive(Clone, Debug)]
pub enum Plot {
    /// Estimates with intervals, one row each, against a reference line.
    Forest {
        rows: Vec<ForestRow>,
        series: Vec<String>,
        reference: Option<f64>,
        /// Values are differences (percentage points) rather than rates.
        difference: bool,
    },
    /// Site rates against their (effective) number eligible, with the
    /// programme's target and its 95% and 99.8% limits, widened by the
    /// between-site variance `tau2` (Wilson's limits when it is 0).
    Funnel {
        target: f64,
        tau2: f64,
        /// The critical values of the 95% and 99.8% limits.
        critical: (f64, f64),
        points: Vec<FunnelPoint>,
    },
    /// A site's indicators against its programme and every site (a
    /// Fingertips spine chart).
    Spine { rows: Vec<SpineRow> },
    /// A workbench result: values by label, as bars or a line.
    Result {
        line: bool,
        points: Vec<(String, f64)>,
    },
    /// Effects by months since go-live, one series per set of areas, with
    /// intervals, a zero line and go-live marked between months −1 and 0.
    EventStudy {
        series: Vec<(String, Vec<EventPoint>)>,
        /// Per series, the first year's robust interval (`Did::robust`).
        robust: Vec<Option<(f64, f64)>>,
    },
    /// Standardised differences before and after matching, one row per
    /// covariate level, with lines at 0 and ±0.1 (a Love plot).
    Love { rows: Vec<LoveRow> },
    /// Monthly shares, with dated markers (go-live dates).
    Trend {
        lines: Vec<Line>,
        markers: Vec<(NaiveDate, String)>,
    },
}

#[derive(Clone, Debug)]
pub struct Chart {
    /// The URL name (`att`, `funnel`, ...).
    pub name: String,
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    /// What the intervals or limits mean, and what is left out.
    pub caption: String,
    pub plot: Plot,
    pub table: DataTable,
}

impl Chart {
    pub fn height(&self) -> u32 {
        match &self.plot {
            Plot::Forest { rows, .. } => (140 + 26 * rows.len() as u32).max(260),
            Plot::Love { rows } => (150 + 20 * rows.len() as u32).max(260),
            Plot::Spine { rows } => 150 + 36 * rows.len() as u32,
            _ => 480,
        }
    }

    /// The chart as an SVG document, labelled for screen readers.
    pub fn svg(&self) -> Result<String, DashboardError> {
        let mut svg = String::new();
        draw::svg(self, &mut svg)?;
        let title = html_escape(&self.title);
        let desc = html_escape(&format!("{} Data table follows the chart.", self.caption));
        let accessible = format!(
            "<svg role=\"img\" aria-label=\"{title}\" focusable=\"false\" preserveAspectRatio=\"xMinYMin meet\" style=\"max-width:100%;height:auto\"\
             ><title>{title}</title><desc>{desc}</desc>"
        );
        Ok(match svg.find('>') {
            Some(end) if svg.starts_with("<svg") => {
                let open = &svg[4..end];
                format!("{}{}{}", &accessible[..4], open, &accessible[4..]) + &svg[end + 1..]
            }
            _ => svg,
        })
    }

    pub fn png(&self) -> Result<Vec<u8>, DashboardError> {
        draw::png(self)
    }
}

/// The width of a row-label area: the longest of `labels` (10 to
/// `max_chars` characters) at `per_char` pixels a character.
fn label_area<'a>(labels: impl Iterator<Item = &'a str>, max_chars: usize, per_char: u32) -> u32 {
    labels
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(10)
        .clamp(10, max_chars) as u32
        * per_char
        + 16
}

pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
