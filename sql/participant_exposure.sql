-- One row per participant (programme, person): whether they are also a
-- participant of another programme (`co_enrolled`), and whether they live
-- where another programme runs, in their own area (`people.area_id`) or in
-- an area overlapping it on the ground (`exposed_to_another`,
-- sql/area_reach.sql), whatever that programme's start date.
-- Materialised: programme_counts and participant_strata read it.
WITH p AS (
    SELECT programme, person_id FROM participants
),
programmes_per_person AS (
    SELECT person_id, count(*) AS programmes FROM p GROUP BY person_id
),
-- The programmes each area reaches, once each.
programmes_reached AS (
    SELECT r.area_id, ap.programme
    FROM area_reach r
    JOIN area_programmes ap ON ap.area_id = r.other_area_id
    GROUP BY r.area_id, ap.programme
),
reach_count AS (
    SELECT area_id, count(*) AS programmes FROM programmes_reached GROUP BY area_id
)
SELECT
    p.programme,
    p.person_id,
    n.programmes > 1 AS co_enrolled,
    COALESCE(rc.programmes, 0) > CASE WHEN own.area_id IS NULL THEN 0 ELSE 1 END
        AS exposed_to_another
FROM p
JOIN programmes_per_person n ON n.person_id = p.person_id
JOIN people pe ON pe.person_id = p.person_id
LEFT JOIN reach_count rc ON rc.area_id = pe.area_id
LEFT JOIN programmes_reached own ON own.area_id = pe.area_id AND own.programme = p.programme
