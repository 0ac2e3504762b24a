-- Monthly fit notes pooled per programme and side ('programme' = notes issued
-- in any of the programme's areas, 'comparison' = notes issued in comparison
-- areas, the same series for every programme), with the may_be_fit share:
-- the trend behind each programme's difference in differences. Built from
-- fit_note_monthly's per-area counts, so fit_notes is read once and only
-- area-months are fanned out to the programmes.
WITH programme_areas AS (
    SELECT DISTINCT programme, area_id FROM area_programmes
),
sides AS (
    SELECT p.programme, 'programme' AS side, m.month, m.fit_notes, m.may_be_fit
    FROM programme_areas p
    JOIN fit_note_monthly m ON m.area_id = p.area_id
    UNION ALL
    SELECT s.programme, 'comparison' AS side, m.month, m.fit_notes, m.may_be_fit
    FROM fit_note_monthly m
    JOIN comparison_areas c ON c.area_id = m.area_id
    CROSS JOIN (SELECT DISTINCT programme FROM area_programmes) s
)
SELECT
    programme,
    side,
    month,
    sum(fit_notes) AS fit_notes,
    sum(may_be_fit) AS may_be_fit,
    CAST(sum(may_be_fit) AS DOUBLE) / CAST(sum(fit_notes) AS DOUBLE) AS may_be_fit_share
FROM sides
GROUP BY programme, side, month
