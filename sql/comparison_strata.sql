-- Eligible comparison people by arm, area and matching stratum
-- (cohort.stratum), with how many were in work at 6 months: arm
-- 'comparison' by comparison area, shared by every programme and subgroup;
-- arm 'own_area' by programme area, for the own-area design (each site's
-- participants against the never-referred people of the same area and
-- stratum).
SELECT
    arm,
    site_area_id AS area_id,
    stratum,
    count(*) AS eligible,
    sum(CASE WHEN in_work_6m THEN 1 ELSE 0 END) AS in_work_6m
FROM cohort
WHERE arm IN ('comparison', 'own_area') AND eligible
GROUP BY arm, site_area_id, stratum
