//! Disclosure control, in one place. The contract: anything shown outside
//! the analyst role is rounded to the nearest 5, and any count below 10 is
//! suppressed and shown as `[c]`, with the rates built on it.
//!
//! The exact tables are read by the private [`read`] module and turned into
//! [`Published`] by [`publish`] here; nothing else in the crate can name an
//! exact figure. The value types below ([`Count`], [`Share`], [`Effect`],
//! [`Money`]) have private fields and are only made here, so a page, chart or
//! export can only ever print a controlled value.
//!
//! Choices beyond the contract's words, each on the cautious side:
//! - A rate is suppressed when its numerator, its denominator *or their
//!   difference* is below 10: a 97% rate of 105 would otherwise reveal the 3
//!   people not in work.
//! - Rates and effects are published to 0.1 percentage point, so a rate and
//!   its rounded count cannot be solved back to an exact count.
//! - An ATT or comparison rate is suppressed with its matched count.
//! - A DiD is suppressed when any of its four shares is.
//! - Secondary suppression: sites add up to their programme, and each
//!   subgroup dimension's values add up to the programme too. Where exactly
//!   one part of such a total is suppressed, it could be estimated as the
//!   total minus the others, so the smallest other part is suppressed as well
//!   (with the rate built on it). See [`complementary`].

mod read;
pub mod tables;

use crate::error::DashboardError;
use chrono::NaiveDate;
use datafusion::prelude::SessionContext;
use pipeline::columns::date32 as date;
use pipeline::load::Root;
use serde::ser::{Serialize, SerializeMap, Serializer};

/// Counts below this are suppressed.
pub const THRESHOLD: u64 = 10;
/// Shown counts are rounded to the nearest multiple of this.
pub const ROUNDING_BASE: u64 = 5;

/// The footnote every page carries.
pub const FOOTNOTE: &str = "Disclosure control: counts are rounded to the nearest 5, and counts \
below 10 are suppressed and shown as [c], together with any rate, interval or effect built on \
them; where a single [c] could be worked out from a total, the next smallest figure is \
suppressed too. Rates are shown to 0.1 percentage point. Analysts with access to the exact tables see \
unrounded figures.";

/// A count of people, notes or rows, after disclosure control.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Count(Option<u64>);

impl Count {
    fn of(exact: u64) -> Count {
        Count::unless(false, exact)
    }
    /// Suppressed when `hidden` (secondary suppression) or small.
    fn unless(hidden: bool, exact: u64) -> Count {
        if hidden || exact < THRESHOLD {
            Count(None)
        } else {
            Count(Some(round_to_base(exact)))
        }
    }
    /// The rounded count, or `None` when suppressed.
    pub fn value(self) -> Option<u64> {
        self.0
    }
    pub fn is_suppressed(self) -> bool {
        self.0.is_none()
    }
    /// The machine-readable form (CSV): digits or `[c]`.
    pub fn plain(self) -> String {
        self.0
            .map_or_else(|| SUPPRESSED.to_string(), |n| n.to_string())
    }
}

pub const SUPPRESSED: &str = "[c]";

fn round_to_base(n: u64) -> u64 {
    (n + ROUNDING_BASE / 2) / ROUNDING_BASE * ROUNDING_BASE
}

/// Proportions are published to 0.001 (0.1 percentage point).
fn round_share(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

impl std::fmt::Display for Count {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(n) => f.write_str(&thousands(n)),
            None => f.write_str(SUPPRESSED),
        }
    }
}

/// Thousands separators, for counts and pounds (the CLI's summary uses it
/// too).
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Serialize for Count {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

/// A proportion (a rate or a share) with its 95% interval where it has one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Share(Option<(f64, Option<(f64, f64)>)>);

impl Share {
    /// A rate of `numerator` in `denominator`, shown only when both and their
    /// difference are at or above the threshold.
    fn of(numerator: u64, denominator: u64, value: [Option<f64>; 3]) -> Share {
        Share::of_unless(false, numerator, denominator, value)
    }
    /// [`Share::of`], also suppressed when `hidden` (one of its counts is
    /// suppressed by secondary suppression).
    fn of_unless(hidden: bool, numerator: u64, denominator: u64, value: [Option<f64>; 3]) -> Share {
        let safe = !hidden
            && numerator >= THRESHOLD
            && denominator >= THRESHOLD
            && denominator.saturating_sub(numerator) >= THRESHOLD;
        Share::unless(!safe, value)
    }
    fn unless(suppressed: bool, [value, low, high]: [Option<f64>; 3]) -> Share {
        match (suppressed, value) {
            (false, Some(v)) => Share(Some((
                round_share(v),
                low.zip(high).map(|(l, h)| (round_share(l), round_share(h))),
            ))),
            _ => Share(None),
        }
    }
    pub fn value(self) -> Option<f64> {
        self.0.map(|v| v.0)
    }
    pub fn interval(self) -> Option<(f64, f64)> {
        self.0.and_then(|v| v.1)
    }
    pub fn is_suppressed(self) -> bool {
        self.0.is_none()
    }
    /// The machine-readable form: a proportion to 3 decimals, or `[c]`.
    pub fn plain(self) -> String {
        plain_proportion(self.value())
    }
    pub fn plain_low(self) -> String {
        plain_proportion(self.interval().map(|i| i.0))
    }
    pub fn plain_high(self) -> String {
        plain_proportion(self.interval().map(|i| i.1))
    }
}

fn plain_proportion(v: Option<f64>) -> String {
    v.map_or_else(|| SUPPRESSED.to_string(), |v| format!("{v:.3}"))
}

pub fn percent(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

impl Serialize for Share {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("value", &self.value().map_or(SUPPRESSED.into(), percent))?;
        m.serialize_entry(
            "interval",
            &self
                .interval()
                .map(|(l, h)| format!("{} to {}", percent(l), percent(h))),
        )?;
        m.serialize_entry("suppressed", &self.is_suppressed())?;
        m.end()
    }
}

/// A difference of proportions (an ATT or a DiD) with its 95% interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Effect(Option<[f64; 3]>);

/// Where an effect's interval lies against zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Significance {
    Above,
    Below,
    SpansZero,
}

impl Effect {
    fn unless(suppressed: bool, [v, l, h]: [Option<f64>; 3]) -> Effect {
        match (suppressed, v, l, h) {
            (false, Some(v), Some(l), Some(h)) => {
                Effect(Some([round_share(v), round_share(l), round_share(h)]))
            }
            _ => Effect(None),
        }
    }
    pub fn value(self) -> Option<f64> {
        self.0.map(|e| e[0])
    }
    pub fn interval(self) -> Option<(f64, f64)> {
        self.0.map(|e| (e[1], e[2]))
    }
    pub fn is_suppressed(self) -> bool {
        self.0.is_none()
    }
    pub fn significance(self) -> Option<Significance> {
        self.0.map(|[_, l, h]| {
            if l > 0.0 {
                Significance::Above
            } else if h < 0.0 {
                Significance::Below
            } else {
                Significance::SpansZero
            }
        })
    }
    /// Machine-readable: a difference of proportions to 3 decimals, or `[c]`.
    pub fn plain(self) -> [String; 3] {
        match self.0 {
            Some(e) => e.map(|v| format!("{v:.3}")),
            None => std::array::from_fn(|_| SUPPRESSED.to_string()),
        }
    }
}

pub fn points(v: f64) -> String {
    format!("{:+.1} pp", v * 100.0)
}

impl Serialize for Effect {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(4))?;
        m.serialize_entry("value", &self.value().map_or(SUPPRESSED.into(), points))?;
        m.serialize_entry(
            "interval",
            &self
                .interval()
                .map(|(l, h)| format!("{} to {}", points(l), points(h))),
        )?;
        m.serialize_entry("suppressed", &self.is_suppressed())?;
        m.serialize_entry("significance", &self.significance())?;
        m.end()
    }
}

/// Pounds. Funding allocations are published figures; a cost per
/// additional outcome is shown to 3 significant figures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Money(f64);

impl Money {
    pub fn value(self) -> f64 {
        self.0
    }
}

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0 >= 1_000_000.0 {
            write!(f, "£{:.1}m", self.0 / 1_000_000.0)
        } else {
            write!(f, "£{}", thousands(self.0.round() as u64))
        }
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

fn three_significant_figures(v: f64) -> f64 {
    if v <= 0.0 || !v.is_finite() {
        return v;
    }
    let scale = 10f64.powi(v.log10().floor() as i32 - 2);
    (v / scale).round() * scale
}

/// Cost per additional job outcome, or why it is not shown.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
#[serde(tag = "status", content = "value", rename_all = "snake_case")]
pub enum CostPerOutcome {
    Shown(Money),
    /// The ATT's interval does not lie above zero.
    NotSignificant,
    /// The ATT is suppressed.
    Suppressed,
    /// The programme has no funding figure.
    NoFunding,
}

/// Which parts of a total to suppress: the small ones, and, where that
/// leaves exactly one suppressed part under a published total, the smallest
/// other part too, so that no suppressed part is the difference between the
/// total and the published parts.
fn complementary(parts: &[u64], total: u64) -> Vec<bool> {
    let mut hidden: Vec<bool> = parts.iter().map(|&n| n < THRESHOLD).collect();
    if total >= THRESHOLD && hidden.iter().filter(|&&h| h).count() == 1 {
        let smallest = (0..parts.len())
            .filter(|&i| !hidden[i])
            .min_by_key(|&i| (parts[i], i));
        if let Some(i) = smallest {
            hidden[i] = true;
        }
    }
    hidden
}

/// [`complementary`] over `rows` grouped by `group`, for one `measure`
/// whose group total is `total` (`None`: the group has no published total).
fn hidden_in_groups<T, K: Ord + Clone>(
    rows: &[T],
    group: impl Fn(&T) -> K,
    measure: impl Fn(&T) -> u64,
    total: impl Fn(&K) -> Option<u64>,
) -> Vec<bool> {
    let mut members: std::collections::BTreeMap<K, Vec<usize>> = Default::default();
    for (i, row) in rows.iter().enumerate() {
        members.entry(group(row)).or_default().push(i);
    }
    let mut hidden = vec![false; rows.len()];
    for (key, indices) in members {
        let parts: Vec<u64> = indices.iter().map(|&i| measure(&rows[i])).collect();
        // Without a total, no part can be had by difference.
        let flags = complementary(&parts, total(&key).unwrap_or(0));
        for (i, flag) in indices.into_iter().zip(flags) {
            hidden[i] = flag;
        }
    }
    hidden
}

/// Lowercase hyphenated name for URLs: `Health and Growth Accelerator` →
/// `health-and-growth-accelerator`.
pub fn slug(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>()
        .join("-")
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Programme {
    pub name: String,
    pub slug: String,
    pub participants: Count,
    pub eligible: Count,
    pub in_work_6m: Count,
    pub rate: Share,
    pub matched: Count,
    pub unmatched: Count,
    /// Matching strata dropped (a number of strata, not of people).
    pub strata_dropped: u64,
    pub comparison_rate: Share,
    pub att: Effect,
    pub funding_gbp: Option<Money>,
    pub cost_per_additional_outcome: CostPerOutcome,
    pub start_date: Option<NaiveDate>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Site {
    pub programme: String,
    pub programme_slug: String,
    pub area_id: String,
    pub area_name: String,
    pub start_date: Option<NaiveDate>,
    pub participants: Count,
    pub eligible: Count,
    pub in_work_6m: Count,
    pub rate: Share,
    /// `above`, `below` or `within` the 99.8% limits; `None` when the rate
    /// is suppressed, since the flag would place it.
    pub funnel_flag: Option<String>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Subgroup {
    pub programme: String,
    pub dimension: String,
    pub value: String,
    pub participants: Count,
    pub eligible: Count,
    pub in_work_6m: Count,
    pub rate: Share,
    pub matched: Count,
    pub comparison_rate: Share,
    pub att: Effect,
}

/// One month of fit notes and the `may_be_fit` share of them.
#[derive(Clone, Debug, serde::Serialize)]
pub struct NotesMonth {
    pub month: NaiveDate,
    pub fit_notes: Count,
    pub may_be_fit: Count,
    pub share: Share,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Did {
    pub programme: String,
    pub slug: String,
    pub start_date: Option<NaiveDate>,
    pub fit_notes: [Count; 4],
    pub shares: [Share; 4],
    pub did: Effect,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Check {
    pub table_name: String,
    pub check_name: String,
    pub rows_failed: Count,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Input {
    pub table: String,
    pub files: usize,
    pub rows_read: Count,
    pub rows_used: Count,
    pub rows_quarantined: Count,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Run {
    pub run_id: String,
    pub version: String,
    pub started_at: String,
    pub finished_at: String,
    pub as_of: String,
    pub data_root: String,
    pub inputs: Vec<Input>,
    /// The run's plain-English warnings; they carry no counts.
    pub warnings: Vec<String>,
}

/// Everything the dashboard may show, after disclosure control.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Published {
    pub run: Run,
    pub programmes: Vec<Programme>,
    pub sites: Vec<Site>,
    pub subgroups: Vec<Subgroup>,
    /// Per area, its months.
    pub area_notes: std::collections::BTreeMap<String, Vec<NotesMonth>>,
    /// Per programme, its areas' months pooled, then the comparison areas'.
    pub programme_notes: std::collections::BTreeMap<String, [Vec<NotesMonth>; 2]>,
    pub did: Vec<Did>,
    pub checks: Vec<Check>,
}

impl Published {
    pub fn programme(&self, slug: &str) -> Option<&Programme> {
        self.programmes.iter().find(|p| p.slug == slug)
    }
    pub fn sites_of<'a>(&'a self, programme: &'a Programme) -> impl Iterator<Item = &'a Site> {
        self.sites.iter().filter(|s| s.programme == programme.name)
    }
    pub fn site(&self, programme: &Programme, area_id: &str) -> Option<&Site> {
        self.sites
            .iter()
            .find(|s| s.programme == programme.name && s.area_id == area_id)
    }
    pub fn subgroups_of<'a>(
        &'a self,
        programme: &'a Programme,
    ) -> impl Iterator<Item = &'a Subgroup> {
        self.subgroups
            .iter()
            .filter(|s| s.programme == programme.name)
    }
    pub fn did_of(&self, programme: &Programme) -> Option<&Did> {
        self.did.iter().find(|d| d.programme == programme.name)
    }
}

/// The run id of the evidence root as it is now.
pub async fn current_run_id(ctx: &SessionContext, root: &Root) -> Result<String, DashboardError> {
    read::run_id(ctx, root).await
}

/// Read an evidence root and apply disclosure control to every figure.
pub async fn publish(ctx: &SessionContext, root: &Root) -> Result<Published, DashboardError> {
    Ok(control(read::read(ctx, root).await?))
}

fn notes_month(n: &read::ExactNotes) -> Option<NotesMonth> {
    let share = (n.fit_notes > 0).then(|| n.may_be_fit as f64 / n.fit_notes as f64);
    Some(NotesMonth {
        month: date(n.month)?,
        fit_notes: Count::of(n.fit_notes),
        may_be_fit: Count::of(n.may_be_fit),
        share: Share::of(n.may_be_fit, n.fit_notes, [share, None, None]),
    })
}

fn control(exact: read::ExactEvidence) -> Published {
    let start_of = |programme: &str| {
        exact
            .did
            .iter()
            .find(|d| d.programme == programme)
            .and_then(|d| d.start_date)
            .and_then(date)
    };
    let programmes = exact
        .programmes
        .iter()
        .map(|p| {
            let matched = Count::of(p.matched);
            let att = Effect::unless(matched.is_suppressed(), p.att);
            let cost_per_additional_outcome = match (p.funding_gbp, att.significance()) {
                (None, _) => CostPerOutcome::NoFunding,
                (_, None) => CostPerOutcome::Suppressed,
                (Some(_), Some(Significance::Above)) => p
                    .cost_per_additional_outcome
                    .map_or(CostPerOutcome::NotSignificant, |c| {
                        CostPerOutcome::Shown(Money(three_significant_figures(c)))
                    }),
                (Some(_), Some(_)) => CostPerOutcome::NotSignificant,
            };
            Programme {
                name: p.programme.clone(),
                slug: slug(&p.programme),
                participants: Count::of(p.participants),
                eligible: Count::of(p.eligible),
                in_work_6m: Count::of(p.in_work_6m),
                rate: Share::of(p.in_work_6m, p.eligible, p.rate),
                matched,
                unmatched: Count::of(p.unmatched),
                strata_dropped: p.strata_dropped,
                comparison_rate: Share::unless(
                    matched.is_suppressed(),
                    [p.comparison_rate, None, None],
                ),
                att,
                funding_gbp: p.funding_gbp.map(|f| Money(f as f64)),
                cost_per_additional_outcome,
                start_date: start_of(&p.programme),
            }
        })
        .collect();
    let programme_total = |name: &String, measure: fn(&read::ExactProgramme) -> u64| {
        exact
            .programmes
            .iter()
            .find(|p| &p.programme == name)
            .map(measure)
    };
    let site_hidden = |measure: fn(&read::ExactSite) -> u64,
                       total: fn(&read::ExactProgramme) -> u64| {
        hidden_in_groups(
            &exact.sites,
            |s| s.programme.clone(),
            measure,
            |p| programme_total(p, total),
        )
    };
    let site_participants = site_hidden(|s| s.participants, |p| p.participants);
    let site_eligible = site_hidden(|s| s.eligible, |p| p.eligible);
    let site_in_work = site_hidden(|s| s.in_work_6m, |p| p.in_work_6m);
    let sites = exact
        .sites
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let hidden = site_eligible[i] || site_in_work[i];
            let rate = Share::of_unless(hidden, s.in_work_6m, s.eligible, s.rate);
            Site {
                programme: s.programme.clone(),
                programme_slug: slug(&s.programme),
                area_id: s.area_id.clone(),
                area_name: s.area_name.clone().unwrap_or_else(|| s.area_id.clone()),
                start_date: s.start_date.and_then(date),
                participants: Count::unless(site_participants[i], s.participants),
                eligible: Count::unless(site_eligible[i], s.eligible),
                in_work_6m: Count::unless(site_in_work[i], s.in_work_6m),
                funnel_flag: (!rate.is_suppressed()).then(|| s.funnel_flag.clone()),
                rate,
            }
        })
        .collect();
    let subgroup_hidden = |measure: fn(&read::ExactSubgroup) -> u64,
                           total: fn(&read::ExactProgramme) -> u64| {
        hidden_in_groups(
            &exact.subgroups,
            |s| (s.programme.clone(), s.dimension.clone()),
            measure,
            |(p, _)| programme_total(p, total),
        )
    };
    let sub_participants = subgroup_hidden(|s| s.participants, |p| p.participants);
    let sub_eligible = subgroup_hidden(|s| s.eligible, |p| p.eligible);
    let sub_in_work = subgroup_hidden(|s| s.in_work_6m, |p| p.in_work_6m);
    let sub_matched = subgroup_hidden(|s| s.matched, |p| p.matched);
    let subgroups = exact
        .subgroups
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let matched = Count::unless(sub_matched[i], s.matched);
            let hidden = sub_eligible[i] || sub_in_work[i];
            let rate = Share::of_unless(hidden, s.in_work_6m, s.eligible, s.rate);
            Subgroup {
                programme: s.programme.clone(),
                dimension: s.dimension.clone(),
                value: s.value.clone(),
                participants: Count::unless(sub_participants[i], s.participants),
                eligible: Count::unless(sub_eligible[i], s.eligible),
                in_work_6m: Count::unless(sub_in_work[i], s.in_work_6m),
                rate,
                matched,
                comparison_rate: Share::unless(
                    matched.is_suppressed(),
                    [s.comparison_rate, None, None],
                ),
                att: Effect::unless(matched.is_suppressed(), s.att),
            }
        })
        .collect();
    let mut area_notes: std::collections::BTreeMap<String, Vec<NotesMonth>> = Default::default();
    for n in &exact.area_notes {
        if let Some(m) = notes_month(n) {
            area_notes.entry(n.key.clone()).or_default().push(m);
        }
    }
    let mut programme_notes: std::collections::BTreeMap<String, [Vec<NotesMonth>; 2]> =
        Default::default();
    for n in &exact.programme_notes {
        if let Some(m) = notes_month(n) {
            let side = usize::from(n.side.as_deref() == Some("comparison"));
            programme_notes.entry(n.key.clone()).or_default()[side].push(m);
        }
    }
    for months in area_notes
        .values_mut()
        .chain(programme_notes.values_mut().flat_map(|s| s.iter_mut()))
    {
        months.sort_by_key(|m| m.month);
    }
    let did = exact
        .did
        .iter()
        .map(|d| {
            let shares: [Share; 4] = std::array::from_fn(|c| {
                let (notes, may_be_fit) = d.notes[c];
                Share::of(may_be_fit, notes, [d.shares[c], None, None])
            });
            Did {
                programme: d.programme.clone(),
                slug: slug(&d.programme),
                start_date: d.start_date.and_then(date),
                fit_notes: d.notes.map(|(n, _)| Count::of(n)),
                did: Effect::unless(shares.iter().any(|s| s.is_suppressed()), d.did),
                shares,
            }
        })
        .collect();
    let checks = exact
        .checks
        .iter()
        .map(|c| Check {
            table_name: c.table_name.clone(),
            check_name: c.check_name.clone(),
            rows_failed: Count::of(c.rows_failed),
        })
        .collect();
    let m = &exact.manifest;
    let run = Run {
        run_id: m.run_id.clone(),
        version: m.version.clone(),
        started_at: m.started_at.clone(),
        finished_at: m.finished_at.clone(),
        as_of: m.as_of.clone(),
        data_root: m.data_root.clone(),
        warnings: m.warnings.clone(),
        inputs: m
            .inputs
            .iter()
            .map(|i| Input {
                table: i.table.clone(),
                files: i.files.len(),
                rows_read: Count::of(i.rows_read),
                rows_used: Count::of(i.rows_used),
                rows_quarantined: Count::of(i.rows_quarantined),
            })
            .collect(),
    };
    Published {
        run,
        programmes,
        sites,
        subgroups,
        area_notes,
        programme_notes,
        did,
        checks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_rounded_to_five_and_small_ones_suppressed() {
        assert_eq!(Count::of(0).to_string(), "[c]");
        assert_eq!(Count::of(9).to_string(), "[c]");
        assert_eq!(Count::of(10).to_string(), "10");
        assert_eq!(Count::of(12).to_string(), "10");
        assert_eq!(Count::of(13).to_string(), "15");
        assert_eq!(Count::of(1_234_567).to_string(), "1,234,565");
        assert_eq!(Count::of(1_234_568).plain(), "1234570");
    }

    #[test]
    fn groups_thousands() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn a_rate_goes_with_any_small_count_it_is_built_on() {
        let v = [Some(0.5), Some(0.4), Some(0.6)];
        assert!(Share::of(9, 100, v).is_suppressed());
        assert!(Share::of(50, 9, v).is_suppressed());
        // 95 of 100: the 5 not in work would be revealed.
        assert!(Share::of(95, 100, v).is_suppressed());
        let shown = Share::of(50, 100, [Some(0.5), Some(0.40383), Some(0.59617)]);
        assert_eq!(shown.plain(), "0.500");
        assert_eq!(shown.interval(), Some((0.404, 0.596)));
    }

    #[test]
    fn costs_have_three_significant_figures() {
        assert_eq!(three_significant_figures(12_345.6), 12_300.0);
        assert_eq!(Money(12_300.0).to_string(), "£12,300");
        assert_eq!(Money(64_000_000.0).to_string(), "£64.0m");
    }

    #[test]
    fn a_lone_suppressed_part_takes_the_smallest_other_with_it() {
        // 4 would be 100 - 60 - 36 (give or take the rounding).
        assert_eq!(complementary(&[60, 36, 4], 100), [false, true, true]);
        // Two suppressed already: nothing more to do.
        assert_eq!(complementary(&[60, 3, 4], 67), [false, true, true]);
        // The total itself is suppressed.
        assert_eq!(complementary(&[5, 3], 8), [true, true]);
        // Nothing small.
        assert_eq!(complementary(&[60, 40], 100), [false, false]);
        // A tie goes to the first.
        assert_eq!(complementary(&[20, 20, 2], 42), [true, false, true]);
    }

    /// One random person of a random programme: (programme, site, sex,
    /// condition, eligible, in work, matched).
    type Person = (usize, usize, usize, usize, bool, bool, bool);

    /// Exact evidence aggregated from `people`, so that sites and subgroup
    /// values add up to their programme as in a real run.
    fn evidence_of(people: &[Person]) -> read::ExactEvidence {
        use std::collections::BTreeMap;
        #[derive(Default, Clone, Copy)]
        struct Cell {
            participants: u64,
            eligible: u64,
            in_work: u64,
            matched: u64,
        }
        let add = |c: &mut Cell, p: &Person| {
            c.participants += 1;
            c.eligible += u64::from(p.4);
            c.in_work += u64::from(p.4 && p.5);
            c.matched += u64::from(p.4 && p.6);
        };
        let mut programmes: BTreeMap<usize, Cell> = BTreeMap::new();
        let mut sites: BTreeMap<(usize, usize), Cell> = BTreeMap::new();
        let mut subgroups: BTreeMap<(usize, &str, usize), Cell> = BTreeMap::new();
        for p in people {
            add(programmes.entry(p.0).or_default(), p);
            add(sites.entry((p.0, p.1)).or_default(), p);
            add(subgroups.entry((p.0, "sex", p.2)).or_default(), p);
            add(subgroups.entry((p.0, "condition", p.3)).or_default(), p);
        }
        let rate = |c: &Cell| {
            let r = (c.eligible > 0).then(|| c.in_work as f64 / c.eligible as f64);
            [r, r.map(|r| r * 0.9), r.map(|r| (r * 1.1).min(1.0))]
        };
        let effect = [Some(0.05), Some(0.01), Some(0.09)];
        let name = |p: usize| format!("Programme {p}");
        read::ExactEvidence {
            manifest: serde_json::from_value(serde_json::json!({
                "run_id": "r", "started_at": "s", "finished_at": "f", "as_of": "2026-01-01",
                "data_root": "d", "version": "v", "inputs": []
            }))
            .unwrap(),
            programmes: programmes
                .iter()
                .map(|(&p, c)| read::ExactProgramme {
                    programme: name(p),
                    participants: c.participants,
                    eligible: c.eligible,
                    in_work_6m: c.in_work,
                    rate: rate(c),
                    matched: c.matched,
                    unmatched: c.eligible - c.matched,
                    strata_dropped: 0,
                    comparison_rate: Some(0.4),
                    att: effect,
                    funding_gbp: Some(1_000_000),
                    cost_per_additional_outcome: Some(50_000.0),
                })
                .collect(),
            sites: sites
                .iter()
                .map(|(&(p, s), c)| read::ExactSite {
                    programme: name(p),
                    area_id: format!("area-{s}"),
                    area_name: None,
                    start_date: None,
                    participants: c.participants,
                    eligible: c.eligible,
                    in_work_6m: c.in_work,
                    rate: rate(c),
                    funnel_flag: "within".into(),
                })
                .collect(),
            subgroups: subgroups
                .iter()
                .map(|(&(p, dimension, v), c)| read::ExactSubgroup {
                    programme: name(p),
                    dimension: dimension.into(),
                    value: v.to_string(),
                    participants: c.participants,
                    eligible: c.eligible,
                    in_work_6m: c.in_work,
                    rate: rate(c),
                    matched: c.matched,
                    comparison_rate: Some(0.4),
                    att: effect,
                })
                .collect(),
            area_notes: vec![],
            programme_notes: vec![],
            did: vec![],
            checks: vec![],
        }
    }

    /// Within one total, never exactly one suppressed part.
    fn assert_no_lone_suppression(total: Count, parts: &[Count], what: &str) {
        let suppressed = parts.iter().filter(|c| c.is_suppressed()).count();
        assert!(
            total.is_suppressed() || suppressed != 1,
            "{what}: one part suppressed under a published total"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]

        /// Random small-cell data: every published count is rounded and at
        /// least 10; no suppressed part can be had by differencing; a rate
        /// goes with the counts it is built on.
        #[test]
        fn no_count_is_small_unrounded_or_recoverable_by_differencing(
            people in proptest::collection::vec(
                (0usize..3, 0usize..6, 0usize..2, 0usize..4,
                 proptest::bool::weighted(0.8), proptest::bool::ANY, proptest::bool::weighted(0.9)),
                0..400,
            )
        ) {
            let published = control(evidence_of(&people));
            let mut counts: Vec<Count> = Vec::new();
            for p in &published.programmes {
                counts.extend([p.participants, p.eligible, p.in_work_6m, p.matched, p.unmatched]);
                let sites: Vec<&Site> = published.sites_of(p).collect();
                for (what, total, part) in [
                    ("participants", p.participants, (|s: &Site| s.participants) as fn(&Site) -> Count),
                    ("eligible", p.eligible, |s: &Site| s.eligible),
                    ("in work", p.in_work_6m, |s: &Site| s.in_work_6m),
                ] {
                    let parts: Vec<Count> = sites.iter().map(|s| part(s)).collect();
                    assert_no_lone_suppression(total, &parts, &format!("{} sites, {what}", p.name));
                }
                for dimension in ["sex", "condition"] {
                    let values: Vec<&Subgroup> = published
                        .subgroups_of(p)
                        .filter(|s| s.dimension == dimension)
                        .collect();
                    for (what, total, part) in [
                        ("participants", p.participants, (|s: &Subgroup| s.participants) as fn(&Subgroup) -> Count),
                        ("eligible", p.eligible, |s: &Subgroup| s.eligible),
                        ("in work", p.in_work_6m, |s: &Subgroup| s.in_work_6m),
                        ("matched", p.matched, |s: &Subgroup| s.matched),
                    ] {
                        let parts: Vec<Count> = values.iter().map(|s| part(s)).collect();
                        assert_no_lone_suppression(total, &parts, &format!("{} by {dimension}, {what}", p.name));
                    }
                }
            }
            for s in &published.sites {
                counts.extend([s.participants, s.eligible, s.in_work_6m]);
                if s.eligible.is_suppressed() || s.in_work_6m.is_suppressed() {
                    assert!(s.rate.is_suppressed() && s.funnel_flag.is_none());
                }
            }
            for s in &published.subgroups {
                counts.extend([s.participants, s.eligible, s.in_work_6m, s.matched]);
                if s.eligible.is_suppressed() || s.in_work_6m.is_suppressed() {
                    assert!(s.rate.is_suppressed());
                }
                if s.matched.is_suppressed() {
                    assert!(s.att.is_suppressed() && s.comparison_rate.is_suppressed());
                }
            }
            for c in counts {
                if let Some(n) = c.value() {
                    assert!(n >= THRESHOLD && n % ROUNDING_BASE == 0, "published count {n}");
                }
            }
        }
    }

    #[test]
    fn slugs() {
        assert_eq!(
            slug("Health and Growth Accelerator"),
            "health-and-growth-accelerator"
        );
        assert_eq!(slug("WorkWell"), "workwell");
    }
}
