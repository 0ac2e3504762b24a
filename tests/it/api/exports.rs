//! Answers too big to hold: the row cap, and exports streamed whole.

use super::*;

/// The JSON answer stops at the row cap and says how many rows there
/// were; the whole 1M-row result streams as CSV, Parquet and JSON (and CSV
/// by `Accept`) with the server's peak memory bounded; the audit log
/// records the export.
#[tokio::test]
async fn a_million_rows_are_capped_in_json_and_stream_whole_in_every_form() {
    let f = fixture();
    let api = Api::start();
    // The JSON answer stops at the row cap and says how many there were.
    let all = json_of(api.sql(&f.analyst, "SELECT * FROM employment")).await;
    let total = all["total_rows"].as_u64().unwrap();
    assert!(total > 1_000_000, "{total} employment rows");
    assert_eq!(all["returned"], 10_000);
    assert_eq!(all["truncated"], true);
    assert_eq!(all["rows"].as_array().unwrap().len(), 10_000);

    // The whole 1M-row result in each form, streamed; the server's peak
    // memory is measured around each.
    let mut report = Vec::new();
    let mut csv_bytes = 0u64;
    for (form, accept) in [
        ("csv", None),
        ("parquet", None),
        ("json", None),
        ("csv", Some("text/csv")),
    ] {
        let mut request = api.sql(&f.analyst, "SELECT * FROM employment");
        request = match accept {
            Some(a) => request.header("accept", a),
            None => request.query(&[("format", form)]),
        };
        reset_peak(api.pid);
        let baseline = rss_kib(api.pid, "VmRSS:");
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{form}");
        let mut stream = response.bytes_stream();
        let mut bytes = 0u64;
        let mut newlines = 0u64;
        let mut head = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.unwrap();
            bytes += chunk.len() as u64;
            newlines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
            if head.len() < 8 {
                head.extend_from_slice(&chunk[..chunk.len().min(8)]);
            }
        }
        let peak = rss_kib(api.pid, "VmHWM:");
        match form {
            "csv" => assert_eq!(newlines, total + 1, "CSV lines"),
            "parquet" => assert_eq!(&head[..4], b"PAR1"),
            _ => assert_eq!(head[0], b'['),
        }
        report.push(format!(
            "{form}{}: {:.1} MiB streamed; server RSS before {} MiB, peak during it {} MiB",
            if accept.is_some() { " (Accept)" } else { "" },
            bytes as f64 / 1048576.0,
            baseline / 1024,
            peak / 1024
        ));
        // Streamed: the server's memory grew by less than half the result
        // as CSV text (holding it whole, as text or as Arrow, takes more
        // than that; Parquet's compressed answer is smaller than the
        // result), and the result is big enough to tell.
        if form == "csv" && accept.is_none() {
            csv_bytes = bytes;
        }
        assert!(csv_bytes > 20 << 20, "{}", report.join("\n"));
        assert!(
            (peak.saturating_sub(baseline)) * 1024 < csv_bytes / 2,
            "{}",
            report.join("\n")
        );
    }
    let mut out = std::io::stderr();
    for line in &report {
        let _ = writeln!(out, "export {line}");
    }
    assert!(
        api.audit_records()
            .iter()
            .any(|r| r["outcome"] == "ok" && r["rows"] == json!(total) && r["form"] == "parquet")
    );
}
