-- The own-area design's balance (CONTRACT.md, Diagnostics): eligible
-- participants and the own-area design's people (arm own_area) by arm,
-- programme (null for own-area people), site area and matching stratum,
-- with sums and sums of squares of the covariates its diagnostics check
-- but it does not match on: the IMD decile, months employed and earnings
-- (whole pounds, 0 with no row) in the 12 months before the index month,
-- as sql/balance_strata.sql counts them. pipeline/src/evaluate/balance/
-- own_area.rs weighs them as the own-area match does, cell by (area,
-- stratum). Every sum is over integers, so the same on any engine in any
-- order.
SELECT
    arm,
    programme,
    site_area_id AS area_id,
    stratum,
    count(*) AS people,
    CAST(sum(imd_decile) AS DOUBLE) AS imd_decile_sum,
    CAST(sum(imd_decile * imd_decile) AS DOUBLE) AS imd_decile_squares,
    CAST(sum(months_employed_before) AS DOUBLE) AS months_employed_sum,
    CAST(sum(months_employed_before * months_employed_before) AS DOUBLE) AS months_employed_squares,
    CAST(sum(CAST(round(COALESCE(earnings_before, 0.0)) AS BIGINT)) AS DOUBLE) AS earnings_sum,
    CAST(sum(CAST(round(COALESCE(earnings_before, 0.0)) AS BIGINT)
        * CAST(round(COALESCE(earnings_before, 0.0)) AS BIGINT)) AS DOUBLE) AS earnings_squares
FROM cohort
WHERE eligible AND arm <> 'comparison'
GROUP BY arm, programme, site_area_id, stratum
