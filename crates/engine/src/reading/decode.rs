//! Turning a file's bytes into text: byte-order marks, UTF-8, UTF-16, and the legacy
//! encodings spreadsheet programs still write: GB18030 (a superset of GBK and GB2312) for
//! Chinese users and Windows-1252 for Western ones.
//!
//! Detection, in order: a byte-order mark decides; NUL bytes in every other position mean
//! UTF-16 without a mark; other NUL bytes mean the file is binary; valid UTF-8 is UTF-8;
//! bytes that decode as GB18030 and pair up the way Chinese text does (both bytes of most
//! pairs at or above 0xA1, the GB2312 range) are GB18030; anything else is Windows-1252,
//! which assigns a character to every byte. A file that is UTF-8 almost everywhere but has a
//! few broken bytes is reported with the offset rather than silently re-read as
//! Windows-1252, because that would garble all its correct characters.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// A text encoding churnscope reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TextEncoding {
    Utf8,
    Utf16Le,
    Utf16Be,
    Gb18030,
    Windows1252,
}

impl TextEncoding {
    /// Every encoding, for a manual choice in the UI.
    pub const ALL: [TextEncoding; 5] = [
        TextEncoding::Utf8,
        TextEncoding::Utf16Le,
        TextEncoding::Utf16Be,
        TextEncoding::Gb18030,
        TextEncoding::Windows1252,
    ];

    /// The name shown to users (and accepted by `from_label`).
    pub fn label(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Utf16Le => "UTF-16LE",
            TextEncoding::Utf16Be => "UTF-16BE",
            TextEncoding::Gb18030 => "GB18030",
            TextEncoding::Windows1252 => "Windows-1252",
        }
    }

    /// Parses a label case-insensitively; GBK and GB2312 map to their superset GB18030.
    pub fn from_label(label: &str) -> Option<Self> {
        let l = label.trim().to_ascii_lowercase().replace('_', "-");
        Some(match l.as_str() {
            "utf-8" | "utf8" => TextEncoding::Utf8,
            "utf-16le" | "utf16le" | "utf-16" => TextEncoding::Utf16Le,
            "utf-16be" | "utf16be" => TextEncoding::Utf16Be,
            "gb18030" | "gbk" | "gb2312" | "cp936" => TextEncoding::Gb18030,
            "windows-1252" | "cp1252" | "latin1" | "latin-1" | "iso-8859-1" => {
                TextEncoding::Windows1252
            }
            _ => return None,
        })
    }

    fn codec(self) -> &'static encoding_rs::Encoding {
        match self {
            TextEncoding::Utf8 => encoding_rs::UTF_8,
            TextEncoding::Utf16Le => encoding_rs::UTF_16LE,
            TextEncoding::Utf16Be => encoding_rs::UTF_16BE,
            TextEncoding::Gb18030 => encoding_rs::GB18030,
            TextEncoding::Windows1252 => encoding_rs::WINDOWS_1252,
        }
    }
}

/// Why bytes could not be read as text.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    #[error("the file is not a text table: it contains a NUL byte at offset {offset} (is it a binary file?)")]
    Binary { offset: usize },
    #[error("byte 0x{value:02X} at offset {offset} is not valid {encoding}; the file may be in {guess} (choose the encoding by hand)", encoding = .encoding.label(), guess = .guess.label())]
    Undecodable {
        offset: usize,
        value: u8,
        encoding: TextEncoding,
        guess: TextEncoding,
    },
}

pub type Result<T> = std::result::Result<T, DecodeError>;

/// Decoded text and how it was read.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded<'a> {
    pub text: Cow<'a, str>,
    pub encoding: TextEncoding,
    /// True when a byte-order mark was present (and removed).
    pub had_bom: bool,
}

fn bom(bytes: &[u8]) -> Option<(TextEncoding, usize)> {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        Some((TextEncoding::Utf8, 3))
    } else if bytes.starts_with(b"\xFF\xFE") {
        Some((TextEncoding::Utf16Le, 2))
    } else if bytes.starts_with(b"\xFE\xFF") {
        Some((TextEncoding::Utf16Be, 2))
    } else {
        None
    }
}

/// UTF-16 without a mark: text mostly in ASCII has a NUL in nearly every other byte.
fn utf16_without_bom(bytes: &[u8]) -> Option<TextEncoding> {
    let sample = &bytes[..bytes.len().min(4096) & !1];
    if sample.len() < 4 {
        return None;
    }
    let pairs = sample.len() / 2;
    let even_nul = sample.iter().step_by(2).filter(|&&b| b == 0).count();
    let odd_nul = sample
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|&&b| b == 0)
        .count();
    if odd_nul * 10 >= pairs * 7 && even_nul * 10 < pairs {
        Some(TextEncoding::Utf16Le)
    } else if even_nul * 10 >= pairs * 7 && odd_nul * 10 < pairs {
        Some(TextEncoding::Utf16Be)
    } else {
        None
    }
}

/// True when the non-ASCII bytes pair up like GB2312 Chinese text.
fn looks_like_gb(bytes: &[u8]) -> bool {
    let (mut pairs, mut gb2312, mut i) = (0usize, 0usize, 0usize);
    while i + 1 < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            i += 1;
            continue;
        }
        let t = bytes[i + 1];
        pairs += 1;
        if (0xA1..=0xF7).contains(&b) && (0xA1..=0xFE).contains(&t) {
            gb2312 += 1;
        }
        // Four-byte GB18030 sequences have a digit as second byte.
        i += if t.is_ascii_digit() { 4 } else { 2 };
    }
    pairs > 0 && gb2312 * 10 >= pairs * 8
}

/// Decodes `bytes` in `forced` or, when `None`, in the detected encoding.
pub fn decode(bytes: &[u8], forced: Option<TextEncoding>) -> Result<Decoded<'_>> {
    let mut validated: Option<&str> = None;
    let (encoding, skip, had_bom) = match (forced, bom(bytes)) {
        (None, Some((e, n))) => (e, n, true),
        (Some(f), Some((e, n))) if f == e => (e, n, true),
        (Some(f), _) => (f, 0, false),
        (None, None) => {
            // Most files are UTF-8: one validation pass reads them, instead of one to
            // detect and another to decode.
            validated = utf16_without_bom(bytes)
                .is_none()
                .then(|| std::str::from_utf8(bytes).ok())
                .flatten();
            match validated {
                Some(_) => (TextEncoding::Utf8, 0, false),
                None => (detect(bytes)?, 0, false),
            }
        }
    };
    let body = &bytes[skip..];
    let text = match encoding {
        TextEncoding::Utf8 if validated.is_some() => Cow::Borrowed(validated.unwrap_or_default()),
        TextEncoding::Utf8 => {
            Cow::Borrowed(
                std::str::from_utf8(body).map_err(|e| DecodeError::Undecodable {
                    offset: skip + e.valid_up_to(),
                    value: body[e.valid_up_to()],
                    encoding,
                    guess: guess_legacy(body),
                })?,
            )
        }
        other => {
            let codec = other.codec();
            match codec.decode_without_bom_handling_and_without_replacement(body) {
                Some(text) => Cow::Owned(text.into_owned()),
                None => {
                    let offset = first_error(codec, body);
                    return Err(DecodeError::Undecodable {
                        offset: skip + offset,
                        value: body.get(offset).copied().unwrap_or(0),
                        encoding,
                        guess: detect(body).unwrap_or(TextEncoding::Windows1252),
                    });
                }
            }
        }
    };
    if encoding != TextEncoding::Utf16Le && encoding != TextEncoding::Utf16Be {
        if let Some(offset) = text.as_bytes().iter().take(8192).position(|&b| b == 0) {
            return Err(DecodeError::Binary { offset });
        }
    }
    Ok(Decoded {
        text,
        encoding,
        had_bom,
    })
}

fn guess_legacy(bytes: &[u8]) -> TextEncoding {
    if looks_like_gb(bytes) {
        TextEncoding::Gb18030
    } else {
        TextEncoding::Windows1252
    }
}

/// Offset of the first byte `codec` cannot decode (binary search would be faster; files
/// that reach this path are reported, not read, so a linear decode is fine).
fn first_error(codec: &'static encoding_rs::Encoding, bytes: &[u8]) -> usize {
    let mut decoder = codec.new_decoder_without_bom_handling();
    let mut out = String::with_capacity(bytes.len() * 3 + 16);
    let (result, read) = decoder.decode_to_string_without_replacement(bytes, &mut out, true);
    match result {
        encoding_rs::DecoderResult::Malformed(bad, _) => read.saturating_sub(bad as usize),
        _ => read,
    }
}

fn detect(bytes: &[u8]) -> Result<TextEncoding> {
    if let Some(e) = utf16_without_bom(bytes) {
        return Ok(e);
    }
    if let Some(offset) = bytes.iter().take(8192).position(|&b| b == 0) {
        return Err(DecodeError::Binary { offset });
    }
    match std::str::from_utf8(bytes) {
        Ok(_) => Ok(TextEncoding::Utf8),
        Err(e) => {
            let valid = &bytes[..e.valid_up_to()];
            // Real multi-byte UTF-8 before the broken byte: the file is UTF-8 with damage.
            if std::str::from_utf8(valid).is_ok_and(|s| !s.is_ascii()) {
                return Err(DecodeError::Undecodable {
                    offset: e.valid_up_to(),
                    value: bytes[e.valid_up_to()],
                    encoding: TextEncoding::Utf8,
                    guess: guess_legacy(&bytes[e.valid_up_to()..]),
                });
            }
            let gb_ok = encoding_rs::GB18030
                .decode_without_bom_handling_and_without_replacement(bytes)
                .is_some();
            Ok(if gb_ok && looks_like_gb(bytes) {
                TextEncoding::Gb18030
            } else {
                TextEncoding::Windows1252
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(text: &str, bom: bool) -> Vec<u8> {
        let mut out = if bom { vec![0xFF, 0xFE] } else { vec![] };
        out.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
        out
    }

    #[test]
    fn reads_utf8_with_and_without_bom() {
        let d = decode("客户,流失\n".as_bytes(), None).expect("utf-8");
        assert_eq!((d.encoding, d.had_bom), (TextEncoding::Utf8, false));
        let d = decode("\u{FEFF}a,b\n".as_bytes(), None).expect("utf-8 bom");
        assert_eq!((d.text.as_ref(), d.had_bom), ("a,b\n", true));
    }

    #[test]
    fn reads_utf16_in_both_byte_orders() {
        let bytes = utf16le("名字,流失\n张三,是\n", true);
        let d = decode(&bytes, None).expect("utf-16le");
        assert_eq!(
            (d.encoding, d.text.as_ref()),
            (TextEncoding::Utf16Le, "名字,流失\n张三,是\n")
        );
        let mut be = vec![0xFE, 0xFF];
        be.extend("a,b\n1,2\n".encode_utf16().flat_map(|u| u.to_be_bytes()));
        let d = decode(&be, None).expect("utf-16be");
        assert_eq!(
            (d.encoding, d.text.as_ref()),
            (TextEncoding::Utf16Be, "a,b\n1,2\n")
        );
        let bytes = utf16le("id,churn\n1,Yes\n", false);
        let d = decode(&bytes, None).expect("utf-16le no bom");
        assert_eq!(d.encoding, TextEncoding::Utf16Le);
    }

    #[test]
    fn recognises_gbk_chinese_and_windows_1252() {
        let (gbk, _, _) =
            encoding_rs::GBK.encode("客户编号,城市,是否流失\nC1,北京,是\nC2,上海,否\n");
        let d = decode(&gbk, None).expect("gbk");
        assert_eq!(d.encoding, TextEncoding::Gb18030);
        assert!(d.text.starts_with("客户编号,城市,是否流失"));
        let (w, _, _) =
            encoding_rs::WINDOWS_1252.encode("name,city\nMüller,Köln\nRenée,Besançon €\n");
        let d = decode(&w, None).expect("1252");
        assert_eq!(d.encoding, TextEncoding::Windows1252);
        assert!(d.text.contains("Müller,Köln") && d.text.contains("Besançon €"));
    }

    #[test]
    fn reports_broken_utf8_with_offset_and_guess() {
        let mut bytes = "città,ok\n".as_bytes().to_vec();
        bytes.extend(b"caf\xE9,1\n");
        let err = decode(&bytes, None).expect_err("mixed encodings");
        assert_eq!(
            err,
            DecodeError::Undecodable {
                offset: 13,
                value: 0xE9,
                encoding: TextEncoding::Utf8,
                guess: TextEncoding::Windows1252
            }
        );
        assert!(err.to_string().contains("offset 13"));
        let forced = decode(b"a\xFFb", Some(TextEncoding::Utf8)).expect_err("not utf-8");
        assert!(matches!(
            forced,
            DecodeError::Undecodable {
                offset: 1,
                value: 0xFF,
                ..
            }
        ));
    }

    #[test]
    fn rejects_binary_files() {
        assert_eq!(
            decode(b"PK\x03\x04\x14\x00\x06\x00garbage\x00", None),
            Err(DecodeError::Binary { offset: 5 })
        );
    }

    #[test]
    fn labels_round_trip() {
        for e in TextEncoding::ALL {
            assert_eq!(TextEncoding::from_label(e.label()), Some(e));
        }
        assert_eq!(TextEncoding::from_label("gbk"), Some(TextEncoding::Gb18030));
    }
}
