"""Read an evidence root with DuckDB and check it against an independent
DuckDB computation of the same contract definitions from the dataset root.

usage: python3 tests/readback.py <dataset root> <evidence root>
Exits non-zero, printing every disagreement, if any figure differs.
"""
import math
import sys

import duckdb

data, evidence = sys.argv[1], sys.argv[2]
db = duckdb.connect()
problems = []


def table(name):
    return f"read_parquet('{data}/{name}/**/*.parquet', hive_partitioning=false, union_by_name=true)"


def out(name):
    return f"read_parquet('{evidence}/{name}.parquet')"


def rows(sql):
    return db.sql(sql).fetchall()


def close(a, b, what, tol=1e-9):
    if a is None or b is None:
        if a is not b:
            problems.append(f"{what}: {a} != {b}")
    elif not math.isclose(a, b, rel_tol=tol, abs_tol=tol):
        problems.append(f"{what}: {a} != {b}")


# Valid rows = the dataset's rows minus those Evidence quarantined (by id).
for name, key in [("people", "person_id"), ("referrals", "referral_id"), ("fit_notes", "fit_note_id")]:
    db.sql(
        f"CREATE VIEW {name} AS SELECT * FROM {table(name)} "
        f"WHERE {key} NOT IN (SELECT {key} FROM read_parquet('{evidence}/quarantine/{name}.parquet'))"
    )
db.sql(
    f"""CREATE VIEW employment AS SELECT e.* FROM {table('employment')} e
    WHERE e.person_id IN (SELECT person_id FROM people)
      AND e.status IN ('employed', 'unemployed', 'inactive', 'education_or_training')"""
)
db.sql(f"CREATE VIEW area_programmes AS SELECT * FROM {table('area_programmes')}")
db.sql(f"CREATE VIEW areas AS SELECT * FROM {table('areas')}")

# Every output table run.json lists is readable and has rows.
import json

with open(f"{evidence}/run.json") as manifest:
    written = [o["table"] for o in json.load(manifest)["outputs"]]
for name in written:
    if rows(f"SELECT count(*) FROM {out(name)}")[0][0] == 0:
        problems.append(f"{name} is empty")
if len(written) < 6:
    problems.append(f"run.json lists only {written}")

# fit_note_monthly, recomputed.
expected = {
    (a, m): (n, k)
    for a, m, n, k in rows(
        """SELECT area_id, date_trunc('month', issue_date)::DATE, count(*),
                  count(*) FILTER (WHERE assessment = 'may_be_fit') FROM fit_notes GROUP BY ALL"""
    )
}
actual = {(a, m): (n, k, s) for a, m, n, k, s in rows(f"SELECT area_id, month, fit_notes, may_be_fit, may_be_fit_share FROM {out('fit_note_monthly')}")}
if set(expected) != set(actual):
    problems.append(f"fit_note_monthly keys differ: {len(expected)} expected, {len(actual)} written")
for key, (n, k) in expected.items():
    if key in actual:
        if actual[key][:2] != (n, k):
            problems.append(f"fit_note_monthly {key}: {actual[key][:2]} != {(n, k)}")
        close(actual[key][2], k / n, f"fit_note_monthly share {key}")

# Programme participants, eligible, in work at 6 months, and Wilson intervals.
recomputed = rows(
    """
    WITH first_referral AS (
        SELECT programme, person_id,
               arg_min(referral_date, (referral_date, referral_id)) AS referral_date
        FROM referrals GROUP BY programme, person_id
    ),
    last AS (SELECT max(month) AS last_month FROM employment)
    SELECT f.programme, count(*) AS participants,
           count(o.person_id) FILTER (WHERE (date_trunc('month', f.referral_date) + INTERVAL 6 MONTH)::DATE <= last.last_month) AS eligible,
           count(*) FILTER (WHERE o.status = 'employed') AS in_work
    FROM first_referral f JOIN people p USING (person_id) CROSS JOIN last
    LEFT JOIN employment o ON o.person_id = f.person_id
        AND o.month = (date_trunc('month', f.referral_date) + INTERVAL 6 MONTH)::DATE
    GROUP BY f.programme
    """
)
written = {r[0]: r[1:] for r in rows(f"SELECT programme, participants, eligible, in_work_6m, rate, rate_low, rate_high FROM {out('programme_outcomes')}")}
z = 1.959963984540054
for programme, participants, eligible, in_work in recomputed:
    w = written.get(programme)
    if w is None:
        problems.append(f"programme_outcomes lacks {programme}")
        continue
    if tuple(w[:3]) != (participants, eligible, in_work):
        problems.append(f"{programme}: counts {tuple(w[:3])} != {(participants, eligible, in_work)}")
    p = in_work / eligible
    centre = (p + z * z / (2 * eligible)) / (1 + z * z / eligible)
    half = z * math.sqrt(p * (1 - p) / eligible + z * z / (4 * eligible**2)) / (1 + z * z / eligible)
    close(w[3], p, f"{programme} rate")
    close(w[4], centre - half, f"{programme} rate_low")
    close(w[5], centre + half, f"{programme} rate_high")

# The generator's own count of the people it referred to each programme
# (`_planted.json`): every one of them is a participant.
import json
import os

planted_file = os.path.join(data, "_planted.json")
if os.path.exists(planted_file):
    with open(planted_file) as f:
        planted = json.load(f)
    for programme, truth in planted["programmes"].items():
        w = written.get(programme)
        if w is not None and w[0] != truth["participants"]:
            problems.append(f"{programme}: {w[0]} participants, the generator referred {truth['participants']}")

# Fit-note difference in differences, recomputed.
did_rows = rows(
    """
    WITH starts AS (SELECT programme, min(start_date) AS s FROM area_programmes GROUP BY programme),
    comparison AS (SELECT area_id FROM areas WHERE area_id NOT IN (SELECT area_id FROM area_programmes)),
    cells AS (
        SELECT st.programme,
               CASE WHEN f.area_id IN (SELECT area_id FROM area_programmes ap WHERE ap.programme = st.programme) THEN 'programme'
                    WHEN f.area_id IN (SELECT area_id FROM comparison) THEN 'comparison' END AS side,
               CASE WHEN f.issue_date >= st.s THEN 'post'
                    WHEN f.issue_date >= (st.s - INTERVAL 12 MONTH)::DATE THEN 'pre' END AS period,
               f.assessment
        FROM fit_notes f CROSS JOIN starts st
    )
    SELECT programme, side, period, avg(CASE WHEN assessment = 'may_be_fit' THEN 1.0 ELSE 0.0 END)
    FROM cells WHERE side IS NOT NULL AND period IS NOT NULL GROUP BY ALL
    """
)
shares = {(p, s, q): v for p, s, q, v in did_rows}
for programme, *written in rows(
    f"SELECT programme, pre_share, post_share, comparison_pre_share, comparison_post_share FROM {out('fit_note_did')}"
):
    for value, (side, period) in zip(
        written, [("programme", "pre"), ("programme", "post"), ("comparison", "pre"), ("comparison", "post")]
    ):
        close(value, shares.get((programme, side, period)), f"{programme} {side} {period} share")

# The staggered DiD's group-time effects over all areas, recomputed: each
# cohort's change from its base month (the month before go-live, for every
# month: the universal base) minus the comparison areas' change.
group_time = rows(
    """
    WITH monthly AS (
        SELECT area_id, date_trunc('month', issue_date)::DATE AS month,
               avg(CASE WHEN assessment = 'may_be_fit' THEN 1.0 ELSE 0.0 END) AS y
        FROM fit_notes GROUP BY ALL
    ),
    bounds AS (SELECT min(month) AS first, max(month) AS last FROM monthly),
    treated AS (
        SELECT programme, area_id, date_trunc('month', start_date)::DATE AS g
        FROM area_programmes, bounds WHERE date_trunc('month', start_date) > first AND date_trunc('month', start_date) <= last
    ),
    comparison AS (SELECT area_id FROM areas WHERE area_id NOT IN (SELECT area_id FROM area_programmes)),
    cells AS (
        SELECT DISTINCT t.programme, t.g, m.month AS t,
               (t.g - INTERVAL 1 MONTH)::DATE AS b
        FROM treated t, (SELECT DISTINCT month FROM monthly) m
        WHERE m.month >= (t.g - INTERVAL 12 MONTH)
    ),
    tr AS (
        SELECT c.programme, c.g, c.t, avg(yt.y - yb.y) AS d
        FROM cells c JOIN treated a ON a.programme = c.programme AND a.g = c.g
        JOIN monthly yt ON yt.area_id = a.area_id AND yt.month = c.t
        JOIN monthly yb ON yb.area_id = a.area_id AND yb.month = c.b
        GROUP BY ALL
    ),
    co AS (
        SELECT c.programme, c.g, c.t, avg(yt.y - yb.y) AS d
        FROM cells c CROSS JOIN comparison k
        JOIN monthly yt ON yt.area_id = k.area_id AND yt.month = c.t
        JOIN monthly yb ON yb.area_id = k.area_id AND yb.month = c.b
        GROUP BY ALL
    )
    SELECT tr.programme, tr.g, tr.t, tr.d - co.d FROM tr JOIN co USING (programme, g, t)
    """
)
expected_gt = {(p, g, t): att for p, g, t, att in group_time}
written_gt = {
    (p, g, t): att
    for p, g, t, att in rows(
        f"SELECT programme, cohort, month, att FROM {out('fit_note_group_time')} WHERE areas = 'all'"
    )
}
if set(expected_gt) != set(written_gt):
    problems.append(
        f"fit_note_group_time cells differ: {len(expected_gt)} recomputed, {len(written_gt)} written; "
        f"e.g. {sorted(set(expected_gt) ^ set(written_gt))[:3]}"
    )
for key in expected_gt.keys() & written_gt.keys():
    close(written_gt[key], expected_gt[key], f"fit_note_group_time {key}")

# The overall effect: each cohort's post-start cells averaged, cohorts
# weighted by their number of areas.
sizes = {}
for programme, g, n in rows(
    """SELECT programme, date_trunc('month', start_date)::DATE, count(*) FROM area_programmes
       WHERE date_trunc('month', start_date) > (SELECT min(date_trunc('month', issue_date)) FROM fit_notes)
         AND date_trunc('month', start_date) <= (SELECT max(date_trunc('month', issue_date)) FROM fit_notes)
       GROUP BY ALL"""
):
    sizes[(programme, g)] = n
for programme, did in rows(f"SELECT programme, did FROM {out('fit_note_did')}"):
    cohorts = {}
    for (p, g, t), att in expected_gt.items():
        if p == programme and t >= g:
            cohorts.setdefault(g, []).append(att)
    total = sum(sizes[(programme, g)] for g in cohorts)
    expected_did = (
        sum(sizes[(programme, g)] * sum(a) / len(a) for g, a in cohorts.items()) / total if total else None
    )
    close(did, expected_did, f"{programme} did")

# The first year's effect robust to a straight-line trend (robust_did), from
# CONTRACT.md's steps alone: months, least-variance weights under I + J with
# Σ lₘ(m + 1) = 0, each area's contrast, cohorts weighted by their areas.
import numpy as np  # noqa: E402

shares = {}
for area, month, y in rows(
    """SELECT area_id, date_trunc('month', issue_date)::DATE,
              avg(CASE WHEN assessment = 'may_be_fit' THEN 1.0 ELSE 0.0 END)
       FROM fit_notes GROUP BY ALL"""
):
    shares[(area, month)] = y
all_months = sorted({m for (_, m) in shares})
index = {m: i for i, m in enumerate(all_months)}
comparison = [a for (a,) in rows("SELECT area_id FROM areas WHERE area_id NOT IN (SELECT area_id FROM area_programmes)")]


def y(area, i):
    return shares.get((area, all_months[i])) if 0 <= i < len(all_months) else None


for programme, written in rows(f"SELECT programme, robust_did FROM {out('fit_note_did')}"):
    cohorts = {}
    for area, start in rows(
        f"SELECT area_id, date_trunc('month', start_date)::DATE FROM area_programmes WHERE programme = '{programme}'"
    ):
        if start in index and index[start] > 0:
            cohorts.setdefault(index[start], []).append(area)

    def has_cell(g, m):
        t = g + m
        both = lambda a: y(a, t) is not None and y(a, g - 1) is not None  # noqa: E731
        return any(both(a) for a in cohorts[g]) and any(both(c) for c in comparison)

    usable = lambda m: all(has_cell(g, m) for g in cohorts)  # noqa: E731
    post = []
    for m in range(12):
        if not usable(m):
            break
        post.append(m)
    pre = []
    for m in range(-2, -13, -1):
        if not usable(m):
            break
        pre.insert(0, m)
    if not cohorts or not pre or not post:
        close(written, None, f"{programme} robust_did")
        continue
    months = pre + post
    k, kp = len(months), len(pre)
    cov = np.eye(k) + np.ones((k, k))
    lp = np.full(len(post), 1.0 / len(post))
    a = np.array([m + 1.0 for m in pre])
    kkt = np.zeros((kp + 1, kp + 1))
    kkt[:kp, :kp] = 2 * cov[:kp, :kp]
    kkt[:kp, kp] = a
    kkt[kp, :kp] = a
    rhs = np.concatenate([-2 * cov[:kp, kp:] @ lp, [-sum(l * (m + 1.0) for l, m in zip(lp, post))]])
    weights = list(np.linalg.solve(kkt, rhs)[:kp]) + list(lp)
    total = sum(len(v) for v in cohorts.values())
    theta = 0.0
    for g, areas in cohorts.items():
        def contrast(area):
            values = [y(area, g + m) for m in months]
            base = y(area, g - 1)
            if base is None or any(v is None for v in values):
                return None
            return sum(w * (v - base) for w, v in zip(weights, values))
        treated = [c for c in map(contrast, areas) if c is not None]
        placebo = [c for c in map(contrast, comparison) if c is not None]
        theta += len(areas) / total * (sum(treated) / len(treated) - sum(placebo) / len(placebo))
    close(written, theta, f"{programme} robust_did", tol=1e-9)

# The matched comparison, recomputed by a second implementation written in
# DuckDB SQL (scripts/duckdb_evidence.py: its own checks, cohort, risk sets,
# strata and matching): every programme's and subgroup's matched and
# unmatched counts exactly, and its ATT to 1e-9; every site's counts.
import os
import subprocess
import tempfile

script = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts", "duckdb_evidence.py")
with tempfile.TemporaryDirectory() as other:
    subprocess.run([sys.executable, script, data, other], check=True, stdout=subprocess.DEVNULL)

    def theirs(name):
        return f"read_parquet('{other}/{name}.parquet')"

    # The between-area variance from CONTRACT.md's step-by-step text alone.
    # And the randomisation check (leave-one-out placebo areas, draws with
    # replacement) from its paragraph, and the participants' design effect.
    columns = ("between_area_variance, between_area_moment, between_area_moment_se, between_area_df, "
               "comparison_area_weight, randomisation_p, att_design_effect")
    mine = {r[0]: r[1:] for r in rows(f"SELECT programme, {columns} FROM {out('programme_outcomes')}")}
    for programme, *theirs_tau in rows(f"SELECT programme, {columns} FROM {theirs('programme_outcomes')}"):
        for what, a, b in zip(columns.split(", "), mine.get(programme, (None,) * 7), theirs_tau):
            close(a, b, f"{programme} {what} against duckdb_evidence", tol=1e-9)
    mine = {r[0]: r[1:] for r in rows(f"SELECT programme, matched, unmatched, att FROM {out('programme_outcomes')}")}
    for programme, matched, unmatched, att in rows(f"SELECT programme, matched, unmatched, att FROM {theirs('programme_outcomes')}"):
        m = mine.get(programme)
        if m is None:
            problems.append(f"programme_outcomes lacks {programme} (duckdb_evidence has it)")
            continue
        if (m[0], m[1]) != (matched, unmatched):
            problems.append(f"{programme}: matched/unmatched {(m[0], m[1])} != duckdb_evidence's {(matched, unmatched)}")
        close(m[2], att, f"{programme} att against duckdb_evidence")
    # The own-area design, from its CONTRACT.md paragraph alone.
    mine = {r[0]: r[1:] for r in rows(f"SELECT programme, own_area_matched, own_area_unmatched, own_area_att FROM {out('programme_outcomes')}")}
    for programme, matched, unmatched, att in rows(f"SELECT programme, own_area_matched, own_area_unmatched, own_area_att FROM {theirs('programme_outcomes')}"):
        m = mine.get(programme, (None,) * 3)
        if (m[0], m[1]) != (matched, unmatched):
            problems.append(f"{programme}: own-area matched/unmatched {(m[0], m[1])} != duckdb_evidence's {(matched, unmatched)}")
        close(m[2], att, f"{programme} own_area_att against duckdb_evidence")
    mine = {tuple(r[:3]): r[3:] for r in rows(f"SELECT programme, dimension, value, matched, att FROM {out('subgroup_outcomes')}")}
    compared = 0
    for programme, dimension, value, matched, att in rows(f"SELECT programme, dimension, value, matched, att FROM {theirs('subgroup_outcomes')}"):
        m = mine.get((programme, dimension, value))
        if m is None:
            problems.append(f"subgroup_outcomes lacks {(programme, dimension, value)}")
            continue
        compared += 1
        if m[0] != (matched or 0):
            problems.append(f"{(programme, dimension, value)}: matched {m[0]} != {matched}")
        close(m[1], att, f"{(programme, dimension, value)} att against duckdb_evidence")
    mine = {tuple(r[:2]): r[2:] for r in rows(f"SELECT programme, area_id, eligible, in_work_6m FROM {out('site_outcomes')}")}
    for programme, area, eligible, in_work in rows(f"SELECT programme, area_id, eligible, in_work_6m FROM {theirs('site_outcomes')}"):
        if mine.get((programme, area)) != (eligible, in_work):
            problems.append(f"site {(programme, area)}: {mine.get((programme, area))} != {(eligible, in_work)}")
    if compared == 0:
        problems.append("no subgroup compared against duckdb_evidence")

if problems:
    print("\n".join(problems))
    sys.exit(1)
print(
    f"readback: evidence root agrees with DuckDB ({len(recomputed)} programmes, {len(expected)} area-months, "
    f"{compared} subgroups against scripts/duckdb_evidence.py)"
)
