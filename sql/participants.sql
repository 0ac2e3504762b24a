-- Participants: one row per (programme, person) with at least one referral to
-- that programme. The first referral (earliest referral_date, ties broken by
-- referral_id) gives the site, the index month, the condition and the source.
WITH ranked AS (
    SELECT
        r.programme,
        r.person_id,
        r.area_id,
        r.referral_date,
        r.referral_source,
        r.primary_condition,
        row_number() OVER (
            PARTITION BY r.programme, r.person_id
            ORDER BY r.referral_date, r.referral_id
        ) AS referral_rank
    FROM referrals r
)
SELECT
    ranked.programme,
    ranked.person_id,
    ranked.area_id AS site_area_id,
    CAST(date_trunc('month', ranked.referral_date) AS DATE) AS index_month,
    ranked.primary_condition AS condition,
    ranked.referral_source,
    p.age_band,
    p.sex,
    CAST((p.imd_decile + 1) / 2 AS BIGINT) AS imd_quintile
FROM ranked
JOIN people p ON p.person_id = ranked.person_id
WHERE ranked.referral_rank = 1
