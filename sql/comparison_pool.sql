-- Comparison pool: people with no referral at all and at least one fit note
-- issued in a comparison area. Their index fit note is the first such note
-- (earliest issue_date, ties broken by fit_note_id); its condition is theirs,
-- and its area is their comparison area.
WITH first_notes AS (
    SELECT
        f.person_id,
        min(f.issue_date) AS issue_date,
        first_value(f.condition ORDER BY f.issue_date, f.fit_note_id) AS condition,
        first_value(f.area_id ORDER BY f.issue_date, f.fit_note_id) AS area_id
    FROM fit_notes f
    JOIN comparison_areas c ON c.area_id = f.area_id
    WHERE NOT EXISTS (SELECT 1 FROM referrals r WHERE r.person_id = f.person_id)
    GROUP BY f.person_id
)
SELECT
    n.person_id,
    n.area_id,
    CAST(date_trunc('month', n.issue_date) AS DATE) AS index_month,
    n.condition,
    p.age_band,
    p.sex,
    CAST((p.imd_decile + 1) / 2 AS BIGINT) AS imd_quintile
FROM first_notes n
JOIN people p ON p.person_id = n.person_id
