-- Fit notes per (area, month of issue) and the may_be_fit share of them.
SELECT
    area_id,
    CAST(date_trunc('month', issue_date) AS DATE) AS month,
    count(*) AS fit_notes,
    sum(CASE WHEN assessment = 'may_be_fit' THEN 1 ELSE 0 END) AS may_be_fit,
    CAST(sum(CASE WHEN assessment = 'may_be_fit' THEN 1 ELSE 0 END) AS DOUBLE)
        / CAST(count(*) AS DOUBLE) AS may_be_fit_share
FROM fit_notes
GROUP BY area_id, CAST(date_trunc('month', issue_date) AS DATE)
