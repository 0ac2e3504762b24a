//! What the server's logs keep, and never keep.

use super::*;

/// Every query is in the audit log (who, SQL, rows, outcome); no token,
/// nor part of one, reaches either log, even at debug level.
#[tokio::test]
async fn secrets_never_reach_the_logs_and_every_query_is_audited() {
    let f = fixture();
    let api = Api::start();
    let ok = api
        .sql(&f.analyst, "SELECT count(*) AS n FROM areas")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let refused = api
        .sql(&f.analyst, "DROP TABLE people")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let other = api.sql(&f.commissioner, "SELECT 1").send().await.unwrap();
    assert_eq!(other.status(), StatusCode::FORBIDDEN);

    // Secrets never reach the server's log, even at debug level.
    let log = std::fs::read_to_string(api.log.clone()).unwrap();
    assert!(log.contains("evidence::audit"), "the log is being written");
    for secret in [&f.analyst, &f.commissioner] {
        assert!(
            !log.contains(secret.as_str()),
            "a token is in the server log"
        );
        assert!(
            !log.contains(&secret[4..20]),
            "part of a token is in the server log"
        );
    }

    // Every query is in the audit log: who, SQL, rows, outcome.
    let records = api.audit_records();
    assert!(
        records
            .iter()
            .any(|r| r["outcome"] == "refused" && r["sql"] == "DROP TABLE people")
    );
    assert!(
        records
            .iter()
            .any(|r| r["outcome"] == "ok" && r["user"] == "ana" && r["rows"] == json!(1))
    );
    let log = std::fs::read_to_string(&api.audit).unwrap();
    assert!(
        !log.contains(&f.analyst) && !log.contains(&f.commissioner),
        "tokens in the audit log"
    );
}
