//! Reading single cells the way people write them in exports: missing-value markers,
//! numbers with currency signs, thousands separators, decimal commas and percentages, and
//! dates in ISO, day-first, month-first and Chinese (2024年1月2日) forms, with times.
//!
//! Which convention a column follows is decided from the whole column by the reader
//! ([`crate::reading::ingest`]): a column is numeric in a style only if every non-missing cell reads in
//! that style, and a d/m/Y versus m/d/Y column is resolved by any component above 12.

use serde::{Deserialize, Serialize};

/// Cell texts that mean "no value" (compared after trimming spaces).
pub const MISSING_TOKENS: &[&str] = &[
    "", "NA", "N/A", "n/a", "na", "#N/A", "null", "NULL", "Null", "NaN", "nan", "None", "none",
    "-", "?",
];

/// True when a cell's text means "no value".
pub fn is_missing(cell: &str) -> bool {
    MISSING_TOKENS.contains(&cell.trim())
}

/// How a column writes its numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberStyle {
    /// `1,234.56`: decimal point, comma thousands (English-language exports).
    Point,
    /// `1.234,56` or `1 234,56`: decimal comma (most European exports, often `;`-separated).
    Comma,
}

const CURRENCY: &[char] = &['$', '€', '£', '¥', '￥'];

fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{a0}' || c == '\u{202f}'
}

/// True when `digits` is `1-3 digits` then groups of exactly three separated by `sep`.
fn grouped(int: &str, sep: &[char]) -> Option<String> {
    let Some(used) = int.chars().find(|c| sep.contains(c)) else {
        return int
            .chars()
            .all(|c| c.is_ascii_digit())
            .then(|| int.to_string());
    };
    let groups: Vec<&str> = int.split(used).collect();
    let ok = groups[0].len() <= 3
        && !groups[0].is_empty()
        && groups[1..].iter().all(|g| g.len() == 3)
        && groups.iter().all(|g| g.chars().all(|c| c.is_ascii_digit()));
    ok.then(|| groups.concat())
}

/// Reads a number written in `style`; `None` when the cell is not a finite number.
///
/// Accepts surrounding spaces, a sign, a currency sign before or after ($ € £ ¥ ￥), a
/// trailing `%` (read as a fraction: `15%` is 0.15) and, in [`NumberStyle::Point`],
/// exponents (`1.5e3`).
pub fn parse_number_in(cell: &str, style: NumberStyle) -> Option<f64> {
    let mut t = cell.trim_matches(is_space);
    let mut negative = false;
    for _ in 0..2 {
        if let Some(r) = t.strip_prefix('-') {
            negative = !negative;
            t = r.trim_start_matches(is_space);
        } else if let Some(r) = t.strip_prefix('+') {
            t = r.trim_start_matches(is_space);
        }
        t = t.trim_start_matches(CURRENCY).trim_start_matches(is_space);
    }
    t = t.trim_end_matches(CURRENCY).trim_end_matches(is_space);
    let percent = match t.strip_suffix('%') {
        Some(r) => {
            t = r.trim_end_matches(is_space);
            true
        }
        None => false,
    };
    let first = t.chars().next()?;
    if !(first.is_ascii_digit() || first == '.' || first == ',') || zero_padded(t.as_bytes()) {
        return None;
    }
    let value = match style {
        NumberStyle::Point => match t.parse::<f64>() {
            Ok(v) => v,
            Err(_) => {
                let (int, frac) = t.split_once('.').unwrap_or((t, ""));
                let int = grouped(int, &[','])?;
                if !frac.chars().all(|c| c.is_ascii_digit()) {
                    return None;
                }
                format!("{int}.{frac}").parse::<f64>().ok()?
            }
        },
        NumberStyle::Comma => {
            let (int, frac) = t.split_once(',').unwrap_or((t, ""));
            let int = grouped(int, &['.', ' ', '\u{a0}', '\u{202f}', '\''])?;
            if !frac.chars().all(|c| c.is_ascii_digit()) || (int.is_empty() && frac.is_empty()) {
                return None;
            }
            format!("{}.{frac}", if int.is_empty() { "0" } else { &int })
                .parse::<f64>()
                .ok()?
        }
    };
    let value = if negative { -value } else { value };
    let value = if percent { value / 100.0 } else { value };
    value.is_finite().then_some(value)
}

/// The quick path of [`parse_number_in`] for the cells most exports are made of: an optional
/// sign, digits, at most a decimal point and an exponent, nothing else. Returns the value and
/// whether the cell was a bare integer (which reads the same in both styles); `None` when the
/// cell needs the full reader (which may still accept it).
#[inline(always)]
pub fn parse_plain_number(cell: &str, style: NumberStyle) -> Option<(f64, bool)> {
    let b = cell.as_bytes();
    if zero_padded(b) {
        return None;
    }
    if let Some((v, point)) = short_decimal(b) {
        if !point {
            return Some((v, true));
        }
        if style == NumberStyle::Point {
            return Some((v, false));
        }
        return None;
    }
    let (&first, rest) = b.split_first()?;
    if !(first.is_ascii_digit() || ((first == b'-' || first == b'+') && !rest.is_empty())) {
        return None;
    }
    let mut integer = true;
    for &c in rest {
        match c {
            b'0'..=b'9' => {}
            b'.' | b'e' | b'E' | b'-' | b'+' if style == NumberStyle::Point => integer = false,
            _ => return None,
        }
    }
    let v: f64 = cell.parse().ok()?;
    v.is_finite().then_some((v, integer))
}

/// Whether a cell starts with a zero followed by another digit (`00123`, `0712 345678`):
/// a code (a customer id, a postcode, a phone number) whose leading zeros matter, never a
/// quantity, so the column stays text and an exported id matches the shop's records.
#[inline(always)]
fn zero_padded(b: &[u8]) -> bool {
    b.len() >= 2 && b[0] == b'0' && b[1].is_ascii_digit()
}

/// Exact powers of ten up to 10^22, the largest a double holds exactly.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// `[sign] digits [. digits]` with at most 15 digits in all, read exactly: the digits form
/// an integer below 2^53 and the power of ten is exact, so one division gives the correctly
/// rounded value (Clinger's fast path), as `str::parse` would; also says whether it had a
/// decimal point. `None` for anything else.
#[inline(always)]
fn short_decimal(b: &[u8]) -> Option<(f64, bool)> {
    let (negative, digits) = match b.first()? {
        b'-' => (true, &b[1..]),
        b'+' => (false, &b[1..]),
        _ => (false, b),
    };
    let (mantissa, decimals, point) = match eight_digit_parts(digits) {
        Some(parts) => parts,
        None => {
            let mut mantissa: u64 = 0;
            let mut count = 0usize;
            let mut scale = None;
            for (i, &c) in digits.iter().enumerate() {
                match c {
                    b'0'..=b'9' if count < 15 => {
                        mantissa = mantissa * 10 + u64::from(c - b'0');
                        count += 1;
                    }
                    b'.' if scale.is_none() => scale = Some(i),
                    _ => return None,
                }
            }
            if count == 0 {
                return None;
            }
            let decimals = scale.map_or(0, |i| digits.len() - i - 1);
            (mantissa, decimals, scale.is_some())
        }
    };
    // Below 10^15, so exact as i64 and as f64 (and i64 converts faster than u64).
    let v = (mantissa as i64) as f64 / POW10[decimals];
    Some((if negative { -v } else { v }, point))
}

const ZEROS: u64 = 0x3030_3030_3030_3030;

/// Up to eight bytes of `b` as a little-endian word, the bytes past its end zero (not a
/// digit). Two overlapping loads instead of a copy, which would cost a call to memcpy.
#[inline(always)]
fn word(b: &[u8]) -> u64 {
    let n = b.len();
    if n >= 8 {
        u64::from_le_bytes(b[..8].try_into().expect("eight bytes"))
    } else if n >= 4 {
        let lo = u64::from(u32::from_le_bytes(b[..4].try_into().expect("four bytes")));
        let hi = u64::from(u32::from_le_bytes(
            b[n - 4..].try_into().expect("four bytes"),
        ));
        lo | hi << (8 * (n - 4))
    } else {
        b.iter()
            .enumerate()
            .fold(0, |w, (i, &c)| w | u64::from(c) << (8 * i))
    }
}

/// How many of the word's bytes, from the first, are ASCII digits.
#[inline]
fn leading_digits(w: u64) -> usize {
    const F0: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    // A byte is a digit when its high nibble is 3 and stays 3 after adding 6.
    let x = ((w & F0) ^ ZEROS) | (((w.wrapping_add(0x0606_0606_0606_0606)) & F0) ^ ZEROS);
    // High bit set in each non-zero byte (no carries between bytes).
    let nonzero = (((x & LOW7) + LOW7) | x) & !LOW7;
    (nonzero.trailing_zeros() / 8) as usize
}

/// The value of the first `k` (1 to 8) digits of `w`, eight at once.
#[inline]
fn eight_digits(w: u64, k: usize) -> u64 {
    let mut v = w.wrapping_sub(ZEROS);
    if k < 8 {
        v = (v & ((1u64 << (8 * k)) - 1)) << (8 * (8 - k));
    }
    v = (v.wrapping_mul(10) + (v >> 8)) & 0x00FF_00FF_00FF_00FF;
    v = (v.wrapping_mul(100) + (v >> 16)) & 0x0000_FFFF_0000_FFFF;
    (v.wrapping_mul(10_000) + (v >> 32)) & 0xFFFF_FFFF
}

/// `digits [. digits]` with 1 to 7 digits before the point and up to 8 after (at most 15
/// in all), read eight digits at a time: (mantissa, digits after the point, had a point).
/// `None` sends the cell to the byte-by-byte loop.
#[inline]
fn eight_digit_parts(digits: &[u8]) -> Option<(u64, usize, bool)> {
    let head = word(digits);
    let k1 = leading_digits(head);
    if k1 == 0 || k1 == 8 {
        return None;
    }
    let int = eight_digits(head, k1);
    if k1 == digits.len() {
        return Some((int, 0, false));
    }
    if digits[k1] != b'.' {
        return None;
    }
    let frac = &digits[k1 + 1..];
    let kf = frac.len();
    if kf == 0 {
        return Some((int, 0, true));
    }
    if kf > 8 || k1 + kf > 15 {
        return None;
    }
    let w = word(frac);
    if leading_digits(w) != kf {
        return None;
    }
    Some((int * POW10U[kf] + eight_digits(w, kf), kf, true))
}

const POW10U: [u64; 9] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
];

/// Reads a plain number (decimal point), as [`parse_number_in`] with [`NumberStyle::Point`].
pub fn parse_number(cell: &str) -> Option<f64> {
    parse_number_in(cell, NumberStyle::Point)
}

/// Order of day and month in a slash-, dot- or dash-separated date whose year comes last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateOrder {
    DayFirst,
    MonthFirst,
}

/// A date (and time) cell split into parts, before day/month order is known.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DateParts {
    /// Year-first (ISO or Chinese): the order is certain.
    pub year_first: bool,
    pub year: i64,
    /// For year-last dates, the first and second of the two leading numbers.
    pub a: u32,
    pub b: u32,
    /// Seconds since midnight.
    pub seconds: f64,
}

fn number_run(s: &str) -> Option<(u32, &str, usize)> {
    let len = s.chars().take_while(char::is_ascii_digit).count();
    if len == 0 {
        return None;
    }
    Some((s[..len].parse().ok()?, &s[len..], len))
}

fn parse_time(rest: &str) -> Option<f64> {
    let rest = rest.trim_matches(is_space);
    if rest.is_empty() {
        return Some(0.0);
    }
    let rest = rest.strip_prefix('T').unwrap_or(rest).trim_end_matches('Z');
    let rest = strip_zone(rest);
    let mut parts = rest.split(':');
    let h: u32 = parts.next()?.trim().parse().ok()?;
    let m: u32 = parts.next()?.trim().parse().ok()?;
    let s: f64 = match parts.next() {
        Some(s) => s.trim().parse().ok()?,
        None => 0.0,
    };
    if parts.next().is_some() || h > 23 || m > 59 || !(0.0..61.0).contains(&s) {
        return None;
    }
    Some(f64::from(h * 3600 + m * 60) + s)
}

/// A time without its time zone: ` +0000`, `+02:00`, `-0500` or ` UTC` at the end is
/// dropped (the clock time as written is kept, as a merchant reads their own export).
fn strip_zone(time: &str) -> &str {
    let t = time.trim_end();
    if let Some(rest) = t.strip_suffix("UTC").or_else(|| t.strip_suffix("GMT")) {
        return rest.trim_end();
    }
    if let Some(pos) = t.rfind(['+', '-']) {
        let zone = t[pos + 1..].replace(':', "");
        if pos > 0 && matches!(zone.len(), 2 | 4) && zone.bytes().all(|b| b.is_ascii_digit()) {
            return t[..pos].trim_end();
        }
    }
    t
}

/// Splits a date cell into parts; `None` when it is not a date in a supported form.
pub fn date_parts(cell: &str) -> Option<DateParts> {
    let t = cell.trim_matches(is_space);
    // 2024年1月2日 [time]
    if let Some((y, rest)) = t.split_once('年') {
        let (m, rest) = rest.split_once('月')?;
        let (d, rest) = rest.split_once('日')?;
        let (year, month, day) = (
            y.trim().parse().ok()?,
            m.trim().parse().ok()?,
            d.trim().parse().ok()?,
        );
        return valid(year, month, day).then_some(DateParts {
            year_first: true,
            year,
            a: month,
            b: day,
            seconds: parse_time(rest)?,
        });
    }
    let (first, rest, first_len) = number_run(t)?;
    let sep = rest.chars().next()?;
    if !matches!(sep, '-' | '/' | '.') {
        return None;
    }
    let (second, rest, _) = number_run(&rest[1..])?;
    let rest = rest.strip_prefix(sep)?;
    let (third, rest, third_len) = number_run(rest)?;
    let seconds = parse_time(rest)?;
    if first_len == 4 {
        let year = i64::from(first);
        valid(year, second, third).then_some(DateParts {
            year_first: true,
            year,
            a: second,
            b: third,
            seconds,
        })
    } else if third_len == 4 && first_len <= 2 {
        let year = i64::from(third);
        let possible = valid(year, first, second) || valid(year, second, first);
        possible.then_some(DateParts {
            year_first: false,
            year,
            a: first,
            b: second,
            seconds,
        })
    } else {
        None
    }
}

fn valid(year: i64, month: u32, day: u32) -> bool {
    (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's `days_from_civil`).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01 (inverse of [`days_from_civil`]).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

impl DateParts {
    /// Days since 1970-01-01 (fractional for a time of day), reading a year-last date in
    /// `order`; `None` if the parts are not a real date in that order.
    pub fn days(&self, order: DateOrder) -> Option<f64> {
        let (month, day) = match (self.year_first, order) {
            (true, _) | (false, DateOrder::MonthFirst) => (self.a, self.b),
            (false, DateOrder::DayFirst) => (self.b, self.a),
        };
        valid(self.year, month, day)
            .then(|| days_from_civil(self.year, month, day) as f64 + self.seconds / 86_400.0)
    }
}

/// Formats a day count as `YYYY-MM-DD`, with ` HH:MM[:SS]` when it has a time of day.
pub fn format_date(days: f64) -> String {
    let whole = days.floor();
    let (y, m, d) = civil_from_days(whole as i64);
    let seconds = ((days - whole) * 86_400.0).round() as u32;
    match seconds {
        0 => format!("{y:04}-{m:02}-{d:02}"),
        s if s % 60 == 0 => format!("{y:04}-{m:02}-{d:02} {:02}:{:02}", s / 3600, s / 60 % 60),
        s => format!(
            "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
            s / 3600,
            s / 60 % 60,
            s % 60
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_zone_after_the_time_is_read_past() {
        // Shopify's orders export writes `Created at` as `2024-05-01 09:58:12 +0000`
        // (issue 17); ISO offsets and a trailing UTC read the same way.
        let expected =
            days_from_civil(2024, 5, 1) as f64 + (9 * 3600 + 58 * 60 + 12) as f64 / 86_400.0;
        for cell in [
            "2024-05-01 09:58:12 +0000",
            "2024-05-01 09:58:12 -05:00",
            "2024-05-01T09:58:12+02:00",
            "2024-05-01 09:58:12 UTC",
        ] {
            let days = date_parts(cell).and_then(|p| p.days(DateOrder::DayFirst));
            assert_eq!(days, Some(expected), "{cell}");
        }
        assert_eq!(date_parts("2024-05-01 09:58 +12345"), None);
    }

    #[test]
    fn reads_numbers_in_both_styles() {
        use NumberStyle::*;
        let cases: &[(&str, NumberStyle, Option<f64>)] = &[
            (" 1.5 ", Point, Some(1.5)),
            ("1,234.50", Point, Some(1234.5)),
            ("$1,234", Point, Some(1234.0)),
            ("-$5.25", Point, Some(-5.25)),
            ("£ 12", Point, Some(12.0)),
            ("15%", Point, Some(0.15)),
            ("1.5e3", Point, Some(1500.0)),
            ("1,23", Point, None),
            ("12abc", Point, None),
            ("inf", Point, None),
            ("1e400", Point, None),
            ("3,5", Comma, Some(3.5)),
            ("1.234,56", Comma, Some(1234.56)),
            ("1 234,56 €", Comma, Some(1234.56)),
            ("€ 12,50", Comma, Some(12.5)),
            ("1.5", Comma, None),
            ("¥1,000", Point, Some(1000.0)),
            ("￥88", Point, Some(88.0)),
            ("12,5%", Comma, Some(0.125)),
            // Zero-padded codes are text; a lone zero and decimals below one are numbers.
            ("00123", Point, None),
            ("0712 345678", Point, None),
            ("0", Point, Some(0.0)),
            ("0.5", Point, Some(0.5)),
            ("0,5", Comma, Some(0.5)),
            ("-0.25", Point, Some(-0.25)),
        ];
        for (cell, style, expected) in cases {
            assert_eq!(
                parse_number_in(cell, *style),
                *expected,
                "{cell:?} in {style:?}"
            );
        }
    }

    #[test]
    fn day_counts_match_known_dates() {
        // 2000-03-01 is day 11017 since 1970-01-01 (a well-known Unix timestamp, 951868800 s).
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        for d in [-800_000, -1, 0, 59, 11_017, 19_724, 2_932_896] {
            let (y, m, day) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, day), d);
        }
    }

    #[test]
    fn reads_dates_in_every_supported_form() {
        let iso = date_parts("2024-01-02").expect("iso");
        assert_eq!(
            iso.days(DateOrder::DayFirst),
            Some(days_from_civil(2024, 1, 2) as f64)
        );
        let with_time = date_parts("2024-01-02T12:00:00Z").expect("iso time");
        assert_eq!(
            with_time.days(DateOrder::DayFirst),
            Some(days_from_civil(2024, 1, 2) as f64 + 0.5)
        );
        let cn = date_parts("2024年1月2日").expect("chinese");
        assert_eq!(
            cn.days(DateOrder::MonthFirst),
            Some(days_from_civil(2024, 1, 2) as f64)
        );
        let slash = date_parts("02/01/2024 08:30").expect("d/m/Y");
        assert_eq!(
            slash.days(DateOrder::DayFirst),
            Some(days_from_civil(2024, 1, 2) as f64 + 8.5 / 24.0)
        );
        assert_eq!(
            slash.days(DateOrder::MonthFirst),
            Some(days_from_civil(2024, 2, 1) as f64 + 8.5 / 24.0)
        );
        let us = date_parts("12/31/2023").expect("m/d/Y");
        assert_eq!(
            us.days(DateOrder::DayFirst),
            None,
            "month 31 does not exist"
        );
        assert!(date_parts("2024-02-30").is_none());
        assert!(date_parts("31/31/2024").is_none());
        assert!(date_parts("12.5").is_none());
        assert!(date_parts("2024-01-02 25:00").is_none());
        assert_eq!(
            format_date(days_from_civil(2024, 1, 2) as f64 + 0.5),
            "2024-01-02 12:00"
        );
        assert_eq!(
            format_date(days_from_civil(1999, 12, 31) as f64),
            "1999-12-31"
        );
    }

    #[test]
    fn missing_markers() {
        for m in ["", "  ", "NA", "N/A", "null", "NaN", "None", "-", "?"] {
            assert!(is_missing(m), "{m:?}");
        }
        assert!(!is_missing("0") && !is_missing("No"));
    }
    #[test]
    fn plain_numbers_read_as_the_full_reader_reads_them() {
        for cell in ["0", "42", "-7", "+3", "3.25", "-.5", "1e5", "2.5E-3"] {
            let (v, _) = parse_plain_number(cell, NumberStyle::Point).expect(cell);
            assert_eq!(Some(v), parse_number_in(cell, NumberStyle::Point), "{cell}");
        }
        assert_eq!(
            parse_plain_number("12", NumberStyle::Comma),
            Some((12.0, true))
        );
        assert_eq!(
            parse_plain_number("1.5", NumberStyle::Point),
            Some((1.5, false))
        );
        // Left to the full reader: separators, signs alone, words, overflow, comma style.
        for cell in [
            "1,234", "-", "+", "", " 5", "NaN", "inf", "1e999", "$5", "--5", "1.2.3",
        ] {
            assert_eq!(parse_plain_number(cell, NumberStyle::Point), None, "{cell}");
        }
        // A zero-padded code is text for both readers.
        assert_eq!(parse_plain_number("007", NumberStyle::Point), None);
        assert_eq!(parse_number_in("007", NumberStyle::Point), None);
        assert_eq!(parse_plain_number("1.5", NumberStyle::Comma), None);
    }

    proptest::proptest! {
        #[test]
        fn short_decimals_read_exactly_as_the_standard_library_reads_them(
            int in "[+-]?[0-9]{0,10}", frac in proptest::option::of("[0-9]{0,10}|[0-9/:.é]{0,10}"),
        ) {
            let cell = match &frac {
                Some(f) => format!("{int}.{f}"),
                None => int.clone(),
            };
            let std: Option<f64> = cell.parse().ok();
            let got = short_decimal(cell.as_bytes());
            if let Some((v, _)) = got {
                proptest::prop_assert_eq!(Some(v.to_bits()), std.map(f64::to_bits), "{}", cell);
            }
            // Every plain decimal of up to 15 digits takes the quick path.
            let digits = cell.bytes().filter(u8::is_ascii_digit).count();
            let plain = frac.as_deref().is_none_or(|f| f.bytes().all(|b| b.is_ascii_digit()));
            if plain && (1..=15).contains(&digits) {
                proptest::prop_assert!(got.is_some(), "{} should be read", cell);
            }
        }
    }
}
