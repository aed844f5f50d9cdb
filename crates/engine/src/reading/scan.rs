//! Splitting delimited text into records and fields, without allocating per cell.
//!
//! The rules are the common CSV ones (RFC 4180 and what spreadsheet programs write): a field
//! that starts with a double quote runs to the next lone quote, with `""` standing for one
//! quote and delimiters and line ends inside taken literally; anything after the closing
//! quote up to the delimiter is kept as written. A quote inside an unquoted field is an
//! ordinary character. Records end at LF, CRLF or a lone CR (old Mac files); empty lines are
//! skipped. Unlike a lenient reader, a quote that is never closed is an error: swallowing
//! the rest of the file into one field would silently lose rows.

/// A field's text: a slice of the input, or (when it had `""` escapes) of the scratch buffer.
#[derive(Debug, Clone, Copy)]
enum Span {
    Input(usize, usize),
    Scratch(usize, usize),
}

/// One record; reused from one call of [`Scanner::next_record`] to the next.
#[derive(Debug, Default)]
pub struct Record {
    spans: Vec<Span>,
    scratch: Vec<u8>,
    /// The line (1-based) on which the record starts.
    pub line: u64,
}

impl Record {
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }
}

/// A quote opened at `line` is never closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnclosedQuote {
    pub line: u64,
}

/// Where a quoted field's closing quote is, and what is left to copy before it.
struct QuotedEnd {
    /// Index of the closing quote.
    close: usize,
    /// Start of the text after the last `""` escape (the field's text after the opening
    /// quote when there is none).
    piece: usize,
    /// Whether `""` escapes were copied into the scratch buffer.
    has_escapes: bool,
}

/// Reads records from delimited text one at a time.
pub struct Scanner<'a> {
    text: &'a str,
    pos: usize,
    line: u64,
    delimiter: u8,
}

impl<'a> Scanner<'a> {
    pub fn new(text: &'a str, delimiter: u8) -> Self {
        Scanner {
            text,
            pos: 0,
            line: 1,
            delimiter,
        }
    }

    /// A scanner of `text` that starts at byte `pos` (the start of a line) counting that
    /// line as `line`: a part of a big file read on its own (positions stay those of the
    /// whole text, so a quoted field may run past the part's end).
    pub fn resume(text: &'a str, delimiter: u8, pos: usize, line: u64) -> Self {
        Scanner {
            text,
            pos: pos.min(text.len()),
            line,
            delimiter,
        }
    }

    /// The delimiter between fields.
    pub fn delimiter(&self) -> u8 {
        self.delimiter
    }

    /// Bytes consumed so far (for progress reports).
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The line the scanner is on (1-based, or counted from the line given to
    /// [`Scanner::resume`]).
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Moves past empty lines and, in a table of `width` > 1 columns, lines of nothing but
    /// spaces, in any order, to the start of the next record; `false` at the end of the text.
    #[inline]
    pub fn skip_gaps(&mut self, width: usize) -> bool {
        loop {
            if !self.skip_empty_lines() {
                return false;
            }
            if !(width > 1 && self.skip_blank_line()) {
                return true;
            }
        }
    }

    /// The text of field `i` of `record`.
    pub fn field<'r>(&'r self, record: &'r Record, i: usize) -> &'r str {
        match record.spans[i] {
            Span::Input(a, b) => &self.text[a..b],
            // The scratch holds whole UTF-8 pieces copied from the input between ASCII quotes.
            Span::Scratch(a, b) => std::str::from_utf8(&record.scratch[a..b]).unwrap_or(""),
        }
    }

    /// Reads the next non-empty record into `record`; `Ok(false)` at the end of the text.
    pub fn next_record(&mut self, record: &mut Record) -> Result<bool, UnclosedQuote> {
        record.spans.clear();
        record.scratch.clear();
        let base = self.text.as_ptr() as usize;
        let len = self.text.len();
        let mut escaped = Vec::new();
        let spans = &mut record.spans;
        let scratch = &mut record.scratch;
        let found = self.scan(&mut escaped, |_, field| {
            let at = (field.as_ptr() as usize).wrapping_sub(base);
            if at <= len && at + field.len() <= len {
                spans.push(Span::Input(at, at + field.len()));
            } else {
                let start = scratch.len();
                scratch.extend_from_slice(field.as_bytes());
                spans.push(Span::Scratch(start, scratch.len()));
            }
        })?;
        match found {
            Some((line, _)) => {
                record.line = line;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Reads the next non-empty record, handing each field to `each` (its index and text) as
    /// soon as it is read; returns the record's first line and field count, `None` at the
    /// end. `escaped` is working space for fields with `""` escapes.
    #[inline]
    pub fn scan<F: FnMut(usize, &str)>(
        &mut self,
        escaped: &mut Vec<u8>,
        mut each: F,
    ) -> Result<Option<(u64, usize)>, UnclosedQuote> {
        if !self.skip_empty_lines() {
            return Ok(None);
        }
        let text = self.text;
        let bytes = text.as_bytes();
        let line = self.line;
        let mut i = self.pos;
        let mut field = 0usize;
        loop {
            // One field starting at i.
            i = if bytes.get(i) == Some(&b'"') {
                self.quoted_field(i, escaped, |cell| each(field, cell))?
            } else {
                let end = plain_field_end(bytes, i, self.delimiter);
                each(field, &text[i..end]);
                end
            };
            field += 1;
            // i is at a delimiter, a line end or the end.
            match bytes.get(i) {
                Some(&b) if b == self.delimiter => i += 1,
                _ => {
                    i = self.end_line(i);
                    break;
                }
            }
        }
        self.pos = i;
        Ok(Some((line, field)))
    }

    /// Moves past empty lines to the start of the next record; `false` at the end of the
    /// text.
    #[inline(always)]
    fn skip_empty_lines(&mut self) -> bool {
        loop {
            match self.text.as_bytes().get(self.pos) {
                None => return false,
                Some(b'\n' | b'\r') => self.pos = self.end_line(self.pos),
                Some(_) => return true,
            }
        }
    }

    /// Given `i` at a line end (LF, CRLF or a lone CR) or the end of the text, counts the
    /// line and returns the index just past it (the end of the text stays where it is).
    #[inline(always)]
    fn end_line(&mut self, i: usize) -> usize {
        let bytes = self.text.as_bytes();
        match bytes.get(i) {
            Some(b'\n') => {
                self.line += 1;
                i + 1
            }
            Some(b'\r') => {
                self.line += 1;
                if bytes.get(i + 1) == Some(&b'\n') {
                    i + 2
                } else {
                    i + 1
                }
            }
            _ => i,
        }
    }

    /// Reads the quoted field whose opening quote is at `open`, hands its text to `each` and
    /// returns the index just past it (at a delimiter, a line end or the end of the text).
    /// Text after the closing quote up to the delimiter is kept, as spreadsheets do.
    #[inline(always)]
    fn quoted_field(
        &mut self,
        open: usize,
        escaped: &mut Vec<u8>,
        each: impl FnOnce(&str),
    ) -> Result<usize, UnclosedQuote> {
        let bytes = self.text.as_bytes();
        let QuotedEnd {
            close,
            piece,
            has_escapes,
        } = self.closing_quote(open, escaped)?;
        let tail_start = close + 1;
        let end = tail_start
            + bytes[tail_start..]
                .iter()
                .position(|&b| b == self.delimiter || b == b'\n' || b == b'\r')
                .unwrap_or(bytes.len() - tail_start);
        if has_escapes || tail_start < end {
            escaped.extend_from_slice(&bytes[piece..close]);
            escaped.extend_from_slice(&bytes[tail_start..end]);
            // Whole UTF-8 pieces cut at ASCII bytes, so always valid.
            each(std::str::from_utf8(escaped).unwrap_or(""));
        } else {
            each(&self.text[open + 1..close]);
        }
        Ok(end)
    }

    /// Finds the quote closing the one at `open`, counting the line ends inside and copying
    /// the text before each `""` escape (with one of its quotes) into `escaped`.
    #[inline(always)]
    fn closing_quote(
        &mut self,
        open: usize,
        escaped: &mut Vec<u8>,
    ) -> Result<QuotedEnd, UnclosedQuote> {
        let bytes = self.text.as_bytes();
        let start_line = self.line;
        let mut i = open + 1;
        let mut piece = i;
        let mut has_escapes = false;
        escaped.clear();
        loop {
            let Some(off) = bytes[i..]
                .iter()
                .position(|&b| b == b'"' || b == b'\n' || b == b'\r')
            else {
                self.pos = bytes.len();
                return Err(UnclosedQuote { line: start_line });
            };
            i += off;
            match bytes[i] {
                b'"' if bytes.get(i + 1) == Some(&b'"') => {
                    escaped.extend_from_slice(&bytes[piece..=i]);
                    has_escapes = true;
                    i += 2;
                    piece = i;
                }
                b'"' => {
                    return Ok(QuotedEnd {
                        close: i,
                        piece,
                        has_escapes,
                    })
                }
                // A line end inside quotes still counts as a line (CRLF once).
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => i += 1,
                _ => {
                    self.line += 1;
                    i += 1;
                }
            }
        }
    }

    /// When the next line holds nothing but spaces (no delimiter, no quote), skips it and
    /// returns true: in a table of several columns such a line is blank, not a row.
    pub fn skip_blank_line(&mut self) -> bool {
        let rest = &self.text[self.pos..];
        if !rest.starts_with(|c: char| c.is_whitespace() && c != '\n' && c != '\r') {
            return false;
        }
        let end = rest.find(['\n', '\r']).unwrap_or(rest.len());
        if !rest[..end].trim().is_empty() || rest.as_bytes()[..end].contains(&self.delimiter) {
            return false;
        }
        self.pos += end;
        if self.pos == self.text.len() {
            return true;
        }
        // The line end itself.
        let bytes = self.text.as_bytes();
        if bytes[self.pos] == b'\r' && bytes.get(self.pos + 1) == Some(&b'\n') {
            self.pos += 1;
        }
        self.pos += 1;
        self.line += 1;
        true
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// High bit set in each byte of `word` equal to `b` (exact for the lowest such byte).
#[inline]
fn bytes_equal(word: u64, b: u8) -> u64 {
    let x = word ^ (ONES * u64::from(b));
    x.wrapping_sub(ONES) & !x & HIGHS
}

/// The index of the first delimiter, CR or LF at or after `i` (the end of the text when
/// none): where the unquoted field starting at `i` ends.
#[inline(always)]
fn plain_field_end(bytes: &[u8], i: usize, delim: u8) -> usize {
    let mut i = skip_plain(bytes, i, delim);
    while i < bytes.len() {
        let b = bytes[i];
        if b == delim || b == b'\n' || b == b'\r' {
            break;
        }
        i += 1;
    }
    i
}

/// Skips, eight bytes at a time, bytes that cannot end an unquoted field; returns the index
/// of the first delimiter, CR or LF at or after `i`, or a point near the end from which the
/// caller goes on byte by byte.
#[inline]
fn skip_plain(bytes: &[u8], mut i: usize, delim: u8) -> usize {
    while let Some(chunk) = bytes.get(i..i + 8) {
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let hits = bytes_equal(word, delim) | bytes_equal(word, b'\n') | bytes_equal(word, b'\r');
        if hits != 0 {
            return i + (hits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str, delim: u8) -> Result<Vec<(u64, Vec<String>)>, UnclosedQuote> {
        let mut s = Scanner::new(text, delim);
        let mut r = Record::default();
        let mut out = Vec::new();
        while s.next_record(&mut r)? {
            let fields = (0..r.len()).map(|i| s.field(&r, i).to_string()).collect();
            out.push((r.line, fields));
        }
        Ok(out)
    }

    fn fields(text: &str) -> Vec<Vec<String>> {
        all(text, b',')
            .expect("scans")
            .into_iter()
            .map(|(_, f)| f)
            .collect()
    }

    #[test]
    fn plain_fields_and_line_ends() {
        assert_eq!(fields("a,b\n1,2\n"), vec![vec!["a", "b"], vec!["1", "2"]]);
        assert_eq!(fields("a,b\r\n1,2"), vec![vec!["a", "b"], vec!["1", "2"]]);
        assert_eq!(fields("a,b\r1,2\r"), vec![vec!["a", "b"], vec!["1", "2"]]);
        assert_eq!(fields("a,,\n"), vec![vec!["a", "", ""]]);
        assert_eq!(fields(""), Vec::<Vec<String>>::new());
    }

    #[test]
    fn empty_lines_are_skipped_and_lines_counted() {
        let got = all("a,b\n\n1,2\r\n\r\n3,4\r5,6\n", b',').expect("scans");
        let lines: Vec<u64> = got.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, vec![1, 3, 5, 6]);
    }

    #[test]
    fn quoted_fields() {
        // Embedded delimiter, escaped quotes, an embedded line end, text after the quote.
        let text =
            "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"x\"y,\"\"\nnext,5\" screen,\"\"\"\"\n";
        let got = all(text, b',').expect("scans");
        assert_eq!(got[0].1, vec!["a,b", "say \"hi\"", "two\nlines", "xy", ""]);
        assert_eq!(got[1].0, 3, "the quoted line end counts as a line");
        assert_eq!(got[1].1, vec!["next", "5\" screen", "\""]);
    }

    #[test]
    fn other_delimiters_and_unicode() {
        let got = all("名字;金额\n张三;1.234,5\n", b';').expect("scans");
        assert_eq!(got[1].1, vec!["张三", "1.234,5"]);
        let got = all("a\t\"b\tc\"\n", b'\t').expect("scans");
        assert_eq!(got[0].1, vec!["a", "b\tc"]);
    }

    #[test]
    fn unclosed_quote_is_located() {
        assert_eq!(
            all("a,b\n1,2\n3,\"open\n4,5\n", b','),
            Err(UnclosedQuote { line: 3 })
        );
    }
    proptest::proptest! {
        /// The word-at-a-time skip stops exactly where a byte-by-byte scan would.
        #[test]
        fn skip_plain_stops_at_the_first_special_byte(bytes in proptest::collection::vec(proptest::sample::select(vec![b'a', b',', b'\n', b'\r', b';', 0x80, 0xff, b'"']), 0..40), start in 0usize..40) {
            let start = start.min(bytes.len());
            let stop = skip_plain(&bytes, start, b',');
            let first = bytes[start..].iter().position(|&b| b == b',' || b == b'\n' || b == b'\r').map(|k| start + k);
            match first {
                Some(f) => proptest::prop_assert!(stop <= f && (stop == f || bytes.len() - stop < 8), "{stop} vs {f}"),
                None => proptest::prop_assert!(bytes.len() - stop < 8),
            }
            proptest::prop_assert!(bytes[start..stop].iter().all(|&b| b != b',' && b != b'\n' && b != b'\r'));
        }
    }
}
