-- Comparison pool, taken as risk sets: people with no referral at all
-- (valid or quarantined: a person whose referrals were all set aside by
-- validation was referred all the same), at
-- every month in which they could have been referred. An index event is a
-- fit note issued in a comparison area that starts a new spell: the person
-- has no fit note issued in the 90 days before it. One row per person and
-- index month (the month's earliest such note, ties broken by fit_note_id,
-- gives the condition and the comparison area), so a comparison person with
-- two spells is at risk in two months, as a participant referred then would
-- have been.
WITH notes AS (
    SELECT
        f.person_id,
        f.fit_note_id,
        f.issue_date,
        f.condition,
        f.area_id,
        lag(f.issue_date) OVER (
            PARTITION BY f.person_id ORDER BY f.issue_date, f.fit_note_id
        ) AS previous_issue
    FROM fit_notes f
    WHERE NOT EXISTS (SELECT 1 FROM referrals r WHERE r.person_id = f.person_id)
        AND NOT EXISTS (
            SELECT 1 FROM quarantined_referrals q WHERE q.person_id = f.person_id
        )
),
spells AS (
    SELECT
        n.person_id,
        n.fit_note_id,
        n.issue_date,
        n.condition,
        n.area_id
    FROM notes n
    JOIN comparison_areas c ON c.area_id = n.area_id
    WHERE n.previous_issue IS NULL
        OR n.previous_issue < n.issue_date - INTERVAL '90 days'
),
index_events AS (
    SELECT
        person_id,
        CAST(date_trunc('month', issue_date) AS DATE) AS index_month,
        first_value(condition ORDER BY issue_date, fit_note_id) AS condition,
        first_value(area_id ORDER BY issue_date, fit_note_id) AS area_id
    FROM spells
    GROUP BY person_id, CAST(date_trunc('month', issue_date) AS DATE)
)
SELECT
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
