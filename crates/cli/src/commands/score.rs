//! `churnscope score MODEL FILE`: a saved model scores a new export. Delimited text is read,
//! scored and written in pieces ([`RecordChunks`]), so memory stays bounded whatever the
//! file's size; workbooks (bounded by Excel's own limits) are read whole.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::time::Instant;

use churnscope_engine::acting::actions::{
    action_list, action_table, score_customers, ActionRow, ScoredCustomer, Tier,
};
use churnscope_engine::acting::export::{to_csv, to_xlsx};
use churnscope_engine::dataset::Dataset;
use churnscope_engine::monitoring::model_file::{ModelFile, MAX_BYTES};
use churnscope_engine::monitoring::scoring::{match_columns, ColumnMatch, UnseenCategories};

use crate::args::ScoreArgs;
use crate::error::CliError;
use crate::input::{in_pieces, read_options, read_piece, streamable};

/// What scoring found.
pub struct Scoring {
    pub model: ModelFile,
    pub rows: usize,
    /// Customers per tier: high, medium, low.
    pub tiers: [usize; 3],
    /// How FILE's columns were matched (unseen categories summed over the pieces).
    pub columns: ColumnMatch,
    /// The riskiest customers (at most 10), riskiest first.
    pub riskiest: Vec<ActionRow>,
    pub pieces: usize,
    pub seconds: f64,
    /// The process's peak resident memory, in bytes, where the system reports it.
    pub peak_memory: Option<u64>,
}

/// Reads the model file at `path`, strictly.
pub fn open_model(path: &str) -> Result<ModelFile, CliError> {
    let io = |source| CliError::Io {
        path: path.to_string(),
        source,
    };
    let file = File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    let mut text = String::new();
    // One byte past the limit is enough to refuse an oversized file without reading it all.
    file.take(MAX_BYTES as u64 + 1)
        .read_to_string(&mut text)
        .map_err(io)?;
    let model_error = |source| CliError::ModelFile {
        path: path.to_string(),
        source,
    };
    if size > MAX_BYTES as u64 {
        return Err(model_error(
            churnscope_engine::monitoring::model_file::ModelFileError::Oversized {
                bytes: size as usize,
                max: MAX_BYTES,
            },
        ));
    }
    ModelFile::from_json(&text).map_err(model_error)
}

/// Where the action list goes.
enum Sink {
    None,
    Csv(BufWriter<File>),
    /// Kept for the workbook, written at the end.
    Xlsx(Vec<ActionRow>),
}

/// Scores FILE with MODEL; writes `--out`.
pub fn run(args: &ScoreArgs) -> Result<Scoring, CliError> {
    let start = Instant::now();
    let model = open_model(&args.model)?;
    let path = &args.input.file;
    let out = args.out.as_deref();
    let mut sink = match out {
        Some(p) if p.to_lowercase().ends_with(".xlsx") => Sink::Xlsx(Vec::new()),
        Some(p) => Sink::Csv(BufWriter::new(File::create(p).map_err(|source| {
            CliError::Io {
                path: p.to_string(),
                source,
            }
        })?)),
        None => Sink::None,
    };
    let mut options = model.pipeline.read_options();
    let user = read_options(&args.input.read);
    options.encoding = user.encoding;
    options.delimiter = user.delimiter;
    options.sheet = user.sheet;
    options.keep_summary_rows = user.keep_summary_rows;
    let mut scoring = Scoring {
        rows: 0,
        tiers: [0; 3],
        columns: ColumnMatch::default(),
        riskiest: Vec::new(),
        pieces: 0,
        seconds: 0.0,
        peak_memory: None,
        model,
    };
    let mut each = |ds: Dataset, scoring: &mut Scoring| -> Result<(), CliError> {
        score_piece(ds, args, scoring, &mut sink)
    };
    if streamable(path)? {
        in_pieces(path, &args.stream, "scoring", "customers", |piece| {
            let ds = read_piece(piece, &mut options, path)?;
            each(ds, &mut scoring)?;
            Ok(scoring.rows)
        })?;
    } else {
        let bytes = std::fs::read(path).map_err(|source| CliError::Io {
            path: path.to_string(),
            source,
        })?;
        let ds = read_piece(&bytes, &mut options, path)?;
        each(ds, &mut scoring)?;
    }
    finish(sink, out)?;
    scoring.seconds = start.elapsed().as_secs_f64();
    scoring.peak_memory = crate::progress::peak_memory();
    Ok(scoring)
}

/// Scores one piece of FILE and hands its action rows to the sink.
fn score_piece(
    mut ds: Dataset,
    args: &ScoreArgs,
    scoring: &mut Scoring,
    sink: &mut Sink,
) -> Result<(), CliError> {
    let path = &args.input.file;
    let report = match_columns(&scoring.model, &mut ds).map_err(|source| CliError::Columns {
        path: path.to_string(),
        source,
    })?;
    merge_report(&mut scoring.columns, report, scoring.pieces == 0);
    let model = &scoring.model;
    let rows: Vec<usize> = (0..ds.n_rows).collect();
    let scored: Vec<ScoredCustomer> = if args.no_reasons {
        let p = model.pipeline.predict_proba(&ds, &rows)?;
        rows.iter()
            .zip(p)
            .map(|(&row, probability)| ScoredCustomer {
                row,
                probability,
                reasons: Vec::new(),
            })
            .collect()
    } else {
        score_customers(&model.pipeline, &ds, &rows, |_, _| true)?
    };
    let mut actions = action_list(&ds, &scored, &model.tiers, &model.playbook, &model.profit)?;
    number_rows_from(&mut actions, &ds, scoring.rows);
    actions.sort_by_key(|a| a.row);
    for a in &actions {
        scoring.tiers[tier_index(a.tier)] += 1;
    }
    keep_riskiest(&mut scoring.riskiest, &actions);
    write_piece(sink, &actions, scoring.pieces == 0, args.out.as_deref())?;
    scoring.rows += ds.n_rows;
    scoring.pieces += 1;
    Ok(())
}

fn tier_index(tier: Tier) -> usize {
    match tier {
        Tier::High => 0,
        Tier::Medium => 1,
        Tier::Low => 2,
    }
}

/// Rows counted over the whole file (not the piece), and row-number ids with them.
fn number_rows_from(actions: &mut [ActionRow], ds: &Dataset, offset: usize) {
    let ids = churnscope_engine::acting::actions::id_column(ds).and_then(|n| ds.column(n));
    for a in actions {
        let numbered = ids.and_then(|c| c.text(a.row)).is_none();
        a.row += offset;
        if numbered {
            a.id = (a.row + 1).to_string();
            a.id_number = Some((a.row + 1) as f64);
        }
    }
}

/// The first piece's renames and ignored columns; unseen categories summed over pieces.
fn merge_report(total: &mut ColumnMatch, piece: ColumnMatch, first: bool) {
    if first {
        total.renamed = piece.renamed;
        total.ignored = piece.ignored;
    }
    for u in piece.unseen {
        match total.unseen.iter_mut().find(|t| t.column == u.column) {
            Some(t) => {
                t.cells += u.cells;
                for e in u.examples {
                    if t.examples.len() < 5 && !t.examples.contains(&e) {
                        t.examples.push(e);
                    }
                }
            }
            None => total.unseen.push(UnseenCategories { ..u }),
        }
    }
}

/// Keeps the 10 riskiest customers seen so far.
fn keep_riskiest(riskiest: &mut Vec<ActionRow>, actions: &[ActionRow]) {
    riskiest.extend(actions.iter().cloned());
    riskiest.sort_by(|a, b| {
        b.probability
            .total_cmp(&a.probability)
            .then(a.row.cmp(&b.row))
    });
    riskiest.truncate(10);
}

fn write_piece(
    sink: &mut Sink,
    actions: &[ActionRow],
    first: bool,
    out: Option<&str>,
) -> Result<(), CliError> {
    match sink {
        Sink::None => Ok(()),
        Sink::Xlsx(all) => {
            all.extend(actions.iter().cloned());
            Ok(())
        }
        Sink::Csv(w) => {
            let bytes = to_csv(&action_table(actions));
            // Later pieces without the byte order mark and the header line.
            let body = crate::input::csv_body(&bytes, first);
            w.write_all(body).map_err(|source| CliError::Io {
                path: out.unwrap_or_default().to_string(),
                source,
            })
        }
    }
}

/// Flushes the CSV, or writes the workbook (riskiest first).
fn finish(sink: Sink, out: Option<&str>) -> Result<(), CliError> {
    let path = out.unwrap_or_default().to_string();
    match sink {
        Sink::None => Ok(()),
        Sink::Csv(mut w) => w.flush().map_err(|source| CliError::Io { path, source }),
        Sink::Xlsx(mut all) => {
            all.sort_by(|a, b| {
                b.probability
                    .total_cmp(&a.probability)
                    .then(a.row.cmp(&b.row))
            });
            let bytes =
                to_xlsx(&action_table(&all), "Action list").map_err(|source| CliError::Export {
                    path: path.clone(),
                    source,
                })?;
            std::fs::write(&path, bytes).map_err(|source| CliError::Io { path, source })
        }
    }
}
