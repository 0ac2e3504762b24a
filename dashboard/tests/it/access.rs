//! Every route of the router states its access; none is reachable without
//! the right role. The route list is the router's own (`dashboard::routes`).

use crate::common::{evidence_root, send, state};
use axum::body::Body;
use axum::http::Request;
use dashboard::auth::Access;

/// A concrete request for a route pattern.
fn request(path: &str, token: Option<&str>, cookie: Option<&str>) -> Request<Body> {
    let concrete = path
        .replace("{slug}", "workwell")
        .replace("{area}", "south-yorkshire")
        .replace("{name}", "programme_outcomes")
        .replace(
            "{file}",
            if path.contains("/site/") {
                "rates.csv"
            } else if path.starts_with("/programme") {
                "funnel.csv"
            } else if path.starts_with("/fit-notes/") {
                "event-study.csv"
            } else {
                "att.csv"
            },
        );
    let (method, body) = match path {
        "/api/sql" => ("POST", r#"{"sql": "SELECT 1"}"#),
        "/logout" => ("POST", ""),
        "/workbench/saved" => ("POST", "csrf=&name=x&sql=SELECT+1"),
        "/workbench/download" => ("POST", "csrf=&sql=SELECT+1&format=csv"),
        "/workbench/chart/{file}" => (
            "POST",
            "csrf=&sql=SELECT+1+AS+a%2C+2+AS+b&chart=bar&x=a&y=b",
        ),
        _ => ("GET", ""),
    };
    let mut r = Request::builder().method(method).uri(&concrete);
    if path == "/api/sql" {
        r = r.header("content-type", "application/json");
    }
    if method == "POST" && path.starts_with("/workbench") {
        r = r.header("content-type", "application/x-www-form-urlencoded");
    }
    if let Some(t) = token {
        r = r.header("authorization", format!("Bearer {t}"));
    }
    if let Some(c) = cookie {
        r = r.header("cookie", c);
    }
    r.body(Body::from(body)).unwrap()
}

#[tokio::test]
async fn no_route_is_reachable_without_the_right_role() {
    let app = state(evidence_root(20_000, 3)).await;
    let routes = dashboard::routes();
    assert!(routes.len() >= 20);
    // The declarations themselves: exactly these are public, exactly these
    // need the analyst role.
    let with = |wanted: Access| {
        let mut paths: Vec<&str> = routes
            .iter()
            .filter(|(_, a, _)| *a == wanted)
            .map(|(p, _, _)| *p)
            .collect();
        paths.sort();
        paths
    };
    assert_eq!(
        with(Access::Public),
        [
            "/api/openapi.json",
            "/healthz",
            "/login",
            "/logout",
            "/static/style.css"
        ]
    );
    assert_eq!(
        with(Access::Analyst),
        [
            "/api/sql",
            "/workbench",
            "/workbench/chart/{file}",
            "/workbench/download",
            "/workbench/saved"
        ]
    );
    for (path, access, _) in routes {
        let api = path.starts_with("/api/");
        // Signed out.
        let got = send(&app, request(path, None, None)).await;
        match access {
            Access::Public => assert!(
                got.status != 401 && got.status != 403 && got.status != 303,
                "{path} is public but answered {}",
                got.status
            ),
            _ if api => assert_eq!(got.status, 401, "{path} signed out"),
            _ => assert_eq!(got.status, 303, "{path} signed out should go to sign-in"),
        }
        // A forged session cookie and an unknown token are nobody.
        for (token, cookie) in [
            (None, Some("__Host-evidence_session=0123abcd")),
            (Some("evd_not-a-token"), None),
        ] {
            let got = send(&app, request(path, token, cookie)).await;
            if access != Access::Public {
                assert!(
                    got.status == 401 || got.status == 303,
                    "{path} with {token:?} {cookie:?}: {}",
                    got.status
                );
            }
        }
        // A commissioner: signed-in routes yes, analyst routes no.
        let got = send(&app, request(path, Some(&app.commissioner), None)).await;
        match access {
            Access::Analyst => assert_eq!(got.status, 403, "{path} as commissioner"),
            Access::SignedIn => assert_eq!(got.status, 200, "{path} as commissioner"),
            Access::Public => {}
        }
        // An analyst reaches everything (the SQL engine needs no data root
        // for `SELECT 1`).
        let got = send(&app, request(path, Some(&app.analyst), None)).await;
        assert!(
            got.status != 401 && got.status != 403,
            "{path} as analyst: {}",
            got.status
        );
    }
}

#[tokio::test]
async fn signing_in_sets_a_secure_session_cookie_and_needs_the_csrf_token() {
    let app = state(evidence_root(20_000, 3)).await;
    let form = send(&app, request("/login", None, None)).await;
    let html = form.text();
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let post = |body: String, cookie: Option<String>| {
        let mut r =
            Request::post("/login").header("content-type", "application/x-www-form-urlencoded");
        if let Some(c) = cookie {
            r = r.header("cookie", c);
        }
        r.body(Body::from(body)).unwrap()
    };
    // Without the matching cookie (a cross-site post): refused.
    let forged = send(
        &app,
        post(
            format!("name=cora&password=commissioner-password&csrf={csrf}"),
            None,
        ),
    )
    .await;
    assert_eq!(forged.status, 403);
    // A wrong password: the form again, 401.
    let cookie = format!("__Host-evidence_csrf={csrf}");
    let wrong = send(
        &app,
        post(
            format!("name=cora&password=nope&csrf={csrf}"),
            Some(cookie.clone()),
        ),
    )
    .await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.text().contains("not right"));
    // Right: a redirect and a session cookie with every safety flag.
    let response = dashboard::router(app.state.clone())
        .oneshot_login(post(
            format!("name=cora&password=commissioner-password&csrf={csrf}&next=/fit-notes"),
            Some(cookie),
        ))
        .await;
    assert_eq!(response.0, 303);
    assert_eq!(response.1.as_deref(), Some("/fit-notes"));
    let session = response
        .2
        .iter()
        .find(|c| c.starts_with("__Host-evidence_session="))
        .unwrap();
    for flag in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(session.contains(flag), "{session}");
    }
    let id = session.split(';').next().unwrap().to_string();
    let page = send(&app, request("/fit-notes", None, Some(&id))).await;
    assert_eq!(page.status, 200);
    // An open redirect is not possible through `next`.
    let csrf_cookie = format!("__Host-evidence_csrf={csrf}");
    let response = dashboard::router(app.state.clone())
        .oneshot_login(post(
            format!("name=cora&password=commissioner-password&csrf={csrf}&next=//evil.example/"),
            Some(csrf_cookie),
        ))
        .await;
    assert_eq!(response.1.as_deref(), Some("/"));
}

#[tokio::test]
async fn repeated_failed_sign_ins_lock_the_name() {
    let app = state(evidence_root(20_000, 3)).await;
    let csrf = "ab".repeat(32);
    let attempt = |password: &str| {
        Request::post("/login")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", format!("__Host-evidence_csrf={csrf}"))
            .body(Body::from(format!(
                "name=ana&password={password}&csrf={csrf}"
            )))
            .unwrap()
    };
    for _ in 0..dashboard::auth::MAX_FAILED_SIGN_INS {
        assert_eq!(send(&app, attempt("guess")).await.status, 401);
    }
    // Locked: even the right password is refused for now.
    let locked = send(&app, attempt("analyst-password")).await;
    assert_eq!(locked.status, 429);
    assert!(locked.text().contains("Too many failed sign-ins"));
    // Other names are not affected.
    let other = send(
        &app,
        Request::post("/login")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", format!("__Host-evidence_csrf={csrf}"))
            .body(Body::from(format!(
                "name=cora&password=commissioner-password&csrf={csrf}"
            )))
            .unwrap(),
    )
    .await;
    assert_eq!(other.status, 303);
}

/// Send a request and keep the status, `Location` and `Set-Cookie`s.
trait OneshotLogin {
    async fn oneshot_login(self, r: Request<Body>) -> (u16, Option<String>, Vec<String>);
}

impl OneshotLogin for axum::Router {
    async fn oneshot_login(self, r: Request<Body>) -> (u16, Option<String>, Vec<String>) {
        use tower::ServiceExt;
        let response = self.oneshot(r).await.unwrap();
        let location = response
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string());
        let cookies = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect();
        (response.status().as_u16(), location, cookies)
    }
}

#[tokio::test]
async fn malformed_api_requests_get_json_errors() {
    // Found by schemathesis: axum's own rejections answered in plain text.
    let app = state(evidence_root(20_000, 3)).await;
    let analyst = app.analyst.clone();
    let cases: [(&str, Option<&str>, &[u8], u16); 4] = [
        ("/api/sql", Some("application/json"), b"\x00", 400),
        (
            "/api/sql",
            Some("application/json"),
            br#"{"query": 1}"#,
            422,
        ),
        ("/api/sql", None, br#"{"sql": "SELECT 1"}"#, 415),
        (
            "/api/sql?format=xml",
            Some("application/json"),
            br#"{"sql": "SELECT 1"}"#,
            400,
        ),
    ];
    for (uri, content_type, body, status) in cases {
        let mut r = Request::builder()
            .method("POST")
            .uri(uri)
            .header("authorization", format!("Bearer {analyst}"));
        if let Some(c) = content_type {
            r = r.header("content-type", c);
        }
        let got = send(&app, r.body(Body::from(body.to_vec())).unwrap()).await;
        assert_eq!(got.status, status, "{uri} {body:?}");
        let answer: serde_json::Value = serde_json::from_slice(&got.body)
            .unwrap_or_else(|_| panic!("{uri} {body:?}: not JSON: {}", got.text()));
        assert!(answer["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
}
