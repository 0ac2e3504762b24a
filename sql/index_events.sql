-- Every index event the cohort (sql/cohort.sql) is built on, materialised
-- once so that its later steps read it rather than recompute it: each
-- participant's first referral to each programme (sql/participants.sql) and
-- each comparison or own-area index event (sql/comparison_pool.sql), with
-- the person's attributes. arm is 'participant', 'comparison' or
-- 'own_area'; programme is null outside the participant arm.
SELECT
    'participant' AS arm,
    programme,
    person_id,
    site_area_id,
    index_month,
    condition,
    referral_source,
    engaged,
    age_band,
    sex,
    imd_decile,
    imd_quintile
FROM participants
UNION ALL
SELECT
    pool AS arm,
    CAST(NULL AS VARCHAR) AS programme,
    person_id,
    area_id AS site_area_id,
    index_month,
    condition,
    CAST(NULL AS VARCHAR) AS referral_source,
    CAST(NULL AS BOOLEAN) AS engaged,
    age_band,
    sex,
    imd_decile,
    imd_quintile
FROM comparison_pool
