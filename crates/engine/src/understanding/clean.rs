//! Tidying category levels: the same value spelt differently, abbreviations and shortened
//! names, offered as suggestions the user confirms, then applied as a level mapping.
//!
//! A suggestion pairs a level with the one it most likely means:
//! - the same text once trimmed, spaces collapsed and case folded (`"Yes "`, `"yes"`);
//! - an abbreviation: a short level that spells the initials of another's words
//!   (`CC` = Credit Card, `COD` = Cash on Delivery);
//! - a shortened name: a level whose words end another level (`Phone` in `Mobile Phone`).
//!
//! Suggestions merge into the more frequent spelling for the first rule and into the
//! longer, more descriptive level for the others. Nothing changes until the user applies it.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::dataset::{Column, ColumnData, MISSING_CODE};

/// Why two levels look like the same value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MergeReason {
    SpellingVariant,
    Abbreviation,
    ShortenedName,
}

impl MergeReason {
    pub fn label(self) -> &'static str {
        match self {
            MergeReason::SpellingVariant => "same text apart from case or spaces",
            MergeReason::Abbreviation => "abbreviation",
            MergeReason::ShortenedName => "shortened name",
        }
    }
}

/// "Rows with level `from` are probably `into`."
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergeSuggestion {
    pub from: String,
    pub into: String,
    pub reason: MergeReason,
}

fn fold(level: &str) -> String {
    level
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn words(level: &str) -> Vec<String> {
    level
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn is_abbreviation(short: &str, long: &str) -> bool {
    let s = short.trim();
    let long_words = words(long);
    s.len() >= 2
        && s.len() <= 6
        && long_words.len() >= 2
        && !s.contains(char::is_whitespace)
        && s.chars().all(|c| c.is_alphabetic())
        && long_words
            .iter()
            .filter_map(|w| w.chars().next())
            .eq(s.to_lowercase().chars())
}

fn is_shortened(short: &str, long: &str) -> bool {
    let (s, l) = (words(short), words(long));
    !s.is_empty() && s.len() < l.len() && l.ends_with(&s)
        || !s.is_empty() && s.len() < l.len() && l.starts_with(&s)
}

/// Counts of each level in use.
fn level_counts(column: &Column) -> Vec<(String, usize)> {
    match &column.data {
        ColumnData::Categorical { levels, codes } => {
            let mut counts = vec![0usize; levels.len()];
            for &c in codes.iter().filter(|&&c| c != MISSING_CODE) {
                counts[c as usize] += 1;
            }
            levels
                .iter()
                .cloned()
                .zip(counts)
                .filter(|(_, n)| *n > 0)
                .collect()
        }
        ColumnData::Numeric(_) => Vec::new(),
    }
}

/// Suggested merges for a text column (none for numbers), at most one per level.
pub fn suggest_merges(column: &Column) -> Vec<MergeSuggestion> {
    let counts = level_counts(column);
    let mut out: Vec<MergeSuggestion> = Vec::new();
    let taken = |out: &Vec<MergeSuggestion>, level: &str| out.iter().any(|m| m.from == level);
    // Spelling variants: merge into the most frequent spelling of the folded text.
    let mut by_fold: HashMap<String, Vec<&(String, usize)>> = HashMap::new();
    for entry in &counts {
        by_fold.entry(fold(&entry.0)).or_default().push(entry);
    }
    let mut groups: Vec<_> = by_fold.into_values().filter(|g| g.len() > 1).collect();
    groups.sort_by(|a, b| a[0].0.cmp(&b[0].0));
    for mut group in groups {
        group.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        for (level, _) in &group[1..] {
            out.push(MergeSuggestion {
                from: level.clone(),
                into: group[0].0.clone(),
                reason: MergeReason::SpellingVariant,
            });
        }
    }
    for (short, _) in &counts {
        if taken(&out, short) {
            continue;
        }
        let candidate = counts
            .iter()
            .filter(|(long, _)| long != short)
            .find_map(|(long, _)| {
                if is_abbreviation(short, long) {
                    Some((long, MergeReason::Abbreviation))
                } else if is_shortened(short, long) {
                    Some((long, MergeReason::ShortenedName))
                } else {
                    None
                }
            });
        if let Some((long, reason)) = candidate {
            out.push(MergeSuggestion {
                from: short.clone(),
                into: long.clone(),
                reason,
            });
        }
    }
    out
}

/// The column with each `(from, into)` level renamed; rows of `from` become `into`.
/// Numbers and unknown levels are left as they are.
pub fn apply_merges(column: &Column, merges: &[(String, String)]) -> Column {
    let ColumnData::Categorical { levels, codes } = &column.data else {
        return column.clone();
    };
    let rename: HashMap<&str, &str> = merges
        .iter()
        .map(|(f, t)| (f.as_str(), t.as_str()))
        .collect();
    let mut new_levels: Vec<String> = Vec::new();
    let mut index: HashMap<String, u32> = HashMap::new();
    let remap: Vec<u32> = levels
        .iter()
        .map(|l| {
            let target = rename.get(l.as_str()).copied().unwrap_or(l.as_str());
            *index.entry(target.to_string()).or_insert_with(|| {
                new_levels.push(target.to_string());
                (new_levels.len() - 1) as u32
            })
        })
        .collect();
    let codes = codes
        .iter()
        .map(|&c| {
            if c == MISSING_CODE {
                c
            } else {
                remap[c as usize]
            }
        })
        .collect();
    Column {
        name: column.name.clone(),
        kind: column.kind,
        data: ColumnData::Categorical {
            levels: new_levels,
            codes,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reading::ingest::{read_csv, ReadOptions};

    fn column(values: &[&str]) -> Column {
        let text = format!("x\n{}\n", values.join("\n"));
        read_csv(text.as_bytes(), &ReadOptions::default())
            .expect("csv")
            .columns
            .remove(0)
    }

    #[test]
    fn finds_the_ecommerce_synonyms() {
        // The levels of E_Commerce_Dataset.csv's PreferredPaymentMode and PreferredLoginDevice
        // (../shared/datasets/README.md names these synonym pairs).
        let pay = column(&[
            "Debit Card",
            "Credit Card",
            "E wallet",
            "UPI",
            "COD",
            "CC",
            "Cash on Delivery",
        ]);
        let s = suggest_merges(&pay);
        assert!(s.contains(&MergeSuggestion {
            from: "CC".into(),
            into: "Credit Card".into(),
            reason: MergeReason::Abbreviation
        }));
        assert!(s.contains(&MergeSuggestion {
            from: "COD".into(),
            into: "Cash on Delivery".into(),
            reason: MergeReason::Abbreviation
        }));
        assert_eq!(
            s.len(),
            2,
            "Debit Card and Credit Card are different: {s:?}"
        );
        let device = column(&["Mobile Phone", "Computer", "Phone"]);
        assert_eq!(
            suggest_merges(&device),
            [MergeSuggestion {
                from: "Phone".into(),
                into: "Mobile Phone".into(),
                reason: MergeReason::ShortenedName
            }]
        );
    }

    #[test]
    fn spelling_variants_merge_into_the_common_spelling() {
        let c = column(&["Gold", "Gold", "gold", "\"Gold \"", "Silver"]);
        let s = suggest_merges(&c);
        let froms: Vec<&str> = s.iter().map(|m| m.from.as_str()).collect();
        assert_eq!(froms, ["Gold ", "gold"]);
        assert!(s
            .iter()
            .all(|m| m.into == "Gold" && m.reason == MergeReason::SpellingVariant));
    }

    #[test]
    fn applying_merges_relabels_rows() {
        let c = column(&["CC", "Credit Card", "UPI", "NA", "CC"]);
        let merged = apply_merges(&c, &[("CC".into(), "Credit Card".into())]);
        let texts: Vec<Option<String>> = (0..5).map(|r| merged.text(r)).collect();
        assert_eq!(
            texts,
            [
                Some("Credit Card".into()),
                Some("Credit Card".into()),
                Some("UPI".into()),
                None,
                Some("Credit Card".into())
            ]
        );
        assert_eq!(merged.distinct(), 2);
    }
}
