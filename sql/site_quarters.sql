-- Per (programme, site, quarter of the index month): eligible participants
-- and those in work at 6 months, for each site's trend. Quarters without
-- an eligible participant (too recent for the 6-month outcome) are left out.
SELECT
    programme,
    site_area_id AS area_id,
    CAST(date_trunc('quarter', index_month) AS DATE) AS quarter,
    sum(CASE WHEN eligible THEN 1 ELSE 0 END) AS eligible,
    sum(CASE WHEN in_work_6m THEN 1 ELSE 0 END) AS in_work_6m
FROM cohort
WHERE arm = 'participant'
GROUP BY programme, site_area_id, CAST(date_trunc('quarter', index_month) AS DATE)
HAVING sum(CASE WHEN eligible THEN 1 ELSE 0 END) > 0
