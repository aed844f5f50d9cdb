//! The in-memory table: typed columns, their inferred kinds and a per-column summary.
//!
//! Data is held column by column, numbers as `f64` (NaN marks a missing cell) and text as
//! dictionary codes into a list of levels, so a wide export costs a few bytes per cell
//! instead of a `String` each. Kinds are inferred once, from the values and the column
//! name, and decide how preprocessing treats a column; the user may override them.

use serde::{Deserialize, Serialize};

/// Code of a missing cell in a [`ColumnData::Categorical`] column.
pub const MISSING_CODE: u32 = u32::MAX;

/// A text column with more levels than this, and a level for every 20 rows or fewer, is
/// near-unique ([`ColumnKind::Text`]): left out of the model unless included.
pub const NEAR_UNIQUE_LEVELS: usize = 100;

/// What a column is for modelling purposes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    /// Numbers: imputed with the median and standardised.
    Numeric,
    /// Text levels: imputed with the most frequent level and one-hot encoded.
    Categorical,
    /// Exactly two values that read as yes/no, true/false or 1/0.
    Boolean,
    /// A value unique (or nearly) to each row, such as a customer id: never a feature.
    Identifier,
    /// Dates (stored as days since 1970-01-01): used as numbers.
    Date,
    /// Free text or near-unique labels: long text mostly different on every row (comments,
    /// addresses), or more than [`NEAR_UNIQUE_LEVELS`] levels with one for every 20 rows
    /// or fewer (a surname, an e-mail). Not a feature unless the user includes it (as
    /// categorical): one feature per value mostly memorises customers.
    Text,
    /// One value (or none) in every row: carries no information.
    Constant,
}

impl ColumnKind {
    /// Every kind, in the order a user picks from.
    pub const ALL: [ColumnKind; 7] = [
        ColumnKind::Numeric,
        ColumnKind::Categorical,
        ColumnKind::Boolean,
        ColumnKind::Date,
        ColumnKind::Identifier,
        ColumnKind::Text,
        ColumnKind::Constant,
    ];

    /// The kind named by [`ColumnKind::label`].
    pub fn from_label(label: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.label() == label)
    }

    /// The word shown to users.
    pub fn label(self) -> &'static str {
        match self {
            ColumnKind::Numeric => "numeric",
            ColumnKind::Categorical => "categorical",
            ColumnKind::Boolean => "boolean",
            ColumnKind::Identifier => "identifier",
            ColumnKind::Date => "date",
            ColumnKind::Text => "text",
            ColumnKind::Constant => "constant",
        }
    }
}

/// The cells of one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ColumnData {
    /// Numbers; `f64::NAN` marks a missing cell.
    Numeric(Vec<f64>),
    /// Dictionary-encoded text; [`MISSING_CODE`] marks a missing cell.
    Categorical {
        levels: Vec<String>,
        codes: Vec<u32>,
    },
}

/// One named, typed column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    pub kind: ColumnKind,
    pub data: ColumnData,
}

impl Column {
    /// Builds a column and infers its kind from its values and name.
    pub fn new(name: String, data: ColumnData) -> Self {
        let mut column = Column {
            name,
            kind: ColumnKind::Categorical,
            data,
        };
        column.kind = infer_kind(&column);
        column
    }

    /// The same column with its kind set by hand (or by the reader, for dates).
    pub fn with_kind(mut self, kind: ColumnKind) -> Self {
        self.kind = kind;
        self
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        match &self.data {
            ColumnData::Numeric(v) => v.len(),
            ColumnData::Categorical { codes, .. } => codes.len(),
        }
    }

    /// True when the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when the cell at `row` is missing.
    pub fn is_missing(&self, row: usize) -> bool {
        match &self.data {
            ColumnData::Numeric(v) => v[row].is_nan(),
            ColumnData::Categorical { codes, .. } => codes[row] == MISSING_CODE,
        }
    }

    /// Number of missing cells.
    pub fn missing(&self) -> usize {
        match &self.data {
            ColumnData::Numeric(v) => v.iter().filter(|x| x.is_nan()).count(),
            ColumnData::Categorical { codes, .. } => {
                codes.iter().filter(|&&c| c == MISSING_CODE).count()
            }
        }
    }

    /// The distinct non-missing values as text, sorted, stopping once more than `cap` are
    /// found (the result then has `cap + 1` entries, enough to say "more than cap").
    pub fn distinct_values(&self, cap: usize) -> Vec<String> {
        let mut seen = std::collections::BTreeSet::new();
        match &self.data {
            ColumnData::Numeric(v) => {
                for x in v.iter().filter(|x| !x.is_nan()) {
                    seen.insert(format_number(*x));
                    if seen.len() > cap {
                        break;
                    }
                }
            }
            ColumnData::Categorical { levels, codes } => {
                let mut used = vec![false; levels.len()];
                for &c in codes.iter().filter(|&&c| c != MISSING_CODE) {
                    if !used[c as usize] {
                        used[c as usize] = true;
                        seen.insert(levels[c as usize].clone());
                        if seen.len() > cap {
                            break;
                        }
                    }
                }
            }
        }
        seen.into_iter().collect()
    }

    /// The number of distinct non-missing values if it is at most `cap`, else `cap + 1`;
    /// stops early, so asking "is this column two-valued?" costs a few cells, not a sort.
    pub fn distinct_at_most(&self, cap: usize) -> usize {
        match &self.data {
            ColumnData::Numeric(v) => {
                let mut seen: Vec<u64> = Vec::with_capacity(cap + 1);
                for x in v.iter().filter(|x| !x.is_nan()) {
                    let key = number_key(*x);
                    if !seen.contains(&key) {
                        seen.push(key);
                        if seen.len() > cap {
                            break;
                        }
                    }
                }
                seen.len()
            }
            ColumnData::Categorical { .. } => self.distinct().min(cap + 1),
        }
    }

    /// Number of distinct non-missing values.
    pub fn distinct(&self) -> usize {
        match &self.data {
            ColumnData::Numeric(v) => {
                // Open addressing on the bit patterns (0.0 and -0.0 as one); the table's
                // empty marker is a NaN pattern, which never occurs as a key.
                const EMPTY: u64 = u64::MAX;
                let present = v.iter().filter(|x| !x.is_nan()).count();
                let bits = (present * 2).next_power_of_two().max(16).trailing_zeros();
                let mask = (1usize << bits) - 1;
                let mut table = vec![EMPTY; mask + 1];
                let mut count = 0;
                for x in v.iter().filter(|x| !x.is_nan()) {
                    let key = number_key(*x);
                    let mut slot =
                        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits)) as usize;
                    loop {
                        if table[slot] == EMPTY {
                            table[slot] = key;
                            count += 1;
                            break;
                        }
                        if table[slot] == key {
                            break;
                        }
                        slot = (slot + 1) & mask;
                    }
                }
                count
            }
            ColumnData::Categorical { levels, codes } => {
                let mut used = vec![false; levels.len()];
                codes
                    .iter()
                    .filter(|&&c| c != MISSING_CODE)
                    .for_each(|&c| used[c as usize] = true);
                used.iter().filter(|&&u| u).count()
            }
        }
    }

    /// The cell at `row` as text (numbers in their shortest exact form, dates as
    /// `YYYY-MM-DD`), `None` if missing.
    pub fn text(&self, row: usize) -> Option<String> {
        match &self.data {
            ColumnData::Numeric(v) if self.kind == ColumnKind::Date => {
                (!v[row].is_nan()).then(|| crate::reading::cells::format_date(v[row]))
            }
            ColumnData::Numeric(v) => (!v[row].is_nan()).then(|| format_number(v[row])),
            ColumnData::Categorical { levels, codes } => {
                (codes[row] != MISSING_CODE).then(|| levels[codes[row] as usize].clone())
            }
        }
    }

    /// True when the cell at `row` equals `value`: text compared exactly, numbers compared
    /// as numbers (so a positive label "1" matches a numeric 1.0).
    pub fn cell_equals(&self, row: usize, value: &str) -> bool {
        match &self.data {
            ColumnData::Numeric(v) => {
                matches!(value.trim().parse::<f64>(), Ok(x) if x == v[row])
            }
            ColumnData::Categorical { levels, codes } => {
                codes[row] != MISSING_CODE && levels[codes[row] as usize] == value
            }
        }
    }
}

/// A whole table: equal-length named columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    pub n_rows: usize,
    pub columns: Vec<Column>,
}

impl Dataset {
    /// The column called `name`, if any.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// One summary line per column, for the page and `churnscope profile`.
    pub fn summary(&self) -> Vec<ColumnSummary> {
        self.columns
            .iter()
            .map(|c| ColumnSummary {
                name: c.name.clone(),
                kind: c.kind,
                missing: c.missing(),
                distinct: c.distinct(),
            })
            .collect()
    }
}

/// A number as a hash key: its bits, with 0.0 and -0.0 the same.
fn number_key(x: f64) -> u64 {
    if x == 0.0 {
        0
    } else {
        x.to_bits()
    }
}

/// What the page shows for a column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnSummary {
    pub name: String,
    pub kind: ColumnKind,
    pub missing: usize,
    pub distinct: usize,
}

/// Formats a number the way a person wrote it: `1` not `1.0`, `0.1` not `0.1000000001`.
pub fn format_number(x: f64) -> String {
    // Rust's Display is the shortest text that reads back to the same f64.
    format!("{x}")
}

/// Columns `text` takes on screen or in a spreadsheet cell: two for each wide character
/// (East Asian wide and full-width forms: CJK ideographs, kana, Hangul, full-width
/// punctuation), one for others. Chart labels and Excel column widths are sized by it.
pub fn display_columns(text: &str) -> usize {
    text.chars().map(char_display_columns).sum()
}

/// Columns one character takes (see [`display_columns`]).
pub fn char_display_columns(c: char) -> usize {
    let wide = matches!(c as u32,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD);
    if wide {
        2
    } else {
        1
    }
}

/// A count with thousands separators, for messages: 5231 -> `5,231`.
pub fn group_thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// Words that mean "true" in a two-valued column (compared case-insensitively).
pub const TRUE_WORDS: &[&str] = &["yes", "y", "true", "t", "1", "是"];
/// Words that mean "false" in a two-valued column (compared case-insensitively).
pub const FALSE_WORDS: &[&str] = &["no", "n", "false", "f", "0", "否"];

/// `Some(true)` / `Some(false)` when `value` is a yes/no word, `None` otherwise.
pub fn truth_value(value: &str) -> Option<bool> {
    let v = value.trim().to_lowercase();
    if TRUE_WORDS.contains(&v.as_str()) {
        Some(true)
    } else if FALSE_WORDS.contains(&v.as_str()) {
        Some(false)
    } else {
        None
    }
}

/// Splits a column name into lower-case word tokens: `CustomerId` -> [customer, id],
/// `days_since_last_order` -> [days, since, last, order].
pub fn name_tokens(name: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for ch in name.chars() {
        if !ch.is_alphanumeric() {
            if !current.is_empty() {
                tokens.push(std::mem::take(&mut current));
            }
            prev_lower = false;
            continue;
        }
        if ch.is_uppercase() && prev_lower && !current.is_empty() {
            tokens.push(std::mem::take(&mut current));
        }
        prev_lower = ch.is_lowercase() || ch.is_numeric();
        current.extend(ch.to_lowercase());
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    tokens
}

fn looks_like_id_name(name: &str) -> bool {
    let tokens = name_tokens(name);
    let lower = name.to_lowercase();
    tokens
        .iter()
        .any(|t| matches!(t.as_str(), "id" | "uuid" | "guid" | "key"))
        || lower.ends_with("id") && tokens.len() == 1 && lower.len() > 2 && lower != "paid"
        || lower == "rownumber"
        || tokens == ["row", "number"]
        || tokens == ["index"]
}

/// Infers a column's kind from its values and name.
///
/// - two distinct values that are yes/no words (or the numbers 0 and 1): boolean;
/// - text whose values are all distinct (at least 20 rows): identifier;
/// - whole numbers, all distinct, in a column named like an id (`CustomerId`, `RowNumber`):
///   identifier;
/// - at most one distinct value: constant;
/// - text mostly different per row and mostly long phrases (30+ characters with spaces):
///   free text;
/// - other numbers: numeric; other text: categorical.
///
/// Dates are recognised by the reader, which sets [`ColumnKind::Date`] itself.
pub fn infer_kind(column: &Column) -> ColumnKind {
    let (name, data) = (column.name.as_str(), &column.data);
    let present = column.len() - column.missing();
    let few = column.distinct_at_most(2);
    if few <= 1 {
        return ColumnKind::Constant;
    }
    if few == 2 {
        let values = column.distinct_values(2);
        let truths: Vec<Option<bool>> = values.iter().map(|v| truth_value(v)).collect();
        if truths.contains(&Some(true)) && truths.contains(&Some(false)) {
            return ColumnKind::Boolean;
        }
    }
    match data {
        ColumnData::Numeric(v) => {
            let all_integers = v.iter().filter(|x| !x.is_nan()).all(|x| x.fract() == 0.0);
            if present >= 20
                && all_integers
                && looks_like_id_name(name)
                && column.distinct() == present
            {
                ColumnKind::Identifier
            } else {
                ColumnKind::Numeric
            }
        }
        ColumnData::Categorical { levels, .. } => {
            let distinct = column.distinct();
            let long = levels
                .iter()
                .filter(|l| l.chars().count() >= 30 && l.contains(' '))
                .count();
            if present >= 20 && distinct * 2 > present && long * 2 > levels.len() {
                ColumnKind::Text
            } else if present >= 20 && distinct == present
                || present >= 20 && looks_like_id_name(name) && distinct * 100 >= present * 95
            {
                ColumnKind::Identifier
            } else if distinct > NEAR_UNIQUE_LEVELS && distinct * 20 > present {
                ColumnKind::Text
            } else {
                ColumnKind::Categorical
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(values: &[&str]) -> ColumnData {
        let mut levels: Vec<String> = Vec::new();
        let codes = values
            .iter()
            .map(|v| {
                if v.is_empty() {
                    return MISSING_CODE;
                }
                match levels.iter().position(|l| l == v) {
                    Some(i) => i as u32,
                    None => {
                        levels.push(v.to_string());
                        (levels.len() - 1) as u32
                    }
                }
            })
            .collect();
        ColumnData::Categorical { levels, codes }
    }

    fn kind_of(name: &str, data: &ColumnData) -> ColumnKind {
        Column::new(name.to_string(), data.clone()).kind
    }

    #[test]
    fn kind_labels_round_trip() {
        for k in ColumnKind::ALL {
            assert_eq!(ColumnKind::from_label(k.label()), Some(k));
        }
        assert_eq!(ColumnKind::from_label("nonsense"), None);
    }

    #[test]
    fn splits_names_into_tokens() {
        assert_eq!(name_tokens("CustomerId"), ["customer", "id"]);
        assert_eq!(name_tokens("customerID"), ["customer", "id"]);
        assert_eq!(
            name_tokens("days_since_last_order"),
            ["days", "since", "last", "order"]
        );
        assert_eq!(name_tokens("Area code"), ["area", "code"]);
    }

    #[test]
    fn infers_boolean_from_yes_no_and_zero_one() {
        assert_eq!(
            kind_of("Partner", &text(&["Yes", "No", "No"])),
            ColumnKind::Boolean
        );
        assert_eq!(
            kind_of("SeniorCitizen", &ColumnData::Numeric(vec![0.0, 1.0, 0.0])),
            ColumnKind::Boolean
        );
        assert_eq!(
            kind_of("gender", &text(&["Male", "Female"])),
            ColumnKind::Categorical
        );
    }

    #[test]
    fn infers_identifiers_from_uniqueness_and_name() {
        let ids: Vec<String> = (0..30).map(|i| format!("{i:04}-ABC")).collect();
        let refs: Vec<&str> = ids.iter().map(|s| s.as_str()).collect();
        assert_eq!(kind_of("customerID", &text(&refs)), ColumnKind::Identifier);
        let numbers = ColumnData::Numeric((1..=30).map(f64::from).collect());
        assert_eq!(kind_of("RowNumber", &numbers), ColumnKind::Identifier);
        assert_eq!(kind_of("CustomerId", &numbers), ColumnKind::Identifier);
        // Unique whole numbers alone do not make an id: tenure could be unique in a tiny file.
        assert_eq!(kind_of("tenure", &numbers), ColumnKind::Numeric);
        assert_eq!(kind_of("Paid", &numbers), ColumnKind::Numeric);
    }

    #[test]
    fn infers_constant_and_free_text() {
        assert_eq!(
            kind_of("country", &text(&["DE", "DE", ""])),
            ColumnKind::Constant
        );
        let notes: Vec<String> = (0..25)
            .map(|i| format!("customer {i} wrote that the parcel arrived late again"))
            .collect();
        let refs: Vec<&str> = notes.iter().map(|s| s.as_str()).collect();
        let mut repeated = refs.clone();
        repeated[1] = refs[0];
        assert_eq!(kind_of("comment", &text(&repeated)), ColumnKind::Text);
    }

    #[test]
    fn counts_missing_and_distinct() {
        let c = Column::new("x".into(), text(&["a", "", "b", "a"]));
        assert_eq!((c.missing(), c.distinct()), (1, 2));
        let n = Column::new(
            "n".into(),
            ColumnData::Numeric(vec![1.0, f64::NAN, 0.0, -0.0]),
        );
        assert_eq!((n.missing(), n.distinct()), (1, 2));
        assert_eq!(n.text(0).as_deref(), Some("1"));
        assert!(n.cell_equals(0, "1") && !n.cell_equals(1, "1"));
    }
}
