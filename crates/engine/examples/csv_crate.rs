//! Why the engine reads CSV with its own scanner rather than the `csv` crate: both read the
//! same file in one process, and the `csv` crate is shown an unclosed quote.
//!
//! `cargo run --offline --profile native -p churnscope-engine --example csv_crate -- FILE`
//! (FILE: a numeric CSV such as `reference_timing.py make 1000000 /tmp/big_1m.csv`).
//! Prints one JSON object per measurement, medians of 3 runs.
//!
//! - churnscope `read_csv`: decoding, delimiter detection, the scan, and typed columns (numbers
//!   parsed, kinds inferred, categories coded): the whole read the app does.
//! - `csv` ByteReader + `str::parse::<f64>` into one `Vec<f64>` per column: the least the
//!   `csv` crate needs to give the same typed columns of an all-numeric file (no kind
//!   inference, no missing markers, no decimal commas), so it is a floor for that path.
//! - `csv` records only: its scan alone, no numbers parsed.

use std::time::Instant;

use churnscope_engine::reading::ingest::{read_csv, ReadOptions};

fn median_of_3(mut run: impl FnMut() -> usize) -> (f64, usize) {
    let mut times = Vec::new();
    let mut out = 0;
    for _ in 0..3 {
        let start = Instant::now();
        out = run();
        times.push(start.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    (times[1], out)
}

fn csv_typed(bytes: &[u8]) -> usize {
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
    let width = reader.byte_headers().expect("header").len();
    let mut columns: Vec<Vec<f64>> = vec![Vec::new(); width];
    let mut record = csv::ByteRecord::new();
    while reader.read_byte_record(&mut record).expect("record") {
        for (column, field) in columns.iter_mut().zip(record.iter()) {
            let value = std::str::from_utf8(field)
                .ok()
                .and_then(|s| s.parse::<f64>().ok())
                .unwrap_or(f64::NAN);
            column.push(value);
        }
    }
    columns.first().map_or(0, Vec::len)
}

fn csv_records(bytes: &[u8]) -> usize {
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
    let mut record = csv::ByteRecord::new();
    let mut rows = 0;
    while reader.read_byte_record(&mut record).expect("record") {
        rows += 1;
    }
    rows
}

fn report(what: &str, mb: f64, (seconds, rows): (f64, usize)) {
    println!(
        "{{\"what\": \"{what}\", \"rows\": {rows}, \"seconds_median\": {seconds:.3}, \"mb_per_s\": {:.1}}}",
        mb / seconds
    );
}

fn main() {
    let path = std::env::args().nth(1).expect("usage: csv_crate FILE");
    let bytes = std::fs::read(&path).expect("read FILE");
    let mb = bytes.len() as f64 / 1e6;
    report(
        "churnscope read_csv (typed columns)",
        mb,
        median_of_3(|| {
            read_csv(&bytes, &ReadOptions::default())
                .expect("parses")
                .n_rows
        }),
    );
    report(
        "csv crate + parse::<f64> (typed columns)",
        mb,
        median_of_3(|| csv_typed(&bytes)),
    );
    report(
        "csv crate, records only",
        mb,
        median_of_3(|| csv_records(&bytes)),
    );

    // An export with a quote that is never closed: the scanner names the line where the
    // quote opened. The csv crate reads on to the end of the file as one field, and says
    // nothing when the field count still fits (two columns here).
    let broken = b"id,note\n1,\"fine\"\n2,\"cut off\n3,ok\n4,ok\n";
    let ours = read_csv(broken, &ReadOptions::default())
        .err()
        .map(|e| e.to_string());
    let mut reader = csv::ReaderBuilder::new().from_reader(&broken[..]);
    let theirs: Vec<String> = reader
        .records()
        .map(|r| match r {
            Ok(r) => format!("{:?}", r.iter().collect::<Vec<_>>()),
            Err(e) => format!("error: {e}"),
        })
        .collect();
    println!(
        "{}",
        serde_json::json!({"what": "unclosed quote", "churnscope": ours, "csv crate": theirs})
    );
}
