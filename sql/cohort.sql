-- The evaluation cohort: every participant (one row per programme they were
-- referred to) and every comparison person, with their baseline status and
-- their in-work-at-6-months outcome. site_area_id is a participant's site and
-- a comparison person's comparison area (of their index fit note).
--   baseline_status: status in the index month, 'unknown' with no row then.
--   eligible: an employment row exists for the month exactly 6 months after
--             the index month, and that month is not after the data's last
--             month. Not eligible people are left out of every denominator.
--   in_work_6m: eligible and 'employed' in that month.
--   placebo_eligible: an employment row exists for the month exactly 6
--             months before the index month (the placebo outcome's month).
--   in_work_before_6m: placebo_eligible and 'employed' in that month. The
--             programme cannot have changed it: matched on what predicts
--             work, its effect should be near zero.
WITH index_events AS (
    SELECT
        'participant' AS arm,
        programme,
        person_id,
        site_area_id,
        index_month,
        condition,
        referral_source,
        age_band,
        sex,
        imd_quintile
    FROM participants
    UNION ALL
    SELECT
        'comparison' AS arm,
        CAST(NULL AS VARCHAR) AS programme,
        person_id,
        area_id AS site_area_id,
        index_month,
        condition,
        CAST(NULL AS VARCHAR) AS referral_source,
        age_band,
        sex,
        imd_quintile
    FROM comparison_pool
),
last_month AS (
    SELECT max(month) AS last_month FROM employment
),
-- Statuses in the index month, 6 months before and 6 months on, in one pass
-- over employment
-- (at most one valid row per person and month: duplicates are quarantined).
statuses AS (
    SELECT
        e.arm,
        COALESCE(e.programme, '') AS programme_key,
        e.person_id,
        max(CASE WHEN m.month = e.index_month THEN m.status END) AS baseline,
        max(CASE WHEN m.month = CAST(e.index_month + INTERVAL '6 months' AS DATE) THEN m.status END) AS outcome,
        max(CASE WHEN m.month = CAST(e.index_month - INTERVAL '6 months' AS DATE) THEN m.status END) AS before
    FROM index_events e
    JOIN employment m
        ON m.person_id = e.person_id
        AND (m.month = e.index_month
            OR m.month = CAST(e.index_month + INTERVAL '6 months' AS DATE)
            OR m.month = CAST(e.index_month - INTERVAL '6 months' AS DATE))
    GROUP BY e.arm, COALESCE(e.programme, ''), e.person_id
)
SELECT
    e.arm,
    e.programme,
    e.person_id,
    e.site_area_id,
    e.index_month,
    e.condition,
    e.referral_source,
    e.age_band,
    e.sex,
    e.imd_quintile,
    COALESCE(s.baseline, 'unknown') AS baseline_status,
    (s.outcome IS NOT NULL
        AND CAST(e.index_month + INTERVAL '6 months' AS DATE) <= lm.last_month) AS eligible,
    (s.outcome IS NOT NULL
        AND CAST(e.index_month + INTERVAL '6 months' AS DATE) <= lm.last_month
        AND s.outcome = 'employed') AS in_work_6m,
    s.before IS NOT NULL AS placebo_eligible,
    (s.before IS NOT NULL AND s.before = 'employed') AS in_work_before_6m
FROM index_events e
CROSS JOIN last_month lm
LEFT JOIN statuses s
    ON s.arm = e.arm
    AND s.programme_key = COALESCE(e.programme, '')
    AND s.person_id = e.person_id
