#!/usr/bin/env python3
"""The contract's evaluation written directly in DuckDB SQL: the bar that
`evidence run` is benchmarked against (scripts/bench).

usage: scripts/duckdb_evidence.py <dataset root> <output folder> [--memory-limit 4GB]
                                  [--own-area-cells] [--matched-participants] [--cohort]

--own-area-cells also writes own_area_cells.parquet: the own-area design's
kept cells (programme, n, x, m, y: eligible participants, of them in work,
eligible own-area people, of them in work), for scripts/own-area-variance.

--cohort also writes cohort.parquet: every index event with its strata,
eligibility and outcome, with a further arm `pre_area` (programme areas'
never-referred people before the quarter of the area's earliest start), for
scripts/own-past.

--matched-participants also writes matched_participants.parquet: the
eligible participants each design matched (design `comparison` or
`own_area`, programme, person_id), for scripts/coverage to average the
generator's per-participant truth over exactly them.

It does the same work as `evidence run`: reads every table, applies the same
row checks (quarantining failures), builds the cohort, and writes
programme_outcomes (with the matched ATT), site_outcomes (with funnel limits),
subgroup_outcomes, fit_note_monthly, fit_note_did and data_quality as Parquet.
Figures agree with Evidence's; it is a benchmark, not a second implementation
to maintain (it skips the manifest and the atomic publish).
"""
import math
import os
import sys

import duckdb

data, out = sys.argv[1], sys.argv[2]
memory_limit = sys.argv[sys.argv.index("--memory-limit") + 1] if "--memory-limit" in sys.argv else None
os.makedirs(os.path.join(out, "quarantine"), exist_ok=True)
db = duckdb.connect()
if memory_limit:
    db.sql(f"SET memory_limit = '{memory_limit}'")


def src(table):
    return f"read_parquet('{data}/{table}/**/*.parquet', hive_partitioning = false)"


PROGRAMMES = "('WorkWell', 'Health and Growth Accelerator', 'Inactivity Trailblazer', 'Youth Guarantee Trailblazer')"
CONDITIONS = "('Mental health', 'Musculoskeletal', 'Cardiovascular', 'Other')"
TODAY = "current_date"

# Each table: its checks as (name, predicate over t and the joined helpers).
checks = {
    "areas": ("area_id", [], [("missing_area_id", "t.area_id IS NULL"), ("duplicate_area_id", "d.n > 1")]),
    "programmes": ("programme", [], [("unknown_programme", f"t.programme NOT IN {PROGRAMMES}"), ("duplicate_programme", "d.n > 1")]),
    "area_programmes": (
        "area_id, programme",
        [("area_id", "areas", "area_id")],
        [
            ("unknown_programme", f"t.programme NOT IN {PROGRAMMES}"),
            ("impossible_start_date", f"t.start_date < DATE '1900-01-01' OR t.start_date > {TODAY}"),
            ("duplicate_area_id_and_programme", "d.n > 1"),
            ("orphan_area_id", "p0.k IS NULL"),
        ],
    ),
    # Optional (CONTRACT.md, "Footprints"): read as empty when left out.
    "area_footprints": (
        "area_id, lad_code",
        [("area_id", "areas", "area_id")],
        [
            ("missing_lad_code", "t.lad_code IS NULL"),
            ("missing_share", "t.share IS NULL"),
            ("out_of_range_share", "t.share <= 0 OR t.share > 1"),
            ("duplicate_area_id_and_lad_code", "d.n > 1"),
            ("orphan_area_id", "p0.k IS NULL"),
        ],
    ),
    "people": (
        "person_id",
        [("area_id", "areas", "area_id")],
        [
            ("unknown_age_band", "t.age_band NOT IN ('16-24', '25-34', '35-49', '50-64')"),
            ("unknown_sex", "t.sex NOT IN ('Female', 'Male')"),
            ("out_of_range_imd_decile", "t.imd_decile NOT BETWEEN 1 AND 10"),
            ("duplicate_person_id", "d.n > 1"),
            ("orphan_area_id", "p0.k IS NULL"),
        ],
    ),
    "referrals": (
        "referral_id",
        [("person_id", "people", "person_id"), ("area_id", "areas", "area_id")],
        [
            ("unknown_programme", f"t.programme NOT IN {PROGRAMMES}"),
            ("unknown_referral_source", "t.referral_source NOT IN ('GP', 'Self', 'Employer', 'Jobcentre Plus', 'Other health service', 'Other')"),
            ("unknown_primary_condition", f"t.primary_condition NOT IN {CONDITIONS}"),
            ("impossible_referral_date", f"t.referral_date < DATE '1900-01-01' OR t.referral_date > {TODAY}"),
            ("duplicate_referral_id", "d.n > 1"),
            ("orphan_person_id", "p0.k IS NULL"),
            ("orphan_area_id", "p1.k IS NULL"),
        ],
    ),
    "fit_notes": (
        "fit_note_id",
        [("person_id", "people", "person_id"), ("area_id", "areas", "area_id")],
        [
            ("unknown_assessment", "t.assessment NOT IN ('not_fit', 'may_be_fit')"),
            ("unknown_condition", f"t.condition NOT IN {CONDITIONS}"),
            ("impossible_issue_date", f"t.issue_date < DATE '1900-01-01' OR t.issue_date > {TODAY}"),
            ("out_of_range_duration_days", "t.duration_days NOT BETWEEN 1 AND 365"),
            ("adjustments_on_not_fit_note", "t.assessment = 'not_fit' AND (t.phased_return OR t.altered_hours OR t.amended_duties OR t.workplace_adaptations)"),
            ("duplicate_fit_note_id", "d.n > 1"),
            ("orphan_person_id", "p0.k IS NULL"),
            ("orphan_area_id", "p1.k IS NULL"),
        ],
    ),
    "employment": (
        "person_id, month",
        [("person_id", "people", "person_id")],
        [
            ("unknown_status", "t.status NOT IN ('employed', 'unemployed', 'inactive', 'education_or_training')"),
            ("impossible_month", f"t.month < DATE '1900-01-01' OR t.month > {TODAY}"),
            ("month_not_first_day", "day(t.month) <> 1"),
            ("duplicate_person_id_and_month", "d.n > 1"),
            ("orphan_person_id", "p0.k IS NULL"),
        ],
    ),
}

quality = []
for table, (key, references, table_checks) in checks.items():
    if table == "area_footprints" and not os.path.isdir(os.path.join(data, table)):
        db.sql("CREATE VIEW area_footprints AS SELECT NULL::VARCHAR AS area_id, NULL::VARCHAR AS lad_code, NULL::DOUBLE AS share WHERE false")
        continue
    keys = [k.strip() for k in key.split(",")]
    joins = f"LEFT JOIN (SELECT {key}, count(*) AS n FROM {src(table)} GROUP BY ALL) d ON " + " AND ".join(f"d.{k} = t.{k}" for k in keys)
    for i, (column, parent, parent_column) in enumerate(references):
        joins += f" LEFT JOIN (SELECT DISTINCT {parent_column} AS k FROM {parent}) p{i} ON p{i}.k = t.{column}"
    reasons = ", ".join(f"CASE WHEN {predicate} THEN '{name}' END" for name, predicate in table_checks)
    db.sql(
        f"CREATE TEMP TABLE checked_{table} AS SELECT t.*, nullif(concat_ws('; ', {reasons}), '') AS reason "
        f"FROM {src(table)} t {joins}"
    )
    db.sql(f"CREATE VIEW {table} AS SELECT * EXCLUDE (reason) FROM checked_{table} WHERE reason IS NULL")
    db.sql(f"COPY (SELECT * FROM checked_{table} WHERE reason IS NOT NULL) TO '{out}/quarantine/{table}.parquet'")
    for name, _ in table_checks:
        failed = db.sql(f"SELECT count(*) FROM checked_{table} WHERE list_contains(string_split(reason, '; '), '{name}')").fetchall()[0][0]
        quality.append((table, name, failed))

# Areas that overlap on the ground (sharing a district whose shares sum to
# more than 1.0001), and the comparison areas: no programme row (valid or
# quarantined) and no overlap with an area that has one.
db.sql(
    """
CREATE VIEW area_overlaps AS
SELECT a.area_id, b.area_id AS other_area_id FROM area_footprints a
JOIN area_footprints b ON a.lad_code = b.lad_code AND a.area_id <> b.area_id AND a.share + b.share > 1.0001;
CREATE VIEW comparison_areas AS
WITH p AS (SELECT area_id FROM checked_area_programmes WHERE area_id IS NOT NULL)
SELECT area_id FROM areas
WHERE area_id NOT IN (SELECT area_id FROM p)
    AND area_id NOT IN (SELECT o.area_id FROM area_overlaps o JOIN p ON p.area_id = o.other_area_id);
"""
)

PRE_ARM = (
    "UNION ALL SELECT 'pre_area', NULL, person_id, site_area_id, index_month, condition, NULL FROM pre_pool"
    if "--cohort" in sys.argv
    else ""
)
db.sql(
    """
CREATE TEMP TABLE cohort AS
WITH
participants AS (
    -- The first referral: earliest date, ties by area_id, condition, source (never an id).
    SELECT r.programme, r.person_id,
           arg_min(r.area_id, (r.referral_date, r.area_id, r.primary_condition, r.referral_source)) AS site_area_id,
           date_trunc('month', min(r.referral_date))::DATE AS index_month,
           arg_min(r.primary_condition, (r.referral_date, r.area_id, r.primary_condition, r.referral_source)) AS condition,
           arg_min(r.referral_source, (r.referral_date, r.area_id, r.primary_condition, r.referral_source)) AS referral_source
    FROM referrals r GROUP BY r.programme, r.person_id
),
notes AS (
    -- A note starts a spell when no note (any area) was issued on days d - 90 .. d - 1:
    -- the previous day with a note, from the distinct days (same-day notes are not before).
    SELECT f.*, d.previous_day IS NULL OR d.previous_day < f.issue_date - INTERVAL 90 DAY AS starts_spell
    FROM fit_notes f
    JOIN (SELECT person_id, issue_date, lag(issue_date) OVER (PARTITION BY person_id ORDER BY issue_date) AS previous_day
          FROM (SELECT DISTINCT person_id, issue_date FROM fit_notes)) d USING (person_id, issue_date)
    -- No referral at all, valid or quarantined (a quarantined referral is still a referral).
    WHERE f.person_id NOT IN (SELECT person_id FROM checked_referrals WHERE person_id IS NOT NULL)
),
pool AS (
    SELECT n.person_id, date_trunc('month', n.issue_date)::DATE AS index_month,
           arg_min(n.condition, (n.issue_date, n.area_id, n.condition)) AS condition,
           arg_min(n.area_id, (n.issue_date, n.area_id, n.condition)) AS site_area_id
    FROM notes n JOIN comparison_areas c USING (area_id)
    WHERE n.starts_spell
    GROUP BY ALL
),
-- The own-area pool (CONTRACT.md, the own-area design): the same, from notes
-- in programme areas on or after the first day of the quarter holding the
-- area's earliest start_date (started); with --cohort, the notes before
-- that day too (arm `pre_area`, each area's own past for scripts/own-past).
area_pools AS (
    SELECT n.person_id, n.issue_date >= o.from_day AS started,
           date_trunc('month', n.issue_date)::DATE AS index_month,
           arg_min(n.condition, (n.issue_date, n.area_id, n.condition)) AS condition,
           arg_min(n.area_id, (n.issue_date, n.area_id, n.condition)) AS site_area_id
    FROM notes n
    JOIN (SELECT area_id, date_trunc('quarter', min(start_date))::DATE AS from_day
          FROM area_programmes GROUP BY area_id) o
      ON o.area_id = n.area_id
    WHERE n.starts_spell
    GROUP BY ALL
),
own_pool AS (SELECT * EXCLUDE (started) FROM area_pools WHERE started),
pre_pool AS (SELECT * EXCLUDE (started) FROM area_pools WHERE NOT started),
rates AS (
    SELECT p.area_id, avg(CASE WHEN e.status = 'employed' THEN 1.0 ELSE 0.0 END) AS rate
    FROM employment e JOIN people p USING (person_id)
    WHERE e.month = (date_trunc('month', (SELECT min(start_date) FROM area_programmes)) - INTERVAL 1 MONTH)::DATE
    GROUP BY ALL
),
ranked AS (
    SELECT r.rate, row_number() OVER (ORDER BY r.rate, r.area_id) AS position, count(*) OVER () AS areas
    FROM rates r JOIN comparison_areas USING (area_id)
),
cuts AS (
    SELECT max(rate) FILTER (WHERE 3 * position <= areas) AS low_cut,
           max(rate) FILTER (WHERE 3 * position <= 2 * areas) AS high_cut FROM ranked
),
bands AS (
    SELECT r.area_id, CASE WHEN c.low_cut IS NULL OR c.high_cut IS NULL THEN 'unknown'
           WHEN r.rate <= c.low_cut THEN 'low' WHEN r.rate <= c.high_cut THEN 'middle' ELSE 'high' END AS labour_market
    FROM rates r, cuts c
),
events AS (
    SELECT 'participant' AS arm, programme, person_id, site_area_id, index_month, condition, referral_source FROM participants
    UNION ALL
    SELECT 'comparison', NULL, person_id, site_area_id, index_month, condition, NULL FROM pool
    UNION ALL
    SELECT 'own_area', NULL, person_id, site_area_id, index_month, condition, NULL FROM own_pool
    {pre_arm}
),
last AS (SELECT max(month) AS last_month FROM employment)
SELECT e.*, p.age_band, p.sex, (p.imd_decile + 1) // 2 AS imd_quintile,
       coalesce(b.status, 'unknown') AS baseline_status,
       CASE WHEN b.status IS NULL OR h3.status IS NULL OR h6.status IS NULL OR h12.status IS NULL THEN 'unknown'
            WHEN (h3.status = 'employed') = (b.status = 'employed') AND (h6.status = 'employed') = (b.status = 'employed')
                 AND (h12.status = 'employed') = (b.status = 'employed') THEN 'steady'
            ELSE 'changed' END AS work_history,
       year(e.index_month)::VARCHAR || '-Q' || quarter(e.index_month)::VARCHAR AS index_period,
       coalesce(lm.labour_market, 'unknown') AS labour_market,
       (o.person_id IS NOT NULL AND (e.index_month + INTERVAL 6 MONTH)::DATE <= last.last_month) AS eligible,
       (o.person_id IS NOT NULL AND (e.index_month + INTERVAL 6 MONTH)::DATE <= last.last_month AND o.status = 'employed') AS in_work_6m
FROM events e JOIN people p USING (person_id) CROSS JOIN last
LEFT JOIN bands lm ON lm.area_id = e.site_area_id
LEFT JOIN employment b ON b.person_id = e.person_id AND b.month = e.index_month
LEFT JOIN employment h3 ON h3.person_id = e.person_id AND h3.month = (e.index_month - INTERVAL 3 MONTH)::DATE
LEFT JOIN employment h6 ON h6.person_id = e.person_id AND h6.month = (e.index_month - INTERVAL 6 MONTH)::DATE
LEFT JOIN employment h12 ON h12.person_id = e.person_id AND h12.month = (e.index_month - INTERVAL 12 MONTH)::DATE
LEFT JOIN employment o ON o.person_id = e.person_id AND o.month = (e.index_month + INTERVAL 6 MONTH)::DATE
""".replace("{pre_arm}", PRE_ARM)
)

WILSON = """
    {x} / {n} AS rate,
    ({x} / {n} + 1.959963984540054 ^ 2 / (2 * {n}) - 1.959963984540054 * sqrt({x} / {n} * (1 - {x} / {n}) / {n} + 1.959963984540054 ^ 2 / (4 * {n} ^ 2))) / (1 + 1.959963984540054 ^ 2 / {n}) AS rate_low,
    ({x} / {n} + 1.959963984540054 ^ 2 / (2 * {n}) + 1.959963984540054 * sqrt({x} / {n} * (1 - {x} / {n}) / {n} + 1.959963984540054 ^ 2 / (4 * {n} ^ 2))) / (1 + 1.959963984540054 ^ 2 / {n}) AS rate_high"""

# Matched comparison for every (programme, dimension, value): 'all' is the programme as a whole.
db.sql(
    """
CREATE TEMP TABLE matched AS
WITH p AS (
    -- co_enrolment: a participant of another programme too.
    SELECT *, CASE WHEN count(*) OVER (PARTITION BY person_id) > 1 THEN 'co-enrolled'
                   ELSE 'this programme only' END AS co_enrolment
    FROM cohort WHERE arm = 'participant'
),
groups AS (
    SELECT programme, 'all' AS dimension, 'all' AS value, * EXCLUDE (programme) FROM p
    UNION ALL SELECT programme, 'condition', condition, * EXCLUDE (programme) FROM p
    UNION ALL SELECT programme, 'referral_source', referral_source, * EXCLUDE (programme) FROM p
    UNION ALL SELECT programme, 'age_band', age_band, * EXCLUDE (programme) FROM p
    UNION ALL SELECT programme, 'sex', sex, * EXCLUDE (programme) FROM p
    UNION ALL SELECT programme, 'imd_quintile', imd_quintile::VARCHAR, * EXCLUDE (programme) FROM p
    UNION ALL SELECT programme, 'co_enrolment', co_enrolment, * EXCLUDE (programme) FROM p
),
ps AS (
    SELECT programme, dimension, value, age_band, sex, imd_quintile, condition, baseline_status,
           work_history, index_period, labour_market, count(*) FILTER (WHERE eligible) AS n, count(*) FILTER (WHERE in_work_6m) AS x
    FROM groups GROUP BY ALL
),
cs AS (
    SELECT age_band, sex, imd_quintile, condition, baseline_status, work_history, index_period, labour_market,
           count(*) AS m, count(*) FILTER (WHERE in_work_6m) AS y
    FROM cohort WHERE arm = 'comparison' AND eligible GROUP BY ALL
),
joined AS (SELECT ps.*, cs.m, cs.y FROM ps LEFT JOIN cs USING (age_band, sex, imd_quintile, condition, baseline_status, work_history,
    index_period, labour_market) WHERE ps.n > 0),
totals AS (
    SELECT programme, dimension, value,
           sum(n) FILTER (WHERE m > 0) AS matched, coalesce(sum(n) FILTER (WHERE m IS NULL), 0) AS unmatched,
           sum(x) FILTER (WHERE m > 0) AS matched_in_work
    FROM joined GROUP BY ALL
)
SELECT t.programme, t.dimension, t.value, t.matched, t.unmatched,
       sum(j.n / t.matched * j.y / j.m) AS comparison_rate,
       t.matched_in_work / t.matched - sum(j.n / t.matched * j.y / j.m) AS att,
       sqrt((t.matched_in_work / t.matched) * (1 - t.matched_in_work / t.matched) / t.matched
            + sum((j.n / t.matched) ^ 2 * (j.y / j.m) * (1 - j.y / j.m) / j.m)) AS se
FROM totals t LEFT JOIN joined j ON j.programme = t.programme AND j.dimension = t.dimension AND j.value = t.value AND j.m > 0
GROUP BY t.programme, t.dimension, t.value, t.matched, t.unmatched, t.matched_in_work
"""
)


# The own-area design: cells are (area, stratum); each site's eligible
# participants (n, x in work) against the eligible own-area people of the
# same area and stratum (m, y; null when none).
OWN_AREA_CELLS = """WITH ps AS (
    SELECT programme, site_area_id, age_band, sex, imd_quintile, condition, baseline_status,
           work_history, index_period, labour_market,
           count(*) FILTER (WHERE eligible) AS n, count(*) FILTER (WHERE in_work_6m) AS x
    FROM cohort WHERE arm = 'participant' GROUP BY ALL
),
os AS (
    SELECT site_area_id, age_band, sex, imd_quintile, condition, baseline_status, work_history,
           index_period, labour_market, count(*) AS m, count(*) FILTER (WHERE in_work_6m) AS y
    FROM cohort WHERE arm = 'own_area' AND eligible GROUP BY ALL
),
joined AS (SELECT ps.*, os.m, os.y FROM ps LEFT JOIN os USING (site_area_id, age_band, sex, imd_quintile,
    condition, baseline_status, work_history, index_period, labour_market) WHERE ps.n > 0)"""

db.sql(
    f"""
CREATE TEMP TABLE own_area AS
{OWN_AREA_CELLS},
totals AS (
    SELECT programme, coalesce(sum(n) FILTER (WHERE m > 0), 0) AS matched,
           coalesce(sum(n) FILTER (WHERE m IS NULL), 0) AS unmatched,
           sum(x) FILTER (WHERE m > 0) AS matched_in_work
    FROM joined GROUP BY ALL
)
SELECT t.programme, t.matched AS own_area_matched, t.unmatched AS own_area_unmatched,
       t.matched_in_work / t.matched - sum(j.n / t.matched * j.y / j.m) AS own_area_att
FROM totals t LEFT JOIN joined j ON j.programme = t.programme AND j.m > 0
GROUP BY t.programme, t.matched, t.unmatched, t.matched_in_work
"""
)


# tau^2, the between-area variance, written from CONTRACT.md's "tau^2, step
# by step" alone (not from Evidence's code): each programme's own moments,
# and the pooled value where a programme has fewer than 3 areas in all.
STRATUM = "age_band, sex, imd_quintile, condition, baseline_status, work_history, index_period, labour_market"
comparison_cells = {}
for area, *key, m, y in db.sql(
    f"SELECT site_area_id, {STRATUM}, count(*), count(*) FILTER (WHERE in_work_6m) FROM cohort "
    "WHERE arm = 'comparison' AND eligible GROUP BY ALL"
).fetchall():
    comparison_cells[(area, tuple(key))] = (m, y)
programme_cells = {}
for programme, area, *key, n, y in db.sql(
    f"SELECT programme, site_area_id, {STRATUM}, count(*) FILTER (WHERE eligible), count(*) FILTER (WHERE in_work_6m) "
    "FROM cohort WHERE arm = 'participant' GROUP BY ALL"
).fetchall():
    if n > 0:
        programme_cells.setdefault(programme, {})[(area, tuple(key))] = (n, y)


def tau2_moments(cells):
    """Steps 1 to 6 for one programme's cells (a proportion: Q = Y)."""
    m_s, y_s, m_bs, y_b = {}, {}, {}, {}
    for (b, s), (m, y) in comparison_cells.items():
        m_s[s] = m_s.get(s, 0) + m
        y_s[s] = y_s.get(s, 0) + y
        m_bs.setdefault(b, {})[s] = m
        y_b[b] = y_b.get(b, 0) + y
    c = {s: y_s[s] / m_s[s] for s in m_s}
    r = {s: c[s] - c[s] ** 2 for s in m_s}
    n_as, y_a, n_s, yp_s = {}, {}, {}, {}
    for (a, s), (n, y) in cells.items():
        if s not in m_s:
            continue
        n_as.setdefault(a, {})[s] = n
        y_a[a] = y_a.get(a, 0) + y
        n_s[s] = n_s.get(s, 0) + n
        yp_s[s] = yp_s.get(s, 0) + y
    n_a = {a: sum(v.values()) for a, v in n_as.items()}
    n = sum(n_a.values())
    if n == 0:
        return None
    w = {a: n_a[a] / n for a in n_a}
    W = {s: n_s[s] / n for s in n_s}
    u = {s: yp_s[s] / n_s[s] - (yp_s[s] / n_s[s]) ** 2 for s in n_s}
    cbar = sum(W[s] * c[s] for s in W)
    pooled = max(0.0, sum(W[s] * y_s[s] / m_s[s] for s in W) - cbar ** 2)
    v = {s: (max(0.0, (y_s[s] - y_s[s] ** 2 / m_s[s]) / (m_s[s] - 1)) / m_s[s] if m_s[s] >= 2 else pooled) for s in W}
    d = {a: (y_a[a] - sum(k * c[s] for s, k in n_as[a].items())) / n_a[a] for a in n_a}
    dbar = sum(w[a] * d[a] for a in n_a)
    sig2 = {a: sum(k * u[s] for s, k in n_as[a].items()) / n_a[a] ** 2 for a in n_a}
    sw2 = sum(x * x for x in w.values())
    sw2sig = sum(w[a] ** 2 * sig2[a] for a in n_a)
    noise = {a: sum((n_as[a].get(s, 0) / n_a[a] - W[s]) ** 2 * v[s] for s in W) for a in n_a}
    # Each area's (observed square, null, coefficient): the moment sums of
    # step 5 are X = sum(observed - null), C = sum(k), N = sum(null) and
    # Q = sum(null^2 / k) over areas with k > 0.
    prog = [((d[a] - dbar) ** 2, sig2[a] * (1 - 2 * w[a]) + sw2sig + noise[a], 1 - 2 * w[a] + sw2) for a in n_a]
    comp = []
    for b, strata in m_bs.items():
        mb = sum(strata.values())
        e = (y_b[b] - sum(k * c[s] for s, k in strata.items())) / mb
        null = sum(k * r[s] * (1 - k / m_s[s]) for s, k in strata.items()) / mb ** 2
        share = {o: sum(k / mb * m_bs[o].get(s, 0) / m_s[s] for s, k in strata.items()) for o in m_bs}
        comp.append((e * e, null, (1 - share[b]) ** 2 + sum(share[o] ** 2 for o in m_bs if o != b)))
    omega = {b: sum(W[s] * m_bs[b].get(s, 0) / m_s[s] for s in W) for b in m_bs}
    # For the randomisation check: the people's part of the ATT's variance
    # (p(1-p)/n + V), the programme areas' weights largest first, and each
    # comparison area as a placebo area, predicted leave-one-out.
    p = sum(y_a.values()) / n
    placebo = []
    for b, strata in m_bs.items():
        kept = {s: k for s, k in strata.items() if k > 0 and m_s[s] > k}
        mb_star = sum(kept.values())
        if mb_star == 0:
            continue
        y_bs = {s: comparison_cells[(b, s)][1] for s in kept}
        e = sum(y_bs[s] - k * (y_s[s] - y_bs[s]) / (m_s[s] - k) for s, k in kept.items()) / mb_star
        var = sum((k / mb_star) ** 2 * r[s] * (1 / k + 1 / (m_s[s] - k)) for s, k in kept.items())
        h = 1 + sum(
            sum(k / mb_star * m_bs[o].get(s, 0) / (m_s[s] - k) for s, k in kept.items()) ** 2
            for o in m_bs if o != b
        )
        placebo.append((-sum(strata.values()), b, e, var, h))
    placebo.sort(key=lambda x: (x[0], x[1]))
    # The participants' design effect (CONTRACT.md, the ATT's interval).
    within = sum(yp_s[s] - yp_s[s] ** 2 / n_s[s] for s in n_s if n_s[s] >= 2)
    dof = sum(n_s[s] - 1 for s in n_s if n_s[s] >= 2)
    y_all = sum(yp_s.values())
    whole = (y_all - y_all ** 2 / n) / (n - 1) if n >= 2 else 0.0
    design = within / dof / whole if dof > 0 and whole > 0 else 1.0
    design = design if 0 < design <= 1 else 1.0
    return dict(areas=len(n_a), comparison_areas=len(m_bs), prog=sums(prog), comp=sums(comp), design_effect=design,
                comparison_weight=sum(o * o for o in omega.values()),
                participants_variance=p * (1 - p) / n, comparison_part=sum(W[s] ** 2 * v[s] for s in W),
                att=p - sum(W[s] * c[s] for s in W),
                weights=sorted(w.values(), reverse=True), sum_w2=sw2,
                placebo=[(e, var, h) for _, _, e, var, h in placebo])


def sums(terms):
    kept = [(o, n, k) for o, n, k in terms if k > 0]
    return (sum(o - n for o, n, _ in kept), sum(k for _, _, k in kept),
            sum(n for _, n, _ in kept), sum(n * n / k for _, n, k in kept))


def tau2_for_interval(s):
    """Step 5: the moment estimate, its standard error, the interval's tau2
    (the Bayes modal estimate) and its degrees of freedom (C)."""
    x, c, n, q = s
    m = x / c
    se = math.sqrt(2 * (max(m, 0) ** 2 * c + 2 * max(m, 0) * n + q)) / c
    if se == 0:
        t = max(m, 0.0)
    elif m < 0:
        t = se * se / (math.sqrt(m * m + 2 * se * se) - m)
    else:
        t = (m + math.sqrt(m * m + 2 * se * se)) / 2
    return m, se, t, c


def splitmix64(x):
    mask = (1 << 64) - 1
    z = (x + 0x9E3779B97F4A7C15) & mask
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
    return z ^ (z >> 31)


def randomisation_p(mo, tau2):
    """CONTRACT.md's randomisation check: placebo areas drawn with replacement."""
    weights, placebo = mo["weights"], mo["placebo"]
    k, n = len(weights), len(placebo)
    if tau2 is None or k == 0 or n < 3:
        return None
    # The programme's t: its att over the interval's se, the participants'
    # part with the design effect d (CONTRACT.md).
    people = mo["design_effect"] * mo["participants_variance"] + mo["comparison_part"]
    t = mo["att"] / math.sqrt(people + tau2 * (mo["sum_w2"] + mo["comparison_weight"]))
    if n ** k <= 5000:
        draws = [[(i // n ** j) % n for j in range(k)] for i in range(n ** k)]
    else:
        draws = [[splitmix64(r * k + j) % n for j in range(k)] for r in range(5000)]
    # The placebo statistics are standardised with the placebo areas' own
    # tau2: max(0, sum(e^2 - v) / sum(h)).
    own = max(0.0, sum(e * e - v for e, v, _ in placebo) / sum(h for _, _, h in placebo))
    at_least = 0
    for draw in draws:
        effect = sum(wt * placebo[b][0] for wt, b in zip(weights, draw))
        variance = sum(wt * wt * (placebo[b][1] + own * placebo[b][2]) for wt, b in zip(weights, draw))
        at_least += abs(effect / math.sqrt(variance)) >= abs(t) - 1e-12
    return (1 + at_least) / (1 + len(draws))


ORDER = ["WorkWell", "Health and Growth Accelerator", "Inactivity Trailblazer", "Youth Guarantee Trailblazer"]
moments = {p: tau2_moments(cells) for p, cells in programme_cells.items()}
moments = {p: mo for p, mo in moments.items() if mo is not None}
def add(a, b):
    return tuple(x + y for x, y in zip(a, b))


area_rows = []
for p, mo in moments.items():
    areas = mo["areas"] + mo["comparison_areas"]
    own = add(mo["prog"], mo["comp"])
    if areas >= 3 and own[1] > 0:
        moment, se, tau2, df = tau2_for_interval(own)
    else:
        used = [moments[q] for q in ORDER if q in moments]
        first = used[0]
        pooled, total, means = first["comp"], first["comparison_areas"], 1
        for q in used:
            pooled, total, means = add(pooled, q["prog"]), total + q["areas"], means + 1
        moment, se, tau2, df = tau2_for_interval(pooled) if total > means and pooled[1] > 0 else (None,) * 4
    area_rows.append((p, tau2, moment, se, float(df) if df is not None else None,
                      mo["comparison_weight"] if tau2 is not None else None, randomisation_p(mo, tau2),
                      mo["design_effect"]))
db.sql("CREATE TEMP TABLE area_variance (programme VARCHAR, between_area_variance DOUBLE, between_area_moment DOUBLE, "
       "between_area_moment_se DOUBLE, between_area_df DOUBLE, comparison_area_weight DOUBLE, randomisation_p DOUBLE, "
       "att_design_effect DOUBLE)")
if area_rows:
    db.executemany("INSERT INTO area_variance VALUES (?, ?, ?, ?, ?, ?, ?, ?)", area_rows)

db.sql(
    f"""
COPY (
    WITH counts AS (
        SELECT programme, count(*) AS participants, count(*) FILTER (WHERE eligible) AS eligible,
               count(*) FILTER (WHERE in_work_6m) AS in_work_6m
        FROM cohort WHERE arm = 'participant' GROUP BY programme
    )
    SELECT c.programme, c.participants, c.eligible, c.in_work_6m,
           {WILSON.format(x="c.in_work_6m::DOUBLE", n="c.eligible")},
           m.matched, m.unmatched, m.comparison_rate, m.att, m.att - 1.96 * m.se AS att_low, m.att + 1.96 * m.se AS att_high,
           pr.funding_gbp,
           -- Per participant (CONTRACT.md, cost per additional job outcome),
           -- without its Holm gate across the declared headlines.
           CASE WHEN m.att - 1.96 * m.se > 0 THEN pr.funding_gbp / (m.att * c.participants) END AS cost_per_additional_outcome,
           v.between_area_variance, v.between_area_moment, v.between_area_moment_se, v.between_area_df,
           v.comparison_area_weight, v.randomisation_p, v.att_design_effect,
           o.own_area_matched, o.own_area_unmatched, o.own_area_att
    FROM counts c JOIN programmes pr USING (programme)
    LEFT JOIN matched m ON m.programme = c.programme AND m.dimension = 'all'
    LEFT JOIN own_area o ON o.programme = c.programme
    LEFT JOIN area_variance v ON v.programme = c.programme
) TO '{out}/programme_outcomes.parquet'
"""
)

db.sql(
    f"""
COPY (
    WITH sites AS (
        SELECT programme, site_area_id AS area_id, count(*) AS participants,
               count(*) FILTER (WHERE eligible) AS eligible, count(*) FILTER (WHERE in_work_6m) AS in_work_6m
        FROM cohort WHERE arm = 'participant' GROUP BY ALL
    ),
    targets AS (SELECT programme, sum(in_work_6m) / sum(eligible) AS p0 FROM sites GROUP BY programme)
    SELECT s.*, {WILSON.format(x="s.in_work_6m::DOUBLE", n="s.eligible")}, t.p0 AS target_rate,
           greatest(0, t.p0 - 1.96 * sqrt(t.p0 * (1 - t.p0) / s.eligible)) AS limit95_low,
           least(1, t.p0 + 1.96 * sqrt(t.p0 * (1 - t.p0) / s.eligible)) AS limit95_high,
           greatest(0, t.p0 - 3.09 * sqrt(t.p0 * (1 - t.p0) / s.eligible)) AS limit998_low,
           least(1, t.p0 + 3.09 * sqrt(t.p0 * (1 - t.p0) / s.eligible)) AS limit998_high,
           CASE WHEN s.in_work_6m / s.eligible > least(1, t.p0 + 3.09 * sqrt(t.p0 * (1 - t.p0) / s.eligible)) THEN 'above'
                WHEN s.in_work_6m / s.eligible < greatest(0, t.p0 - 3.09 * sqrt(t.p0 * (1 - t.p0) / s.eligible)) THEN 'below'
                ELSE 'within' END AS funnel_flag
    FROM sites s JOIN targets t USING (programme)
) TO '{out}/site_outcomes.parquet'
"""
)

db.sql(
    f"""
COPY (
    WITH p AS (
        SELECT *, CASE WHEN count(*) OVER (PARTITION BY person_id) > 1 THEN 'co-enrolled'
                       ELSE 'this programme only' END AS co_enrolment
        FROM cohort WHERE arm = 'participant'
    ),
    groups AS (
        SELECT programme, 'condition' AS dimension, condition AS value, eligible, in_work_6m FROM p
        UNION ALL SELECT programme, 'referral_source', referral_source, eligible, in_work_6m FROM p
        UNION ALL SELECT programme, 'age_band', age_band, eligible, in_work_6m FROM p
        UNION ALL SELECT programme, 'sex', sex, eligible, in_work_6m FROM p
        UNION ALL SELECT programme, 'imd_quintile', imd_quintile::VARCHAR, eligible, in_work_6m FROM p
        UNION ALL SELECT programme, 'co_enrolment', co_enrolment, eligible, in_work_6m FROM p
    ),
    counts AS (SELECT programme, dimension, value, count(*) FILTER (WHERE eligible) AS eligible,
                      count(*) FILTER (WHERE in_work_6m) AS in_work_6m FROM groups GROUP BY ALL)
    SELECT c.*, {WILSON.format(x="c.in_work_6m::DOUBLE", n="c.eligible")},
           m.matched, m.comparison_rate, m.att, m.att - 1.96 * m.se AS att_low, m.att + 1.96 * m.se AS att_high
    FROM counts c LEFT JOIN matched m USING (programme, dimension, value)
) TO '{out}/subgroup_outcomes.parquet'
"""
)

db.sql(
    f"""
COPY (
    SELECT area_id, date_trunc('month', issue_date)::DATE AS month, count(*) AS fit_notes,
           count(*) FILTER (WHERE assessment = 'may_be_fit') AS may_be_fit,
           count(*) FILTER (WHERE assessment = 'may_be_fit') / count(*) AS may_be_fit_share
    FROM fit_notes GROUP BY ALL ORDER BY ALL
) TO '{out}/fit_note_monthly.parquet'
"""
)

db.sql(
    f"""
COPY (
    WITH starts AS (SELECT programme, min(start_date) AS s FROM area_programmes GROUP BY programme),
    notes AS (
        SELECT st.programme, 'programme' AS side, st.s, f.issue_date, f.assessment
        FROM starts st JOIN area_programmes ap USING (programme) JOIN fit_notes f ON f.area_id = ap.area_id
        UNION ALL
        SELECT st.programme, 'comparison', st.s, f.issue_date, f.assessment
        FROM fit_notes f JOIN comparison_areas USING (area_id) CROSS JOIN starts st
    ),
    cells AS (
        SELECT programme, side, issue_date >= s AS post, count(*) AS n,
               count(*) FILTER (WHERE assessment = 'may_be_fit') / count(*) AS q
        FROM notes WHERE issue_date >= (s - INTERVAL 12 MONTH)::DATE GROUP BY ALL
    ),
    wide AS (
        SELECT programme,
               max(q) FILTER (WHERE side = 'programme' AND NOT post) AS pre_share,
               max(q) FILTER (WHERE side = 'programme' AND post) AS post_share,
               max(q) FILTER (WHERE side = 'comparison' AND NOT post) AS comparison_pre_share,
               max(q) FILTER (WHERE side = 'comparison' AND post) AS comparison_post_share,
               sum(q * (1 - q) / n) AS variance
        FROM cells GROUP BY programme
    )
    SELECT programme, pre_share, post_share, comparison_pre_share, comparison_post_share,
           (post_share - pre_share) - (comparison_post_share - comparison_pre_share) AS did,
           (post_share - pre_share) - (comparison_post_share - comparison_pre_share) - 1.96 * sqrt(variance) AS did_low,
           (post_share - pre_share) - (comparison_post_share - comparison_pre_share) + 1.96 * sqrt(variance) AS did_high
    FROM wide
) TO '{out}/fit_note_did.parquet'
"""
)

db.sql("CREATE TEMP TABLE quality (table_name VARCHAR, check_name VARCHAR, rows_failed BIGINT)")
db.executemany("INSERT INTO quality VALUES (?, ?, ?)", quality)
db.sql(f"COPY quality TO '{out}/data_quality.parquet'")

if "--own-area-cells" in sys.argv:
    db.sql(
        f"""
COPY (
    {OWN_AREA_CELLS}
    SELECT programme, n, x, m, y FROM joined WHERE m > 0
) TO '{out}/own_area_cells.parquet'
"""
    )

if "--cohort" in sys.argv:
    db.sql(
        f"""
COPY (
    SELECT arm, programme, person_id, site_area_id, index_month, age_band, sex, imd_quintile, condition,
           baseline_status, work_history, index_period, labour_market, eligible, in_work_6m
    FROM cohort
) TO '{out}/cohort.parquet'
"""
    )

if "--matched-participants" in sys.argv:
    db.sql(
        f"""
COPY (
    WITH p AS (SELECT * FROM cohort WHERE arm = 'participant' AND eligible),
    cs AS (
        SELECT DISTINCT age_band, sex, imd_quintile, condition, baseline_status, work_history,
               index_period, labour_market
        FROM cohort WHERE arm = 'comparison' AND eligible
    ),
    os AS (
        SELECT DISTINCT site_area_id, age_band, sex, imd_quintile, condition, baseline_status,
               work_history, index_period, labour_market
        FROM cohort WHERE arm = 'own_area' AND eligible
    )
    SELECT 'comparison' AS design, programme, person_id FROM p SEMI JOIN cs USING (age_band, sex,
        imd_quintile, condition, baseline_status, work_history, index_period, labour_market)
    UNION ALL
    SELECT 'own_area', programme, person_id FROM p SEMI JOIN os USING (site_area_id, age_band, sex,
        imd_quintile, condition, baseline_status, work_history, index_period, labour_market)
) TO '{out}/matched_participants.parquet'
"""
    )
