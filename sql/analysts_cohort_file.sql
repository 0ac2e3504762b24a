-- The analysts' cohort as written to <evidence root>/analysts/cohort.parquet:
-- every row of analysis_cohort and its columns, except that
-- * the source pseudonym person_id is replaced by person_key, a pseudonym of
--   this run alone: the lowercase hex SHA-256 of the run's secret ($1: 64
--   hex characters from the operating system's random source, never written
--   anywhere) followed by person_id. A person's index events and programmes
--   share one key within a run (for clustering, or counting people); no key
--   can be joined to the dataset root or to another run's cohort;
-- * the attributes that could single a person out of other data are banded:
--   the IMD decile is left out (its quintile, which the matching uses,
--   stays), and earnings (the year before's monthly mean and the two outcome
--   means) are rounded to the nearest £10, half away from zero.
-- So an analyst reproduces every yes/no effect exactly from the file, and
-- the earnings effects to within the banding.
SELECT
    encode(sha256(concat(CAST($1 AS VARCHAR), person_id)), 'hex') AS person_key,
    * EXCLUDE (person_id, imd_decile)
      REPLACE (
          CAST(round(earnings_before / 10.0) * 10 AS DOUBLE) AS earnings_before,
          CAST(round(earnings_1_6m / 10.0) * 10 AS BIGINT) AS earnings_1_6m,
          CAST(round(earnings_7_12m / 10.0) * 10 AS BIGINT) AS earnings_7_12m
      )
FROM analysis_cohort
