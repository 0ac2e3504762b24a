-- The negative controls (contract::outcomes::NegativeControl: in work 9,
-- 15, 18, 21 and 24 months before the index month) by arm, programme, area
-- and matching stratum, for the headline's matched estimator. Each counts
-- the people eligible for the headline (in_work_6m) who have an employment
-- row that month: the same people as the effect it calibrates, so the
-- systematic error measured is the design's on those people. For each
-- control <c>: <c>_eligible and <c>_total (those in work). The own-area
-- design's people (arm own_area, programme null) are counted too, by their
-- note's area, so that each control is estimated by both designs.
SELECT
    arm,
    programme,
    site_area_id AS area_id,
    stratum,
    count(CASE WHEN eligible THEN in_work_before_9m END) AS in_work_before_9m_eligible,
    sum(CASE WHEN eligible AND in_work_before_9m THEN 1 ELSE 0 END) AS in_work_before_9m_total,
    count(CASE WHEN eligible THEN in_work_before_15m END) AS in_work_before_15m_eligible,
    sum(CASE WHEN eligible AND in_work_before_15m THEN 1 ELSE 0 END) AS in_work_before_15m_total,
    count(CASE WHEN eligible THEN in_work_before_18m END) AS in_work_before_18m_eligible,
    sum(CASE WHEN eligible AND in_work_before_18m THEN 1 ELSE 0 END) AS in_work_before_18m_total,
    count(CASE WHEN eligible THEN in_work_before_21m END) AS in_work_before_21m_eligible,
    sum(CASE WHEN eligible AND in_work_before_21m THEN 1 ELSE 0 END) AS in_work_before_21m_total,
    count(CASE WHEN eligible THEN in_work_before_24m END) AS in_work_before_24m_eligible,
    sum(CASE WHEN eligible AND in_work_before_24m THEN 1 ELSE 0 END) AS in_work_before_24m_total
FROM cohort
GROUP BY arm, programme, site_area_id, stratum
