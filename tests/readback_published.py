"""Recompute `fit_note_monthly` and the pooled cells of `fit_note_did` of an
evidence root built by `evidence fit-notes --published` from the release
CSV files alone, with DuckDB, following CONTRACT.md ("Published fit-note
statistics"): each month from the latest release covering it (the release
is the month and year ending the file name), `*` counted as 2, each sub-ICB
location counted in every area holding at least half of its residents
(datasets/reference/sub_icb_locations.csv), "Not allocated" in none.

    python3 tests/readback_published.py <folder of CSVs> <evidence root>
"""
import glob, os, re, sys
import duckdb

MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.join(HERE, "..", "datasets", "reference")


def release(path):
    m = re.search(r"[-_]([a-z]+)[-_](\d{2}|\d{4})\.csv$", os.path.basename(path).lower())
    mon, year = m.group(1)[:3], int(m.group(2))
    return (2000 + year if year < 100 else year) * 100 + MONTHS.index(mon) + 1


def main(folder, root):
    con = duckdb.connect()
    files = sorted(glob.glob(os.path.join(folder, "*.csv")))
    parts = []
    for f in files:
        parts.append(
            f"""SELECT {release(f)} AS release, strptime('01-' || "Date", '%d-%b-%y')::DATE AS month,
                "Sub ICB location code" AS code, "Fitness for work" AS status,
                CASE WHEN "Count of fit notes" = '*' THEN 2 ELSE CAST("Count of fit notes" AS BIGINT) END AS n
            FROM read_csv('{f}', header = true, all_varchar = true)"""
        )
    con.execute("CREATE TABLE cells AS " + " UNION ALL ".join(parts))
    con.execute(
        f"""CREATE TABLE locations AS SELECT * FROM read_csv('{REFERENCE}/sub_icb_locations.csv', header = true)"""
    )
    mine = con.execute(
        """
        WITH latest AS (SELECT month, max(release) AS release FROM cells GROUP BY month),
        used AS (SELECT c.* FROM cells c JOIN latest l USING (month, release))
        SELECT l.area_id, u.month, sum(u.n) AS fit_notes,
               sum(CASE WHEN u.status = 'May be fit for work' THEN u.n ELSE 0 END) AS may_be_fit
        FROM used u JOIN locations l ON l.sub_icb_code = u.code AND l.share >= 0.5
        GROUP BY l.area_id, u.month ORDER BY 1, 2
        """
    ).fetchall()
    theirs = con.execute(
        f"""SELECT area_id, month, fit_notes, may_be_fit FROM '{root}/fit_note_monthly.parquet' ORDER BY 1, 2"""
    ).fetchall()
    if mine != theirs:
        diff = [x for x in mine if x not in theirs][:5], [x for x in theirs if x not in mine][:5]
        print("fit_note_monthly differs (DuckDB only, Evidence only):", diff)
        sys.exit(1)
    print(f"fit_note_monthly: {len(mine)} area-months agree")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
