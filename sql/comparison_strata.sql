-- Eligible comparison people by comparison area and matching stratum
-- (cohort.stratum), with how many were in work at 6 months. Shared by every
-- programme and subgroup.
SELECT
    site_area_id AS area_id,
    stratum,
    count(*) AS eligible,
    sum(CASE WHEN in_work_6m THEN 1 ELSE 0 END) AS in_work_6m
FROM cohort
WHERE arm = 'comparison' AND eligible
GROUP BY site_area_id, stratum
