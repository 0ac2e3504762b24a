-- Fit notes for the difference in differences: per programme, side
-- ('programme' = notes issued in the programme's areas, 'comparison' = notes
-- issued in comparison areas) and period ('pre' = the 12 months before the
-- programme's start date, 'post' = from the start date on), the number of
-- notes and of may_be_fit notes. A programme's start date is the earliest
-- start_date it has in area_programmes (programme_starts).
WITH starts AS (
    SELECT programme, start_date FROM programme_starts
),
programme_notes AS (
    SELECT s.programme, 'programme' AS side, s.start_date, f.issue_date, f.assessment
    FROM starts s
    JOIN area_programmes ap ON ap.programme = s.programme
    JOIN fit_notes f ON f.area_id = ap.area_id
),
comparison_notes AS (
    SELECT s.programme, 'comparison' AS side, s.start_date, f.issue_date, f.assessment
    FROM fit_notes f
    JOIN comparison_areas c ON c.area_id = f.area_id
    CROSS JOIN starts s
),
windowed AS (
    SELECT
        programme,
        side,
        CASE WHEN issue_date < start_date THEN 'pre' ELSE 'post' END AS period,
        assessment
    FROM (
        SELECT * FROM programme_notes
        UNION ALL
        SELECT * FROM comparison_notes
    ) notes
    WHERE issue_date >= CAST(start_date - INTERVAL '12 months' AS DATE)
)
SELECT
    programme,
    side,
    period,
    count(*) AS fit_notes,
    sum(CASE WHEN assessment = 'may_be_fit' THEN 1 ELSE 0 END) AS may_be_fit
FROM windowed
GROUP BY programme, side, period
