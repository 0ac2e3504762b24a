-- Comparison areas: areas that run no programme, with no row in
-- area_programmes, valid or quarantined (quarantined_area_programmes holds
-- the rows validation set aside). An area whose only row was quarantined
-- ran a programme all the same: it is no comparison area (and, without a
-- valid row, no programme area either), so a broken row cannot turn a
-- programme area into a comparison.
SELECT a.area_id
FROM areas a
WHERE NOT EXISTS (SELECT 1 FROM area_programmes ap WHERE ap.area_id = a.area_id)
    AND NOT EXISTS (
        SELECT 1 FROM quarantined_area_programmes q WHERE q.area_id = a.area_id
    )
