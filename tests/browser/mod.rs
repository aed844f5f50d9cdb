//! Support for the headless-Chromium tests: a static server for `dist/` that logs every
//! request, a chromedriver process, a browser session whose DevTools network events are
//! recorded, and the privacy audit over those events.

#![allow(dead_code)] // each test binary uses a different subset

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

/// Today (UTC) as `YYYY-MM-DD`, as the page names its downloads.
pub fn today_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    // Days since 1970-01-01 to a civil date (H. Hinnant, "chrono-Compatible Low-Level Date
    // Algorithms", civil_from_days).
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The repository's root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The command line's binary (crate `churnscope-cli`), built once for these tests by cargo in
/// the tests' own profile: the CLI is its own workspace crate, so cargo does not hand its path
/// to the root package's tests.
pub fn cli_binary() -> PathBuf {
    static BINARY: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BINARY
        .get_or_init(|| {
            let mut build = Command::new(env!("CARGO"));
            build.current_dir(repo()).args([
                "build",
                "--offline",
                "--quiet",
                "--package",
                "churnscope-cli",
                "--bin",
                "churnscope",
                "--message-format=json",
            ]);
            if !cfg!(debug_assertions) {
                build.arg("--release");
            }
            let out = build.output().expect("run cargo build for the CLI");
            assert!(
                out.status.success(),
                "building the CLI failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                .filter_map(|m| m["executable"].as_str().map(PathBuf::from))
                .next_back()
                .expect("cargo names the CLI's executable")
        })
        .clone()
}

pub fn shared_dataset(name: &str) -> PathBuf {
    repo().join("../shared/datasets").join(name)
}

pub fn fixture(name: &str) -> PathBuf {
    repo().join("tests/data").join(name)
}

/// Where screenshots go (ignored by git; copied to docs/ by hand for the README).
pub fn output_dir() -> PathBuf {
    let dir = repo().join("tests/e2e-output");
    std::fs::create_dir_all(&dir).expect("create tests/e2e-output");
    dir
}

/// Serves a directory over HTTP on 127.0.0.1 and records each request path (a request
/// other than GET is recorded as `METHOD path`, which no audit accepts as a file). While
/// `offline` is set it answers nothing: each connection is closed unread and its path
/// recorded in `dropped`, which a browser sees as a dead network.
pub struct StaticServer {
    pub origin: String,
    pub root: PathBuf,
    pub requests: Arc<Mutex<Vec<String>>>,
    pub offline: Arc<AtomicBool>,
    pub dropped: Arc<Mutex<Vec<String>>>,
}

impl StaticServer {
    pub fn start(root: PathBuf) -> Self {
        assert!(
            root.join("index.html").is_file(),
            "{root:?} has no index.html: build the site first (`trunk build --release`, or run scripts/test.sh)"
        );
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
        let origin = format!("http://{}", listener.local_addr().expect("address"));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let offline = Arc::new(AtomicBool::new(false));
        let dropped = Arc::new(Mutex::new(Vec::new()));
        let (log, dir) = (requests.clone(), root.clone());
        let (off, drop_log) = (offline.clone(), dropped.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (log, dir) = (log.clone(), dir.clone());
                let (off, drop_log) = (off.clone(), drop_log.clone());
                std::thread::spawn(move || {
                    if off.load(Ordering::SeqCst) {
                        let mut line = String::new();
                        let _ = BufReader::new(&stream).read_line(&mut line);
                        drop_log.lock().expect("log").push(line.trim().to_string());
                        let _ = stream.shutdown(std::net::Shutdown::Both);
                    } else {
                        serve(stream, &dir, &log);
                    }
                });
            }
        });
        StaticServer {
            origin,
            root,
            requests,
            offline,
            dropped,
        }
    }
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript",
        "wasm" => "application/wasm",
        "css" => "text/css",
        "csv" => "text/csv; charset=utf-8",
        "json" => "application/json",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

fn serve(stream: TcpStream, root: &Path, log: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) if line == "\r\n" || line == "\n" => break,
            Ok(_) => {}
        }
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("/").to_string();
    log.lock().expect("log").push(if method == "GET" {
        path.clone()
    } else {
        format!("{method} {path}")
    });
    let clean = path.split(['?', '#']).next().unwrap_or("/");
    let relative = if clean == "/" {
        "index.html"
    } else {
        clean.trim_start_matches('/')
    };
    let file = root.join(relative);
    let mut stream = stream;
    let response = if !relative.contains("..") && file.is_file() {
        let body = std::fs::read(&file).expect("read file");
        let mut head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            content_type(&file),
            body.len()
        )
        .into_bytes();
        head.extend(body);
        head
    } else {
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec()
    };
    let _ = stream.write_all(&response);
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// A chromedriver process, killed on drop.
pub struct Driver {
    child: Child,
    pub url: String,
}

impl Driver {
    pub fn start() -> Self {
        let exe = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let port = free_port();
        let child = Command::new(&exe)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {exe}: {e} (install chromium-driver or run scripts/test.sh)")
            });
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Headless Chromium with DevTools network events recorded in the performance log.
pub async fn browser(driver: &Driver) -> Client {
    browser_with_netlog(driver).await.0
}

/// [`browser`], also writing Chromium's own log of every network request it makes, from
/// any page, worker or the browser itself (`--log-net-log`), to the returned path. The log
/// is complete once the browser has quit.
pub async fn browser_with_netlog(driver: &Driver) -> (Client, PathBuf) {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let profile = std::env::temp_dir().join(format!(
        "churnscope-e2e-{}-{}",
        std::process::id(),
        free_port()
    ));
    let netlog = std::env::temp_dir().join(format!(
        "churnscope-netlog-{}-{}.json",
        std::process::id(),
        free_port()
    ));
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1280,2400",
                "--force-device-scale-factor=1",
                format!("--user-data-dir={}", profile.display()),
                format!("--log-net-log={}", netlog.display()),
                "--net-log-capture-mode=Default",
                "about:blank",
            ],
            "perfLoggingPrefs": { "enableNetwork": true, "enablePage": false },
        }),
    );
    caps.insert(
        "goog:loggingPrefs".into(),
        json!({ "performance": "ALL", "browser": "ALL" }),
    );
    let client = ClientBuilder::rustls()
        .expect("TLS setup")
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("start a Chromium session");
    (client, netlog)
}

/// Every URL in a Chromium net log (`--log-net-log`): the `url` of each event that has one,
/// with the event's `initiator` (the origin that caused it; none for the browser's own
/// requests). The log is JSON with one event per line; a log cut short is read up to its
/// last whole line.
pub fn netlog_urls(path: &Path) -> Vec<(String, Option<String>)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim().trim_end_matches(',');
        if !line.starts_with("{\"params\"") {
            continue;
        }
        let Ok(event) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if let Some(url) = event["params"]["url"].as_str() {
            let initiator = event["params"]["initiator"].as_str().map(str::to_string);
            out.push((url.to_string(), initiator));
        }
    }
    out
}

/// chromedriver's log endpoint (`POST /session/{id}/se/log`).
#[derive(Debug)]
struct GetLog(&'static str);

impl WebDriverCompatibleCommand for GetLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "type": self.0 }).to_string()),
        )
    }
}

/// A DevTools command through chromedriver (`POST /session/{id}/goog/cdp/execute`).
#[derive(Debug)]
struct Cdp(&'static str, Value);

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "cmd": self.0, "params": self.1 }).to_string()),
        )
    }
}

/// Runs the DevTools command `cmd` with `params` on the current page.
pub async fn cdp(client: &Client, cmd: &'static str, params: Value) -> Value {
    client
        .issue_cmd(Cdp(cmd, params))
        .await
        .unwrap_or_else(|e| panic!("{cmd}: {e}"))
}

/// Lets the page download files into `dir` (emptied first) without asking.
pub async fn allow_downloads(client: &Client, dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("download dir");
    cdp(
        client,
        "Browser.setDownloadBehavior",
        json!({ "behavior": "allow", "downloadPath": dir.to_str().expect("utf-8 path") }),
    )
    .await;
}

/// The bytes of the file `name` once the browser has finished downloading it into `dir`
/// (no partial `.crdownload` left and the size steady), then removes it so a later download
/// of the same name is seen afresh.
pub async fn downloaded(dir: &Path, name: &str) -> Vec<u8> {
    let path = dir.join(name);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = None;
    loop {
        let partial = std::fs::read_dir(dir)
            .map(|d| {
                d.flatten()
                    .any(|e| e.file_name().to_string_lossy().ends_with(".crdownload"))
            })
            .unwrap_or(false);
        let size = std::fs::metadata(&path).ok().map(|m| m.len());
        if !partial && size.is_some() && size == last {
            let bytes = read(&path);
            let _ = std::fs::remove_file(&path);
            return bytes;
        }
        last = size;
        assert!(
            Instant::now() < deadline,
            "{name} was not downloaded into {dir:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Sets the value of the input or select with `data-testid` and fires its `change` event,
/// as a user editing it does.
pub async fn set_field(client: &Client, testid: &str, value: &str) {
    let found = client
        .execute(
            "const e = document.querySelector(`[data-testid=\"${arguments[0]}\"]`); if (!e) return false; \
             e.value = arguments[1]; e.dispatchEvent(new Event('input', {bubbles: true})); \
             e.dispatchEvent(new Event('change', {bubbles: true})); return true;",
            vec![json!(testid), json!(value)],
        )
        .await
        .expect("set a field");
    assert_eq!(found, true, "no field {testid}");
}

/// Messages of the browser console since the last call (the page's and its workers'
/// errors and warnings, Content-Security-Policy violations among them).
pub async fn console_messages(client: &Client) -> Vec<String> {
    let entries = client
        .issue_cmd(GetLog("browser"))
        .await
        .expect("browser log");
    entries
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e.get("message").and_then(Value::as_str).map(str::to_string))
        .collect()
}

/// URLs of every request and WebSocket the page started since the last call, from DevTools'
/// `Network.requestWillBeSent` and `Network.webSocketCreated` events.
pub async fn requested_urls(client: &Client) -> Vec<String> {
    let entries = client
        .issue_cmd(GetLog("performance"))
        .await
        .expect("performance log");
    let mut urls = Vec::new();
    for entry in entries.as_array().into_iter().flatten() {
        let Some(message) = entry.get("message").and_then(Value::as_str) else {
            continue;
        };
        let Ok(event) = serde_json::from_str::<Value>(message) else {
            continue;
        };
        let event = &event["message"];
        let url = match event["method"].as_str() {
            Some("Network.requestWillBeSent") => event["params"]["request"]["url"].as_str(),
            Some("Network.webSocketCreated") => event["params"]["url"].as_str(),
            _ => None,
        };
        urls.extend(url.map(str::to_string));
    }
    urls
}

/// The requests that left `origin`: anything that is not a same-origin URL. `data:` URLs
/// carry their content inline and make no request; `blob:` URLs must belong to the origin.
/// `chrome://` URLs are Chromium's own UI pages (its hidden new-tab page loads dozens of
/// them in a separate target, whatever start URL is given), served from the browser binary
/// and never from the network; a web page is not allowed to load them at all.
pub fn foreign_requests(urls: &[String], origin: &str) -> Vec<String> {
    let own = format!("{origin}/");
    urls.iter()
        .filter(|u| {
            let same = *u == origin || u.starts_with(&own);
            let blob = u
                .strip_prefix("blob:")
                .is_some_and(|rest| rest.starts_with(&own));
            let browser_ui = u.starts_with("chrome://");
            !(same || blob || browser_ui || u.starts_with("data:"))
        })
        .cloned()
        .collect()
}

/// Runs `script` (which must `return` a value) until `check` accepts its result.
pub async fn wait_for(
    client: &Client,
    what: &str,
    script: &str,
    check: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let value = client.execute(script, vec![]).await.expect("script runs");
        if check(&value) {
            return value;
        }
        if Instant::now() > deadline {
            let error = client
                .execute(
                    "const e = document.querySelector('[data-testid=error-message]'); return e ? e.textContent : null;",
                    vec![],
                )
                .await
                .unwrap_or(Value::Null);
            panic!("timed out waiting for {what}; last value {value}; error on page: {error}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Text of the element with `data-testid`, waiting for it to appear.
pub async fn text_of(client: &Client, testid: &str) -> String {
    let script = format!(
        "const e = document.querySelector('[data-testid=\"{testid}\"]'); return e ? e.textContent : null;"
    );
    wait_for(client, testid, &script, |v| v.is_string())
        .await
        .as_str()
        .expect("string")
        .to_string()
}

/// Chooses `path` in the page's file input.
pub async fn upload(client: &Client, path: &Path) {
    upload_to(client, "file-input", path).await;
}

/// Chooses `path` in the file input with `data-testid`.
pub async fn upload_to(client: &Client, testid: &str, path: &Path) {
    let input = client
        .wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::Css(&format!("[data-testid={testid}]")))
        .await
        .unwrap_or_else(|e| panic!("{testid}: {e}"));
    let path = path
        .canonicalize()
        .unwrap_or_else(|e| panic!("{path:?}: {e}"));
    input
        .send_keys(path.to_str().expect("utf-8 path"))
        .await
        .expect("choose the file");
}

pub async fn click(client: &Client, testid: &str) {
    client
        .wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::Css(&format!("[data-testid={testid}]")))
        .await
        .unwrap_or_else(|e| panic!("{testid}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {testid}: {e}"));
}

/// Saves a screenshot of the viewport under tests/e2e-output/.
pub async fn screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.expect("screenshot");
    let mut file = std::fs::File::create(output_dir().join(name)).expect("create png");
    file.write_all(&png).expect("write png");
}

/// Saves a screenshot of the element with `testid` (scrolled into view) under
/// tests/e2e-output/: one page section or chart, as the README shows it.
pub async fn screenshot_of(client: &Client, testid: &str, name: &str) {
    let element = client
        .find(fantoccini::Locator::Css(&format!("[data-testid={testid}]")))
        .await
        .unwrap_or_else(|e| panic!("{testid}: {e}"));
    client
        .execute(
            "arguments[0].scrollIntoView({block: 'center'}); return true;",
            vec![serde_json::to_value(&element).expect("element")],
        )
        .await
        .expect("scroll");
    let png = element.screenshot().await.expect("screenshot");
    let mut file = std::fs::File::create(output_dir().join(name)).expect("create png");
    file.write_all(&png).expect("write png");
}

/// Reads a file fully (used to compare served bytes in audits).
pub fn read(path: &Path) -> Vec<u8> {
    let mut buf = Vec::new();
    std::fs::File::open(path)
        .and_then(|mut f| f.read_to_end(&mut buf))
        .unwrap_or_else(|e| panic!("{path:?}: {e}"));
    buf
}

/// The URLs in net-log `entries` that a page or worker of `origin` started.
pub fn requests_initiated_by(entries: &[(String, Option<String>)], origin: &str) -> Vec<String> {
    entries
        .iter()
        .filter(|(_, initiator)| initiator.as_deref() == Some(origin))
        .map(|(url, _)| url.clone())
        .collect()
}
