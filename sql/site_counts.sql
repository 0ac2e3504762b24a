-- Per (programme, site): participants whose first referral to the programme
-- was to a service in that area, eligible, and in work at 6 months; the
-- spine chart's other indicators (in work at 3 and 12 months among those
-- whose month is in the data, eligible participants who engaged, and the
-- fit notes issued in the site's area from its go-live on). Every (area,
-- programme) in area_programmes gets a row, with zero counts if no one was
-- referred there; a site with referrals but no area_programmes row keeps
-- its row too. The area's published name and the site's go-live date ride
-- along for the dashboard.
WITH counts AS (
    SELECT
        programme,
        site_area_id AS area_id,
        count(*) AS participants,
        sum(CASE WHEN eligible THEN 1 ELSE 0 END) AS eligible,
        sum(CASE WHEN in_work_6m THEN 1 ELSE 0 END) AS in_work_6m,
        sum(CASE WHEN in_work_3m IS NOT NULL THEN 1 ELSE 0 END) AS eligible_3m,
        sum(CASE WHEN in_work_3m THEN 1 ELSE 0 END) AS in_work_3m,
        sum(CASE WHEN in_work_12m IS NOT NULL THEN 1 ELSE 0 END) AS eligible_12m,
        sum(CASE WHEN in_work_12m THEN 1 ELSE 0 END) AS in_work_12m,
        sum(CASE WHEN eligible AND engaged THEN 1 ELSE 0 END) AS engaged
    FROM cohort
    WHERE arm = 'participant'
    GROUP BY programme, site_area_id
),
notes AS (
    SELECT
        ap.programme,
        ap.area_id,
        count(f.area_id) AS fit_notes,
        sum(CASE WHEN f.assessment = 'may_be_fit' THEN 1 ELSE 0 END) AS may_be_fit
    FROM area_programmes ap
    LEFT JOIN fit_notes f ON f.area_id = ap.area_id AND f.issue_date >= ap.start_date
    GROUP BY ap.programme, ap.area_id
)
SELECT
    COALESCE(ap.programme, c.programme) AS programme,
    COALESCE(ap.area_id, c.area_id) AS area_id,
    COALESCE(c.participants, 0) AS participants,
    COALESCE(c.eligible, 0) AS eligible,
    COALESCE(c.in_work_6m, 0) AS in_work_6m,
    COALESCE(c.eligible_3m, 0) AS eligible_3m,
    COALESCE(c.in_work_3m, 0) AS in_work_3m,
    COALESCE(c.eligible_12m, 0) AS eligible_12m,
    COALESCE(c.in_work_12m, 0) AS in_work_12m,
    COALESCE(c.engaged, 0) AS engaged,
    COALESCE(n.fit_notes, 0) AS fit_notes,
    COALESCE(n.may_be_fit, 0) AS may_be_fit,
    a.area_name,
    ap.start_date
FROM area_programmes ap
FULL OUTER JOIN counts c ON c.programme = ap.programme AND c.area_id = ap.area_id
LEFT JOIN notes n ON n.programme = ap.programme AND n.area_id = ap.area_id
LEFT JOIN areas a ON a.area_id = COALESCE(ap.area_id, c.area_id)
