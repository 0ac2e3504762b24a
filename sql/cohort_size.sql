-- How many people the evaluation followed, by arm: every person in `cohort`
-- (a participant once per programme they were referred to) and how many of
-- them are eligible for the 6-month outcome. Recorded in run.json.
SELECT
    arm,
    count(*) AS people,
    sum(CASE WHEN eligible THEN 1 ELSE 0 END) AS eligible
FROM cohort
-- The own-area design's people are counted by programme_outcomes.own_area_*.
WHERE arm <> 'own_area'
GROUP BY arm
