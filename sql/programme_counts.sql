-- Per programme: valid referrals, participants (people referred), eligible
-- participants and those in work at 6 months, with the programme's national
-- funding: the first steps of the attrition from referral to the matched
-- effect. Every programme in the programmes table gets a row, with zero
-- counts if nobody was referred. Beside them, its participants who are
-- also participants of another programme (`co_enrolled`), and those who
-- live where another programme runs (`exposed_to_another`), from
-- sql/participant_exposure.sql.
WITH referred AS (
    SELECT programme, count(*) AS referrals
    FROM referrals
    GROUP BY programme
),
exposure AS (
    SELECT
        programme,
        sum(CASE WHEN co_enrolled THEN 1 ELSE 0 END) AS co_enrolled,
        sum(CASE WHEN exposed_to_another THEN 1 ELSE 0 END) AS exposed_to_another
    FROM participant_exposure
    GROUP BY programme
),
counts AS (
    SELECT
        programme,
        count(*) AS participants,
        sum(CASE WHEN eligible THEN 1 ELSE 0 END) AS eligible,
        sum(CASE WHEN in_work_6m THEN 1 ELSE 0 END) AS in_work_6m
    FROM cohort
    WHERE arm = 'participant'
    GROUP BY programme
)
SELECT
    COALESCE(pr.programme, c.programme) AS programme,
    COALESCE(r.referrals, 0) AS referrals,
    COALESCE(c.participants, 0) AS participants,
    COALESCE(c.eligible, 0) AS eligible,
    COALESCE(c.in_work_6m, 0) AS in_work_6m,
    COALESCE(x.co_enrolled, 0) AS co_enrolled,
    COALESCE(x.exposed_to_another, 0) AS exposed_to_another,
    pr.funding_gbp
FROM programmes pr
FULL OUTER JOIN counts c ON c.programme = pr.programme
LEFT JOIN referred r ON r.programme = COALESCE(pr.programme, c.programme)
LEFT JOIN exposure x ON x.programme = COALESCE(pr.programme, c.programme)
