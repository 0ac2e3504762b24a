-- Comparison areas: areas that run no programme (no row in area_programmes).
SELECT a.area_id
FROM areas a
WHERE NOT EXISTS (SELECT 1 FROM area_programmes ap WHERE ap.area_id = a.area_id)
