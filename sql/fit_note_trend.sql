-- Monthly fit notes pooled per programme and side ('programme' = notes issued
-- in any of the programme's areas, 'comparison' = notes issued in comparison
-- areas, the same series for every programme), with the may_be_fit share:
-- the trend behind each programme's difference in differences.
WITH programme_notes AS (
    SELECT DISTINCT ap.programme, ap.area_id FROM area_programmes ap
),
notes AS (
    SELECT p.programme, 'programme' AS side, f.issue_date, f.assessment
    FROM programme_notes p
    JOIN fit_notes f ON f.area_id = p.area_id
    UNION ALL
    SELECT s.programme, 'comparison' AS side, f.issue_date, f.assessment
    FROM fit_notes f
    JOIN comparison_areas c ON c.area_id = f.area_id
    CROSS JOIN (SELECT DISTINCT programme FROM area_programmes) s
)
SELECT
    programme,
    side,
    CAST(date_trunc('month', issue_date) AS DATE) AS month,
    count(*) AS fit_notes,
    sum(CASE WHEN assessment = 'may_be_fit' THEN 1 ELSE 0 END) AS may_be_fit,
    CAST(sum(CASE WHEN assessment = 'may_be_fit' THEN 1 ELSE 0 END) AS DOUBLE)
        / CAST(count(*) AS DOUBLE) AS may_be_fit_share
FROM notes
GROUP BY programme, side, CAST(date_trunc('month', issue_date) AS DATE)
