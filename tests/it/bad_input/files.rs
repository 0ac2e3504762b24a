//! Faults in the files themselves: a missing or mistyped column, a
//! truncated or non-Parquet file, an empty table, a missing table folder,
//! footers that misstate their rows, a root that is not an evidence root.

use super::*;

#[tokio::test]
async fn a_missing_required_column_names_table_file_and_column() {
    let case = case();
    let select = "SELECT person_id, area_id, age_band, sex FROM t";
    rewrite_table(&case.data, "people", select).await;
    assert_rejected(
        &case,
        &["`people`", "part-0.parquet", "`imd_decile`", "missing"],
    );
}

#[tokio::test]
async fn a_mistyped_column_names_the_types() {
    let case = case();
    let select = "SELECT person_id, area_id, age_band, sex, CAST(imd_decile AS VARCHAR) AS imd_decile FROM t";
    rewrite_table(&case.data, "people", select).await;
    assert_rejected(&case, &["`people`", "`imd_decile`", "Utf8", "int8"]);
}

#[tokio::test]
async fn an_empty_table_is_an_error() {
    let case = case();
    rewrite_table(&case.data, "programmes", "SELECT * FROM t WHERE false").await;
    assert_rejected(&case, &["`programmes`", "empty"]);
}

#[test]
fn a_file_that_is_not_parquet_is_named() {
    let case = case();
    std::fs::write(case.data.join("referrals/part-9.parquet"), b"not parquet").unwrap();
    assert_rejected(
        &case,
        &["`referrals`", "part-9.parquet", "cannot be read as Parquet"],
    );
}

#[test]
fn a_truncated_parquet_file_is_named() {
    let case = case();
    let file = case.data.join("people/part-0.parquet");
    let bytes = std::fs::read(&file).unwrap();
    std::fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();
    assert_rejected(
        &case,
        &[
            "`people`",
            "people/part-0.parquet",
            "cannot be read as Parquet",
            "replace or remove the file",
        ],
    );
}

/// Make `file`'s footer claim `to` rows where it holds `from`: the file
/// metadata's `num_rows` (Thrift compact: field 3, an i64, after the schema
/// list, so the first `0x16` header in the footer) is rewritten in place.
fn misstate_footer_rows(file: &Path, from: i64, to: i64) {
    let varint = |n: i64| {
        let mut z = ((n << 1) ^ (n >> 63)) as u64;
        let mut out = Vec::new();
        loop {
            let byte = (z & 0x7f) as u8;
            z >>= 7;
            if z == 0 {
                out.push(byte);
                return out;
            }
            out.push(byte | 0x80);
        }
    };
    let (old, new) = (
        [vec![0x16], varint(from)].concat(),
        [vec![0x16], varint(to)].concat(),
    );
    assert_eq!(
        old.len(),
        new.len(),
        "pick counts of the same encoded length"
    );
    let mut bytes = std::fs::read(file).unwrap();
    let n = bytes.len();
    let footer_len = u32::from_le_bytes(bytes[n - 8..n - 4].try_into().unwrap()) as usize;
    let footer = n - 8 - footer_len;
    let at = bytes[footer..n - 8]
        .windows(old.len())
        .position(|w| w == old.as_slice())
        .expect("the footer states the row count")
        + footer;
    bytes[at..at + new.len()].copy_from_slice(&new);
    std::fs::write(file, bytes).unwrap();
}

#[tokio::test]
async fn rows_read_must_match_the_footers() {
    // A copied table (valid rows written to the work folder) and the
    // largest table (checked where it is read, so counted by a scan).
    for (table, rows) in [("people", 300), ("employment", 300)] {
        let case = case();
        let select = format!("SELECT * FROM t ORDER BY person_id LIMIT {rows}");
        rewrite_table(&case.data, table, &select).await;
        misstate_footer_rows(
            &case.data.join(table).join("part-0.parquet"),
            rows,
            rows + 1,
        );
        assert_rejected(
            &case,
            &[
                &format!("table `{table}`"),
                &format!("footers promise {} rows but {rows} were read", rows + 1),
            ],
        );
    }
}

#[test]
fn a_missing_table_folder_is_named() {
    let case = case();
    std::fs::remove_dir_all(case.data.join("fit_notes")).unwrap();
    assert_rejected(&case, &["`fit_notes`", "no Parquet files"]);
}

#[test]
fn a_folder_that_is_not_an_evidence_root_is_never_replaced() {
    let case = case();
    let precious = case.dir.path().join("precious");
    std::fs::create_dir(&precious).unwrap();
    std::fs::write(precious.join("thesis.docx"), b"years of work").unwrap();
    let output = run(&case.data, &precious);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("not an evidence root"));
    assert!(precious.join("thesis.docx").is_file());
}

// Faults in rows: quarantined and counted exactly.
