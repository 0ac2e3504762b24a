-- Each area with the areas it reaches on the ground: itself, and every
-- area overlapping it (sql/area_overlaps.sql). fit_note_areas.sql (clean
-- areas) and participant_exposure.sql (exposure) read it.
SELECT area_id, area_id AS other_area_id FROM areas
UNION ALL
SELECT area_id, other_area_id FROM area_overlaps
