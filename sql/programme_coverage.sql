-- How far the data reach for each programme: its start date (the earliest
-- start_date it has in area_programmes), the last fit note's issue date and
-- the last employment month. A programme that starts after the last fit note
-- has no post-period for its difference in differences; one whose
-- participants' 6-month outcome month is after the last employment month has
-- no eligible participants yet.
WITH starts AS (
    SELECT programme, start_date FROM programme_starts
)
SELECT
    s.programme,
    s.start_date,
    (SELECT max(issue_date) FROM fit_notes) AS last_fit_note,
    (SELECT max(month) FROM employment) AS last_employment_month
FROM starts s
