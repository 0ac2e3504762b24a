-- Comparison pool, taken as risk sets: people with no referral at all
-- (valid or quarantined: a person whose referrals were all set aside by
-- validation was referred all the same), at every month holding one of
-- their index events. An index event is a fit note issued in a comparison
-- area that starts a new spell: the person has no fit note issued, in any
-- area, on any of the 90 days before it (days d - 90 to d - 1). A note
-- issued the same day is not before it, so notes of one day all start a
-- spell or none does, whatever their ids. One row per person and index
-- month: the month's earliest spell-starting note gives the condition and
-- the comparison area, ties on the day broken by area_id, then condition
-- (never by fit_note_id: a pseudonym's order means nothing), so a
-- comparison person with two spells is at risk in two months, as a
-- participant referred then would have been.
-- pool: 'comparison' for index events in a comparison area; 'own_area' for
-- index events in a programme area (an area with a valid row in
-- area_programmes) from the first day of the calendar quarter holding the
-- area's earliest valid start_date: the people of the participants' own
-- areas, at the same time, never referred (the own-area design). One row
-- per person, index month and pool.
WITH notes AS (
    SELECT f.person_id, f.issue_date, f.condition, f.area_id
    FROM fit_notes f
    WHERE NOT EXISTS (SELECT 1 FROM referrals r WHERE r.person_id = f.person_id)
        AND NOT EXISTS (
            SELECT 1 FROM quarantined_referrals q WHERE q.person_id = f.person_id
        )
),
-- Each day with a note, and the day of the person's previous note on an
-- earlier day.
note_days AS (
    SELECT
        person_id,
        issue_date,
        lag(issue_date) OVER (PARTITION BY person_id ORDER BY issue_date) AS previous_issue
    FROM (SELECT DISTINCT person_id, issue_date FROM notes) d
),
-- The areas each pool draws on: comparison areas at any date, programme
-- areas from the first day of the quarter holding their earliest start.
pool_areas AS (
    SELECT area_id, CAST(NULL AS DATE) AS from_month, 'comparison' AS pool
    FROM comparison_areas
    UNION ALL
    SELECT area_id, CAST(date_trunc('quarter', min(start_date)) AS DATE) AS from_month, 'own_area' AS pool
    FROM area_programmes
    GROUP BY area_id
),
spells AS (
    SELECT
        n.person_id,
        n.issue_date,
        n.condition,
        n.area_id,
        a.pool
    FROM notes n
    JOIN pool_areas a
        ON a.area_id = n.area_id
        AND (a.from_month IS NULL OR n.issue_date >= a.from_month)
    JOIN note_days d ON d.person_id = n.person_id AND d.issue_date = n.issue_date
    WHERE d.previous_issue IS NULL
        OR d.previous_issue < n.issue_date - INTERVAL '90 days'
),
index_events AS (
    SELECT
        person_id,
        CAST(date_trunc('month', issue_date) AS DATE) AS index_month,
        first_value(condition ORDER BY issue_date, area_id, condition) AS condition,
        first_value(area_id ORDER BY issue_date, area_id, condition) AS area_id,
        pool
    FROM spells
    GROUP BY person_id, CAST(date_trunc('month', issue_date) AS DATE), pool
)
SELECT
    i.pool,
    i.person_id,
    i.area_id,
    i.index_month,
    i.condition,
    p.age_band,
    p.sex,
    p.imd_decile,
    CAST((p.imd_decile + 1) / 2 AS BIGINT) AS imd_quintile
FROM index_events i
JOIN people p ON p.person_id = i.person_id
