//! Sign-in attacks: the lockout, a flood of password checks, a forged log
//! line and an open redirect.

use super::sign_in;
use crate::common::{evidence_root, send, state};

/// Twenty wrong guesses for a real user sent at once: before, each was
/// checked and counted afterwards, so all twenty ran (401); now each is
/// counted as it starts, so no more than the lockout allows are checked and
/// the rest are refused (429) without a password check.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn guesses_sent_at_once_cannot_pass_the_lockout() {
    let app = state(evidence_root(20_000, 3)).await;
    let guesses: Vec<_> = (0..20)
        .map(|i| {
            let app = app.state.clone();
            tokio::spawn(async move {
                use tower::ServiceExt;
                dashboard::router(app)
                    .oneshot(sign_in("ana", &format!("guess{i}"), "/"))
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for g in guesses {
        statuses.push(g.await.unwrap());
    }
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert!(
        checked <= dashboard::auth::MAX_FAILED_SIGN_INS as usize,
        "{checked} guesses were checked: {statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
}

/// A thousand sign-ins under unknown names at once: before, every one ran
/// an argon2 check (19 MiB each) and was remembered; now a few run at a
/// time and the rest are told to wait (429) at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_flood_of_sign_ins_is_capped() {
    let app = state(evidence_root(20_000, 3)).await;
    let attempts: Vec<_> = (0..1000)
        .map(|i| {
            let app = app.state.clone();
            tokio::spawn(async move {
                use tower::ServiceExt;
                dashboard::router(app)
                    .oneshot(sign_in(&format!("nobody{i}"), "guess", "/"))
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut busy = 0;
    for a in attempts {
        let status = a.await.unwrap();
        assert!(status == 401 || status == 429, "{status}");
        busy += usize::from(status == 429);
    }
    assert!(busy > 0, "no sign-in was told to wait");
    // The real user still gets in afterwards.
    let ok = send(&app, sign_in("ana", "analyst-password", "/")).await;
    assert_eq!(ok.status, 303);
}

/// What the server logs while `during` runs on this thread.
async fn logged<F: std::future::Future>(during: F) -> (F::Output, String) {
    #[derive(Clone, Default)]
    struct Buffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    let output = during.await;
    drop(guard);
    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    (output, text)
}

/// A name carrying a newline would, logged as given, forge a log line
/// ("… sign-in refused user=ana" then "INFO signed in user=ana"): now such a
/// name is refused before anything is checked, counted or logged as given.
#[tokio::test]
async fn a_name_with_a_newline_cannot_forge_a_log_line() {
    let app = state(evidence_root(20_000, 3)).await;
    let (forged, log) = logged(send(
        &app,
        sign_in("cora%0AINFO+signed+in+user%3Dana", "x", "/"),
    ))
    .await;
    assert_eq!(forged.status, 401);
    assert!(
        !log.contains("\nINFO signed in"),
        "a forged line in the log:\n{log}"
    );
    // Never counted against anyone.
    for _ in 0..dashboard::auth::MAX_FAILED_SIGN_INS {
        let _ = send(&app, sign_in("ana%0Ax", "x", "/")).await;
    }
    assert_eq!(
        send(&app, sign_in("ana", "analyst-password", "/"))
            .await
            .status,
        303
    );
}

/// `next=/%09/evil.example` decodes to a tab, which browsers strip, leaving
/// `//evil.example`: before, it passed the check.
#[tokio::test]
async fn a_stripped_character_cannot_make_an_open_redirect() {
    let app = state(evidence_root(20_000, 3)).await;
    for next in ["/%09/evil.example", "/%0A/evil.example", "/%5Cevil.example"] {
        use tower::ServiceExt;
        let response = dashboard::router(app.state.clone())
            .oneshot(sign_in("cora", "commissioner-password", next))
            .await
            .unwrap();
        assert_eq!(response.status(), 303);
        assert_eq!(
            response
                .headers()
                .get("location")
                .unwrap()
                .to_str()
                .unwrap(),
            "/",
            "{next}"
        );
    }
}
