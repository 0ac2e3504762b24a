-- Participants by site and matching stratum (cohort.stratum), for the whole
-- programme (dimension 'all', value 'all') and within each subgroup of
-- subgroup_outcomes, in one pass: each participant counts once under every
-- dimension (`co_enrolment` from sql/participant_exposure.sql). The estimators in the pipeline match these against
-- comparison_strata (estimators/matching.rs, summed over areas) and weigh the areas'
-- deviations (estimators/between_areas.rs).
WITH dimensions (dimension) AS (
    VALUES ('all'), ('condition'), ('referral_source'), ('age_band'), ('sex'), ('imd_quintile'),
        ('co_enrolment')
),
by_dimension AS (
    SELECT
        p.programme,
        d.dimension,
        CASE d.dimension
            WHEN 'all' THEN 'all'
            WHEN 'condition' THEN p.condition
            WHEN 'referral_source' THEN p.referral_source
            WHEN 'age_band' THEN p.age_band
            WHEN 'sex' THEN p.sex
            WHEN 'co_enrolment' THEN
                CASE WHEN x.co_enrolled THEN 'co-enrolled' ELSE 'this programme only' END
            ELSE CAST(p.imd_quintile AS VARCHAR)
        END AS value,
        p.site_area_id,
        p.stratum,
        p.eligible,
        p.in_work_6m,
        p.engaged
    FROM cohort p
    JOIN participant_exposure x ON x.programme = p.programme AND x.person_id = p.person_id
    CROSS JOIN dimensions d
    WHERE p.arm = 'participant'
)
SELECT
    programme,
    dimension,
    value,
    site_area_id AS area_id,
    stratum,
    count(*) AS participants,
    sum(CASE WHEN eligible THEN 1 ELSE 0 END) AS eligible,
    sum(CASE WHEN in_work_6m THEN 1 ELSE 0 END) AS in_work_6m,
    sum(CASE WHEN eligible AND engaged THEN 1 ELSE 0 END) AS engaged
FROM by_dimension
GROUP BY programme, dimension, value, site_area_id, stratum
