-- The evaluation cohort: every participant (one row per programme they were
-- referred to) and every comparison index event (one row per comparison
-- person and index month, sql/comparison_pool.sql), with what they are
-- matched on, the covariates their balance is checked on, and their
-- outcomes (engaged: a participant with any referral to the programme
-- engaged; null for comparison people). site_area_id is a participant's site and a comparison person's
-- comparison area (of their index fit note). arm is 'participant',
-- 'comparison', or 'own_area' for the never-referred people of programme
-- areas (sql/comparison_pool.sql's pool), who enter only the own-area
-- design (sql/comparison_strata.sql).
--   baseline_status: status in the index month, 'unknown' with no row then.
--   work_history: 'steady' when the person was in work 3, 6 and 12 months
--             before the index month exactly when they are in work in it
--             (or out of work in all four), 'changed' when they moved in or
--             out of work in the year before (the dip before a referral),
--             'unknown' when any of the four months has no row.
--   index_period: the index month's calendar quarter, '2025-Q1' (calendar time:
--             participants are matched to people at risk at the same time).
--   labour_market: the band of the area's employment rate before any
--             programme went live (sql/area_labour_markets.sql), 'unknown'
--             for an area without one.
--   months_employed_before: months 'employed' in the 12 before the index
--             month; earnings_before: mean monthly pay (as for the earnings
--             outcomes) over the months with a row among those 12, null
--             with none;
--             fit_notes_before: fit notes issued in the 12 months before the
--             index month. Balance covariates, not matched on.
--   eligible: an employment row exists for the month exactly 6 months after
--             the index month, and that month is not after the data's last
--             month. Not eligible people are left out of every denominator.
--   in_work_6m: eligible and 'employed' in that month.
--   placebo_eligible: an employment row exists for the month exactly 6
--             months before the index month (the placebo outcome's month).
--   in_work_before_6m: placebo_eligible and 'employed' in that month. The
--             programme cannot have changed it: matched on what predicts
--             work, its effect should be near zero.
--   in_work_before_9m, _15m, _18m, _21m, _24m: 'employed' in the month 9,
--             15, 18, 21 or 24 months before the index month, null without a
--             row then: the negative controls (contract::outcomes::
--             NegativeControl), outcomes the programme cannot have changed
--             and the strata do not hold (they look back 3, 6 and 12 months).
-- The secondary outcomes (contract::outcomes) are null where the data do not
-- reach them (no employment row for the month, or for any month of the
-- window), so that count(x) is each one's eligible count:
--   in_work_3m, in_work_12m, in_work_18m, in_work_24m: 'employed' in the
--             month exactly 3, 12, 18, 24 months after the index month;
--   eet_6m, eet_12m: 'employed' or 'education_or_training' in the month 6
--             or 12 months after (employment, education or training);
--   months_in_work_12m: months 'employed' among the 12 after the index
--             month, where all 12 have a row;
--   earnings_1_6m, earnings_7_12m: mean monthly pay over months 1-6 and
--             7-12 after the index month, where all six months have a row:
--             a month's pay is earnings_gbp in whole pence (half away from
--             zero) when employed (0 when employed with no earnings_gbp),
--             0 when not employed whatever earnings_gbp holds; the total
--             over six months / 6, rounded to whole pounds.
--   stratum: the matching stratum as one key, age_band|sex|imd_quintile|
--             condition|baseline_status|work_history|index_period|
--             labour_market ('-' for a missing part), so that every query
--             that matches groups by this one column (the stratum's parts
--             are listed here and nowhere else in sql/).
WITH last_month AS (
    SELECT max(month) AS last_month FROM employment
),
prior_notes AS (
    SELECT
        e.arm,
        COALESCE(e.programme, '') AS programme_key,
        e.person_id,
        e.index_month,
        count(*) AS fit_notes_before
    FROM index_events e
    JOIN fit_notes f
        ON f.person_id = e.person_id
        AND f.issue_date >= CAST(e.index_month - INTERVAL '12 months' AS DATE)
        AND f.issue_date < e.index_month
    GROUP BY e.arm, COALESCE(e.programme, ''), e.person_id, e.index_month
),
cohort_rows AS (
    SELECT
        e.arm,
        e.programme,
        e.person_id,
        e.site_area_id,
        e.index_month,
        e.condition,
        e.referral_source,
        e.engaged,
        e.age_band,
        e.sex,
        e.imd_decile,
        e.imd_quintile,
        COALESCE(s.baseline, 'unknown') AS baseline_status,
        CASE
            WHEN s.baseline IS NULL OR s.before_3m IS NULL
                OR s.before_6m IS NULL OR s.before_12m IS NULL THEN 'unknown'
            WHEN (s.before_3m = 2) = (s.baseline = 'employed')
                AND (s.before_6m = 2) = (s.baseline = 'employed')
                AND (s.before_12m = 2) = (s.baseline = 'employed') THEN 'steady'
            ELSE 'changed'
        END AS work_history,
        CAST(date_part('year', e.index_month) AS BIGINT) || '-Q'
            || CAST(CAST(date_part('quarter', e.index_month) AS BIGINT) AS VARCHAR) AS index_period,
        COALESCE(lm.labour_market, 'unknown') AS labour_market,
        a.region,
        COALESCE(s.months_employed_before, 0) AS months_employed_before,
        CASE WHEN s.months_before > 0
            THEN CAST(s.earnings_pence_before AS DOUBLE) / s.months_before / 100.0
        END AS earnings_before,
        COALESCE(n.fit_notes_before, 0) AS fit_notes_before,
        (s.outcome IS NOT NULL
            AND CAST(e.index_month + INTERVAL '6 months' AS DATE) <= lm_last.last_month) AS eligible,
        (s.outcome IS NOT NULL
            AND CAST(e.index_month + INTERVAL '6 months' AS DATE) <= lm_last.last_month
            AND s.outcome = 2) AS in_work_6m,
        s.before_6m IS NOT NULL AS placebo_eligible,
        (s.before_6m IS NOT NULL AND s.before_6m = 2) AS in_work_before_6m,
        CASE WHEN s.before_9m IS NOT NULL THEN s.before_9m = 2 END AS in_work_before_9m,
        CASE WHEN s.before_15m IS NOT NULL THEN s.before_15m = 2 END AS in_work_before_15m,
        CASE WHEN s.before_18m IS NOT NULL THEN s.before_18m = 2 END AS in_work_before_18m,
        CASE WHEN s.before_21m IS NOT NULL THEN s.before_21m = 2 END AS in_work_before_21m,
        CASE WHEN s.before_24m IS NOT NULL THEN s.before_24m = 2 END AS in_work_before_24m,
        CASE WHEN s.after_3m IS NOT NULL THEN s.after_3m = 2 END AS in_work_3m,
        CASE WHEN s.after_12m IS NOT NULL THEN s.after_12m = 2 END AS in_work_12m,
        CASE WHEN s.after_18m IS NOT NULL THEN s.after_18m = 2 END AS in_work_18m,
        CASE WHEN s.after_24m IS NOT NULL THEN s.after_24m = 2 END AS in_work_24m,
        CASE WHEN s.outcome IS NOT NULL
            THEN s.outcome >= 1 END AS eet_6m,
        CASE WHEN s.after_12m IS NOT NULL
            THEN s.after_12m >= 1 END AS eet_12m,
        CASE WHEN s.months_after = 12 THEN s.months_employed_after END AS months_in_work_12m,
        CASE WHEN s.months_1_6 = 6
            THEN CAST(round(CAST(s.earnings_pence_1_6 AS DOUBLE) / 600.0) AS BIGINT) END AS earnings_1_6m,
        CASE WHEN s.months_7_12 = 6
            THEN CAST(round(CAST(s.earnings_pence_7_12 AS DOUBLE) / 600.0) AS BIGINT) END AS earnings_7_12m
    FROM index_events e
    CROSS JOIN last_month lm_last
    LEFT JOIN event_statuses s
        ON s.arm = e.arm
        AND s.programme_key = COALESCE(e.programme, '')
        AND s.person_id = e.person_id
        AND s.index_month = e.index_month
    LEFT JOIN prior_notes n
        ON n.arm = e.arm
        AND n.programme_key = COALESCE(e.programme, '')
        AND n.person_id = e.person_id
        AND n.index_month = e.index_month
    LEFT JOIN area_labour_markets lm ON lm.area_id = e.site_area_id
    LEFT JOIN areas a ON a.area_id = e.site_area_id
)
SELECT
    r.*,
    concat_ws('|', COALESCE(r.age_band, '-'), COALESCE(r.sex, '-'),
        COALESCE(CAST(r.imd_quintile AS VARCHAR), '-'), COALESCE(r.condition, '-'),
        COALESCE(r.baseline_status, '-'), COALESCE(r.work_history, '-'),
        COALESCE(r.index_period, '-'), COALESCE(r.labour_market, '-')) AS stratum
FROM cohort_rows r
