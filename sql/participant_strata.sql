-- Participants by site and matching stratum (age_band x sex x imd_quintile x
-- condition x baseline_status x work_history x index_period x
-- labour_market, see sql/cohort.sql), for the whole programme (dimension
-- 'all', value 'all') and within each subgroup of subgroup_outcomes. The estimators
-- in the pipeline match these against comparison_strata (matching.rs, summed
-- over areas) and weigh the areas' deviations (areas.rs).
WITH p AS (
    SELECT * FROM cohort WHERE arm = 'participant'
),
by_dimension AS (
    SELECT programme, 'all' AS dimension, 'all' AS value,
           site_area_id, age_band, sex, imd_quintile, condition, baseline_status, work_history, index_period, labour_market, eligible, in_work_6m, engaged
    FROM p
    UNION ALL
    SELECT programme, 'condition', condition AS value,
           site_area_id, age_band, sex, imd_quintile, condition, baseline_status, work_history, index_period, labour_market, eligible, in_work_6m, engaged
    FROM p
    UNION ALL
    SELECT programme, 'referral_source', referral_source AS value,
           site_area_id, age_band, sex, imd_quintile, condition, baseline_status, work_history, index_period, labour_market, eligible, in_work_6m, engaged
    FROM p
    UNION ALL
    SELECT programme, 'age_band', age_band AS value,
           site_area_id, age_band, sex, imd_quintile, condition, baseline_status, work_history, index_period, labour_market, eligible, in_work_6m, engaged
    FROM p
    UNION ALL
    SELECT programme, 'sex', sex AS value,
           site_area_id, age_band, sex, imd_quintile, condition, baseline_status, work_history, index_period, labour_market, eligible, in_work_6m, engaged
    FROM p
    UNION ALL
    SELECT programme, 'imd_quintile', CAST(imd_quintile AS VARCHAR) AS value,
           site_area_id, age_band, sex, imd_quintile, condition, baseline_status, work_history, index_period, labour_market, eligible, in_work_6m, engaged
    FROM p
)
SELECT
    programme,
    dimension,
    value,
    site_area_id AS area_id,
    age_band,
    sex,
    imd_quintile,
    condition,
    baseline_status, work_history, index_period, labour_market,
    count(*) AS participants,
    sum(CASE WHEN eligible THEN 1 ELSE 0 END) AS eligible,
    sum(CASE WHEN in_work_6m THEN 1 ELSE 0 END) AS in_work_6m,
    sum(CASE WHEN eligible AND engaged THEN 1 ELSE 0 END) AS engaged
FROM by_dimension
GROUP BY programme, dimension, value, site_area_id, age_band, sex, imd_quintile, condition, baseline_status, work_history, index_period, labour_market
