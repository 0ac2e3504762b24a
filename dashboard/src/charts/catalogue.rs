//! Every chart the dashboard serves, by page and name, built from published
//! (disclosure-controlled) figures.

use super::fit_notes::{did, event_study};
pub use super::sites::spread_sentence;
use super::{Chart, DataTable, ForestRow, Line, Plot};
use crate::disclosure::{Count, NotesMonth, Programme, Published, Share, Site};
use crate::presentation::{dimension_label, slug};

/// Where a chart lives: its page.
#[derive(Clone, Copy)]
pub enum Scope<'a> {
    Overview,
    Programme(&'a Programme),
    Site(&'a Programme, &'a Site),
    /// A programme's fit-note charts on the fit-notes page, by name: a root
    /// built from the published statistics has fit-note rows for
    /// programmes it has no outcomes for.
    FitNotes(&'a str),
}

impl Scope<'_> {
    /// The chart names of this page, in the order the page shows them.
    pub fn names(&self) -> &'static [&'static str] {
        match self {
            Scope::Overview => &["att", "rates", "fit-note-did"],
            Scope::Programme(_) => &[
                "outcomes",
                "balance",
                "funnel",
                "site-effects",
                "subgroups",
                "fit-notes",
                "event-study",
            ],
            Scope::Site(..) => &["spine", "rates", "trend", "fit-notes"],
            Scope::FitNotes(_) => &["fit-notes", "event-study"],
        }
    }

    /// The URL prefix of this page's charts.
    pub fn base_url(&self) -> String {
        match self {
            Scope::Overview => "/charts".to_string(),
            Scope::Programme(p) => format!("/programme/{}/charts", slug(&p.name)),
            Scope::Site(p, s) => format!("/programme/{}/site/{}/charts", slug(&p.name), s.area_id),
            Scope::FitNotes(name) => format!("/fit-notes/{}/charts", slug(name)),
        }
    }
}

pub(super) const INTERVAL_95: &str = "Bars are 95% confidence intervals: if the evaluation were repeated \
many times, 95 in 100 such intervals would contain the true value.";

/// A chart by page and name, or `None` when the page has no such chart.
pub fn chart(published: &Published, scope: Scope, name: &str) -> Option<Chart> {
    Some(match (scope, name) {
        (Scope::Overview, "att") => att(published),
        (Scope::Overview, "rates") => rates(published),
        (Scope::Overview, "fit-note-did") => did(published),
        (Scope::Programme(p), "outcomes") => super::outcomes::chart(p),
        (Scope::Programme(p), "balance") => super::balance::chart(p),
        (Scope::Programme(p), "funnel") => super::sites::funnel(published, p),
        (Scope::Programme(p), "site-effects") => super::sites::site_effects(published, p),
        (Scope::Programme(p), "subgroups") => subgroups(published, p),
        (Scope::Programme(p), "fit-notes") => programme_notes(published, &p.name),
        (Scope::Programme(p), "event-study") => event_study(published, &p.name)?,
        (Scope::FitNotes(name), "fit-notes") => programme_notes(published, name),
        (Scope::FitNotes(name), "event-study") => event_study(published, name)?,
        (Scope::Site(p, s), "spine") => super::sites::spine(published, p, s),
        (Scope::Site(p, s), "rates") => site_rates(p, s),
        (Scope::Site(p, s), "trend") => super::sites::trend(p, s),
        (Scope::Site(p, s), "fit-notes") => site_notes(published, p, s),
        _ => return None,
    })
}

/// Every chart of a page.
pub fn charts(published: &Published, scope: Scope) -> Vec<Chart> {
    scope
        .names()
        .iter()
        .filter_map(|name| chart(published, scope, name))
        .collect()
}

/// The caption's note on a forest's rows without a point: suppressed, or
/// withheld because their programme's diagnostics failed.
pub(super) fn missing_note(rows: &[ForestRow], what: &str) -> String {
    let withheld = rows.iter().filter(|r| r.withheld).count();
    let hidden = rows.iter().filter(|r| r.value.is_none()).count() - withheld;
    let mut note = suppressed_note(hidden, what);
    match withheld {
        0 => {}
        1 => note += &format!(" One {what}'s effect is withheld: its design's diagnostics failed."),
        n => {
            note +=
                &format!(" {n} {what}s' effects are withheld: their designs' diagnostics failed.")
        }
    }
    note
}

pub(super) fn suppressed_note(n: usize, what: &str) -> String {
    match n {
        0 => String::new(),
        1 => format!(" One {what} is suppressed ([c]) and not drawn."),
        n => format!(" {n} {what}s are suppressed ([c]) and not drawn."),
    }
}

fn att(published: &Published) -> Chart {
    let mut table = DataTable::new(&["programme", "matched", "att", "att_low", "att_high"]);
    let mut rows = Vec::new();
    for p in &published.programmes {
        let [v, l, h] = p.att.plain();
        table.push(vec![p.name.clone(), p.matched.plain(), v, l, h]);
        rows.push(ForestRow::of_effect(p.name.clone(), 0, p.att));
    }
    let missing = missing_note(&rows, "programme");
    Chart {
        name: "att".into(),
        title: "Effect on being in work at 6 months, by programme".into(),
        x_label: "Participants' rate minus matched comparison rate (percentage points)".into(),
        y_label: "Programme".into(),
        caption: format!(
            "Average effect on the treated (ATT): participants' in-work rate 6 months after referral minus that of matched comparison people with the same age band, sex, deprivation quintile, condition, status and work history in the year before, quarter of referral and local labour market. {INTERVAL_95} The vertical line is no effect.{}",
            missing
        ),
        plot: Plot::Forest {
            rows,
            series: vec!["ATT".into()],
            reference: Some(0.0),
            difference: true,
        },
        table,
    }
}

fn rates(published: &Published) -> Chart {
    let mut table = DataTable::new(&[
        "programme",
        "eligible",
        "in_work_6m",
        "rate",
        "rate_low",
        "rate_high",
        "matched",
        "comparison_rate",
    ]);
    let mut rows = Vec::new();
    for p in &published.programmes {
        table.push(vec![
            p.name.clone(),
            p.eligible.plain(),
            p.in_work_6m.plain(),
            p.rate.plain(),
            p.rate.plain_low(),
            p.rate.plain_high(),
            p.matched.plain(),
            p.comparison_rate.plain(),
        ]);
        rows.push(ForestRow {
            label: format!("{} participants", p.name),
            series: 0,
            value: p.rate.value(),
            interval: p.rate.interval(),
            withheld: false,
        });
        rows.push(ForestRow {
            label: format!("{} comparison", p.name),
            series: 1,
            value: p.comparison_rate.value(),
            interval: None,
            withheld: false,
        });
    }
    Chart {
        name: "rates".into(),
        title: "In work at 6 months: participants and matched comparison".into(),
        x_label: "In work 6 months after the index month (%)".into(),
        y_label: "Programme and group".into(),
        caption: format!(
            "Participants' rate with its 95% Wilson score interval, and the matched comparison rate (the participant-weighted average of the comparison rates in each matching stratum). {INTERVAL_95}"
        ),
        plot: Plot::Forest {
            rows,
            series: vec!["Participants".into(), "Matched comparison".into()],
            reference: None,
            difference: false,
        },
        table,
    }
}

fn subgroups(published: &Published, programme: &Programme) -> Chart {
    let mut table = DataTable::new(&[
        "dimension",
        "value",
        "eligible",
        "in_work_6m",
        "rate",
        "matched",
        "comparison_rate",
        "att",
        "att_low",
        "att_high",
    ]);
    let mut rows = Vec::new();
    for s in published.subgroups_of(programme) {
        let [v, l, h] = s.att.plain();
        table.push(vec![
            s.dimension.as_str().to_string(),
            s.value.clone(),
            s.eligible.plain(),
            s.in_work_6m.plain(),
            s.rate.plain(),
            s.matched.plain(),
            s.comparison_rate.plain(),
            v,
            l,
            h,
        ]);
        rows.push(ForestRow::of_effect(
            format!("{}: {}", dimension_label(s.dimension), s.value),
            0,
            s.att,
        ));
    }
    let missing = missing_note(&rows, "subgroup");
    Chart {
        name: "subgroups".into(),
        title: format!("{}: effect by subgroup", programme.name),
        x_label: "Participants' rate minus matched comparison rate (percentage points)".into(),
        y_label: "Subgroup".into(),
        caption: format!(
            "The ATT within each subgroup, matched the same way as the programme as a whole (referral source matches against the whole comparison pool, since comparison people have no referral). {INTERVAL_95} Subgroups are smaller, so their intervals are wider.{}",
            missing
        ),
        plot: Plot::Forest {
            rows,
            series: vec!["ATT".into()],
            reference: Some(0.0),
            difference: true,
        },
        table,
    }
}

fn notes_table(series: &[(&str, &[NotesMonth])]) -> (DataTable, Vec<Line>, usize) {
    let mut table = DataTable::new(&[
        "series",
        "month",
        "fit_notes",
        "may_be_fit",
        "may_be_fit_share",
    ]);
    let mut lines = Vec::new();
    let mut hidden = 0;
    for (name, months) in series {
        let mut points = Vec::new();
        for m in *months {
            table.push(vec![
                name.to_string(),
                m.month.to_string(),
                m.fit_notes.plain(),
                m.may_be_fit.plain(),
                m.share.plain(),
            ]);
            match m.share.value() {
                Some(v) => points.push((m.month, v)),
                None => hidden += 1,
            }
        }
        lines.push(Line {
            name: name.to_string(),
            points,
        });
    }
    (table, lines, hidden)
}

const NOTES_CAPTION: &str = "Each point is the share of that month's fit notes that said the \
person \"may be fit for work\" rather than \"not fit\". Comparison areas run none of the \
programmes. Shares are not adjusted for case mix.";

fn programme_notes(published: &Published, programme: &str) -> Chart {
    let empty = [Vec::new(), Vec::new()];
    let sides = published.programme_notes.get(programme).unwrap_or(&empty);
    let start = published
        .did
        .iter()
        .find(|d| d.programme == programme)
        .and_then(|d| d.start_date);
    let (table, lines, hidden) = notes_table(&[
        ("Programme areas", &sides[0]),
        ("Comparison areas", &sides[1]),
    ]);
    Chart {
        name: "fit-notes".into(),
        title: format!("{programme}: fit notes saying \"may be fit for work\""),
        x_label: "Month the fit note was issued".into(),
        y_label: "May be fit for work (% of fit notes)".into(),
        caption: format!(
            "{NOTES_CAPTION} The dashed vertical line is the programme's first go-live.{}",
            suppressed_note(hidden, "month")
        ),
        plot: Plot::Trend {
            lines,
            markers: start
                .map(|d| (d, "Programme starts".to_string()))
                .into_iter()
                .collect(),
        },
        table,
    }
}

fn site_rates(programme: &Programme, site: &Site) -> Chart {
    let mut table = DataTable::new(&["series", "eligible", "rate", "rate_low", "rate_high"]);
    let rows_of: [(&str, Count, Share); 3] = [
        (&site.area_name, site.eligible, site.rate),
        ("Programme, all sites", programme.eligible, programme.rate),
        (
            "Programme, matched comparison",
            programme.matched,
            programme.comparison_rate,
        ),
    ];
    let mut rows = Vec::new();
    for (i, (label, eligible, rate)) in rows_of.iter().enumerate() {
        table.push(vec![
            label.to_string(),
            eligible.plain(),
            rate.plain(),
            rate.plain_low(),
            rate.plain_high(),
        ]);
        rows.push(ForestRow {
            label: label.to_string(),
            series: usize::from(i == 2),
            value: rate.value(),
            interval: rate.interval(),
            withheld: false,
        });
    }
    Chart {
        name: "rates".into(),
        title: format!(
            "{} ({}): in work at 6 months",
            site.area_name, programme.name
        ),
        x_label: "In work 6 months after referral (%)".into(),
        y_label: "Group".into(),
        caption: format!(
            "The site's rate and its programme's, with 95% Wilson score intervals, and the programme's matched comparison rate (matching is done for the programme as a whole, not per site). {INTERVAL_95}"
        ),
        plot: Plot::Forest {
            rows,
            series: vec!["Participants".into(), "Matched comparison".into()],
            reference: None,
            difference: false,
        },
        table,
    }
}

fn site_notes(published: &Published, programme: &Programme, site: &Site) -> Chart {
    let empty = Vec::new();
    let area = published.area_notes.get(&site.area_id).unwrap_or(&empty);
    let comparison = published
        .programme_notes
        .get(&programme.name)
        .map_or(&empty, |s| &s[1]);
    let (table, lines, hidden) =
        notes_table(&[(&site.area_name, area), ("Comparison areas", comparison)]);
    Chart {
        name: "fit-notes".into(),
        title: format!(
            "{}: fit notes saying \"may be fit for work\"",
            site.area_name
        ),
        x_label: "Month the fit note was issued".into(),
        y_label: "May be fit for work (% of fit notes)".into(),
        caption: format!(
            "{NOTES_CAPTION} The dashed vertical line is this site's go-live for {}.{}",
            programme.name,
            suppressed_note(hidden, "month")
        ),
        plot: Plot::Trend {
            lines,
            markers: site
                .start_date
                .map(|d| (d, "Go-live".to_string()))
                .into_iter()
                .collect(),
        },
        table,
    }
}
