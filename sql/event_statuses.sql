-- Each index event's employment history and outcomes from one pass over
-- employment (sql/index_events.sql against the valid employment rows), for
-- sql/cohort.sql: one row per (arm, programme_key, person_id, index_month),
-- programme_key '' outside the participant arm. Its own query,
-- materialised before the cohort, so that its aggregation has the run's
-- memory to itself (inside the cohort it shared the pool with the cohort's
-- other joins and spilled 4.5 GB at 1M people).
-- Months as whole numbers (year * 12 + month), so that a row's offset k
-- from the index month is one subtraction; a status as a code (2
-- 'employed', 1 'education_or_training', 0 any other valid status), and an
-- employed month's pay in whole pence (half away from zero; 0 for a month
-- not employed), each computed once per employment row.
WITH event_months AS (
    SELECT
        arm,
        COALESCE(programme, '') AS programme_key,
        person_id,
        index_month,
        CAST(date_part('year', index_month) AS BIGINT) * 12
            + CAST(date_part('month', index_month) AS BIGINT) AS index_no
    FROM index_events
),
employment_months AS (
    SELECT
        person_id,
        status,
        CAST(date_part('year', month) AS BIGINT) * 12
            + CAST(date_part('month', month) AS BIGINT) AS month_no,
        CASE status WHEN 'employed' THEN 2 WHEN 'education_or_training' THEN 1 ELSE 0 END AS work,
        CASE WHEN status = 'employed'
            THEN CAST(round(COALESCE(earnings_gbp, 0.0) * 100) AS BIGINT) ELSE 0 END AS pay_pence
    FROM employment
),
-- Each index event's employment rows from 12 months before to 12 after the
-- index month, and months 18 and 24 after and 15, 18, 21 and 24 before
-- (at most one valid row per person and month: duplicates are
-- quarantined), with k the row's offset in months.
window_rows AS (
    SELECT
        e.arm,
        e.programme_key,
        e.person_id,
        e.index_month,
        m.month_no - e.index_no AS k,
        m.status,
        m.work,
        m.pay_pence
    FROM event_months e
    JOIN employment_months m
        ON m.person_id = e.person_id
        AND (m.month_no - e.index_no BETWEEN -12 AND 12
            OR m.month_no - e.index_no IN (18, 24, -15, -18, -21, -24))
)
-- The statuses (as codes, the index month's as written) and the sums the
-- outcomes and balance covariates need.
SELECT
    arm,
    programme_key,
    person_id,
    index_month,
    max(CASE WHEN k = 0 THEN status END) AS baseline,
    max(CASE WHEN k = 6 THEN work END) AS outcome,
    max(CASE WHEN k = 3 THEN work END) AS after_3m,
    max(CASE WHEN k = 12 THEN work END) AS after_12m,
    max(CASE WHEN k = 18 THEN work END) AS after_18m,
    max(CASE WHEN k = 24 THEN work END) AS after_24m,
    count(CASE WHEN k BETWEEN 1 AND 12 THEN 1 END) AS months_after,
    sum(CASE WHEN k BETWEEN 1 AND 12 AND work = 2 THEN 1 ELSE 0 END) AS months_employed_after,
    count(CASE WHEN k BETWEEN 1 AND 6 THEN 1 END) AS months_1_6,
    sum(CASE WHEN k BETWEEN 1 AND 6 THEN pay_pence END) AS earnings_pence_1_6,
    count(CASE WHEN k BETWEEN 7 AND 12 THEN 1 END) AS months_7_12,
    sum(CASE WHEN k BETWEEN 7 AND 12 THEN pay_pence END) AS earnings_pence_7_12,
    max(CASE WHEN k = -3 THEN work END) AS before_3m,
    max(CASE WHEN k = -6 THEN work END) AS before_6m,
    max(CASE WHEN k = -12 THEN work END) AS before_12m,
    max(CASE WHEN k = -9 THEN work END) AS before_9m,
    max(CASE WHEN k = -15 THEN work END) AS before_15m,
    max(CASE WHEN k = -18 THEN work END) AS before_18m,
    max(CASE WHEN k = -21 THEN work END) AS before_21m,
    max(CASE WHEN k = -24 THEN work END) AS before_24m,
    -- The balance covariates look back over the 12 months before the index
    -- month only (not the negative controls' months 15 to 24 before,
    -- which the window also holds).
    sum(CASE WHEN k BETWEEN -12 AND -1 AND work = 2 THEN 1 ELSE 0 END) AS months_employed_before,
    -- In whole pence, summed as integers: the same on any engine and in
    -- any order.
    sum(CASE WHEN k BETWEEN -12 AND -1 THEN pay_pence END) AS earnings_pence_before,
    count(CASE WHEN k BETWEEN -12 AND -1 THEN 1 END) AS months_before
FROM window_rows
GROUP BY arm, programme_key, person_id, index_month
