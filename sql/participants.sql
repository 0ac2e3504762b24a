-- Participants: one row per (programme, person) with at least one referral to
-- that programme. The first referral (earliest referral_date, ties broken by
-- area_id, then primary_condition, then referral_source: never by
-- referral_id, whose order means nothing) gives the site, the index month,
-- the condition and the source;
-- a participant engaged when any of their referrals to it did.
-- (first_value with ORDER BY in a GROUP BY needs no sort, unlike a window.)
WITH first_referrals AS (
    SELECT
        r.programme,
        r.person_id,
        min(r.referral_date) AS referral_date,
        first_value(r.area_id ORDER BY r.referral_date, r.area_id, r.primary_condition, r.referral_source) AS site_area_id,
        first_value(r.referral_source ORDER BY r.referral_date, r.area_id, r.primary_condition, r.referral_source) AS referral_source,
        first_value(r.primary_condition ORDER BY r.referral_date, r.area_id, r.primary_condition, r.referral_source) AS condition,
        bool_or(r.engaged) AS engaged
    FROM referrals r
    GROUP BY r.programme, r.person_id
)
SELECT
    f.programme,
    f.person_id,
    f.site_area_id,
    CAST(date_trunc('month', f.referral_date) AS DATE) AS index_month,
    f.condition,
    f.referral_source,
    COALESCE(f.engaged, false) AS engaged,
    p.age_band,
    p.sex,
    p.imd_decile,
    CAST((p.imd_decile + 1) / 2 AS BIGINT) AS imd_quintile
FROM first_referrals f
JOIN people p ON p.person_id = f.person_id
