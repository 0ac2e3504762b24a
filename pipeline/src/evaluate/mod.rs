//! Evaluate: run the metric queries from `sql/` (registered by
//! `contract::metrics`) and apply the `stats` crate's estimators and
//! formulas (matching, the areas' variance, Wilson, the DiD, the funnel
//! limits) to their aggregated counts,
//! producing the output tables. One module per output.
//!
//! The queries do every join and aggregation over records; this module only
//! sees counts per programme, site, subgroup, stratum and period.

mod balance;
mod coverage;
pub mod fit_notes;
mod negative_controls;
mod outcomes;
mod parallel;
mod programmes;
mod site_funnels;
mod sites;
mod strata;
mod subgroups;

use crate::error::Result;
use contract::QueryContext;
use contract::inputs::PROGRAMMES;
use contract::manifest::CohortSize;
use contract::outputs::{MatchedEffect, Tables};
use contract::small::SmallResult;
use datafusion::arrow::array::RecordBatch;
use datafusion::prelude::SessionContext;
use stats::estimators::effect::Effect;

/// A matched effect's output columns (`programme_outcomes` and
/// `subgroup_outcomes` carry the same block): the one conversion from the
/// estimator's result.
pub fn matched_effect(e: &Effect) -> MatchedEffect {
    let m = &e.matching;
    MatchedEffect {
        matched: m.matched,
        matched_in_work: m.matched_in_work,
        unmatched: m.unmatched,
        comparison_rate: m.comparison_rate,
        comparison_variance: m.comparison_variance,
        att: m.att,
        att_low: e.att_low,
        att_high: e.att_high,
        att_se_within: e.att_se_within,
        att_design_effect: m.att.map(|_| m.design_effect),
        att_area_variance: e.area_variance,
        att_df: e.df,
        att_critical: e.critical,
        att_p_value: e.p_value,
    }
}

/// Collect one metric view (small: counts per group).
async fn query(ctx: &SessionContext, view: &str) -> Result<SmallResult> {
    let what = format!("sql/{view}.sql");
    let started = std::time::Instant::now();
    let frame = ctx
        .sql(&format!("SELECT * FROM {view}"))
        .await
        .context(format!("planning {what}"))?;
    // An empty result still needs its schema for the typed accessors.
    let schema = frame.schema().inner().clone();
    let mut batches = frame.collect().await.context(format!("computing {what}"))?;
    if batches.is_empty() {
        batches.push(RecordBatch::new_empty(schema));
    }
    tracing::info!(
        target: "evidence::profile",
        query = view,
        ms = started.elapsed().as_millis() as u64,
        "collected"
    );
    Ok(SmallResult::of_view(&batches, view)?)
}

/// A vocabulary value a metric view wrote, or an error naming the view and
/// column (a literal changed in `sql/` but not in `contract::vocabulary`).
fn parse<T>(
    value: Option<&str>,
    parse: impl Fn(&str) -> Option<T>,
    view: &str,
    column: &str,
) -> Result<T> {
    let value = value.unwrap_or_default();
    parse(value).ok_or_else(|| {
        crate::PipelineError::Invalid(format!(
            "sql/{view}.sql wrote `{value}` in column `{column}`, which contract::vocabulary does not know"
        ))
    })
}

/// Order programmes as the contract lists them, any others after.
fn programme_order(programme: &str) -> (usize, String) {
    let index = PROGRAMMES
        .iter()
        .position(|p| *p == programme)
        .unwrap_or(PROGRAMMES.len());
    (index, programme.to_string())
}

/// A rate with its 95% Wilson interval: (rate, low, high).
fn rate(in_work_6m: u64, eligible: u64) -> [Option<f64>; 3] {
    let interval = stats::formulas::wilson::wilson_95(in_work_6m, eligible);
    [
        (eligible > 0).then(|| in_work_6m as f64 / eligible as f64),
        interval.map(|i| i.0),
        interval.map(|i| i.1),
    ]
}

/// The outputs computed from the metric views: every table of the evidence
/// root but `data_quality`, which validation produces (left empty here).
pub struct Evaluation {
    pub cohort: CohortSize,
    pub tables: Tables,
    /// What the data cannot support yet, in plain English (for the manifest).
    pub warnings: Vec<String>,
}

pub async fn evaluate(ctx: &SessionContext) -> Result<Evaluation> {
    let (mut comparison, mut own_area) = strata::comparison_strata(ctx).await?;
    let mut groups = strata::participant_groups(ctx).await?;
    let mut placebo = strata::placebo_strata(ctx).await?;
    strata::number_strata(
        [&mut comparison, &mut placebo.1, &mut own_area],
        groups.values_mut().chain(placebo.0.values_mut()),
    );
    let (balance, overall_balance) = balance::balance(&balance::balance_cells(ctx).await?);
    let (mut programme_outcomes, effects) = programmes::programme_outcomes(
        ctx,
        &groups,
        &comparison,
        &own_area,
        &placebo,
        &overall_balance,
    )
    .await?;
    let names: Vec<String> = programme_outcomes
        .iter()
        .map(|p| p.programme.clone())
        .collect();
    let (negative_controls, nulls) = negative_controls::negative_controls(ctx, &names).await?;
    let own_area_smd =
        balance::own_area::own_area_max_smd(&balance::own_area::own_area_balance_cells(ctx).await?);
    programmes::calibrate_and_diagnose(
        &mut programme_outcomes,
        &effects,
        &nulls,
        &balance,
        &own_area_smd,
    );
    let sites =
        sites::site_outcomes(ctx, &programme_outcomes, &effects, &groups, &comparison).await?;
    let subgroup_outcomes = subgroups::subgroup_outcomes(&groups, &comparison, &effects);
    drop((groups, comparison, placebo, own_area));
    let mut outcome_effects = outcomes::outcome_effects(ctx, &names, &nulls.comparison).await?;
    programmes::adjust_headlines(&mut programme_outcomes, &mut outcome_effects);
    let coverage = coverage::programme_coverage(ctx).await?;
    let notes = fit_notes::fit_note_tables(ctx).await?;
    let warnings = coverage::warnings(&coverage, &programme_outcomes);
    let cohort = coverage::cohort_size(ctx).await?;
    Ok(Evaluation {
        cohort,
        tables: Tables {
            programme_outcomes,
            site_outcomes: sites.outcomes,
            site_funnels: sites.funnels,
            site_quarters: sites.quarters,
            subgroup_outcomes,
            fit_note_monthly: notes.monthly,
            fit_note_did: notes.did,
            fit_note_trend: notes.trend,
            fit_note_areas: notes.areas,
            fit_note_group_time: notes.group_time,
            fit_note_event_study: notes.event_study,
            balance,
            outcome_effects,
            negative_controls,
            data_quality: Vec::new(),
        },
        warnings,
    })
}
