//! The estimators end to end: planted effects recovered, every outcome estimated
//! as the headline is, matching balancing what it matches on, the analysts' cohort
//! reproducing the effect in SQL, and the effect centred on the truth over seeds.

use super::*;

/// Every covariate matched on is balanced exactly after matching; the
/// dip the generator plants shows before matching (participants moved out
/// of work in the year before more often).
#[tokio::test]
async fn matching_balances_what_it_matches_on() {
    let e = evaluated();
    let ctx = SessionContext::new();
    read(&ctx, &e.evidence, "balance").await;
    let matched = floats(
        &ctx,
        "SELECT max(abs(smd)), count(*) FROM balance WHERE matched_on AND participants > 0",
    )
    .await;
    let [Some(worst), Some(rows)] = matched[0][..] else {
        panic!("no balance rows")
    };
    assert!(rows >= 100.0, "{rows} matched-on rows");
    assert!(
        worst < 1e-9,
        "a matched-on level differs after matching: {worst}"
    );
    let dip = floats(
        &ctx,
        "SELECT min(smd_before), max(smd_before) FROM balance WHERE covariate = 'work_history' AND level = 'changed'",
    )
    .await;
    let [Some(least), Some(most)] = dip[0][..] else {
        panic!("no work history rows")
    };
    assert!(
        least > 0.05 && most > 0.3,
        "participants' dip in work before referral should show before matching: {least} to {most}"
    );
}

/// A smoke test on one chosen seed (`SEED`: see why it is 6), not evidence
/// of coverage: that is `the_headline_is_centred_on_the_truth_over_several_seeds`
/// over seeds not chosen, and the coverage study in VALIDATION.md.
#[tokio::test]
async fn smoke_on_the_chosen_seed_planted_effects_lie_inside_their_intervals() {
    let e = evaluated();
    let planted = planted(&e.data);
    let ctx = SessionContext::new();
    read(&ctx, &e.evidence, "programme_outcomes").await;
    read(&ctx, &e.evidence, "fit_note_did").await;
    for (programme, truth) in planted["programmes"].as_object().unwrap() {
        let uplift = truth["in_work_6m_att"].as_f64().unwrap();
        let did = truth["fit_note_did"].as_f64().unwrap();
        let name = programme.replace('\'', "''");
        let att = floats(&ctx, &format!("SELECT att, att_low, att_high, matched FROM programme_outcomes WHERE programme = '{name}'")).await;
        let [att, low, high, matched] = att[0][..] else {
            panic!("one row for {programme}")
        };
        let (att, low, high) = (att.unwrap(), low.unwrap(), high.unwrap());
        assert!(
            matched.unwrap() >= 300.0,
            "{programme}: too few matched participants for a meaningful check"
        );
        // Only a declared headline is held to its interval here: a
        // secondary outcome (in work at 6 months is one for the Youth
        // Guarantee, whose headline is EET) may miss by chance among the
        // many (every_outcome_is_estimated_as_the_headline_is checks the
        // headlines; the coverage study, all of them).
        let headline =
            contract::outcomes::headline_of(programme) == contract::outcomes::Outcome::InWork6m;
        assert!(
            !headline || (low <= uplift && uplift <= high),
            "{programme}: planted uplift {uplift} outside ATT {att} ({low}, {high})"
        );
        // Effects reach only those who engage: Bloom's estimator recovers the
        // planted effect on them.
        let engaged = truth["in_work_6m_att_engaged"].as_f64().unwrap();
        let bloom = floats(&ctx, &format!("SELECT att_engaged_low, att_engaged_high, engaged_share FROM programme_outcomes WHERE programme = '{name}'")).await;
        let [Some(b_low), Some(b_high), Some(share)] = bloom[0][..] else {
            panic!("{programme}: no effect on the engaged")
        };
        assert!(
            !headline || (b_low <= engaged && engaged <= b_high),
            "{programme}: planted effect on the engaged {engaged} outside ({b_low}, {b_high})"
        );
        assert!(
            (0.7..0.86).contains(&share),
            "{programme}: engaged share {share}"
        );
        // The placebo outcome (in work 6 months before the index month): the
        // generator selects on work history, the calendar and the region,
        // all matched on, so no effect.
        let placebo = floats(&ctx, &format!("SELECT placebo_att, placebo_att_low, placebo_att_high FROM programme_outcomes WHERE programme = '{name}'")).await;
        let [Some(p), Some(p_low), Some(p_high)] = placebo[0][..] else {
            panic!("{programme}: no placebo estimate")
        };
        assert!(
            p_low <= 0.0 && 0.0 <= p_high,
            "{programme}: placebo effect {p} ({p_low}, {p_high}) excludes zero"
        );
        let estimate = floats(
            &ctx,
            &format!("SELECT did, did_low, did_high, clean_did, clean_did_low, clean_did_high FROM fit_note_did WHERE programme = '{name}'"),
        )
        .await;
        let [est, low, high, clean, clean_low, clean_high] = estimate[0][..] else {
            panic!("one DiD row for {programme}")
        };
        let (est, low, high) = (est.unwrap(), low.unwrap(), high.unwrap());
        assert!(
            low <= did && did <= high,
            "{programme}: planted fit-note DiD {did} outside {est} ({low}, {high})"
        );
        // Over the clean areas, the programme's own lift (staggered starts,
        // other programmes' lifts in shared areas kept out).
        // The Accelerators have no clean area: each of their ICBs overlaps
        // another programme on the ground (datasets/reference/FOOTPRINTS.md),
        // and the planted truth says so too.
        let lift = truth["fit_note_may_be_fit_lift"].as_f64().unwrap();
        if truth["fit_note_clean_did"].is_null() {
            assert_eq!(programme, "Health and Growth Accelerator");
            assert!(clean.is_none() && clean_low.is_none(), "{programme}");
            continue;
        }
        let (clean, clean_low, clean_high) =
            (clean.unwrap(), clean_low.unwrap(), clean_high.unwrap());
        assert!(
            clean_low <= lift && lift <= clean_high,
            "{programme}: own lift {lift} outside its clean-area estimate {clean} ({clean_low}, {clean_high})"
        );
    }
}

/// Every outcome goes through the headline's estimator: its `in_work_6m`
/// row is `programme_outcomes`' figures exactly; each programme has the one
/// headline `contract/reference/headline_outcomes.csv` declares, and its
/// interval holds the planted effect; an outcome the data do not reach says
/// so instead of giving a number.
#[tokio::test]
async fn every_outcome_is_estimated_as_the_headline_is() {
    let e = evaluated();
    let planted = planted(&e.data);
    let ctx = SessionContext::new();
    read(&ctx, &e.evidence, "programme_outcomes").await;
    read(&ctx, &e.evidence, "outcome_effects").await;
    let same = floats(
        &ctx,
        "SELECT p.att - o.att, p.att_low - o.att_low, p.att_high - o.att_high, \
         CAST(p.matched AS DOUBLE) - CAST(o.matched AS DOUBLE) \
         FROM programme_outcomes p JOIN outcome_effects o \
         ON o.programme = p.programme AND o.outcome = 'in_work_6m'",
    )
    .await;
    assert_eq!(same.len(), 4);
    for row in same {
        assert!(row.iter().all(|d| d.unwrap().abs() < 1e-12), "{row:?}");
    }
    for headline in contract::outcomes::headlines() {
        let name = headline.programme.replace('\'', "''");
        let rows = floats(
            &ctx,
            &format!(
                "SELECT att, att_low, att_high FROM outcome_effects \
                 WHERE programme = '{name}' AND role = 'headline' AND outcome = '{}'",
                headline.outcome
            ),
        )
        .await;
        let [row] = &rows[..] else {
            panic!("{}: one headline row, got {rows:?}", headline.programme)
        };
        let [Some(att), Some(low), Some(high)] = row[..] else {
            panic!("{}: no headline interval, got {row:?}", headline.programme)
        };
        let truth = planted["programmes"][&headline.programme]["outcomes"]
            [headline.outcome.as_str()]
        .as_f64()
        .unwrap();
        assert!(
            low <= truth && truth <= high,
            "{}: planted {} effect {truth} outside {att} ({low}, {high})",
            headline.programme,
            headline.outcome
        );
    }
    // The data end 36 months after they start, and no programme starts in
    // the first 12: nothing reaches 24 months for every programme.
    let beyond = floats(
        &ctx,
        "SELECT CAST(count(*) AS DOUBLE), CAST(count(att) AS DOUBLE), CAST(count(note) AS DOUBLE) \
         FROM outcome_effects WHERE eligible = 0",
    )
    .await;
    let [Some(rows), Some(estimates), Some(notes)] = beyond[0][..] else {
        panic!("{beyond:?}")
    };
    assert!(rows > 0.0, "some outcome lies beyond the data");
    assert_eq!((estimates, notes), (0.0, rows));
}

/// The analysts' cohort reproduces each programme's effect in plain SQL:
/// the weighted participants' rate minus the weighted comparison rate is
/// `programme_outcomes.att`, and the participants' weights sum to `matched`.
#[tokio::test]
async fn the_analysts_cohort_reproduces_each_programmes_effect_in_sql() {
    let e = evaluated();
    let ctx = SessionContext::new();
    read(&ctx, &e.evidence, "programme_outcomes").await;
    ctx.register_parquet(
        "cohort",
        e.evidence
            .join(contract::manifest::ANALYSTS_COHORT)
            .to_str()
            .unwrap(),
        ParquetReadOptions::default(),
    )
    .await
    .unwrap();
    let rows = floats(
        &ctx,
        "WITH w AS ( \
           SELECT for_programme, \
             sum(CASE WHEN arm = 'participant' THEN weight * CASE WHEN in_work_6m THEN 1.0 ELSE 0.0 END END) AS py, \
             sum(CASE WHEN arm = 'participant' THEN weight END) AS pw, \
             sum(CASE WHEN arm = 'comparison' THEN weight * CASE WHEN in_work_6m THEN 1.0 ELSE 0.0 END END) AS cy, \
             sum(CASE WHEN arm = 'comparison' THEN weight END) AS cw \
           FROM cohort GROUP BY for_programme) \
         SELECT py / pw - cy / cw - p.att, pw - CAST(p.matched AS DOUBLE) \
         FROM w JOIN programme_outcomes p ON p.programme = w.for_programme",
    )
    .await;
    assert_eq!(rows.len(), 4, "every programme is in the analysts' cohort");
    for row in rows {
        assert!(row[0].unwrap().abs() < 1e-9, "ATT differs by {:?}", row[0]);
        assert!(
            row[1].unwrap().abs() < 1e-9,
            "matched differs by {:?}",
            row[1]
        );
    }
}

/// The analysts' cohort file is pseudonymised per run and banded (issue
/// 28, hole 5): no `person_id` or IMD decile; each `person_key` is 64 hex
/// characters, matches no person id of the dataset root, and differs
/// between two runs of the same data, while one person's rows share a key
/// within a run (as many keys as people); earnings are whole tens.
#[tokio::test]
async fn the_analysts_cohort_carries_a_pseudonym_of_its_run_alone() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    generate(&data, 20_000, 5);
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    run(&data, &one);
    run(&data, &two);
    let ctx = SessionContext::new();
    for (name, root) in [("one", &one), ("two", &two)] {
        ctx.register_parquet(
            name,
            root.join(contract::manifest::ANALYSTS_COHORT)
                .to_str()
                .unwrap(),
            ParquetReadOptions::default(),
        )
        .await
        .unwrap();
    }
    ctx.register_parquet(
        "people",
        data.join("people").to_str().unwrap(),
        ParquetReadOptions::default(),
    )
    .await
    .unwrap();
    let columns: Vec<String> = ctx
        .table("one")
        .await
        .unwrap()
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert!(columns.contains(&"person_key".to_string()), "{columns:?}");
    for gone in ["person_id", "imd_decile"] {
        assert!(
            !columns.contains(&gone.to_string()),
            "{gone} in {columns:?}"
        );
    }
    let figures = floats(
        &ctx,
        "SELECT \
           CAST(count(*) AS DOUBLE) AS a, \
           CAST(sum(CASE WHEN length(person_key) = 64 AND person_key ~ '^[0-9a-f]+$' THEN 1 ELSE 0 END) AS DOUBLE) AS b, \
           CAST((SELECT count(*) FROM one JOIN people ON one.person_key = people.person_id) AS DOUBLE) AS c, \
           CAST((SELECT count(*) FROM one JOIN two ON one.person_key = two.person_key) AS DOUBLE) AS d, \
           CAST(count(DISTINCT person_key) AS DOUBLE) AS e, \
           CAST((SELECT count(DISTINCT person_key) FROM two) AS DOUBLE) AS f, \
           CAST(sum(CASE WHEN earnings_1_6m % 10 <> 0 OR earnings_7_12m % 10 <> 0 \
                          OR earnings_before <> round(earnings_before / 10) * 10 THEN 1 ELSE 0 END) AS DOUBLE) AS g \
         FROM one",
    )
    .await;
    let [
        Some(rows),
        Some(hex),
        Some(joined_to_data),
        Some(joined_across),
        Some(keys),
        Some(keys_two),
        Some(unbanded),
    ] = figures[0][..]
    else {
        panic!("{figures:?}")
    };
    assert!(rows > 1000.0, "{rows} rows");
    assert_eq!(hex, rows, "every key is 64 hex characters");
    assert_eq!(joined_to_data, 0.0, "keys join to the dataset root");
    assert_eq!(joined_across, 0.0, "keys join across runs");
    assert_eq!(keys, keys_two, "the two runs hold the same people");
    assert!(
        keys < rows,
        "one person's rows share a key ({keys} keys, {rows} rows)"
    );
    assert_eq!(unbanded, 0.0, "earnings are whole tens");
}

/// Over several seeds (not chosen to pass), every programme's declared
/// headline effect (`contract/reference/headline_outcomes.csv`: EET at 6
/// months for the Youth Guarantee) is centred on the planted effect: the
/// mean of the z-scores (estimate minus truth over the interval's standard
/// error) is within ±1, where 12 unbiased z-scores put their mean within
/// ±0.6 (2 standard errors) nineteen times in twenty. A check that could
/// not fail would prove nothing: against a truth 5 points higher, as an
/// estimator biased by the dip or the trend would see it, the same mean
/// falls below −1.
#[tokio::test]
async fn the_headline_is_centred_on_the_truth_over_several_seeds() {
    const SEEDS: [u64; 3] = [101, 102, 103];
    let dir = tempfile::tempdir().unwrap();
    let (mut z, mut z_shifted) = (Vec::new(), Vec::new());
    for seed in SEEDS {
        let data = dir.path().join(format!("data-{seed}"));
        let evidence = dir.path().join(format!("evidence-{seed}"));
        generate(&data, 100_000, seed);
        run(&data, &evidence);
        let planted = planted(&data);
        let ctx = SessionContext::new();
        read(&ctx, &evidence, "outcome_effects").await;
        for headline in contract::outcomes::headlines() {
            let programme = &headline.programme;
            let truth = planted["programmes"][programme]["outcomes"][headline.outcome.as_str()]
                .as_f64()
                .unwrap_or_else(|| panic!("{programme}: no planted {}", headline.outcome));
            let name = programme.replace('\'', "''");
            let rows = floats(
                &ctx,
                &format!(
                    "SELECT att, att_low, att_high FROM outcome_effects \
                     WHERE programme = '{name}' AND role = 'headline' AND outcome = '{}'",
                    headline.outcome
                ),
            )
            .await;
            let [Some(att), Some(low), Some(high)] = rows[0][..] else {
                panic!(
                    "{programme} (seed {seed}): no interval for its headline {}",
                    headline.outcome
                )
            };
            let se = (high - low) / (2.0 * 1.959_964);
            z.push((att - truth) / se);
            z_shifted.push((att - truth - 0.05) / se);
        }
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    assert_eq!(z.len(), 3 * contract::outcomes::headlines().len());
    assert_eq!(z.len(), 12, "every programme declares one headline");
    println!(
        "mean z {} (against a truth 5 points higher {})",
        mean(&z),
        mean(&z_shifted)
    );
    assert!(mean(&z).abs() < 1.0, "mean z {} over {z:?}", mean(&z));
    assert!(
        mean(&z_shifted) < -1.0,
        "the check has no power: mean z against a truth 5 points higher is {}",
        mean(&z_shifted)
    );
}
