//! A big text read on every core: cut into parts at line starts, each part's records read
//! into columns of its own on a thread of its own (pass 1's column states, pass 2's
//! builders), and the parts' columns joined in order.
//!
//! Every column ends as the read in one piece makes it:
//! - A cut is only trusted when the part before it, read from its own trusted start, ends
//!   there (the first part starts just after the header). A quoted field with a line break
//!   across a cut leaves the part before it ending past the cut; then the whole pass runs
//!   in one piece instead.
//! - Errors (a ragged row, a quote never closed) are those of the first part that has one,
//!   with its lines counted from the start of the file.
//! - A column's parts join only when the read in one piece would have read each part's
//!   cells the same way: numbers in the same style, dates, or text, with parts of nothing
//!   but missing cells anywhere. A column whose parts disagree (numbers in one part, text
//!   in another) is read again in one piece, on its own.
//!
//! In the browser (one thread) a text is read in one piece.

use std::cell::Cell;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::parallel;
use crate::reading::cells::NumberStyle;
use crate::reading::ingest::{
    estimate_rows, initial_states, Block, Builder, ColumnState, FirstPass, IngestError,
    ReadOptions, ReadProgress, Reporter, TextBuilder, BLOCK_RECORDS,
};
use crate::reading::scan::{Record, Scanner};
use crate::reading::totals;

type Result<T> = std::result::Result<T, IngestError>;

/// The smallest part worth a thread: below it starting the thread and joining the columns
/// cost about what the thread saves.
const PART_BYTES: usize = 1 << 22;

/// Parts per thread, so that parts that read slower (more text columns, quoted fields)
/// balance out.
const PARTS_PER_THREAD: usize = 4;

thread_local! {
    /// In tests: the part size to cut at whatever the number of threads (0: as usual).
    static PART_BYTES_FOR_TESTS: Cell<usize> = const { Cell::new(0) };
}

#[cfg(test)]
thread_local! {
    /// In tests: the last read in parts on this thread, its parts and the columns it read
    /// again in one piece.
    static JOINED: Cell<Option<(usize, usize)>> = const { Cell::new(None) };
}

/// Runs `f` with texts cut into parts of about `bytes` bytes on this thread, on any number
/// of threads (tests of the joins on small texts).
#[cfg(test)]
pub(crate) fn with_part_bytes<T>(bytes: usize, f: impl FnOnce() -> T) -> T {
    let before = PART_BYTES_FOR_TESTS.with(|p| p.replace(bytes));
    let out = f();
    PART_BYTES_FOR_TESTS.with(|p| p.set(before));
    out
}

/// Where the parts of `text[start..]` begin: `start`, then line starts about evenly
/// spaced; `None` when the text is read in one piece.
fn cuts(text: &str, start: usize) -> Option<Vec<usize>> {
    let len = text.len().saturating_sub(start);
    let forced = PART_BYTES_FOR_TESTS.with(Cell::get);
    let n = if let Some(n) = len.checked_div(forced) {
        n.min(256)
    } else {
        let threads = parallel::threads();
        if threads < 2 {
            return None;
        }
        (len / PART_BYTES).min(threads * PARTS_PER_THREAD)
    };
    if n < 2 {
        return None;
    }
    let bytes = text.as_bytes();
    let step = len / n;
    let mut cuts = vec![start];
    for i in 1..n {
        let guess = start + i * step;
        let Some(newline) = bytes[guess..].iter().position(|&b| b == b'\n') else {
            break;
        };
        let cut = guess + newline + 1;
        if cut < text.len() && cut > *cuts.last().unwrap_or(&start) {
            cuts.push(cut);
        }
    }
    (cuts.len() > 1).then_some(cuts)
}

/// One part's pass 1: its columns, and where its records start and stop.
struct Part {
    states: Vec<ColumnState>,
    n_rows: usize,
    recent: [(u64, usize); totals::TAIL_ROWS],
    /// Where its first record starts (after blank lines), and the line there as its
    /// scanner counts.
    first: usize,
    first_line: u64,
    /// Where the record after its last starts (or the end of the text), and the line there.
    stop: usize,
    stop_line: u64,
    error: Option<IngestError>,
}

/// What a part's reader shares: the text, how to read it, and the bytes read so far by all
/// parts (for progress).
struct Reading<'a> {
    text: &'a str,
    delimiter: u8,
    names: &'a [String],
    options: &'a ReadOptions,
    european: bool,
    done: AtomicUsize,
}

impl Reading<'_> {
    /// Reads the records that start in `range` (the first part resumes the header's
    /// scanner at `line`; the others count lines from 1).
    fn part(&self, range: Range<usize>, line: u64, tick: &mut dyn FnMut(()) -> bool) -> Part {
        let mut scanner = Scanner::resume(self.text, self.delimiter, range.start, line);
        let width = self.names.len();
        scanner.skip_gaps(width);
        let (first, first_line) = (scanner.position(), scanner.line());
        let capacity = estimate_rows(&self.text[..range.end], range.start);
        let mut block = Block {
            states: initial_states(self.names, self.options, self.european, capacity),
            n_rows: 0,
            escaped: Vec::new(),
            recent: [(0u64, 0usize); totals::TAIL_ROWS],
            width,
            european: self.european,
        };
        let mut error = None;
        let mut at = range.start;
        loop {
            match block.read(&mut scanner, BLOCK_RECORDS, range.end) {
                Ok(more) => {
                    let now = scanner.position();
                    self.done
                        .fetch_add(now.saturating_sub(at), Ordering::Relaxed);
                    at = now;
                    if !more || !tick(()) {
                        break;
                    }
                }
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        Part {
            states: block.states,
            n_rows: block.n_rows,
            recent: block.recent,
            first,
            first_line,
            stop: scanner.position(),
            stop_line: scanner.line(),
            error,
        }
    }
}

/// Pass 1 in parts, when the text is big enough and more than one thread may read it:
/// `None` when it is read in one piece (small, one thread, or a cut that could not be
/// trusted). `header` is the scanner just past the header record.
pub(super) fn first_pass(
    text: &str,
    header: &Scanner,
    names: &[String],
    options: &ReadOptions,
    european: bool,
    progress: &mut dyn FnMut(ReadProgress),
) -> Option<Result<FirstPass>> {
    let cuts = cuts(text, header.position())?;
    let reading = Reading {
        text,
        delimiter: header.delimiter(),
        names,
        options,
        european,
        done: AtomicUsize::new(0),
    };
    let total = text.len() as u64;
    let mut report = Reporter::new(1, total);
    let mut tick = |(): ()| {
        report.tick(reading.done.load(Ordering::Relaxed), progress);
        true
    };
    let parts = parallel::map(cuts.len(), &mut tick, &|k, tick| {
        let end = cuts.get(k + 1).copied().unwrap_or(text.len());
        let line = if k == 0 { header.line() } else { 1 };
        reading.part(cuts[k]..end, line, tick)
    });
    let parts = match trusted(parts)? {
        Ok(parts) => parts,
        Err(e) => return Some(Err(e)),
    };
    let n_rows: usize = parts.iter().map(|(p, _)| p.n_rows).sum();
    if n_rows == 0 {
        return Some(Err(IngestError::HeaderOnly));
    }
    progress(ReadProgress {
        pass: 1,
        done: total,
        total,
    });
    Some(join(&reading, header, parts, n_rows))
}

/// The parts with each one's line offset, when every cut is trusted (`None` otherwise), or
/// the first part's error with its line counted from the start of the file.
fn trusted(parts: Vec<Part>) -> Option<Result<Vec<(Part, u64)>>> {
    let mut out: Vec<(Part, u64)> = Vec::with_capacity(parts.len());
    for part in parts {
        let offset = match out.last() {
            None => 0,
            Some((before, offset)) => {
                if before.stop != part.first {
                    return None;
                }
                (offset + before.stop_line).saturating_sub(part.first_line)
            }
        };
        if let Some(e) = &part.error {
            return Some(Err(later_lines(e.clone(), offset)));
        }
        out.push((part, offset));
    }
    Some(Ok(out))
}

/// `e` with its line `by` lines further on.
fn later_lines(e: IngestError, by: u64) -> IngestError {
    match e {
        IngestError::RaggedRow {
            line,
            expected,
            found,
        } => IngestError::RaggedRow {
            line: line + by,
            expected,
            found,
        },
        IngestError::UnclosedQuote { line } => IngestError::UnclosedQuote { line: line + by },
        other => other,
    }
}

/// The trusted parts (with their line offsets) joined into pass 1's result; the columns
/// whose parts do not join are read again in one piece.
fn join(
    reading: &Reading,
    header: &Scanner,
    parts: Vec<(Part, u64)>,
    n_rows: usize,
) -> Result<FirstPass> {
    let mut recent = [(0u64, 0usize); totals::TAIL_ROWS];
    let mut row = 0;
    let mut spans = Vec::with_capacity(parts.len());
    let mut columns: Vec<Vec<(ColumnState, usize)>> =
        (0..reading.names.len()).map(|_| Vec::new()).collect();
    for (part, offset) in parts {
        let Part {
            states,
            n_rows: rows,
            recent: own,
            first,
            stop,
            ..
        } = part;
        for local in rows.saturating_sub(totals::TAIL_ROWS)..rows {
            let (line, at) = own[local % totals::TAIL_ROWS];
            recent[(row + local) % totals::TAIL_ROWS] = (line + offset, at);
        }
        row += rows;
        spans.push(first..stop);
        for (column, state) in columns.iter_mut().zip(states) {
            column.push((state, rows));
        }
    }
    let primary = if reading.european {
        NumberStyle::Comma
    } else {
        NumberStyle::Point
    };
    // Copying the parts' columns into one costs about a quarter of reading them: a
    // column per task.
    let columns: Vec<Mutex<Vec<(ColumnState, usize)>>> =
        columns.into_iter().map(Mutex::new).collect();
    let mut states: Vec<Option<ColumnState>> =
        parallel::map(columns.len(), &mut |(): ()| true, &|j, _| {
            let parts = columns[j].lock().map(|mut p| std::mem::take(&mut *p));
            parts.ok().and_then(|parts| join_column(parts, primary))
        });
    let again = states.iter().filter(|s| s.is_none()).count();
    #[cfg(test)]
    JOINED.with(|j| j.set(Some((spans.len(), again))));
    if again > 0 {
        read_again(reading, header, &mut states)?;
    }
    Ok(FirstPass {
        states: states.into_iter().flatten().collect(),
        n_rows,
        recent,
        spans,
    })
}

/// What a column's part is, for joining.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Nothing but missing cells: joins anything.
    Blank,
    /// Numbers in the file's usual style.
    Usual,
    /// Numbers in the other style (a column whose first number only reads that way).
    Other,
    Date,
    Text,
    /// Numbers until a cell that is not one, or dates until a cell that is not one: the
    /// part alone cannot say what the read in one piece would have made of its cells.
    Unsure,
}

fn kind(state: &ColumnState, primary: NumberStyle) -> Kind {
    match state {
        ColumnState::Number { present: 0, .. } => Kind::Blank,
        ColumnState::Number { style, .. } if *style == primary => Kind::Usual,
        ColumnState::Number { .. } => Kind::Other,
        ColumnState::Date { .. } => Kind::Date,
        ColumnState::Text(_) => Kind::Text,
        ColumnState::Deferred(_) | ColumnState::Skip => Kind::Unsure,
    }
}

/// One column's parts (each with its number of rows) joined in order, or `None` when the
/// read in one piece could have read a part's cells differently.
///
/// The read in one piece starts the column as numbers in the usual style and keeps it so
/// while its cells are; until its first present cell it starts again as whatever that
/// cell is. So leading blank parts are that start, and after the first part that is not
/// blank every other part must be blank or of its kind, and the kind must be one a part
/// can only reach from the start (not numbers turned to text halfway).
fn join_column(parts: Vec<(ColumnState, usize)>, primary: NumberStyle) -> Option<ColumnState> {
    let kinds: Vec<Kind> = parts.iter().map(|(s, _)| kind(s, primary)).collect();
    let first = kinds.iter().copied().find(|&k| k != Kind::Blank);
    let agree = match first {
        None => true,
        Some(Kind::Unsure) => false,
        Some(k) => kinds
            .iter()
            .all(|&other| other == Kind::Blank || other == k),
    };
    if !agree {
        return None;
    }
    let total: usize = parts.iter().map(|(_, rows)| rows).sum();
    let mut joined: Option<ColumnState> = None;
    let mut rows_before = 0usize;
    for ((state, rows), kind) in parts.into_iter().zip(kinds) {
        joined = match joined {
            // A column of nothing but missing cells: the first part's, lengthened.
            None if first.is_none() => Some(state),
            // A blank start, counted in `rows_before`.
            None if kind == Kind::Blank => None,
            None => Some(with_room(with_missing_before(state, rows_before), total)),
            Some(sofar) if kind == Kind::Blank => Some(with_missing_after(sofar, rows)),
            Some(sofar) => Some(append(sofar, state)),
        };
        rows_before += rows;
    }
    joined
}

/// A part's state whose column had `rows` missing cells in the parts before it: a blank
/// start, which the part's own start (itself blank until its first present cell) continues.
fn with_missing_before(state: ColumnState, rows: usize) -> ColumnState {
    match state {
        ColumnState::Number {
            values,
            style,
            alt_ok,
            present,
        } => ColumnState::Number {
            values: nan_then(rows, values),
            style,
            alt_ok,
            present,
        },
        ColumnState::Date {
            values,
            order,
            sniff,
        } => ColumnState::Date {
            values: nan_then(rows, values),
            order,
            sniff,
        },
        ColumnState::Text(t) => {
            let mut before = TextBuilder::default();
            before.push_missing(rows);
            before.append(t);
            ColumnState::Text(before)
        }
        other => other,
    }
}

/// `state` with room for `rows` values in all, so the later parts are copied in once.
fn with_room(mut state: ColumnState, rows: usize) -> ColumnState {
    if let ColumnState::Number { values, .. } | ColumnState::Date { values, .. } = &mut state {
        values.reserve_exact(rows.saturating_sub(values.len()));
    }
    state
}

fn nan_then(rows: usize, values: Vec<f64>) -> Vec<f64> {
    if rows == 0 {
        return values;
    }
    let mut out = Vec::with_capacity(rows + values.len());
    out.resize(rows, f64::NAN);
    out.extend_from_slice(&values);
    out
}

/// `sofar` followed by a blank part of `rows` missing cells.
fn with_missing_after(sofar: ColumnState, rows: usize) -> ColumnState {
    match sofar {
        ColumnState::Number {
            mut values,
            style,
            alt_ok,
            present,
        } => {
            values.resize(values.len() + rows, f64::NAN);
            ColumnState::Number {
                values,
                style,
                alt_ok,
                present,
            }
        }
        ColumnState::Date {
            mut values,
            order,
            sniff,
        } => {
            values.resize(values.len() + rows, f64::NAN);
            ColumnState::Date {
                values,
                order,
                sniff,
            }
        }
        ColumnState::Text(mut t) => {
            t.push_missing(rows);
            ColumnState::Text(t)
        }
        other => other,
    }
}

/// Two parts of one kind joined ([`join_column`] checked the kinds).
fn append(sofar: ColumnState, later: ColumnState) -> ColumnState {
    match (sofar, later) {
        (
            ColumnState::Number {
                mut values,
                style,
                alt_ok,
                present,
            },
            ColumnState::Number {
                values: more,
                alt_ok: more_ok,
                present: more_present,
                ..
            },
        ) => {
            values.extend_from_slice(&more);
            ColumnState::Number {
                values,
                style,
                alt_ok: alt_ok && more_ok,
                present: present + more_present,
            }
        }
        (
            ColumnState::Date {
                mut values,
                order,
                mut sniff,
            },
            ColumnState::Date {
                values: more,
                sniff: more_sniff,
                ..
            },
        ) => {
            values.extend_from_slice(&more);
            sniff.join(&more_sniff);
            ColumnState::Date {
                values,
                order,
                sniff,
            }
        }
        (ColumnState::Text(mut t), ColumnState::Text(u)) => {
            t.append(u);
            ColumnState::Text(t)
        }
        (sofar, _) => sofar,
    }
}

/// Reads the columns left `None` again in one piece, on this thread (the others are
/// skipped), and puts their states in.
fn read_again(
    reading: &Reading,
    header: &Scanner,
    states: &mut [Option<ColumnState>],
) -> Result<()> {
    let text = reading.text;
    let mut scanner = Scanner::resume(text, reading.delimiter, header.position(), header.line());
    let fresh = initial_states(
        reading.names,
        reading.options,
        reading.european,
        estimate_rows(text, header.position()),
    );
    let mut block = Block {
        states: fresh
            .into_iter()
            .zip(states.iter())
            .map(|(state, done)| {
                if done.is_some() {
                    ColumnState::Skip
                } else {
                    state
                }
            })
            .collect(),
        n_rows: 0,
        escaped: Vec::new(),
        recent: [(0u64, 0usize); totals::TAIL_ROWS],
        width: reading.names.len(),
        european: reading.european,
    };
    while block.read(&mut scanner, BLOCK_RECORDS, text.len())? {}
    for (slot, state) in states.iter_mut().zip(block.states) {
        if slot.is_none() {
            *slot = Some(state);
        }
    }
    Ok(())
}

/// Pass 2 in the parts pass 1 found (`spans`, each part's records): the deferred columns'
/// `builders` (by column index) filled part by part on every core and joined in order.
pub(super) fn second_pass(
    text: &str,
    delimiter: u8,
    width: usize,
    spans: &[Range<usize>],
    builders: &mut [(usize, Builder)],
    progress: &mut dyn FnMut(ReadProgress),
) -> Result<()> {
    let done = AtomicUsize::new(0);
    let mut report = Reporter::new(2, text.len() as u64);
    let mut tick = |(): ()| {
        report.tick(done.load(Ordering::Relaxed), progress);
        true
    };
    let template: &[(usize, Builder)] = builders;
    let parts = parallel::map(spans.len(), &mut tick, &|k, tick| {
        let span = spans[k].clone();
        let rows = estimate_rows(&text[..span.end], span.start);
        let mut own: Vec<Builder> = template.iter().map(|(_, b)| b.like(rows)).collect();
        let mut scanner = Scanner::resume(text, delimiter, span.start, 1);
        let mut record = Record::default();
        let mut count = 0usize;
        let mut at = span.start;
        while scanner.skip_gaps(width) && scanner.position() < span.end {
            if !scanner.next_record(&mut record)? {
                break;
            }
            if record.len() != width {
                continue;
            }
            for ((i, _), builder) in template.iter().zip(own.iter_mut()) {
                builder.push(scanner.field(&record, *i));
            }
            count += 1;
            if count.is_multiple_of(BLOCK_RECORDS) {
                let now = scanner.position();
                done.fetch_add(now - at, Ordering::Relaxed);
                at = now;
                tick(());
            }
        }
        Ok::<_, IngestError>(own)
    });
    for part in parts {
        for ((_, builder), own) in builders.iter_mut().zip(part?) {
            builder.append(own);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reading::ingest::read_csv_with_info;
    use crate::rng::Rng;

    /// The read of `text` in one piece and in parts of about `bytes` bytes, as text (`NaN`
    /// is equal to itself there), and the parts and re-read columns of the second.
    fn both(
        text: &str,
        options: &ReadOptions,
        bytes: usize,
    ) -> (String, String, Option<(usize, usize)>) {
        let whole = format!("{:?}", read_csv_with_info(text.as_bytes(), options));
        JOINED.with(|j| j.set(None));
        let parted = with_part_bytes(bytes, || {
            format!("{:?}", read_csv_with_info(text.as_bytes(), options))
        });
        (whole, parted, JOINED.with(Cell::get))
    }

    /// A cell of a column of `kind` in row `row` of `rows`.
    fn cell(kind: usize, row: usize, rows: usize, rng: &mut Rng, delimiter: char) -> String {
        let missing = rng.below(10) == 0;
        let late = row > rows * 2 / 3;
        match kind {
            // Integers and decimals with missing cells.
            0 if missing => ["", "NA", "-"][rng.below(3)].to_string(),
            0 => rng.below(1000).to_string(),
            1 if missing => String::new(),
            1 => format!("{:.2}", rng.uniform() * 100.0),
            // Numbers until a late word: numbers in some parts, text in others.
            2 if late && rng.below(20) == 0 => "n/a yet".to_string(),
            2 => rng.below(50).to_string(),
            // Nothing for the first half, then words.
            3 if row < rows / 2 || missing => String::new(),
            3 => ["gold", "silver", "bronze"][rng.below(3)].to_string(),
            // Nothing for the first half, then numbers only the other style reads.
            4 if row < rows / 2 || missing => String::new(),
            4 if delimiter == ';' => format!("{}.{}", rng.below(9) + 1, rng.below(900) + 100),
            4 => format!("\"{},{}\"", rng.below(9) + 1, rng.below(9)),
            // Dates, day-first only told by a late day above 12; one late cell not a date.
            5 if missing => String::new(),
            5 if late && rng.below(40) == 0 => "unknown".to_string(),
            5 => {
                let day = if late {
                    rng.below(28) + 1
                } else {
                    rng.below(12) + 1
                };
                format!("{:02}/{:02}/20{:02}", day, rng.below(12) + 1, rng.below(25))
            }
            // Zero-padded ids (text) and plain ids.
            6 => format!("{:05}", row),
            // Words, quoted with delimiters, escaped quotes and the odd line break.
            7 => match rng.below(6) {
                0 => format!("\"a{delimiter} b\""),
                1 => "\"say \"\"hi\"\"\"".to_string(),
                2 if rng.below(4) == 0 => "\"two\nlines\"".to_string(),
                _ => ["red", "green", "blue", "NA"][rng.below(4)].to_string(),
            },
            // Nothing at all.
            _ => String::new(),
        }
    }

    /// A seeded export of assorted columns, with blank and space-only lines, CRLF line
    /// ends, and sometimes a totals row, a ragged row or a quote never closed.
    fn export(seed: u64) -> (String, ReadOptions) {
        let mut rng = Rng::new(seed);
        let delimiter = if rng.below(3) == 0 { ';' } else { ',' };
        let width = 2 + rng.below(6);
        let kinds: Vec<usize> = (0..width).map(|_| rng.below(9)).collect();
        let rows = 30 + rng.below(400);
        let end = if rng.below(2) == 0 { "\r\n" } else { "\n" };
        let mut text = (0..width)
            .map(|j| format!("c{j}"))
            .collect::<Vec<_>>()
            .join(&delimiter.to_string());
        text.push_str(end);
        let ragged = (rng.below(5) == 0).then(|| rows / 2 + rng.below(rows / 2));
        for row in 0..rows {
            match rng.below(30) {
                0 => text.push_str(end),
                1 => text.push_str(&format!("   {end}")),
                _ => {}
            }
            let cells: Vec<String> = kinds
                .iter()
                .map(|&k| cell(k, row, rows, &mut rng, delimiter))
                .collect();
            let mut line = cells.join(&delimiter.to_string());
            if ragged == Some(row) {
                line.push(delimiter);
            }
            text.push_str(&line);
            text.push_str(end);
        }
        match rng.below(6) {
            0 => {
                let mut totals = vec![String::new(); width];
                totals[0] = "Total".to_string();
                text.push_str(&totals.join(&delimiter.to_string()));
            }
            1 => text.push_str("\"never closed"),
            _ => {}
        }
        let options = ReadOptions {
            text_columns: if rng.below(4) == 0 {
                vec!["c0".to_string()]
            } else {
                Vec::new()
            },
            ..ReadOptions::default()
        };
        (text, options)
    }

    #[test]
    fn a_text_read_in_parts_is_the_text_read_in_one_piece() {
        let (mut joined, mut again, mut errors, mut whole_piece) = (0, 0, 0, 0);
        for seed in 0..300 {
            let (text, options) = export(seed);
            for bytes in [40, 300, 2000] {
                let (whole, parted, seen) = both(&text, &options, bytes);
                assert_eq!(
                    whole, parted,
                    "seed {seed}, parts of {bytes} bytes:\n{text}"
                );
                match seen {
                    Some((parts, 0)) if parts > 1 => joined += 1,
                    Some((parts, _)) if parts > 1 => again += 1,
                    _ if whole.starts_with("Err") => errors += 1,
                    _ => whole_piece += 1,
                }
            }
        }
        // Every way a read in parts can go happened (the counts are this seeded run's).
        assert!(
            joined > 100 && again > 100 && errors > 50 && whole_piece > 10,
            "joined {joined}, some columns again {again}, errors {errors}, one piece {whole_piece}"
        );
    }

    #[test]
    fn a_late_error_names_its_line_in_the_file() {
        let mut text = String::from("id,spend\n");
        for i in 0..500 {
            text.push_str(&format!("{i},{}\n", i * 3));
            if i == 250 {
                text.push_str("\n  \n"); // two lines without a row
            }
        }
        // The header is line 1, row i is line i + 2, and rows after 250 two lines later.
        let ragged = format!("{text}7,8,9\n");
        let (whole, parted, seen) = both(&ragged, &ReadOptions::default(), 300);
        assert_eq!(whole, parted);
        assert!(
            whole.contains("RaggedRow { line: 504, expected: 2, found: 3 }"),
            "{whole}"
        );
        let unclosed = format!("{text}\"8,9\n1,2\n");
        let (whole, parted, _) = both(&unclosed, &ReadOptions::default(), 300);
        assert_eq!(whole, parted);
        assert!(whole.contains("UnclosedQuote { line: 504 }"), "{whole}");
        // The first of the two reads in parts went through the parts' error, not one piece.
        assert!(seen.is_none(), "an error leaves no joined read");
    }

    #[test]
    fn a_line_break_in_quotes_across_a_cut_reads_in_one_piece() {
        let mut text = String::from("id,note,spend\n");
        for i in 0..400 {
            text.push_str(&format!("{i},\"line one\nline two of {i}\",{}\n", i % 7));
        }
        let (whole, parted, seen) = both(&text, &ReadOptions::default(), 200);
        assert_eq!(whole, parted);
        assert!(seen.is_none(), "a cut inside quotes is not trusted");
        assert!(whole.contains("n_rows: 400"));
    }

    #[test]
    fn the_shared_datasets_read_the_same_in_parts() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/datasets");
        let listing = |d: &str| {
            let entries = std::fs::read_dir(d).expect("the shared datasets are there");
            entries
                .map(|e| e.expect("a directory entry").path())
                .collect::<Vec<_>>()
        };
        let mut read = 0;
        for path in listing(dir)
            .into_iter()
            .chain(listing(&format!("{dir}/splits")))
        {
            if path.extension().and_then(|e| e.to_str()) != Some("csv") {
                continue;
            }
            let bytes = std::fs::read(&path).expect("a dataset is readable");
            let options = ReadOptions::default();
            let whole = format!("{:?}", read_csv_with_info(&bytes, &options));
            JOINED.with(|j| j.set(None));
            // About six parts, whatever the file's size.
            let parted = with_part_bytes((bytes.len() / 6).max(64), || {
                format!("{:?}", read_csv_with_info(&bytes, &options))
            });
            assert_eq!(whole, parted, "{}", path.display());
            let (parts, _) = JOINED.with(Cell::get).expect("read in parts");
            assert!(parts > 1, "{}", path.display());
            read += 1;
        }
        // ../shared/datasets holds 8 CSV files, and its splits/ 8 more.
        assert_eq!(read, 16);
    }
}
