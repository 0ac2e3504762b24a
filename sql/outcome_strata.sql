-- Every outcome of contract::outcomes by arm, programme, area and matching
-- stratum, for the matched estimator (the same matching as the headline:
-- participants against comparison people stratum by stratum, the areas'
-- variance from the same cells). For each outcome <o>: <o>_eligible people
-- whose data reach it, <o>_total the sum of their values (how many have a
-- yes/no outcome), <o>_squares the sum of the squared values (equal to the
-- total for a yes/no outcome), <o>_engaged the eligible participants who
-- engaged. in_work_6m repeats the headline's counts (sql/participant_strata.sql,
-- sql/comparison_strata.sql), so its row equals programme_outcomes'.
SELECT
    arm,
    programme,
    site_area_id AS area_id,
    stratum,
    count(in_work_3m) AS in_work_3m_eligible,
    sum(CASE WHEN in_work_3m THEN 1 ELSE 0 END) AS in_work_3m_total,
    sum(CASE WHEN in_work_3m THEN 1 ELSE 0 END) AS in_work_3m_squares,
    sum(CASE WHEN in_work_3m IS NOT NULL AND engaged THEN 1 ELSE 0 END) AS in_work_3m_engaged,
    sum(CASE WHEN eligible THEN 1 ELSE 0 END) AS in_work_6m_eligible,
    sum(CASE WHEN in_work_6m THEN 1 ELSE 0 END) AS in_work_6m_total,
    sum(CASE WHEN in_work_6m THEN 1 ELSE 0 END) AS in_work_6m_squares,
    sum(CASE WHEN eligible AND engaged THEN 1 ELSE 0 END) AS in_work_6m_engaged,
    count(in_work_12m) AS in_work_12m_eligible,
    sum(CASE WHEN in_work_12m THEN 1 ELSE 0 END) AS in_work_12m_total,
    sum(CASE WHEN in_work_12m THEN 1 ELSE 0 END) AS in_work_12m_squares,
    sum(CASE WHEN in_work_12m IS NOT NULL AND engaged THEN 1 ELSE 0 END) AS in_work_12m_engaged,
    count(in_work_18m) AS in_work_18m_eligible,
    sum(CASE WHEN in_work_18m THEN 1 ELSE 0 END) AS in_work_18m_total,
    sum(CASE WHEN in_work_18m THEN 1 ELSE 0 END) AS in_work_18m_squares,
    sum(CASE WHEN in_work_18m IS NOT NULL AND engaged THEN 1 ELSE 0 END) AS in_work_18m_engaged,
    count(in_work_24m) AS in_work_24m_eligible,
    sum(CASE WHEN in_work_24m THEN 1 ELSE 0 END) AS in_work_24m_total,
    sum(CASE WHEN in_work_24m THEN 1 ELSE 0 END) AS in_work_24m_squares,
    sum(CASE WHEN in_work_24m IS NOT NULL AND engaged THEN 1 ELSE 0 END) AS in_work_24m_engaged,
    count(eet_6m) AS eet_6m_eligible,
    sum(CASE WHEN eet_6m THEN 1 ELSE 0 END) AS eet_6m_total,
    sum(CASE WHEN eet_6m THEN 1 ELSE 0 END) AS eet_6m_squares,
    sum(CASE WHEN eet_6m IS NOT NULL AND engaged THEN 1 ELSE 0 END) AS eet_6m_engaged,
    count(eet_12m) AS eet_12m_eligible,
    sum(CASE WHEN eet_12m THEN 1 ELSE 0 END) AS eet_12m_total,
    sum(CASE WHEN eet_12m THEN 1 ELSE 0 END) AS eet_12m_squares,
    sum(CASE WHEN eet_12m IS NOT NULL AND engaged THEN 1 ELSE 0 END) AS eet_12m_engaged,
    count(months_in_work_12m) AS months_in_work_12m_eligible,
    COALESCE(sum(months_in_work_12m), 0) AS months_in_work_12m_total,
    COALESCE(sum(months_in_work_12m * months_in_work_12m), 0) AS months_in_work_12m_squares,
    sum(CASE WHEN months_in_work_12m IS NOT NULL AND engaged THEN 1 ELSE 0 END) AS months_in_work_12m_engaged,
    count(earnings_1_6m) AS earnings_1_6m_eligible,
    COALESCE(sum(earnings_1_6m), 0) AS earnings_1_6m_total,
    COALESCE(sum(earnings_1_6m * earnings_1_6m), 0) AS earnings_1_6m_squares,
    sum(CASE WHEN earnings_1_6m IS NOT NULL AND engaged THEN 1 ELSE 0 END) AS earnings_1_6m_engaged,
    count(earnings_7_12m) AS earnings_7_12m_eligible,
    COALESCE(sum(earnings_7_12m), 0) AS earnings_7_12m_total,
    COALESCE(sum(earnings_7_12m * earnings_7_12m), 0) AS earnings_7_12m_squares,
    sum(CASE WHEN earnings_7_12m IS NOT NULL AND engaged THEN 1 ELSE 0 END) AS earnings_7_12m_engaged
FROM cohort
-- The own-area design's people enter only comparison_strata,
-- negative_control_strata and own_area_balance_strata.
WHERE arm <> 'own_area'
GROUP BY arm, programme, site_area_id, stratum
