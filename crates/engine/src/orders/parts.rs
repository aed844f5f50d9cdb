//! An order log too big to hold split by customer into parts on disk, each part small
//! enough to build and derive on its own: every row of a customer lands in the same part
//! (chosen by a fixed hash of the id), so each part's customers have all their orders.
//! A line item without a customer joins the part of its order when the order's line with
//! the customer was in the same or the previous piece (Shopify writes an order's lines
//! together); otherwise it goes to the first part, whose builder counts it as a row
//! without a customer, as a log read whole does for a line whose order is not open.
//!
//! A part holds the rows as [`RowFacts`] in a compact binary form: line (u64), flags (u8:
//! 1 cancelled, 2 discounted), the dates month-first and day-first and the value (f64),
//! then customer, order id, product and date text, each a u32 length (`u32::MAX` for
//! none) and UTF-8 bytes; little-endian.

use std::collections::HashMap;
use std::io::{self, Read, Write};

use crate::dataset::Dataset;
use crate::orders::layout::OrderMapping;
use crate::orders::log::{piece_facts, LogBuilder, LogError, PieceDates, RowFacts};

/// Why a log could not be split or a part read back.
#[derive(Debug, thiserror::Error)]
pub enum PartError {
    #[error(transparent)]
    Log(#[from] LogError),
    #[error("a part of the order log on disk: {0}")]
    Io(#[from] io::Error),
}

/// Splits the pieces of an order export into `parts.len()` parts by customer.
pub struct LogSplitter<W: Write> {
    mapping: OrderMapping,
    parts: Vec<W>,
    dates: PieceDates,
    /// The part of each order id seen with a customer, in this piece and the one before.
    recent: [HashMap<Box<str>, u32>; 2],
    buffer: Vec<u8>,
}

/// FNV-1a, 64 bits: the same part for the same id on every machine and run.
fn part_of(id: &str, parts: usize) -> u32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h % parts.max(1) as u64) as u32
}

impl<W: Write> LogSplitter<W> {
    /// A splitter writing to `parts` (at least one); refused without an amount.
    pub fn new(mapping: &OrderMapping, parts: Vec<W>) -> Result<Self, PartError> {
        LogBuilder::new(mapping)?;
        if parts.is_empty() {
            return Err(PartError::Io(io::Error::other("no parts to write to")));
        }
        Ok(LogSplitter {
            mapping: mapping.clone(),
            parts,
            dates: PieceDates::default(),
            recent: [HashMap::new(), HashMap::new()],
            buffer: Vec::new(),
        })
    }

    /// Splits the rows of `piece` (its first row on line `first_line` of the file).
    pub fn add(&mut self, piece: &Dataset, first_line: usize) -> Result<(), PartError> {
        self.recent.swap(0, 1);
        self.recent[0].clear();
        let mut failed: Option<io::Error> = None;
        let n = self.parts.len();
        let (parts, recent, buffer) = (&mut self.parts, &mut self.recent, &mut self.buffer);
        let dates = piece_facts(piece, &self.mapping, first_line, &mut |f| {
            if failed.is_some() {
                return;
            }
            let part = match (f.customer, f.order) {
                (Some(c), order) => {
                    let part = part_of(c, n);
                    if let Some(o) = order {
                        recent[0].insert(o.into(), part);
                    }
                    part
                }
                (None, Some(o)) => recent[0]
                    .get(o)
                    .or_else(|| recent[1].get(o))
                    .copied()
                    .unwrap_or(0),
                (None, None) => 0,
            };
            buffer.clear();
            encode(&f, buffer);
            if let Err(e) = parts[part as usize].write_all(buffer) {
                failed = Some(e);
            }
        })?;
        if let Some(e) = failed {
            return Err(PartError::Io(e));
        }
        self.dates.day_first_seen |= dates.day_first_seen;
        self.dates.any[0] |= dates.any[0];
        self.dates.any[1] |= dates.any[1];
        Ok(())
    }

    /// The parts, flushed, and what the whole log's dates said.
    pub fn finish(mut self) -> Result<(Vec<W>, PieceDates), PartError> {
        for p in &mut self.parts {
            p.flush()?;
        }
        Ok((self.parts, self.dates))
    }
}

fn encode(f: &RowFacts<'_>, out: &mut Vec<u8>) {
    out.extend_from_slice(&(f.line as u64).to_le_bytes());
    out.push(u8::from(f.cancelled) | (u8::from(f.discounted) << 1));
    for x in [f.month_first, f.day_first, f.value] {
        out.extend_from_slice(&x.to_le_bytes());
    }
    for text in [f.customer, f.order, f.product, f.date_text] {
        match text {
            Some(t) => {
                out.extend_from_slice(&(t.len() as u32).to_le_bytes());
                out.extend_from_slice(t.as_bytes());
            }
            None => out.extend_from_slice(&u32::MAX.to_le_bytes()),
        }
    }
}

/// Reads the rows of one part back into `builder` (which should then hear the whole log's
/// dates through [`LogBuilder::add_dates`] and finish with its day/month order).
pub fn read_part<R: Read>(mut reader: R, builder: &mut LogBuilder) -> Result<(), PartError> {
    let mut head = [0u8; 8 + 1 + 24];
    let mut texts: [Option<String>; 4] = Default::default();
    loop {
        match reader.read_exact(&mut head[..8]) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        reader.read_exact(&mut head[8..])?;
        let number = |at: usize| -> f64 {
            let mut b = [0u8; 8];
            b.copy_from_slice(&head[at..at + 8]);
            f64::from_le_bytes(b)
        };
        let mut line = [0u8; 8];
        line.copy_from_slice(&head[..8]);
        for text in &mut texts {
            *text = read_text(&mut reader)?;
        }
        builder.add_row(RowFacts {
            line: u64::from_le_bytes(line) as usize,
            cancelled: head[8] & 1 != 0,
            discounted: head[8] & 2 != 0,
            month_first: number(9),
            day_first: number(17),
            value: number(25),
            customer: texts[0].as_deref(),
            order: texts[1].as_deref(),
            product: texts[2].as_deref(),
            date_text: texts[3].as_deref(),
        });
    }
}

fn read_text<R: Read>(reader: &mut R) -> io::Result<Option<String>> {
    let mut len = [0u8; 4];
    reader.read_exact(&mut len)?;
    let len = u32::from_le_bytes(len);
    if len == u32::MAX {
        return Ok(None);
    }
    let mut bytes = vec![0u8; len as usize];
    reader.read_exact(&mut bytes)?;
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::layout::detect;
    use crate::reading::ingest::{read_table, ReadOptions};

    #[test]
    fn a_log_split_by_customer_holds_each_customers_rows_whole() {
        let csv = "order_id,customer_id,order_date,amount,product\n\
                   A1,alice,2024-01-05,10,p1\nA1,,2024-01-05,4,p2\nB1,bob,2024-01-06,7,p1\n\
                   A2,alice,2024-02-01,3,p3\nZ9,,2024-02-02,1,p1\n";
        let ds = read_table(csv.as_bytes(), &ReadOptions::default())
            .expect("parses")
            .0;
        let mapping = detect(&ds).expect("a log").mapping;
        let mut split =
            LogSplitter::new(&mapping, vec![Vec::new(), Vec::new(), Vec::new()]).expect("splitter");
        split.add(&ds, 2).expect("splits");
        let (parts, dates) = split.finish().expect("finishes");
        let (alice, bob) = (part_of("alice", 3) as usize, part_of("bob", 3) as usize);
        let mut rows_in = vec![0usize; 3];
        let mut orders = 0;
        for (k, part) in parts.iter().enumerate() {
            let mut builder = LogBuilder::new(&mapping).expect("builder");
            read_part(&part[..], &mut builder).expect("reads back");
            builder.add_dates(dates);
            match builder.finish_as(false) {
                Ok(log) => {
                    rows_in[k] = log.report.rows;
                    orders += log.report.orders;
                    if k == alice {
                        // A1's line without a customer joined A1 in alice's part.
                        let a1 = log.orders.iter().find(|o| o.time.floor() as i64 == 19727);
                        assert_eq!(a1.map(|o| o.amount), Some(14.0));
                    }
                }
                Err(LogError::NoOrders) => {}
                Err(e) => panic!("part {k}: {e}"),
            }
        }
        assert_eq!(orders, 3, "A1, B1, A2; Z9 has no customer");
        assert!(rows_in[alice] >= 3 && rows_in[bob] >= 1, "{rows_in:?}");
        // Z9's line has no customer and no known order: it goes to part 0, which has no
        // orders of its own unless alice or bob are there too.
        let z9_alone = alice != 0 && bob != 0;
        assert_eq!(rows_in.iter().sum::<usize>(), if z9_alone { 4 } else { 5 });
    }
}
