//! Browser benchmark, not a test: loads a big CSV through the page in headless Chromium and
//! prints how long it took and the renderer's peak memory. It asserts only that the table
//! arrived whole; speed is reported, never asserted.
//!
//! ```sh
//! python ../shared/bench/reference_timing.py make 1000000 /tmp/big_1m.csv   # 270 MB
//! trunk build --release
//! CHURNSCOPE_BIG_CSV=/tmp/big_1m.csv cargo test --release --test browser_bench -- --ignored --nocapture
//! ```

mod browser;

use std::time::{Duration, Instant};

use browser::*;

/// Peak resident memory (VmHWM, kB) of the renderer processes of the browser whose profile
/// directory name contains `marker`.
fn renderer_peak_kb(marker: &str) -> u64 {
    let mut peak = 0;
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let path = entry.path();
        let Ok(cmdline) = std::fs::read(path.join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline);
        if !cmdline.contains("--type=renderer") || !cmdline.contains(marker) {
            continue;
        }
        let status = std::fs::read_to_string(path.join("status")).unwrap_or_default();
        if let Some(kb) = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
        {
            peak = peak.max(kb);
        }
    }
    peak
}

#[tokio::test]
#[ignore = "benchmark: needs CHURNSCOPE_BIG_CSV, the built site and chromedriver"]
async fn load_a_big_csv_in_the_browser() {
    let Ok(path) = std::env::var("CHURNSCOPE_BIG_CSV") else {
        panic!("set CHURNSCOPE_BIG_CSV to a file made by reference_timing.py make");
    };
    let path = std::path::PathBuf::from(path);
    let size = std::fs::metadata(&path).expect("big file").len();
    let server = StaticServer::start(repo().join("dist"));
    let driver = Driver::start();
    let client = browser(&driver).await;
    client
        .goto(&format!("{}/", server.origin))
        .await
        .expect("open");
    let start = Instant::now();
    upload(&client, &path).await;
    // While the page parses a script can time out; wait_text polls again.
    let rows = wait_text(&client, "row-count", 600).await;
    let wall = start.elapsed().as_secs_f64();
    let parse_ms = text_of(&client, "parse-time").await;
    let columns = text_of(&client, "column-count").await;
    // The profile directory name carries this process id (see browser::browser).
    let peak_kb = renderer_peak_kb(&format!("churnscope-e2e-{}", std::process::id()));
    println!(
        "{{\"what\": \"churnscope in Chromium: load CSV\", \"mb\": {:.1}, \"rows\": {rows}, \"columns\": {columns}, \
         \"parse_seconds\": {:.3}, \"upload_to_table_seconds\": {wall:.3}, \"renderer_peak_rss_mb\": {:.0}}}",
        size as f64 / 1e6,
        parse_ms.parse::<f64>().unwrap_or(f64::NAN) / 1000.0,
        peak_kb as f64 / 1024.0
    );
    assert!(rows.parse::<usize>().expect("row count") > 0);
    let _ = client.close().await;
}

/// Waits up to `seconds` for the element `testid` to show text, failing early on a page error.
async fn wait_text(client: &fantoccini::Client, testid: &str, seconds: u64) -> String {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let script = format!(
        "const e = document.querySelector('[data-testid={testid}]'); return e ? e.textContent : null;"
    );
    loop {
        if let Ok(v) = client.execute(&script, vec![]).await {
            if let Some(text) = v.as_str() {
                return text.to_string();
            }
        }
        let error = client
            .execute(
                "const e = document.querySelector('[data-testid=error-message]'); return e ? e.textContent : null;",
                vec![],
            )
            .await
            .unwrap_or_default();
        assert!(error.is_null(), "the page reported: {error}");
        assert!(Instant::now() < deadline, "no {testid} after {seconds} s");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test]
#[ignore = "benchmark: needs CHURNSCOPE_BIG_CSV, the built site and chromedriver"]
async fn fit_models_on_a_big_csv_in_the_browser() {
    // The same fits as scripts/bench_fit.sh times natively: every row of the file made by
    // reference_timing.py (target `churn`, positive 1), one model per page load, fitted in
    // the worker (one thread, the worker's opt-level 3 build) and timed by its clock.
    let Ok(path) = std::env::var("CHURNSCOPE_BIG_CSV") else {
        panic!("set CHURNSCOPE_BIG_CSV to a file made by reference_timing.py make");
    };
    let models = std::env::var("CHURNSCOPE_BENCH_MODELS").unwrap_or("logistic,gbdt".into());
    let path = std::path::PathBuf::from(path);
    let server = StaticServer::start(repo().join("dist"));
    let driver = Driver::start();
    for model in models.split(',') {
        let client = browser(&driver).await;
        client
            .goto(&format!(
                "{}/?bench-fit={model}&bench-target=churn&bench-positive=1",
                server.origin
            ))
            .await
            .expect("open");
        upload(&client, &path).await;
        let report = wait_text(&client, "bench-fit", 1800).await;
        let v: serde_json::Value =
            serde_json::from_str(&report).unwrap_or_else(|_| panic!("the page reported: {report}"));
        // The renderer's peak includes its worker's: the table, the features and the fit.
        let peak_kb = renderer_peak_kb(&format!("churnscope-e2e-{}", std::process::id()));
        println!(
            "{{\"what\": \"churnscope {model} in Chromium (worker)\", \"rows\": {}, \"prep_seconds\": {:.3}, \"model_seconds\": {:.3}, \"train_roc_auc\": {:.5}, \"renderer_peak_rss_mb\": {:.0}}}",
            v["rows"], v["prep_seconds"].as_f64().unwrap_or(f64::NAN),
            v["model_seconds"].as_f64().unwrap_or(f64::NAN),
            v["train_roc_auc"].as_f64().unwrap_or(f64::NAN),
            peak_kb as f64 / 1024.0
        );
        assert!(v["rows"].as_u64().unwrap_or(0) > 0);
        let _ = client.close().await;
    }
}

/// Issue 17's benchmark: an order log of about 1,000,000 lines (`churnscope sample --orders
/// --lines 1000000`) read, then turned into customers by the page's worker. Prints the read
/// and the derive time (click to summary, the transfers to and from the worker included).
#[tokio::test]
#[ignore = "benchmark: needs CHURNSCOPE_ORDERS_LOG, the built site and chromedriver"]
async fn derive_customers_from_a_big_order_log_in_the_browser() {
    let Ok(path) = std::env::var("CHURNSCOPE_ORDERS_LOG") else {
        panic!("set CHURNSCOPE_ORDERS_LOG to a log made by `churnscope sample --orders`");
    };
    let path = std::path::PathBuf::from(path);
    let size = std::fs::metadata(&path).expect("order log").len();
    let server = StaticServer::start(repo().join("dist"));
    let driver = Driver::start();
    let client = browser(&driver).await;
    client
        .goto(&format!("{}/", server.origin))
        .await
        .expect("open");
    let start = Instant::now();
    upload(&client, &path).await;
    let rows = wait_text(&client, "row-count", 600).await;
    let read_wall = start.elapsed().as_secs_f64();
    let parse_ms = text_of(&client, "parse-time").await;
    wait_text(&client, "orders-detected", 60).await;
    let start = Instant::now();
    click(&client, "derive-customers").await;
    let summary = wait_text(&client, "orders-summary", 600).await;
    let derive_wall = start.elapsed().as_secs_f64();
    let peak_kb = renderer_peak_kb(&format!("churnscope-e2e-{}", std::process::id()));
    println!(
        "{{\"what\": \"churnscope in Chromium: order log to customers\", \"mb\": {:.1}, \"lines\": {rows}, \
         \"parse_seconds\": {:.3}, \"upload_to_table_seconds\": {read_wall:.3}, \"derive_seconds\": {derive_wall:.3}, \
         \"renderer_peak_rss_mb\": {:.0}}}",
        size as f64 / 1e6,
        parse_ms.parse::<f64>().unwrap_or(f64::NAN) / 1000.0,
        peak_kb as f64 / 1024.0
    );
    assert!(summary.contains("Labelled as of"), "{summary}");
    let _ = client.close().await;
}

/// Issue 18's reasons benchmark in the browser: the file of CHURNSCOPE_REASONS_CSV (for
/// example 100,000 rows made by reference_timing.py, target `churn`), a model trained in
/// the page with its default settings (CHURNSCOPE_REASONS_MODEL, `gbdt` unless set; the
/// target CHURNSCOPE_REASONS_TARGET, `churn` unless set), then every customer scored with
/// their reasons for the action list: once on one background worker (`?workers=1`) and
/// once on the pool (one worker per core). Prints the time from the click to the list
/// (transfers included) and the cores.
#[tokio::test]
#[ignore = "benchmark: needs CHURNSCOPE_REASONS_CSV, the built site and chromedriver"]
async fn score_every_customer_with_reasons_in_the_browser() {
    let Ok(path) = std::env::var("CHURNSCOPE_REASONS_CSV") else {
        panic!("set CHURNSCOPE_REASONS_CSV to a file made by reference_timing.py make");
    };
    let path = std::path::PathBuf::from(path);
    let model = std::env::var("CHURNSCOPE_REASONS_MODEL").unwrap_or("gbdt".into());
    let target = std::env::var("CHURNSCOPE_REASONS_TARGET").unwrap_or("churn".into());
    let server = StaticServer::start(repo().join("dist"));
    let driver = Driver::start();
    for query in ["?workers=1", ""] {
        let (client, rows) =
            open_with_one_model(&driver, &server, query, &path, (&target, &model)).await;
        let start = Instant::now();
        click(&client, "train-button").await;
        wait_text(&client, "score-customers", 1800).await;
        let train_wall = start.elapsed().as_secs_f64();
        let start = Instant::now();
        click(&client, "score-customers").await;
        let count = wait_text(&client, "action-count", 1800).await;
        let score_wall = start.elapsed().as_secs_f64();
        let cores = client
            .execute("return navigator.hardwareConcurrency;", vec![])
            .await
            .expect("cores");
        println!(
            "{{\"what\": \"churnscope in Chromium: score {model} with reasons\", \"workers\": \"{}\", \"cores\": {cores}, \
             \"rows\": \"{rows}\", \"scored\": \"{count}\", \"train_click_to_model_seconds\": {train_wall:.3}, \
             \"score_click_to_list_seconds\": {score_wall:.3}}}",
            if query.is_empty() { "one per core" } else { "1" }
        );
        assert_eq!(count.replace(',', ""), rows.replace(',', ""));
        let _ = client.close().await;
    }
}

/// The app at `query` with the file at `path` read, `target` chosen and only `model`
/// ticked; the row count shown.
async fn open_with_one_model(
    driver: &Driver,
    server: &StaticServer,
    query: &str,
    path: &std::path::Path,
    (target, model): (&str, &str),
) -> (fantoccini::Client, String) {
    let client = browser(driver).await;
    client
        .goto(&format!("{}/{query}", server.origin))
        .await
        .expect("open");
    upload(&client, path).await;
    let rows = wait_text(&client, "row-count", 600).await;
    set_field(&client, "target-select", target).await;
    client
        .execute(
            r#"for (const box of document.querySelectorAll('[data-testid=model-choice] input[type=checkbox]'))
                 if (box.checked !== (box.dataset.testid === 'model-' + arguments[0])) box.click();
               return true;"#,
            vec![serde_json::json!(model)],
        )
        .await
        .expect("the one model");
    (client, rows)
}

/// Records in the page each change of the progress bar's stage with its time
/// (`window.__stages`), from now on.
async fn record_stages(client: &fantoccini::Client) {
    client
        .execute(
            r#"window.__stages = []; const t0 = performance.now();
               new MutationObserver(() => {
                 const e = document.querySelector('[data-testid=progress-stage]');
                 const text = e ? e.textContent : '(no progress bar)';
                 const last = window.__stages[window.__stages.length - 1];
                 if (!last || last[1] !== text) window.__stages.push([performance.now() - t0, text]);
               }).observe(document.body, {subtree: true, childList: true, characterData: true});
               return true;"#,
            vec![],
        )
        .await
        .expect("the stage recorder");
}

/// Prints when each kind of stage (its text with the numbers left out) first showed, in
/// seconds since [`record_stages`].
async fn print_stages(client: &fantoccini::Client) {
    let stages = client
        .execute("return window.__stages;", vec![])
        .await
        .expect("the stages");
    let mut last_kind = String::new();
    for stage in stages.as_array().into_iter().flatten() {
        let (Some(t), Some(text)) = (stage[0].as_f64(), stage[1].as_str()) else {
            continue;
        };
        let kind: String = text.chars().filter(|c| !c.is_ascii_digit()).collect();
        if kind != last_kind {
            println!("  {:7.2} s  {text}", t / 1000.0);
            last_kind = kind;
        }
    }
}

/// Opens the advanced settings and sets `folds`-fold cross-validation with the grid search.
async fn set_cv_folds_and_search(client: &fantoccini::Client, folds: &str) {
    client
        .execute(
            r#"const d = document.querySelector('[data-testid=advanced]'); d.open = true;
               const s = document.querySelector('[data-testid=cv-folds]'); s.value = arguments[0];
               s.dispatchEvent(new Event('change', {bubbles: true}));
               return true;"#,
            vec![serde_json::json!(folds)],
        )
        .await
        .expect("the folds");
    // The search box is enabled once the folds are set.
    wait_for(
        client,
        "the grid search ticked",
        "const b = document.querySelector('[data-testid=cv-search]'); if (!b.disabled && !b.checked) b.click(); return b.checked ? true : null;",
        |v| v == true,
    )
    .await;
}

/// One model cross-validated with its grid search in the page, timed from the click on
/// Train until the model shows: once on one background worker (`?workers=1`) and once with
/// the folds shared out over the pool (one worker per core), then the final fit on one.
/// `CHURNSCOPE_CV_CSV` (default Telco), `CHURNSCOPE_CV_TARGET` (default `Churn`),
/// `CHURNSCOPE_CV_MODEL` (default `gbdt`), `CHURNSCOPE_CV_FOLDS` (default 5; 0 for no
/// cross-validation: a forest then grows its trees over the pool).
#[tokio::test]
#[ignore = "benchmark: needs the built site and chromedriver"]
async fn cross_validate_one_model_in_the_browser() {
    let path = std::env::var("CHURNSCOPE_CV_CSV").map_or_else(
        |_| repo().join("../shared/datasets/WA_Fn-UseC_-Telco-Customer-Churn.csv"),
        std::path::PathBuf::from,
    );
    let target = std::env::var("CHURNSCOPE_CV_TARGET").unwrap_or("Churn".into());
    let model = std::env::var("CHURNSCOPE_CV_MODEL").unwrap_or("gbdt".into());
    let folds = std::env::var("CHURNSCOPE_CV_FOLDS").unwrap_or("5".into());
    let server = StaticServer::start(repo().join("dist"));
    let driver = Driver::start();
    for query in ["?workers=1", ""] {
        let (client, rows) =
            open_with_one_model(&driver, &server, query, &path, (&target, &model)).await;
        if folds != "0" {
            set_cv_folds_and_search(&client, &folds).await;
        }
        record_stages(&client).await;
        let start = Instant::now();
        click(&client, "train-button").await;
        if query.is_empty() {
            // What the progress bar says while the pool works (to look at), when it does:
            // a forest too small to share out grows on one worker; a forest's explanation
            // is shared out after it.
            let stages = if folds == "0" {
                vec![
                    (" grown (", "bench-shared-forest-progress.png"),
                    ("explaining, shuffles", "bench-shared-explain-progress.png"),
                ]
            } else {
                vec![("cross-validation", "bench-shared-cv-progress.png")]
            };
            let mut stages = stages.into_iter().peekable();
            while let Some(&(what, file)) = stages.peek() {
                let script = format!("const p = document.querySelector('[data-testid=progress]'); return p ? p.textContent.includes('{what}') : false;");
                let shown = client.execute(&script, vec![]).await.expect("progress");
                if shown == true {
                    screenshot_of(&client, "progress", file).await;
                    stages.next();
                    continue;
                }
                let done = client
                    .execute(
                        "return !!document.querySelector('[data-testid=score-customers]');",
                        vec![],
                    )
                    .await
                    .expect("done");
                if done == true {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        wait_text(&client, "score-customers", 3600).await;
        let wall = start.elapsed().as_secs_f64();
        let cv = client
            .execute(
                "const r = document.querySelector('[data-testid=comparison-row] [data-metric=cv_mean]'); return r ? r.textContent : null;",
                vec![],
            )
            .await
            .expect("cv");
        let cores = client
            .execute("return navigator.hardwareConcurrency;", vec![])
            .await
            .expect("cores");
        print_stages(&client).await;
        let what = if folds == "0" {
            format!("{model}, no CV")
        } else {
            format!("{model}, {folds}-fold CV with the grid search")
        };
        println!(
            "{{\"what\": \"churnscope in Chromium: {what}\", \"workers\": \"{}\", \
             \"cores\": {cores}, \"rows\": \"{rows}\", \"cv\": {cv}, \"train_click_to_model_seconds\": {wall:.3}}}",
            if query.is_empty() { "shared out over one per core" } else { "1" }
        );
        let _ = client.close().await;
    }
}
