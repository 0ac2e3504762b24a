-- Comparison pool: people with no referral at all and at least one fit note
-- issued in a comparison area. Their index fit note is the first such note
-- (earliest issue_date, ties broken by fit_note_id); its condition is theirs.
WITH ranked AS (
    SELECT
        f.person_id,
        f.issue_date,
        f.condition,
        row_number() OVER (
            PARTITION BY f.person_id
            ORDER BY f.issue_date, f.fit_note_id
        ) AS note_rank
    FROM fit_notes f
    JOIN comparison_areas c ON c.area_id = f.area_id
    WHERE NOT EXISTS (SELECT 1 FROM referrals r WHERE r.person_id = f.person_id)
)
SELECT
    ranked.person_id,
    CAST(date_trunc('month', ranked.issue_date) AS DATE) AS index_month,
    ranked.condition,
    p.age_band,
    p.sex,
    CAST((p.imd_decile + 1) / 2 AS BIGINT) AS imd_quintile
FROM ranked
JOIN people p ON p.person_id = ranked.person_id
WHERE ranked.note_rank = 1
