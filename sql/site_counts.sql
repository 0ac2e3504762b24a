-- Per (programme, site): participants whose first referral to the programme
-- was to a service in that area, eligible, and in work at 6 months. Every
-- (area, programme) in area_programmes gets a row, with zero counts if no one
-- was referred there; a site with referrals but no area_programmes row keeps
-- its row too. The area's published name and the site's go-live date ride
-- along for the dashboard.
WITH counts AS (
    SELECT
        programme,
        site_area_id AS area_id,
        count(*) AS participants,
        sum(CASE WHEN eligible THEN 1 ELSE 0 END) AS eligible,
        sum(CASE WHEN in_work_6m THEN 1 ELSE 0 END) AS in_work_6m
    FROM cohort
    WHERE arm = 'participant'
    GROUP BY programme, site_area_id
)
SELECT
    COALESCE(ap.programme, c.programme) AS programme,
    COALESCE(ap.area_id, c.area_id) AS area_id,
    COALESCE(c.participants, 0) AS participants,
    COALESCE(c.eligible, 0) AS eligible,
    COALESCE(c.in_work_6m, 0) AS in_work_6m,
    a.area_name,
    ap.start_date
FROM area_programmes ap
FULL OUTER JOIN counts c ON c.programme = ap.programme AND c.area_id = ap.area_id
LEFT JOIN areas a ON a.area_id = COALESCE(ap.area_id, c.area_id)
