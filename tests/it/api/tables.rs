//! The tables each role sees through the API.

use super::*;

/// Analysts see input and evidence tables, exact; commissioners only the
/// disclosure-controlled evidence tables, rounded; the OpenAPI document
/// describes the routes.
#[tokio::test]
async fn tables_are_exact_for_analysts_and_rounded_for_commissioners() {
    let f = fixture();
    let api = Api::start();
    // Tables: analysts see input and evidence tables; commissioners only
    // the disclosure-controlled evidence tables, rounded.
    let tables = json_of(
        api.http
            .get(format!("{}/api/tables", api.url))
            .bearer_auth(&f.analyst),
    )
    .await;
    let names: Vec<&str> = tables
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"people") && names.contains(&"programme_outcomes"),
        "{names:?}"
    );
    let tables = json_of(
        api.http
            .get(format!("{}/api/tables", api.url))
            .bearer_auth(&f.commissioner),
    )
    .await;
    let names: Vec<&str> = tables
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(!names.contains(&"people"), "{names:?}");
    let exact = json_of(
        api.http
            .get(format!(
                "{}/api/tables/programme_outcomes?programme=WorkWell",
                api.url
            ))
            .bearer_auth(&f.analyst),
    )
    .await;
    let rounded = json_of(
        api.http
            .get(format!(
                "{}/api/tables/programme_outcomes?programme=WorkWell",
                api.url
            ))
            .bearer_auth(&f.commissioner),
    )
    .await;
    let exact_n = exact["rows"][0]["participants"].as_u64().unwrap();
    let shown: u64 = rounded["rows"][0]["participants"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(shown % 5, 0);
    assert!(shown.abs_diff(exact_n) <= 2, "{shown} vs {exact_n}");
    let people = api
        .http
        .get(format!("{}/api/tables/people", api.url))
        .bearer_auth(&f.commissioner)
        .send()
        .await
        .unwrap();
    assert_eq!(people.status(), StatusCode::NOT_FOUND);

    // The OpenAPI document describes the routes.
    let doc = json_of(api.http.get(format!("{}/api/openapi.json", api.url))).await;
    for path in ["/api/sql", "/api/tables", "/api/tables/{name}"] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from OpenAPI"
        );
    }
}
