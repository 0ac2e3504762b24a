//! A real evidence root for the dashboard's tests: a generated dataset
//! (from the dataset cache every test binary shares) run through the real
//! pipeline, once per test binary.

use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use dashboard::AppState;
use http_body_util::BodyExt;
use std::path::PathBuf;
use std::sync::OnceLock;
use tower::ServiceExt;

pub struct Fixture {
    _dir: tempfile::TempDir,
    /// The generated dataset root (shared: read it, never write it).
    pub data: PathBuf,
    pub evidence: PathBuf,
}

/// Generate `people` people with `seed` and evaluate them; once per binary
/// and (people, seed) (on its own runtime, so every test's runtime can
/// share the result). Each size is its own fixture: the disclosure tests
/// need small cells, the router's sort test sites with effects to sort.
pub fn evidence_root(people: u64, seed: u64) -> &'static Fixture {
    type Made = std::collections::BTreeMap<(u64, u64), &'static OnceLock<Fixture>>;
    static FIXTURES: std::sync::Mutex<Made> = std::sync::Mutex::new(Made::new());
    let cell: &'static OnceLock<Fixture> = FIXTURES
        .lock()
        .unwrap()
        .entry((people, seed))
        .or_insert_with(|| Box::leak(Box::new(OnceLock::new())));
    cell.get_or_init(|| {
        std::thread::spawn(move || {
            let dir = tempfile::tempdir().expect("temp dir");
            let evidence = dir.path().join("evidence");
            // `evidence generate`'s defaults, shared with every test binary
            // through the dataset cache (read only: the run writes only
            // into the evidence root).
            let data =
                datasets::cache::cached(&datasets::cache::test_cache(), people, seed, |at| {
                    datasets::generate(
                        &datasets::GenerateOptions {
                            out: at.to_path_buf(),
                            people,
                            seed,
                            area_sd: datasets::DEFAULT_AREA_SD,
                            difficulties: datasets::Difficulties::ALL,
                            outlier: None,
                            region: datasets::RegionGap::default(),
                            effect_scale: 1.0,
                        },
                        &datasets::NoProgress,
                    )
                    .map(|_| ())
                    .map_err(|e| e.to_string())
                })
                .expect("generate");
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .thread_stack_size(64 << 20)
                .build()
                .expect("runtime");
            runtime
                .block_on(pipeline::run(
                    &pipeline::RunOptions {
                        data: data.to_string_lossy().into_owned(),
                        out: evidence.to_string_lossy().into_owned(),
                        as_of: None,
                        engine: pipeline::Engine::Local,
                        memory_limit: None,
                        spill_limit: None,
                    },
                    &pipeline::Silent,
                ))
                .expect("evidence run");
            Fixture {
                _dir: dir,
                data,
                evidence,
            }
        })
        .join()
        .expect("fixture thread")
    })
}

/// The app over a fixture, with a commissioner and an analyst whose API
/// tokens the requests use.
pub struct TestApp {
    pub state: AppState,
    pub commissioner: String,
    pub analyst: String,
}

impl std::ops::Deref for TestApp {
    type Target = AppState;
    fn deref(&self) -> &AppState {
        &self.state
    }
}

pub async fn app_over(evidence: &std::path::Path, data: Option<&std::path::Path>) -> TestApp {
    app_with(evidence, data, None).await
}

/// The same, writing the analysts' query log to `audit` where given.
pub async fn app_with(
    evidence: &std::path::Path,
    data: Option<&std::path::Path>,
    audit: Option<&std::path::Path>,
) -> TestApp {
    let root = |p: &std::path::Path| contract::Root::parse(p.to_str().unwrap()).unwrap();
    let mut users = dashboard::auth::UsersFile::default();
    let commissioner = users
        .add(
            "cora",
            dashboard::auth::Role::Commissioner,
            Some("commissioner-password"),
        )
        .unwrap();
    let analyst = users
        .add(
            "ana",
            dashboard::auth::Role::Analyst,
            Some("analyst-password"),
        )
        .unwrap();
    let mut config = dashboard::Config::new(root(evidence));
    config.data = data.map(root);
    config.users = users;
    if let Some(audit) = audit {
        config.audit = dashboard::analysts::query_log::AuditLog::open(audit.to_path_buf()).unwrap();
    }
    TestApp {
        state: AppState::new(config).await.unwrap(),
        commissioner,
        analyst,
    }
}

pub async fn state(fixture: &Fixture) -> TestApp {
    app_over(&fixture.evidence, None).await
}

pub struct Got {
    pub status: StatusCode,
    pub content_type: String,
    pub disposition: Option<String>,
    pub body: Vec<u8>,
}

impl Got {
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("UTF-8 body")
    }
}

/// GET a path through the router in-process, as the commissioner.
pub async fn get(app: &TestApp, path: &str) -> Got {
    get_with(app, path, Some(&app.commissioner)).await
}

/// GET a path with this API token (or none).
pub async fn get_with(app: &TestApp, path: &str, token: Option<&str>) -> Got {
    let mut request = Request::get(path);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    send(app, request.body(Body::empty()).unwrap()).await
}

pub async fn send(app: &TestApp, request: Request<Body>) -> Got {
    let response: Response<Body> = dashboard::router(app.state.clone())
        .oneshot(request)
        .await
        .unwrap();
    let status = response.status();
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let content_type = header("content-type").unwrap_or_default();
    let disposition = header("content-disposition");
    let body = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    Got {
        status,
        content_type,
        disposition,
        body,
    }
}

/// Every page of the dashboard, and every chart URL (without extension).
pub async fn pages_and_charts(state: &TestApp) -> (Vec<String>, Vec<String>) {
    use dashboard::charts::catalogue::Scope;
    let published = state.published().await.expect("published");
    let mut pages = vec!["/".to_string(), "/fit-notes".into(), "/data-quality".into()];
    let mut charts = Vec::new();
    let mut scopes = vec![Scope::Overview];
    for p in &published.programmes {
        pages.push(format!(
            "/programme/{}",
            dashboard::presentation::slug(&p.name)
        ));
        pages.push(format!(
            "/programme/{}/report",
            dashboard::presentation::slug(&p.name)
        ));
        pages.push(format!(
            "/programme/{}/report.html",
            dashboard::presentation::slug(&p.name)
        ));
        scopes.push(Scope::Programme(p));
        for s in published.sites_of(p) {
            pages.push(format!(
                "/programme/{}/site/{}",
                dashboard::presentation::slug(&p.name),
                s.area_id
            ));
            scopes.push(Scope::Site(p, s));
        }
    }
    for scope in scopes {
        for name in scope.names() {
            charts.push(format!("{}/{}", scope.base_url(), name));
        }
    }
    (pages, charts)
}
