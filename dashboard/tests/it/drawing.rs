//! Chart downloads under a flood: drawing is bounded (at most
//! `MOST_DRAWINGS` at once, `MOST_WAITING_DRAWINGS` more waiting) and the
//! rest are told to try again at once, while pages keep being served.

use crate::common::{evidence_root, get, state};
use dashboard::state::{MOST_DRAWINGS, MOST_WAITING_DRAWINGS};

/// Before, every chart image was drawn on a worker that serves pages, as
/// many at once as were asked for: 200 PNG downloads at once held 200
/// drawings (each a full-size bitmap). Now at most the admitted number run
/// or wait, every other request gets 429 with a message, every admitted
/// one gets its PNG, and a page still answers afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_flood_of_chart_downloads_is_capped() {
    let app = state(evidence_root(20_000, 3)).await;
    // Warm the published figures, so every request goes straight to drawing.
    assert_eq!(
        get(&app, "/programme/workwell/charts/funnel.csv")
            .await
            .status,
        200
    );
    let requests = 200;
    let downloads: Vec<_> = (0..requests)
        .map(|_| {
            let (app, token) = (app.state.clone(), app.commissioner.clone());
            tokio::spawn(async move {
                use tower::ServiceExt;
                let request = axum::http::Request::get("/programme/workwell/charts/funnel.png")
                    .header("authorization", format!("Bearer {token}"))
                    .body(axum::body::Body::empty())
                    .unwrap();
                let response = dashboard::router(app).oneshot(request).await.unwrap();
                let status = response.status().as_u16();
                use http_body_util::BodyExt;
                let body = response.into_body().collect().await.unwrap().to_bytes();
                (status, body)
            })
        })
        .collect();
    let (mut drawn, mut refused) = (0, 0);
    for d in downloads {
        let (status, body) = d.await.unwrap();
        match status {
            200 => {
                assert!(body.starts_with(b"\x89PNG"), "not a PNG");
                drawn += 1;
            }
            429 => {
                assert!(
                    String::from_utf8_lossy(&body).contains("try again in a moment"),
                    "429 without saying what to do"
                );
                refused += 1;
            }
            other => panic!("status {other}"),
        }
    }
    assert!(refused > 0, "no download was told to wait");
    assert!(drawn >= MOST_DRAWINGS, "only {drawn} drawn");
    assert_eq!(drawn + refused, requests);
    assert!(MOST_DRAWINGS + MOST_WAITING_DRAWINGS < requests);
    // The server still serves pages and draws again once the flood is over.
    assert_eq!(get(&app, "/programme/workwell").await.status, 200);
    assert_eq!(
        get(&app, "/programme/workwell/charts/funnel.png")
            .await
            .status,
        200
    );
}
