"""Build datasets/reference/sub_icb_locations.csv: each sub-ICB location
(April 2024) with the share of its residents inside each pilot area's
footprint (FOOTPRINTS.md).

Reads public copies of the ONS lookups and Census 2021 counts from two
GitHub repositories (commits named in FOOTPRINTS.md) with the `rdata`
package:

    python3 -m pip install rdata
    python3 datasets/reference/build/sub_icb_locations.py \
        <geographr git dir> <demographr git dir> > datasets/reference/sub_icb_locations.csv

An ICB-led area (area_codes.csv kind `icb`) covers every sub-ICB location
of its ICB whole. A combined authority covers the residents of a sub-ICB
location who live in its districts (footprints.csv, whole districts); the
share is of the location's Census 2021 usual residents, over its LSOAs.
Wales is not in the publication (England only) and gets no row.
"""
import csv, io, subprocess, sys, warnings
import rdata

warnings.filterwarnings("ignore")
GEOGRAPHR_COMMIT = "c026be5cc76cb576358082b53f1f13d69ab577ae"
DEMOGRAPHR_COMMIT = "d0417101e5cad5fe1eca059ac60859e9157a29d2"


def rda(git_dir, commit, path, name):
    blob = subprocess.run(["git", "-C", git_dir, "show", f"{commit}:{path}"],
                          check=True, capture_output=True).stdout
    tmp = "/tmp/_build_sub_icb.rda"
    open(tmp, "wb").write(blob)
    return rdata.read_rda(tmp)[name]


def main(geographr, demographr):
    here = __file__.rsplit("/build/", 1)[0]
    icb = rda(geographr, GEOGRAPHR_COMMIT, "data/lookup_lsoa21_icb24.rda", "lookup_lsoa21_icb24")
    lad = rda(geographr, GEOGRAPHR_COMMIT, "data/lookup_lsoa21_ward24_ltla24.rda",
              "lookup_lsoa21_ward24_ltla24")
    pop = rda(demographr, DEMOGRAPHR_COMMIT, "data/ethnicity21_lsoa21.rda", "ethnicity21_lsoa21")
    total = [c for c in pop.columns if "total" in str(c).lower()]
    assert total, f"no total column in {list(pop.columns)}"
    residents = dict(zip(pop["lsoa21_code"], pop[total[0]]))
    lsoa_lad = dict(zip(lad["lsoa21_code"], lad["ltla24_code"]))
    codes = list(csv.DictReader(open(f"{here}/area_codes.csv")))
    footprints = list(csv.DictReader(open(f"{here}/footprints.csv")))
    lads = {}
    for f in footprints:
        lads.setdefault(f["area_id"], set()).add(f["lad_code"])
    locations = {}
    for r in icb.itertuples():
        loc = locations.setdefault(r.sicbl24_code_nhs, {
            "ons": r.sicbl24_code, "name": r.sicbl24_name, "icb": r.icb24_code,
            "lsoas": []})
        loc["lsoas"].append(r.lsoa21_code)
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["sub_icb_code", "sub_icb_ons_code", "sub_icb_name", "icb_code",
                  "area_id", "share", "source", "source_date"])
    source = "ONS LSOA21-SICBL24-ICB24-LAD24 lookup; Census 2021 usual residents"
    rows = []
    for code, loc in locations.items():
        people = sum(residents[l] for l in loc["lsoas"])
        for a in codes:
            if a["kind"] == "icb":
                share = 1.0 if a["gss_code"] == loc["icb"] else 0.0
            elif a["kind"] == "combined_authority":
                inside = sum(residents[l] for l in loc["lsoas"]
                             if lsoa_lad[l] in lads.get(a["area_id"], ()))
                share = inside / people
            else:
                continue
            if share > 0.00005:
                rows.append([code, loc["ons"], loc["name"], loc["icb"], a["area_id"],
                             f"{share:.4f}", source, "2024-04-01"])
    rows.sort(key=lambda r: (r[0], r[4]))
    out.writerows(rows)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
