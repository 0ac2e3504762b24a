-- Each area's local labour market before any programme went live: the share
-- of employment rows that are 'employed' among the people who live there
-- (people.area_id), in the month before the earliest start_date in
-- area_programmes (one month: the employment table is partitioned by month,
-- so only that month is read, and each area has thousands of people), and
-- its band. The bands are cut at the comparison areas' thirds: 'low' up to
-- the rate of the comparison area a third of the way up (ties by area_id),
-- 'high' above the one two thirds up, 'middle' between, so every band holds
-- comparison areas to match a programme area with. With no row that month,
-- or fewer than 3 comparison areas, every area's band is 'unknown' (the band
-- then matches nothing away).
WITH first_start AS (
    SELECT min(start_date) AS first_start FROM area_programmes
),
rates AS (
    SELECT
        p.area_id,
        avg(CASE WHEN e.status = 'employed' THEN 1.0 ELSE 0.0 END) AS employment_rate,
        count(*) AS person_months
    FROM employment e
    JOIN people p ON p.person_id = e.person_id
    CROSS JOIN first_start s
    WHERE e.month = CAST(date_trunc('month', s.first_start) - INTERVAL '1 month' AS DATE)
    GROUP BY p.area_id
),
ranked AS (
    SELECT
        r.employment_rate,
        row_number() OVER (ORDER BY r.employment_rate, r.area_id) AS position,
        count(*) OVER () AS areas
    FROM rates r
    JOIN comparison_areas c ON c.area_id = r.area_id
),
cuts AS (
    SELECT
        max(CASE WHEN 3 * position <= areas THEN employment_rate END) AS low_cut,
        max(CASE WHEN 3 * position <= 2 * areas THEN employment_rate END) AS high_cut
    FROM ranked
)
SELECT
    r.area_id,
    r.employment_rate,
    r.person_months,
    CASE
        WHEN c.low_cut IS NULL OR c.high_cut IS NULL THEN 'unknown'
        WHEN r.employment_rate <= c.low_cut THEN 'low'
        WHEN r.employment_rate <= c.high_cut THEN 'middle'
        ELSE 'high'
    END AS labour_market
FROM rates r
CROSS JOIN cuts c
