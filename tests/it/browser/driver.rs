//! Driving the browser and the server for the browser test: ports,
//! users, ChromeDriver, tables and CSVs read back, downloads, sign-in.

use super::*;

pub(super) const CHROMIUM: &str = "/usr/bin/chromium";
pub(super) const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

pub(super) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Add a user through the real command, the password on standard input.
pub(super) fn add_user(users: &Path, name: &str, role: &str, password: &str) {
    use std::io::Write;
    let mut child = Command::new(EVIDENCE)
        .args([
            "user",
            "add",
            name,
            "--role",
            role,
            "--users",
            users.to_str().unwrap(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let token = stdout.lines().last().unwrap();
    assert!(token.starts_with("evd_") && token.len() == 68, "{stdout}");
}

pub(super) fn chromedriver() -> (Running, String) {
    assert!(
        Path::new(CHROMEDRIVER).exists() && Path::new(CHROMIUM).exists(),
        "{CHROMIUM} and {CHROMEDRIVER} are needed: apt-get install chromium chromium-driver (.ci/run does)"
    );
    let port = free_port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "chromedriver did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    (Running(child), format!("http://127.0.0.1:{port}"))
}

/// Wait for a finished download (no `.crdownload` partial) ending in `ext`.
/// The body rows of the table at `css`, cell texts.
pub(super) async fn table_rows(
    browser: &fantoccini::Client,
    css: &str,
) -> Result<Vec<Vec<String>>, fantoccini::error::CmdError> {
    let mut rows = Vec::new();
    for row in browser
        .find_all(Locator::Css(&format!("{css} tbody tr")))
        .await?
    {
        let mut cells = Vec::new();
        for cell in row.find_all(Locator::Css("th, td")).await? {
            // A hidden table (inside a closed <details>) has no rendered
            // text: read its content instead.
            cells.push(
                cell.prop("textContent")
                    .await?
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
            );
        }
        rows.push(cells);
    }
    Ok(rows)
}

/// A CSV file's records, the header first.
pub(super) fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// Click the button labelled `label`.
pub(super) async fn press(
    browser: &fantoccini::Client,
    label: &str,
) -> Result<(), fantoccini::error::CmdError> {
    browser
        .find(Locator::XPath(&format!("//button[text()='{label}']")))
        .await?
        .click()
        .await
}

/// Empty the downloads folder, so the next check reads its own file.
pub(super) fn clear(dir: &Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        std::fs::remove_file(entry.unwrap().path()).unwrap();
    }
}

pub(super) async fn downloaded(dir: &Path, ext: &str) -> PathBuf {
    let started = Instant::now();
    loop {
        let files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        // Chrome may show the final name before the bytes are in: wait for
        // a non-empty file and no download still in progress.
        let in_progress = files
            .iter()
            .any(|p| p.extension().is_some_and(|e| e == "crdownload"));
        let found = files.into_iter().find(|p| {
            p.extension().is_some_and(|e| e == ext)
                && std::fs::metadata(p).is_ok_and(|m| m.len() > 0)
        });
        if let (Some(path), false) = (found, in_progress) {
            return path;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no .{ext} download in {}",
            dir.display()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub(super) async fn sign_in(
    browser: &fantoccini::Client,
    name: &str,
    password: &str,
) -> Result<(), fantoccini::error::CmdError> {
    browser
        .find(Locator::Id("name"))
        .await?
        .send_keys(name)
        .await?;
    browser
        .find(Locator::Id("password"))
        .await?
        .send_keys(password)
        .await?;
    browser
        .find(Locator::Css("form.signin button"))
        .await?
        .click()
        .await?;
    browser.wait().for_element(Locator::Css(".account")).await?;
    Ok(())
}

/// A WebDriver session with headless Chromium: its profile in `dir`, its
/// downloads into `downloads`.
pub(super) async fn open_browser(
    dir: &Path,
    downloads: &Path,
    webdriver: &str,
) -> fantoccini::Client {
    let capabilities = serde_json::json!({
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1280,1800",
                format!("--user-data-dir={}", dir.join("profile").display()),
            ],
            "prefs": {
                "download.default_directory": downloads.to_str().unwrap(),
                "download.prompt_for_download": false,
            },
        }
    });
    let serde_json::Value::Object(capabilities) = capabilities else {
        unreachable!()
    };
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(capabilities)
        .connect(webdriver)
        .await
        .expect("a WebDriver session with headless Chromium")
}
