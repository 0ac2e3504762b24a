-- Fit notes for the difference in differences: per programme, side
-- ('programme' = notes issued in the programme's areas, 'comparison' = notes
-- issued in comparison areas) and period ('pre' = the 12 months before the
-- month of the programme's start date, 'post' = from that month on), the
-- number of notes and of may_be_fit notes. A programme's start date is the
-- earliest start_date it has in area_programmes (programme_starts). Built
-- from fit_note_monthly's per-area counts, so the same query serves notes
-- counted from records and the published area × month statistics.
WITH starts AS (
    SELECT programme, CAST(date_trunc('month', start_date) AS DATE) AS start_month
    FROM programme_starts
),
programme_months AS (
    SELECT s.programme, 'programme' AS side, s.start_month, m.month, m.fit_notes, m.may_be_fit
    FROM starts s
    JOIN area_programmes ap ON ap.programme = s.programme
    JOIN fit_note_monthly m ON m.area_id = ap.area_id
),
comparison_months AS (
    SELECT s.programme, 'comparison' AS side, s.start_month, m.month, m.fit_notes, m.may_be_fit
    FROM fit_note_monthly m
    JOIN comparison_areas c ON c.area_id = m.area_id
    CROSS JOIN starts s
),
windowed AS (
    SELECT
        programme,
        side,
        CASE WHEN month < start_month THEN 'pre' ELSE 'post' END AS period,
        fit_notes,
        may_be_fit
    FROM (
        SELECT * FROM programme_months
        UNION ALL
        SELECT * FROM comparison_months
    ) months
    WHERE month >= CAST(start_month - INTERVAL '12 months' AS DATE)
)
SELECT
    programme,
    side,
    period,
    CAST(sum(fit_notes) AS BIGINT) AS fit_notes,
    CAST(sum(may_be_fit) AS BIGINT) AS may_be_fit
FROM windowed
GROUP BY programme, side, period
