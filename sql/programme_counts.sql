-- Per programme: participants, eligible participants and those in work at
-- 6 months, with the programme's national funding. Every programme in the
-- programmes table gets a row, with zero counts if nobody was referred.
WITH counts AS (
    SELECT
        programme,
        count(*) AS participants,
        sum(CASE WHEN eligible THEN 1 ELSE 0 END) AS eligible,
        sum(CASE WHEN in_work_6m THEN 1 ELSE 0 END) AS in_work_6m
    FROM cohort
    WHERE arm = 'participant'
    GROUP BY programme
)
SELECT
    COALESCE(pr.programme, c.programme) AS programme,
    COALESCE(c.participants, 0) AS participants,
    COALESCE(c.eligible, 0) AS eligible,
    COALESCE(c.in_work_6m, 0) AS in_work_6m,
    pr.funding_gbp
FROM programmes pr
FULL OUTER JOIN counts c ON c.programme = pr.programme
