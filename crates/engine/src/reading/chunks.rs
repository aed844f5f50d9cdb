//! A delimited file read in pieces, so that a file of any size can be scored in bounded
//! memory: each piece is the header line followed by whole records (a quoted field may hold
//! line breaks; a piece never ends inside one), about `target` bytes of records long.
//!
//! Works on the bytes of any ASCII-compatible encoding (UTF-8, GB18030, Windows-1252);
//! UTF-16 files are not cut (see [`is_utf16`]).

use std::io::{self, Read};

/// Pieces of a delimited file: the header line, then whole records.
pub struct RecordChunks<R> {
    reader: R,
    header: Vec<u8>,
    /// Bytes read but not yet handed out: the start of a record.
    carry: Vec<u8>,
    target: usize,
    done: bool,
}

/// Whether `start` (a file's first bytes) opens with a UTF-16 byte order mark.
pub fn is_utf16(start: &[u8]) -> bool {
    start.starts_with(&[0xFF, 0xFE]) || start.starts_with(&[0xFE, 0xFF])
}

impl<R: Read> RecordChunks<R> {
    /// Reads the header line; pieces will carry about `target` bytes of records each.
    pub fn new(mut reader: R, target: usize) -> io::Result<Self> {
        let mut carry = Vec::new();
        let mut done = false;
        let header = loop {
            if let Some(end) = record_end_from(&carry, 0) {
                let rest = carry.split_off(end);
                break std::mem::replace(&mut carry, rest);
            }
            if !fill(&mut reader, &mut carry, target.max(4096))? {
                done = true;
                break std::mem::take(&mut carry);
            }
        };
        Ok(RecordChunks {
            reader,
            header,
            carry,
            target: target.max(1),
            done,
        })
    }

    /// The header line as read (with its line break).
    pub fn header(&self) -> &[u8] {
        &self.header
    }

    /// The next piece: the header and whole records, or `None` at the end.
    pub fn next_chunk(&mut self) -> io::Result<Option<Vec<u8>>> {
        loop {
            let cut = match record_end_from(&self.carry, self.target) {
                Some(cut) => cut,
                None if self.done && self.carry.is_empty() => return Ok(None),
                None if self.done => self.carry.len(),
                None => {
                    if !fill(&mut self.reader, &mut self.carry, self.target)? {
                        self.done = true;
                    }
                    continue;
                }
            };
            let rest = self.carry.split_off(cut);
            let records = std::mem::replace(&mut self.carry, rest);
            let mut piece = self.header.clone();
            piece.extend_from_slice(&records);
            return Ok(Some(piece));
        }
    }
}

/// A seeded uniform sample of a delimited file's records, taken in one pass with bounded
/// memory (the records kept, plus one piece).
#[derive(Debug, Clone, PartialEq)]
pub struct RecordSample {
    /// The header line, then the sampled records in the file's order: a delimited file of
    /// its own, for the reader.
    pub bytes: Vec<u8>,
    /// The records in the whole file (blank lines included, as records).
    pub records: usize,
    /// The records kept: `min(n, records)`.
    pub kept: usize,
}

/// Keeps `n` of the records of `reader` drawn uniformly at random with `seed` (reservoir
/// sampling, Vitter's algorithm R): each record of the file has the same chance, `n` out of
/// the number of records, whatever the file's length, and only the kept records are held.
/// The file is read in pieces of about `piece` bytes.
pub fn reservoir_sample<R: Read>(
    reader: R,
    n: usize,
    seed: u64,
    piece: usize,
) -> io::Result<RecordSample> {
    let mut chunks = RecordChunks::new(reader, piece)?;
    let header_len = chunks.header().len();
    let mut rng = crate::rng::Rng::new(seed);
    let mut kept: Vec<(usize, Vec<u8>)> = Vec::with_capacity(n.min(1 << 20));
    let mut seen = 0usize;
    while let Some(chunk) = chunks.next_chunk()? {
        let mut rest = &chunk[header_len..];
        while !rest.is_empty() {
            let end = record_end_from(rest, 0).unwrap_or(rest.len());
            let record = &rest[..end];
            if seen < n {
                kept.push((seen, record.to_vec()));
            } else {
                let j = rng.below(seen + 1);
                if j < n {
                    kept[j] = (seen, record.to_vec());
                }
            }
            seen += 1;
            rest = &rest[end..];
        }
    }
    kept.sort_unstable_by_key(|(i, _)| *i);
    let mut bytes = chunks.header().to_vec();
    if !bytes.ends_with(b"\n") && !kept.is_empty() {
        bytes.push(b'\n');
    }
    for (_, record) in &kept {
        bytes.extend_from_slice(record);
        if !record.ends_with(b"\n") {
            bytes.push(b'\n');
        }
    }
    Ok(RecordSample {
        bytes,
        records: seen,
        kept: kept.len(),
    })
}

/// The end (just past the line break) of the first record of `bytes` that ends outside
/// quotes at or after `min` bytes; `bytes` starts at a record's start.
fn record_end_from(bytes: &[u8], min: usize) -> Option<usize> {
    let mut quoted = false;
    bytes.iter().enumerate().find_map(|(i, &b)| {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted && i + 1 >= min => return Some(i + 1),
            _ => {}
        }
        None
    })
}

/// Appends up to `amount` more bytes of `reader` to `buffer`; false at the end of input.
fn fill<R: Read>(reader: &mut R, buffer: &mut Vec<u8>, amount: usize) -> io::Result<bool> {
    let start = buffer.len();
    buffer.resize(start + amount, 0);
    let mut got = 0;
    while got < amount {
        match reader.read(&mut buffer[start + got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                buffer.truncate(start + got);
                return Err(e);
            }
        }
    }
    buffer.truncate(start + got);
    Ok(got > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(text: &str, target: usize) -> Vec<String> {
        let mut chunks = RecordChunks::new(text.as_bytes(), target).expect("reads");
        let mut out = Vec::new();
        while let Some(p) = chunks.next_chunk().expect("reads") {
            out.push(String::from_utf8(p).expect("utf-8"));
        }
        out
    }

    #[test]
    fn a_reservoir_keeps_n_whole_records_in_order_each_as_likely() {
        // 1,000 records, one with a quoted line break; keep 100, small pieces.
        let mut text = String::from("id,note\n");
        for i in 0..1000 {
            match i {
                500 => text.push_str("500,\"two\nlines\"\n"),
                _ => text.push_str(&format!("{i},x\n")),
            }
        }
        let sample = reservoir_sample(text.as_bytes(), 100, 7, 64).expect("reads");
        assert_eq!((sample.records, sample.kept), (1000, 100));
        let again = reservoir_sample(text.as_bytes(), 100, 7, 4096).expect("reads");
        assert_eq!(
            sample, again,
            "the same seed keeps the same records, whatever the piece"
        );
        let out = String::from_utf8(sample.bytes).expect("utf-8");
        assert!(out.starts_with("id,note\n"));
        let ids: Vec<usize> = out
            .lines()
            .skip(1)
            .filter_map(|l| l.split(',').next()?.parse().ok())
            .collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "the file's order");
        // Each record is kept with chance 100/1000: over 400 seeds, the first and the last
        // hundred records are each kept about 400 x 100 x 0.1 = 4,000 times (binomial sd 60).
        let (mut first, mut last) = (0usize, 0usize);
        for seed in 0..400 {
            let s = reservoir_sample(text.as_bytes(), 100, seed, 256).expect("reads");
            let t = String::from_utf8(s.bytes).expect("utf-8");
            for id in t
                .lines()
                .skip(1)
                .filter_map(|l| l.split(',').next()?.parse::<usize>().ok())
            {
                match id {
                    0..100 => first += 1,
                    900..1000 => last += 1,
                    _ => {}
                }
            }
        }
        assert!(
            (3700..4300).contains(&first) && (3700..4300).contains(&last),
            "{first} {last}"
        );
        // Fewer records than n: all of them.
        let all = reservoir_sample("a,b\n1,2\n3,4".as_bytes(), 10, 1, 64).expect("reads");
        assert_eq!((all.records, all.kept), (2, 2));
        assert_eq!(all.bytes, b"a,b\n1,2\n3,4\n");
    }

    #[test]
    fn pieces_hold_whole_records_after_the_header() {
        let text = "id,note\n1,\"two\nlines\"\n2,plain\n3,\"a \"\"quote\"\"\"\n4,last";
        for target in [1, 5, 10, 16, 1000] {
            let got = pieces(text, target);
            assert!(got.iter().all(|p| p.starts_with("id,note\n")), "{got:?}");
            let records: String = got.iter().map(|p| &p["id,note\n".len()..]).collect();
            assert_eq!(records, &text["id,note\n".len()..], "target {target}");
            // No piece ends inside the quoted line break.
            assert!(
                got.iter().all(|p| p.matches('"').count() % 2 == 0),
                "{got:?}"
            );
        }
        assert_eq!(pieces(text, 1000).len(), 1);
        assert!(pieces(text, 1).len() >= 4);
    }

    #[test]
    fn a_header_alone_or_nothing_gives_no_records() {
        assert!(pieces("id,note\n", 10).is_empty());
        assert!(pieces("", 10).is_empty());
        assert!(is_utf16(&[0xFF, 0xFE, b'i', 0]));
    }
}
