-- The placebo outcome, in work 6 months before the index month, by arm,
-- programme, area and matching stratum: the same matching as the real
-- effect (participant_strata against comparison_strata), over the people
-- with an employment row that month. `eligible` and `in_work_6m` name the
-- placebo's counts so the estimator reads them as it reads the real ones.
SELECT
    arm,
    programme,
    site_area_id AS area_id,
    stratum,
    count(*) AS participants,
    sum(CASE WHEN placebo_eligible THEN 1 ELSE 0 END) AS eligible,
    sum(CASE WHEN in_work_before_6m THEN 1 ELSE 0 END) AS in_work_6m
FROM cohort
-- The own-area design's people enter only comparison_strata,
-- negative_control_strata and own_area_balance_strata.
WHERE arm <> 'own_area'
GROUP BY arm, programme, site_area_id, stratum
