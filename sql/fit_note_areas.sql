-- The design of each programme's fit-note event study: every area running
-- the programme (side 'programme', with its own start date) and every
-- comparison area (side 'comparison'). The analysis window runs from 12
-- months before the programme's earliest start to the last month with fit
-- notes. A programme area is clean when no other programme starts inside
-- that window in the area itself or in an area overlapping it on the
-- ground (sql/area_reach.sql); `overlapping` names those others
-- ("programme from YYYY-MM-DD" in the area itself, "programme in <area_id>
-- from YYYY-MM-DD" in an overlapping one; in start order, then programme,
-- then area id), null when clean.
WITH last_month AS (
    SELECT max(month) AS last_month FROM fit_note_monthly
),
windows AS (
    SELECT
        s.programme,
        CAST(s.start_date - INTERVAL '12 months' AS DATE) AS window_start,
        l.last_month AS window_end
    FROM programme_starts s
    CROSS JOIN last_month l
),
others AS (
    SELECT
        ap.programme,
        ap.area_id,
        o.programme AS other,
        o.area_id AS other_area_id,
        o.start_date AS other_start
    FROM area_programmes ap
    JOIN windows w ON w.programme = ap.programme
    JOIN area_reach r ON r.area_id = ap.area_id
    JOIN area_programmes o
        ON o.area_id = r.other_area_id
        AND o.programme <> ap.programme
        AND o.start_date >= w.window_start
        AND o.start_date <= w.window_end
),
overlaps AS (
    SELECT
        programme,
        area_id,
        string_agg(
            other
                || CASE WHEN other_area_id = area_id THEN '' ELSE ' in ' || other_area_id END
                || ' from ' || CAST(other_start AS VARCHAR),
            '; ' ORDER BY other_start, other, other_area_id) AS overlapping
    FROM others
    GROUP BY programme, area_id
)
SELECT
    ap.programme,
    ap.area_id,
    'programme' AS side,
    ap.start_date,
    o.overlapping IS NULL AS clean,
    o.overlapping
FROM area_programmes ap
LEFT JOIN overlaps o ON o.programme = ap.programme AND o.area_id = ap.area_id
UNION ALL
SELECT
    s.programme,
    c.area_id,
    'comparison' AS side,
    CAST(NULL AS DATE) AS start_date,
    true AS clean,
    CAST(NULL AS VARCHAR) AS overlapping
FROM programme_starts s
CROSS JOIN comparison_areas c
