-- Pairs of areas that overlap on the ground (CONTRACT.md, "Footprints"):
-- both cover a local authority district in `area_footprints` with shares
-- summing to more than 1.0001 (shares are given to 4 decimals; two ICBs
-- that split a district between them share none of its residents, while a
-- combined authority holds whole districts). Each pair appears in both
-- orders; `lad_codes` lists the shared districts in code order. An area
-- without footprint rows overlaps nothing.
WITH shared AS (
    SELECT a.area_id, b.area_id AS other_area_id, a.lad_code
    FROM area_footprints a
    JOIN area_footprints b
        ON a.lad_code = b.lad_code
        AND a.area_id <> b.area_id
        AND a.share + b.share > 1.0001
)
SELECT
    area_id,
    other_area_id,
    string_agg(lad_code, ', ' ORDER BY lad_code) AS lad_codes
FROM shared
GROUP BY area_id, other_area_id
