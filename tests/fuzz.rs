//! No input may panic the engine: a seeded mutation fuzzer over every parser of user files.
//!
//! cargo-fuzz needs nightly and libFuzzer, which CI does not have, so this is a small
//! mutation fuzzer in the manner of AFL's "havoc" stage (Zalewski, *american fuzzy lop*
//! technical details, 2014): start from a corpus of real and tricky files, apply a few random
//! byte-level edits (flips, inserts, deletes, duplicated ranges, splices of two files,
//! interesting tokens and numbers), run a target inside `catch_unwind`, and fail on any panic,
//! printing what reproduces it. An input that produced an outcome not seen before (a new
//! error kind) joins the corpus, a cheap stand-in for coverage feedback.
//!
//! Targets: the table reader (`ingest::read_table`, CSV and workbooks, under several read
//! options) followed by everything the page computes on a freshly read table (summary,
//! column profiles, data checks, target detection); the workbook reader alone
//! (`excel::sheet_text`); the pipeline reader (a `FittedPipeline` from JSON, checked, then
//! scoring a table); the model-file reader (`ModelFile::from_json`, then matching a table's
//! columns and scoring it); and scoring a mutated file with a real pipeline.
//!
//! Budget: `DEFAULT_EXECS` runs per target (7 to 18 s of CPU in all in the dev profile, by machine load);
//! `CHURNSCOPE_FUZZ_EXECS=N` sets another count, `CHURNSCOPE_FUZZ_SEED=S` another seed, for
//! a long campaign:
//! `CHURNSCOPE_FUZZ_EXECS=200000 cargo test --offline --no-default-features --profile native --test fuzz -- --nocapture`.
//! Each crash found is kept as a named test in [`regressions`].

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use churnscope_engine::acting::actions::{Playbook, ProfitInputs, TierCuts};
use churnscope_engine::dataset::Dataset;
use churnscope_engine::evaluating::metrics::ClassificationReport;
use churnscope_engine::modelling::calibration::{CalibrationMethod, Calibrator};
use churnscope_engine::modelling::models::{ForestParams, GbdtParams, MlpParams};
use churnscope_engine::modelling::pipeline::{FittedPipeline, ModelKind, TrainConfig};
use churnscope_engine::monitoring::model_file::{ModelFile, ModelFileParts};
use churnscope_engine::monitoring::scoring::match_columns;
use churnscope_engine::reading::decode::TextEncoding;
use churnscope_engine::reading::excel::sheet_text;
use churnscope_engine::reading::ingest::{read_csv, read_table, ReadOptions};
use churnscope_engine::reading::sample::{generate_csv, SampleSpec};
use churnscope_engine::rng::Rng;
use churnscope_engine::understanding::checks;
use churnscope_engine::understanding::profile::profile_column;
use churnscope_engine::understanding::target::{detect_target, target_for};

/// Runs per target when `CHURNSCOPE_FUZZ_EXECS` is unset.
const DEFAULT_EXECS: usize = 6000;
/// Base seed when `CHURNSCOPE_FUZZ_SEED` is unset.
const DEFAULT_SEED: u64 = 20_261_129;
/// Mutated inputs are cut to this length, keeping each run short.
const MAX_INPUT: usize = 64 * 1024;
/// A run slower than this has its input saved and reported (not failed).
const SLOW_RUN: Duration = Duration::from_secs(1);
/// Lines of each shared dataset taken as a seed.
const DATASET_LINES: usize = 200;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn execs() -> usize {
    env_number("CHURNSCOPE_FUZZ_EXECS", DEFAULT_EXECS as u64) as usize
}

fn base_seed() -> u64 {
    env_number("CHURNSCOPE_FUZZ_SEED", DEFAULT_SEED)
}

// ---------------------------------------------------------------------------------------
// Corpus

/// A named seed input.
#[derive(Clone)]
struct Seed {
    name: String,
    bytes: Vec<u8>,
}

fn seed(name: &str, bytes: impl Into<Vec<u8>>) -> Seed {
    Seed {
        name: name.to_string(),
        bytes: bytes.into(),
    }
}

fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    let mut out = if big_endian {
        vec![0xFE, 0xFF]
    } else {
        vec![0xFF, 0xFE]
    };
    for unit in text.encode_utf16() {
        let b = if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        };
        out.extend_from_slice(&b);
    }
    out
}

/// Hand-written files at the edges of what the reader accepts.
fn tricky_seeds() -> Vec<Seed> {
    let mut seeds = vec![
        seed("quotes", "id,name,churn\n1,\"a, \"\"b\"\"\",yes\n2,\"multi\nline\",no\n3,,yes\n"),
        seed("utf8_bom", b"\xEF\xBB\xBFid,plan,churned\n1,basic,1\n2,pro,0\n".to_vec()),
        seed("utf16le", utf16("id;score;churn\n1;1,5;ja\n2;2,25;nein\n", false)),
        seed("utf16be", utf16("id\tscore\tchurn\n1\t3\tTrue\n2\t4\tFalse\n", true)),
        // GB18030 for "城市" (city) and "北京"/"上海".
        seed(
            "gb18030",
            b"id,\xB3\xC7\xCA\xD0,churn\n1,\xB1\xB1\xBE\xA9,1\n2,\xC9\xCF\xBA\xA3,0\n".to_vec(),
        ),
        seed(
            "european",
            "kunde;umsatz;datum;churn\n1;1.234,56;31.12.2024;ja\n2;-0,5;01.02.2023;nein\n3;;;ja\n",
        ),
        seed("empty_lines", "\n\n a,b,churn\n\n1,2,1\n\n\n3,4,0\n\n"),
        seed(
            "huge_numbers",
            "x,y,churn\n1e308,-1e309,1\n18446744073709551616,NaN,0\n-0,inf,1\n0x1F,1_000,0\n",
        ),
        seed(
            "dates",
            "signup,last,churn\n2024-01-02,02/01/2024,1\n2024-13-45,13/02/2024,0\n1900-02-29 25:61,12/31/2024,1\n",
        ),
        seed("fullwidth", "id,amount,churn\n１,１２３,1\n２,４５６,0\n"),
        seed("windows1252", b"name,city,churn\nJos\xE9,M\xFCnchen,1\nZo\xEB,K\xF8ln,0\n".to_vec()),
        seed("crlf", "a,b,churn\r\n1,2,1\r\n3,4,0\r\n"),
        seed("pipes", "a|b|churn\n1|x|1\n2|y|0\n"),
        seed("missing_tokens", "a,b,churn\nNA,n/a,1\nnull,-,0\n?,#N/A,\n"),
        seed("wide_header", "a,a,a,,churn,churn\n1,2,3,4,1,0\n5,6,7,8,0,1\n"),
        seed("one_cell", "x"),
        seed("zip_header", b"PK\x03\x04\x14\x00\x00\x00\x08\x00".to_vec()),
        seed("ole2_header", vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0]),
    ];
    let mut booleans = String::from("flag,score,churn\n");
    for i in 0..60 {
        booleans.push_str(&format!("{},{}.5,{}\n", i % 2 == 0, i, i % 3 == 0));
    }
    seeds.push(seed("booleans", booleans));
    seeds
}

/// The first `DATASET_LINES` lines of each shared dataset, when ../shared/datasets exists
/// (it is not shipped with the repository).
fn dataset_seeds() -> Vec<Seed> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "csv" || x == "txt"))
        .collect();
    paths.sort();
    paths
        .iter()
        .filter_map(|p| {
            let bytes = std::fs::read(p).ok()?;
            let end = bytes
                .iter()
                .enumerate()
                .filter(|&(_, &b)| b == b'\n')
                .nth(DATASET_LINES - 1)
                .map_or(bytes.len(), |(i, _)| i + 1);
            let name = p.file_name()?.to_string_lossy().into_owned();
            Some(seed(&format!("datasets/{name}"), &bytes[..end]))
        })
        .collect()
}

/// Every fixture in tests/data.
fn fixture_seeds() -> Vec<Seed> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/data exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let name = p
                .file_name()
                .expect("a file")
                .to_string_lossy()
                .into_owned();
            seed(&format!("data/{name}"), std::fs::read(p).expect("fixture"))
        })
        .collect()
}

fn table_corpus() -> Vec<Seed> {
    let mut seeds = fixture_seeds();
    seeds.extend(tricky_seeds());
    seeds.extend(dataset_seeds());
    seeds
}

// ---------------------------------------------------------------------------------------
// Mutations

/// Tokens that sit on the reader's decision points.
const TOKENS: &[&[u8]] = &[
    b"\"",
    b",",
    b";",
    b"\t",
    b"|",
    b"\r",
    b"\n",
    b"\r\n",
    b"\0",
    b"NaN",
    b"inf",
    b"-inf",
    b"1e309",
    b"-1e309",
    b"-0",
    b"1,234.5",
    b"1.234,5",
    b"18446744073709551616",
    b"4294967295",
    b"2024-02-30",
    b"31/12/2024",
    b"12/31/2024",
    b"yes",
    b"no",
    b"TRUE",
    b"churn",
    "１２３".as_bytes(),
    b"\xEF\xBB\xBF",
    b"\xFF\xFE",
    b"\xFE\xFF",
    b"\xFF",
    b"\x81\x30\x81\x30",
    b"PK\x03\x04",
    b"PK\x01\x02",
    b"PK\x05\x06",
    b"<?xml",
    b"<!DOCTYPE html>",
    b"<sheetData>",
    b"<c r=\"A1\" t=\"s\"><v>0</v></c>",
    b"xl/worksheets/sheet1.xml",
    b"[Content_Types].xml",
];

/// Numbers for the JSON model files: sizes, indices and values at the edges.
const NUMBERS: &[&str] = &[
    "0",
    "1",
    "2",
    "-1",
    "3",
    "7",
    "255",
    "65535",
    "4294967295",
    "18446744073709551615",
    "1e308",
    "-1e308",
    "0.5",
    "1e-320",
    "null",
];

fn random_range(rng: &mut Rng, len: usize) -> (usize, usize) {
    if len == 0 {
        return (0, 0);
    }
    let start = rng.below(len);
    let most = if rng.chance(0.8) { 16 } else { 4096 };
    let max = (len - start).min(most);
    (start, start + 1 + rng.below(max))
}

/// Applies one random edit to `data`, returning what it did.
fn mutate_once(rng: &mut Rng, data: &mut Vec<u8>, corpus: &[Seed]) -> String {
    let len = data.len();
    match rng.below(11) {
        0 if len > 0 => {
            let i = rng.below(len);
            let bit = rng.below(8);
            data[i] ^= 1 << bit;
            format!("flip bit {bit} of byte {i}")
        }
        1 if len > 0 => {
            let i = rng.below(len);
            let b = rng.below(256) as u8;
            data[i] = b;
            format!("set byte {i} to {b:#04x}")
        }
        2 => {
            let i = rng.below(len + 1);
            let b = rng.below(256) as u8;
            data.insert(i, b);
            format!("insert byte {b:#04x} at {i}")
        }
        3 if len > 0 => {
            let (a, b) = random_range(rng, len);
            data.drain(a..b);
            format!("delete {a}..{b}")
        }
        4 if len > 0 => {
            let (a, b) = random_range(rng, len);
            let chunk = data[a..b].to_vec();
            let at = rng.below(len + 1);
            let most = if rng.chance(0.9) { 2 } else { 64 };
            let times = 1 + rng.below(most);
            for _ in 0..times {
                data.splice(at..at, chunk.iter().copied());
            }
            format!("copy {a}..{b} x{times} to {at}")
        }
        5 | 6 => {
            let t = TOKENS[rng.below(TOKENS.len())];
            let i = rng.below(len + 1);
            data.splice(i..i, t.iter().copied());
            format!("insert token {:?} at {i}", String::from_utf8_lossy(t))
        }
        7 if len > 0 => {
            let t = TOKENS[rng.below(TOKENS.len())];
            let (a, b) = random_range(rng, len);
            data.splice(a..b, t.iter().copied());
            format!("replace {a}..{b} by token {:?}", String::from_utf8_lossy(t))
        }
        8 => {
            let other = &corpus[rng.below(corpus.len())];
            let cut = rng.below(len + 1);
            let from = rng.below(other.bytes.len() + 1);
            data.truncate(cut);
            data.extend_from_slice(&other.bytes[from..]);
            format!("splice at {cut} with {}[{from}..]", other.name)
        }
        9 => mutate_number(rng, data),
        _ => {
            // Delete one delimited field: from a separator to the next one.
            let seps: Vec<usize> = data
                .iter()
                .enumerate()
                .filter(|&(_, &b)| matches!(b, b',' | b';' | b'\t' | b'\n'))
                .map(|(i, _)| i)
                .collect();
            if seps.len() < 2 {
                return "nothing (no field to delete)".to_string();
            }
            let k = rng.below(seps.len() - 1);
            let (a, b) = (seps[k], seps[k + 1]);
            data.drain(a..b);
            format!("delete field {a}..{b}")
        }
    }
}

/// Replaces one run of digits (with sign, point and exponent) by an edge number.
fn mutate_number(rng: &mut Rng, data: &mut Vec<u8>) -> String {
    let starts: Vec<usize> = (0..data.len())
        .filter(|&i| data[i].is_ascii_digit() && (i == 0 || !data[i - 1].is_ascii_digit()))
        .collect();
    if starts.is_empty() {
        return "nothing (no number)".to_string();
    }
    let a = starts[rng.below(starts.len())];
    let a = if a > 0 && data[a - 1] == b'-' {
        a - 1
    } else {
        a
    };
    let mut b = a + 1;
    while b < data.len() && matches!(data[b], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-') {
        b += 1;
    }
    let n = NUMBERS[rng.below(NUMBERS.len())];
    data.splice(a..b, n.bytes());
    format!("number {a}..{b} -> {n}")
}

/// A mutated copy of a corpus entry, with the recipe that made it.
fn mutant(rng: &mut Rng, corpus: &[Seed]) -> (Vec<u8>, String) {
    let base = &corpus[rng.below(corpus.len())];
    let mut data = base.bytes.clone();
    let mut recipe = vec![format!("seed {}", base.name)];
    let most = if rng.chance(0.7) { 3 } else { 12 };
    let n = 1 + rng.below(most);
    for _ in 0..n {
        recipe.push(mutate_once(rng, &mut data, corpus));
    }
    data.truncate(MAX_INPUT);
    (data, recipe.join("; "))
}

// ---------------------------------------------------------------------------------------
// The campaign

/// The error kind of a `Debug`-printed error: its variant path, e.g. `Decode(NotText`.
fn kind_of(debug: &str) -> String {
    let kind: String = debug
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '(' || *c == '_')
        .collect();
    kind.trim_end_matches('(').to_string()
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(non-text panic)".to_string())
}

/// What a campaign did, for the report.
struct Report {
    execs: usize,
    seeds: usize,
    corpus: usize,
    outcomes: BTreeMap<String, usize>,
    /// The longest run and its number.
    slowest: (Duration, usize),
    elapsed: Duration,
    crashes: Vec<String>,
}

/// Fuzzes `target` from `seeds` for `n` runs. Run `i` draws from `Rng::new(seed + i)`, so a
/// crash reproduces from its run number alone (with the same corpus).
fn campaign(
    name: &str,
    seeds: Vec<Seed>,
    n: usize,
    seed: u64,
    target: &dyn Fn(&[u8]) -> String,
) -> Report {
    let n_seeds = seeds.len();
    let mut corpus = seeds;
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    let mut crashes = Vec::new();
    let mut slowest = (Duration::ZERO, 0);
    let start = Instant::now();
    // Each seed unmutated first, then the mutants.
    let originals: Vec<(Vec<u8>, String)> = corpus
        .iter()
        .map(|s| (s.bytes.clone(), format!("seed {} unmutated", s.name)))
        .collect();
    for i in 0..n + originals.len() {
        let (input, recipe) = match originals.get(i) {
            Some(o) => o.clone(),
            None => {
                let mut rng = Rng::new(seed.wrapping_add(i as u64));
                mutant(&mut rng, &corpus)
            }
        };
        let t0 = Instant::now();
        let result = catch_unwind(AssertUnwindSafe(|| target(&input)));
        let took = t0.elapsed();
        slowest = slowest.max((took, i));
        if took > SLOW_RUN {
            // Not a failure (timings are not asserted), but worth a look: keep the input.
            let file = std::env::temp_dir().join(format!("churnscope-fuzz-slow-{name}-{i}.bin"));
            let _ = std::fs::write(&file, &input);
            eprintln!(
                "fuzz {name}: run {i} took {:.1} s ({recipe}); input in {}",
                took.as_secs_f64(),
                file.display()
            );
        }
        match result {
            Ok(outcome) => {
                let count = outcomes.entry(outcome).or_insert(0);
                *count += 1;
                if *count == 1 && i >= originals.len() {
                    corpus.push(Seed {
                        name: format!("run{i}"),
                        bytes: input,
                    });
                }
            }
            Err(payload) => {
                let file = std::env::temp_dir().join(format!("churnscope-fuzz-{name}-{i}.bin"));
                let saved = std::fs::write(&file, &input).is_ok();
                crashes.push(format!(
                    "{name} run {i} (seed {seed}): panicked with {:?}\n  recipe: {recipe}\n  input ({} bytes{}): {:?}",
                    panic_message(payload.as_ref()),
                    input.len(),
                    if saved { format!(", saved to {}", file.display()) } else { String::new() },
                    String::from_utf8_lossy(&input[..input.len().min(300)]),
                ));
            }
        }
    }
    Report {
        execs: n + originals.len(),
        seeds: n_seeds,
        corpus: corpus.len(),
        outcomes,
        slowest,
        elapsed: start.elapsed(),
        crashes,
    }
}

fn run_campaign(name: &str, seeds: Vec<Seed>, salt: u64, target: &dyn Fn(&[u8]) -> String) {
    let report = campaign(name, seeds, execs(), base_seed() ^ salt, target);
    eprintln!(
        "fuzz {name}: {} executions, {} seeds, corpus {} at the end, {:.1} s, slowest run {:.1} ms (run {})\n  outcomes: {:?}",
        report.execs,
        report.seeds,
        report.corpus,
        report.elapsed.as_secs_f64(),
        report.slowest.0.as_secs_f64() * 1e3,
        report.slowest.1,
        report.outcomes,
    );
    assert!(
        report.crashes.is_empty(),
        "{} panics:\n{}",
        report.crashes.len(),
        report.crashes.join("\n")
    );
}

// ---------------------------------------------------------------------------------------
// Targets

/// Everything the page computes on a freshly read table.
fn after_read(ds: &Dataset) {
    let summary = ds.summary();
    assert_eq!(summary.len(), ds.columns.len());
    let target = detect_target(ds).ok().flatten();
    for column in &ds.columns {
        let _ = profile_column(ds, column, target.as_ref());
    }
    let _ = checks::check(ds, target.as_ref());
    if let Some(t) = &target {
        let labels = t.labels(ds);
        if let Ok(labels) = labels {
            assert_eq!(labels.len(), ds.n_rows);
        }
    }
    // Every column as the churn column, as when the user picks one.
    for column in ds.columns.iter().take(8) {
        if let Ok(t) = target_for(ds, &column.name, None) {
            let _ = checks::check(ds, Some(&t));
        }
    }
}

fn read_outcome(bytes: &[u8], options: &ReadOptions) -> String {
    match read_table(bytes, options) {
        Ok((ds, _)) => {
            for c in &ds.columns {
                assert_eq!(
                    c.len(),
                    ds.n_rows,
                    "column {} has the table's length",
                    c.name
                );
            }
            after_read(&ds);
            "ok".to_string()
        }
        Err(e) => kind_of(&format!("{e:?}")),
    }
}

/// Read options chosen from the input's hash, so one input always gets the same options.
fn options_for(bytes: &[u8]) -> ReadOptions {
    let h = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let mut rng = Rng::new(h);
    let mut options = ReadOptions::default();
    if rng.chance(0.5) {
        options.delimiter = Some([b',', b';', b'\t', b'|', b'"', b'\n', b'a'][rng.below(7)]);
    }
    if rng.chance(0.5) {
        options.encoding = Some(TextEncoding::ALL[rng.below(TextEncoding::ALL.len())]);
    }
    if rng.chance(0.3) {
        options.sheet = Some(["Sheet1", "customers", "", "nope"][rng.below(4)].to_string());
    }
    if rng.chance(0.3) {
        options.text_columns = vec!["churn".to_string(), "id".to_string(), String::new()];
    }
    options
}

#[test]
fn fuzz_read_table() {
    run_campaign("read_table", table_corpus(), 1, &|bytes| {
        read_outcome(bytes, &ReadOptions::default())
    });
}

#[test]
fn fuzz_read_table_with_options() {
    run_campaign("read_table_options", table_corpus(), 2, &|bytes| {
        read_outcome(bytes, &options_for(bytes))
    });
}

#[test]
fn fuzz_workbook() {
    let seeds = vec![fixture_seeds()
        .into_iter()
        .find(|s| s.name.ends_with(".xlsx"))
        .expect("tests/data/customers.xlsx")];
    run_campaign("workbook", seeds, 3, &|bytes| {
        match sheet_text(bytes, None) {
            Ok(sheet) => {
                // The sheet's text goes on to the CSV reader.
                let options = ReadOptions {
                    encoding: Some(TextEncoding::Utf8),
                    delimiter: Some(b'\t'),
                    ..ReadOptions::default()
                };
                match read_csv(sheet.text.as_bytes(), &options) {
                    Ok(ds) => {
                        after_read(&ds);
                        "ok".to_string()
                    }
                    Err(e) => format!("text {}", kind_of(&format!("{e:?}"))),
                }
            }
            Err(e) => kind_of(&format!("{e:?}")),
        }
    });
}

/// A small table of the sample customers, as CSV text.
fn sample_csv(customers: usize) -> String {
    generate_csv(&SampleSpec { customers, seed: 7 })
}

/// One small fitted pipeline of each model kind, on 300 sample customers.
fn fitted_pipelines() -> Vec<(ModelKind, FittedPipeline)> {
    let ds = read_csv(sample_csv(300).as_bytes(), &ReadOptions::default()).expect("sample reads");
    let target = target_for(&ds, "churned", Some("Yes")).expect("churned");
    let rows: Vec<usize> = (0..ds.n_rows).collect();
    [
        ModelKind::Logistic,
        ModelKind::Gbdt,
        ModelKind::Forest,
        ModelKind::Mlp,
    ]
    .into_iter()
    .map(|kind| {
        let mut config = TrainConfig::new(target.clone());
        config.model = kind;
        config.gbdt = GbdtParams {
            n_trees: 5,
            num_leaves: 8,
            ..GbdtParams::default()
        };
        config.forest = ForestParams::new().n_trees(3).max_depth(Some(4));
        config.mlp = MlpParams::new().hidden(vec![4]).max_epochs(5);
        let mut p = FittedPipeline::fit(&ds, &rows, &config, |_| true).expect("fit");
        // Calibrated pipelines too, so the model files hold both calibration maps.
        let method = match kind {
            ModelKind::Logistic => Some(CalibrationMethod::Isotonic),
            ModelKind::Gbdt => Some(CalibrationMethod::Platt),
            _ => None,
        };
        if let Some(method) = method {
            let scores = p.predict_proba(&ds, &rows).expect("scores");
            let y: Vec<u8> = target
                .labels(&ds)
                .expect("labels")
                .iter()
                .map(|l| l.unwrap_or(0))
                .collect();
            p.calibrator = Some(Calibrator::fit(method, &scores, &y).expect("calibrates"));
        }
        (kind, p)
    })
    .collect()
}

#[test]
fn fuzz_model_file() {
    let pipelines = fitted_pipelines();
    let seeds: Vec<Seed> = pipelines
        .iter()
        .map(|(kind, p)| {
            seed(
                &format!("{kind:?}.json"),
                serde_json::to_vec(p).expect("serialise"),
            )
        })
        .collect();
    let ds =
        read_csv(sample_csv(40).as_bytes(), &pipelines[0].1.read_options()).expect("sample reads");
    let rows: Vec<usize> = (0..ds.n_rows).collect();
    run_campaign("model_file", seeds, 4, &|bytes| {
        let pipeline = match serde_json::from_slice::<FittedPipeline>(bytes) {
            Ok(p) => p,
            Err(e) => return format!("json {:?}", e.classify()),
        };
        if let Err(e) = pipeline.check() {
            return format!("check {}", kind_of(&format!("{e:?}")));
        }
        match pipeline.predict_proba(&ds, &rows) {
            Ok(p) => {
                assert_eq!(p.len(), rows.len());
                let _ = pipeline.coefficients();
                let _ = pipeline.evaluate(&ds);
                "ok".to_string()
            }
            Err(e) => format!("predict {}", kind_of(&format!("{e:?}"))),
        }
    });
}

#[test]
fn fuzz_churnscope_model_file() {
    let ds = read_csv(sample_csv(300).as_bytes(), &ReadOptions::default()).expect("sample reads");
    let rows: Vec<usize> = (0..ds.n_rows).collect();
    let seeds: Vec<Seed> = fitted_pipelines()
        .into_iter()
        .map(|(kind, pipeline)| {
            let scores = pipeline.predict_proba(&ds, &rows).expect("scores");
            let y: Vec<u8> = (pipeline.target.labels(&ds).expect("labels").iter())
                .map(|l| l.unwrap_or(0))
                .collect();
            let report =
                ClassificationReport::new(&y, &scores, pipeline.threshold).expect("report");
            let file = ModelFile::new(ModelFileParts {
                ds: &ds,
                name: "sample.csv",
                trained_on: "2026-12-05",
                profile_rows: &rows,
                pipeline,
                test: &report,
                test_scores: &scores,
                tiers: TierCuts::from_scores(&scores),
                profit: ProfitInputs::default(),
                playbook: Playbook::ecommerce(),
                settings: None,
            });
            seed(&format!("{kind:?}.churnscope.json"), file.to_json())
        })
        .collect();
    let table = read_csv(sample_csv(40).as_bytes(), &ReadOptions::default()).expect("reads");
    run_campaign("churnscope_model_file", seeds, 6, &|bytes| {
        let Ok(text) = std::str::from_utf8(bytes) else {
            return "utf-8".to_string();
        };
        let file = match ModelFile::from_json(text) {
            Ok(file) => file,
            Err(e) => return kind_of(&format!("{e:?}")),
        };
        let mut ds = table.clone();
        if let Err(e) = match_columns(&file, &mut ds) {
            return format!("columns {}", kind_of(&format!("{e:?}")));
        }
        let rows: Vec<usize> = (0..ds.n_rows).collect();
        match file.pipeline.predict_proba(&ds, &rows) {
            Ok(p) => {
                assert_eq!(p.len(), rows.len());
                "ok".to_string()
            }
            Err(e) => format!("predict {}", kind_of(&format!("{e:?}"))),
        }
    });
}

#[test]
fn fuzz_scoring_a_file() {
    let pipelines = fitted_pipelines();
    let mut seeds = vec![seed("sample.csv", sample_csv(30))];
    seeds.extend(tricky_seeds());
    run_campaign("scoring", seeds, 5, &|bytes| {
        let mut kinds = Vec::new();
        for (_, pipeline) in &pipelines {
            let kind = match read_table(bytes, &pipeline.read_options()) {
                Ok((ds, _)) => {
                    let rows: Vec<usize> = (0..ds.n_rows).collect();
                    match pipeline.predict_proba(&ds, &rows) {
                        Ok(p) => {
                            assert_eq!(p.len(), rows.len());
                            let _ = pipeline.evaluate(&ds);
                            "ok".to_string()
                        }
                        Err(e) => format!("predict {}", kind_of(&format!("{e:?}"))),
                    }
                }
                Err(e) => kind_of(&format!("{e:?}")),
            };
            kinds.push(kind);
        }
        kinds.dedup();
        kinds.join("/")
    });
}

/// `FittedPipeline::check`, the gate of the model-file reader: fitted pipelines pass, and
/// each kind of damage the fuzzer needs caught is an error, not a panic or a hang later.
mod pipeline_check {
    use super::*;
    use churnscope_engine::modelling::models::ModelError;
    use churnscope_engine::modelling::pipeline::PipelineError;
    use serde_json::{json, Value};

    fn pipeline_of(kind: ModelKind) -> FittedPipeline {
        fitted_pipelines()
            .into_iter()
            .find(|(k, _)| *k == kind)
            .expect("every kind is fitted")
            .1
    }

    /// `kind`'s fitted pipeline as JSON, edited by `edit`, read back and checked.
    fn check_edited(kind: ModelKind, edit: impl FnOnce(&mut Value)) -> Result<(), PipelineError> {
        let mut value = serde_json::to_value(pipeline_of(kind)).expect("to JSON");
        edit(&mut value);
        let p: FittedPipeline = serde_json::from_value(value).expect("still a pipeline");
        p.check()
    }

    fn is_invalid_model(r: &Result<(), PipelineError>) -> bool {
        matches!(r, Err(PipelineError::Model(ModelError::InvalidModel(_))))
    }

    #[test]
    fn accepts_fitted_pipelines() {
        for (kind, p) in fitted_pipelines() {
            assert_eq!(p.check(), Ok(()), "{kind:?}");
        }
    }

    #[test]
    fn rejects_a_coefficient_too_many() {
        let r = check_edited(ModelKind::Logistic, |v| {
            v["model"]["coefficients"]
                .as_array_mut()
                .expect("coefficients")
                .push(json!(1.0))
        });
        assert!(is_invalid_model(&r), "{r:?}");
    }

    #[test]
    fn rejects_a_network_of_another_width() {
        let r = check_edited(ModelKind::Mlp, |v| {
            v["model"]["layers"][0]["inputs"] = json!(3)
        });
        assert!(is_invalid_model(&r), "{r:?}");
    }

    /// A forest's trees are written packed; files written before list them as node
    /// objects, which are read too: edited here in that form.
    fn forest_with_plain_trees(v: &mut Value) {
        let p: FittedPipeline = serde_json::from_value(v.clone()).expect("a pipeline");
        let churnscope_engine::modelling::models::FittedModel::Forest(f) = &p.model else {
            panic!("a forest");
        };
        assert!(v["model"]["trees"]["ints"].is_string(), "written packed");
        v["model"]["trees"] = serde_json::to_value(&f.trees).expect("plain trees");
    }

    #[test]
    fn a_forest_written_packed_reads_back_and_so_does_the_list_of_nodes() {
        let p = pipeline_of(ModelKind::Forest);
        let mut v = serde_json::to_value(&p).expect("to JSON");
        let back: FittedPipeline = serde_json::from_value(v.clone()).expect("packed");
        assert_eq!(back, p);
        forest_with_plain_trees(&mut v);
        assert!(v["model"]["trees"][0]["nodes"].is_array());
        let back: FittedPipeline = serde_json::from_value(v).expect("plain");
        assert_eq!(back, p);
    }

    #[test]
    fn rejects_a_forest_tree_that_loops() {
        // The root's right child pointed back at the root: a walk right would never end.
        let r = check_edited(ModelKind::Forest, |v| {
            forest_with_plain_trees(v);
            assert_ne!(
                v["model"]["trees"][0]["nodes"][0]["left"],
                json!(0),
                "root splits"
            );
            v["model"]["trees"][0]["nodes"][0]["right"] = json!(0)
        });
        assert!(is_invalid_model(&r), "{r:?}");
    }

    #[test]
    fn rejects_a_boosted_tree_split_on_a_missing_feature() {
        let r = check_edited(ModelKind::Gbdt, |v| {
            v["model"]["trees"][0]["nodes"][0]["feature"] = json!(10_000)
        });
        assert!(is_invalid_model(&r), "{r:?}");
    }

    #[test]
    fn rejects_isotonic_knots_without_values() {
        let r = check_edited(ModelKind::Logistic, |v| v["calibrator"]["y"] = json!([]));
        assert!(matches!(r, Err(PipelineError::Calibration(_))), "{r:?}");
    }

    #[test]
    fn rejects_a_prior_correction_outside_the_unit_interval() {
        // A model file's `prior_correction` with a churn share of 150% cannot have come from
        // a fit (JSON cannot hold NaN or infinity, so a share out of range is what a damaged
        // or hand-edited file can bring).
        let r = check_edited(ModelKind::Gbdt, |v| {
            v["prior_correction"] =
                json!({"base_rate": 1.5, "fitted_rate": 0.5, "log_odds_shift": 0.0})
        });
        assert!(matches!(r, Err(PipelineError::Calibration(_))), "{r:?}");
    }
}

/// Inputs that once panicked the engine, kept as named tests.
mod regressions {
    use super::*;
    use churnscope_engine::reading::excel::ExcelError;
    use churnscope_engine::reading::ingest::IngestError;

    fn regression(name: &str) -> Vec<u8> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/fuzz")
            .join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"))
    }

    /// `fuzz_workbook` run 8580 (seed 20261129 ^ 3, 150,000 runs): customers.xlsx with two
    /// bytes changed so a sheet's dimension runs backwards; calamine 0.38 subtracted with
    /// overflow (xlsx/mod.rs:3048): a panic with overflow checks on, a wrapped size without
    /// them (the native profile). The reader now refuses the dimension itself, so the error
    /// is the same in every profile (`cargo test --profile native --test fuzz regressions`).
    #[test]
    fn workbook_with_a_reversed_dimension_is_an_error() {
        let bytes = regression("workbook_reversed_dimension.xlsx");
        assert!(matches!(
            sheet_text(&bytes, None),
            Err(ExcelError::ReversedDimension { .. })
        ));
        let read = read_table(&bytes, &ReadOptions::default());
        assert!(
            matches!(
                read,
                Err(IngestError::Excel(ExcelError::ReversedDimension { .. }))
            ),
            "{read:?}"
        );
    }
}
