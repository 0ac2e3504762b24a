-- Each programme's start date: the earliest start_date it has in
-- area_programmes. The fit-note difference in differences splits its notes
-- at this date, and programme_coverage compares it with the data's reach.
SELECT programme, min(start_date) AS start_date
FROM area_programmes
GROUP BY programme
