-- Comparison areas: areas that run no programme, with no row in
-- area_programmes, valid or quarantined (quarantined_area_programmes holds
-- the rows validation set aside), and that overlap no such area on the
-- ground (sql/area_overlaps.sql). An area whose only row was quarantined
-- ran a programme all the same: it is no comparison area (and, without a
-- valid row, no programme area either), so a broken row cannot turn a
-- programme area into a comparison. An area sharing residents with a
-- programme area has people the programme may reach: it is neither side.
-- Materialised (contract::metrics): the cohort's plan reads it as a small
-- table, not as this query's joins.
WITH programme_areas AS (
    SELECT area_id FROM area_programmes
    UNION
    SELECT area_id FROM quarantined_area_programmes WHERE area_id IS NOT NULL
),
near_programme AS (
    SELECT DISTINCT o.area_id
    FROM area_overlaps o
    JOIN programme_areas p ON p.area_id = o.other_area_id
)
SELECT a.area_id
FROM areas a
WHERE NOT EXISTS (SELECT 1 FROM programme_areas p WHERE p.area_id = a.area_id)
    AND NOT EXISTS (SELECT 1 FROM near_programme n WHERE n.area_id = a.area_id)
