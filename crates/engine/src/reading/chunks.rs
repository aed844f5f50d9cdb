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
