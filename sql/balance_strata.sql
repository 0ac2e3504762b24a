-- The balance table's sufficient statistics: eligible people by arm,
-- programme, matching stratum and the covariates checked but not matched on
-- (the area's region, the IMD decile), with sums and sums of squares of the
-- continuous ones (sql/cohort.sql). pipeline/src/evaluate/balance.rs weighs
-- them as the matching does: a comparison person in stratum s counts
-- n_s / m_s for a programme with n_s matched participants there.
-- earnings_before counts as 0 for the few with no employment row in the
-- 12 months before, and in whole pounds; every sum is over integers, so
-- the same on any engine in any order.
SELECT
    arm,
    programme,
    stratum,
    region,
    imd_decile,
    count(*) AS people,
    CAST(sum(months_employed_before) AS DOUBLE) AS months_employed_sum,
    CAST(sum(months_employed_before * months_employed_before) AS DOUBLE) AS months_employed_squares,
    CAST(sum(CAST(round(COALESCE(earnings_before, 0.0)) AS BIGINT)) AS DOUBLE) AS earnings_sum,
    CAST(sum(CAST(round(COALESCE(earnings_before, 0.0)) AS BIGINT)
        * CAST(round(COALESCE(earnings_before, 0.0)) AS BIGINT)) AS DOUBLE) AS earnings_squares,
    CAST(sum(fit_notes_before) AS DOUBLE) AS fit_notes_sum,
    CAST(sum(fit_notes_before * fit_notes_before) AS DOUBLE) AS fit_notes_squares
FROM cohort
-- The own-area design's people enter only comparison_strata,
-- negative_control_strata and own_area_balance_strata.
WHERE eligible AND arm <> 'own_area'
GROUP BY arm, programme, stratum, region, imd_decile
