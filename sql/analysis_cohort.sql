-- The analysts' cohort, written to <evidence root>/analysts/cohort.parquet:
-- every row of sql/cohort.sql (index month, strata and the stratum's key,
-- covariates, outcomes), whether the headline matching kept it, and its
-- weight in the ATT, so that an analyst can reproduce every programme's
-- in_work_6m effect in SQL and extend it. Participants appear once per
-- programme (for_programme = programme; weight 1 when eligible and their
-- stratum holds eligible comparison people, else 0); comparison index
-- events appear once for every programme with eligible participants in
-- their stratum (for_programme = that programme; weight n/m, the
-- programme's eligible participants in the stratum over its eligible
-- comparison people; 0 when not eligible). Then for each programme
--   Σ weight·y over participants / Σ weight − Σ weight·y over comparison
--   rows / Σ weight
-- is programme_outcomes.att (y = in_work_6m). Never shown to commissioners.
WITH keyed AS (
    SELECT * FROM cohort
),
participants_by_stratum AS (
    SELECT programme, stratum, sum(CASE WHEN eligible THEN 1 ELSE 0 END) AS n
    FROM keyed
    WHERE arm = 'participant'
    GROUP BY programme, stratum
),
comparison_by_stratum AS (
    SELECT stratum, sum(CASE WHEN eligible THEN 1 ELSE 0 END) AS m
    FROM keyed
    WHERE arm = 'comparison'
    GROUP BY stratum
)
SELECT
    k.*,
    k.programme AS for_programme,
    (k.eligible AND COALESCE(c.m, 0) > 0) AS matched,
    CASE WHEN k.eligible AND COALESCE(c.m, 0) > 0 THEN 1.0 ELSE 0.0 END AS weight
FROM keyed k
LEFT JOIN comparison_by_stratum c ON c.stratum = k.stratum
WHERE k.arm = 'participant'
UNION ALL
SELECT
    k.*,
    p.programme AS for_programme,
    k.eligible AS matched,
    CASE WHEN k.eligible THEN CAST(p.n AS DOUBLE) / c.m ELSE 0.0 END AS weight
FROM keyed k
JOIN comparison_by_stratum c ON c.stratum = k.stratum
JOIN participants_by_stratum p ON p.stratum = k.stratum AND p.n > 0
WHERE k.arm = 'comparison' AND c.m > 0
