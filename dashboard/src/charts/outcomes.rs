//! The outcomes chart: a programme's effect on every yes/no outcome (in
//! work at 3 to 24 months, in employment, education or training) as a
//! forest, the declared headline in its own colour; the data table holds
//! every outcome, the means (months in work, earnings) too, in their units.

use super::catalogue::{INTERVAL_95, missing_note};
use super::{Chart, DataTable, ForestRow, Plot};
use crate::disclosure::{Programme, SUPPRESSED, WITHHELD};
use contract::outcomes::{Role, Unit};

fn unit_name(unit: Unit) -> &'static str {
    match unit {
        Unit::Proportion => "proportion",
        Unit::Months => "months",
        Unit::Pounds => "pounds_a_month",
    }
}

pub(super) fn chart(programme: &Programme) -> Chart {
    let mut table = DataTable::new(&[
        "outcome",
        "role",
        "unit",
        "eligible",
        "matched",
        "participant_value",
        "comparison_value",
        "effect",
        "effect_low",
        "effect_high",
        "note",
    ]);
    let mut rows = Vec::new();
    let value = |v: Option<f64>, unit: Unit| {
        v.map_or(SUPPRESSED.to_string(), |v| match unit {
            Unit::Proportion => format!("{v:.3}"),
            Unit::Months => format!("{v:.1}"),
            // Pounds as money is written (two decimals), never a bare whole
            // number that could be read as a count.
            Unit::Pounds => format!("{v:.2}"),
        })
    };
    for o in &programme.outcomes {
        let unit = o.outcome.unit();
        let effect = |v: Option<f64>| {
            if o.effect.is_not_estimable() {
                String::new()
            } else if o.effect.is_withheld() {
                WITHHELD.to_string()
            } else {
                value(v, unit)
            }
        };
        let interval = o.effect.interval();
        table.push(vec![
            o.outcome.as_str().to_string(),
            o.role.as_str().to_string(),
            unit_name(unit).to_string(),
            o.eligible.plain(),
            o.matched.plain(),
            value(o.participant, unit),
            value(o.comparison, unit),
            effect(o.effect.value()),
            effect(interval.map(|i| i.0)),
            effect(interval.map(|i| i.1)),
            o.note.clone().unwrap_or_default(),
        ]);
        if unit == Unit::Proportion && o.note.is_none() {
            rows.push(ForestRow::of_effect(
                o.outcome.label().to_string(),
                usize::from(o.role != Role::Headline),
                o.effect,
            ));
        }
    }
    let missing = missing_note(&rows, "outcome");
    let beyond = programme
        .outcomes
        .iter()
        .filter(|o| o.note.is_some())
        .count();
    Chart {
        name: "outcomes".into(),
        title: format!("{}: effect on each outcome", programme.name),
        x_label: "Participants minus matched comparison (percentage points)".into(),
        y_label: "Outcome".into(),
        caption: format!(
            "Each yes/no outcome's effect, matched exactly as the headline is (the same strata, areas and interval). The headline outcome was declared before the results; the others are secondary and, being several, one may differ from zero by chance. {INTERVAL_95} Months in work and earnings are in the data table, in their own units.{}{}",
            missing,
            match beyond {
                0 => String::new(),
                n => format!(" {n} outcome(s) the data do not reach yet are not drawn."),
            }
        ),
        plot: Plot::Forest {
            rows,
            series: vec!["Headline".into(), "Secondary".into()],
            reference: Some(0.0),
            difference: true,
        },
        table,
    }
}
