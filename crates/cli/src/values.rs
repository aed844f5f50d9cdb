//! Reading option values: clap value parsers whose failures are the CLI's own messages.
//!
//! Every option with a value is read by a [`Reader`]: a function from the text to the typed
//! value. A wrong value fails with a [`ValueError`] that names the option, the way the
//! messages read before the command line moved to clap (`--model: unknown model 'tree'
//! (use logistic, gbdt, forest or mlp)`), and `main` prints it as any other error (exit 1).

use std::ffi::OsStr;
use std::str::FromStr;

use churnscope_engine::acting::sql::Dialect;
use churnscope_engine::modelling::models::{ClassWeight, Penalty};
use churnscope_engine::modelling::preprocessing::{CategoricalImpute, NumericImpute};
use churnscope_engine::modelling::threshold::ThresholdRule;
use churnscope_engine::reading::decode::TextEncoding;
use clap::builder::{PossibleValue, TypedValueParser};
use clap::ValueEnum;

use crate::error::{ValueError, ValueProblem};

/// A clap value parser from a function that reads one value.
#[derive(Clone)]
pub struct Reader<T> {
    read: fn(&str) -> Result<T, ValueProblem>,
    /// The fixed values the option takes, for the help; `None` for open values.
    possible: Option<fn() -> Vec<PossibleValue>>,
}

impl<T: Clone + Send + Sync + 'static> TypedValueParser for Reader<T> {
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<T, clap::Error> {
        let option = arg
            .and_then(clap::Arg::get_long)
            .unwrap_or("value")
            .to_string();
        let read = self.read;
        // clap keeps a function parser's error as the source of its own, where `main`
        // finds it again.
        let named = move |text: &str| {
            read(text).map_err(|problem| ValueError {
                option: option.clone(),
                problem,
            })
        };
        named.parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        self.possible
            .map(|values| Box::new(values().into_iter()) as Box<dyn Iterator<Item = PossibleValue>>)
    }
}

/// Reads an open value (a number, a rule) with `read`.
pub fn reader<T>(read: fn(&str) -> Result<T, ValueProblem>) -> Reader<T> {
    Reader {
        read,
        possible: None,
    }
}

/// Reads a number of any type.
pub fn number<T: FromStr>() -> Reader<T> {
    reader(|text| {
        text.parse()
            .map_err(|_| ValueProblem::NotANumber(text.to_string()))
    })
}

/// A fixed set of values, listed in the help from the enum's variants.
pub trait Choice: ValueEnum {
    /// The problem with a value outside the set; `choices` is the set in words ("a, b or c").
    fn unknown(value: &str, choices: String) -> ValueProblem {
        ValueProblem::NotOneOf {
            value: value.to_string(),
            expected: choices,
        }
    }
}

/// Reads one of `E`'s values by its name (spaces around it ignored, as in `--models a, b`).
pub fn choice<E: Choice + Clone + Send + Sync + 'static>() -> Reader<E> {
    Reader {
        read: |text| {
            E::from_str(text.trim(), false).map_err(|_| E::unknown(text.trim(), in_words::<E>()))
        },
        possible: Some(|| {
            E::value_variants()
                .iter()
                .filter_map(ValueEnum::to_possible_value)
                .collect()
        }),
    }
}

/// `E`'s value names as a list in words: "logistic, gbdt, forest or mlp".
fn in_words<E: ValueEnum>() -> String {
    let names: Vec<String> = E::value_variants()
        .iter()
        .filter_map(ValueEnum::to_possible_value)
        .map(|v| v.get_name().to_string())
        .collect();
    match names.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// A yes-or-no value, for options that are flags which also take `yes` or `no`
/// (`--explain`, `--explain yes`, `--explain no`).
pub fn yes_no() -> Reader<bool> {
    Reader {
        read: |text| match text.trim().to_ascii_lowercase().as_str() {
            "yes" | "true" | "1" => Ok(true),
            "no" | "false" | "0" => Ok(false),
            _ => Err(ValueProblem::NotOneOf {
                value: text.to_string(),
                expected: "yes or no".into(),
            }),
        },
        possible: Some(|| vec![PossibleValue::new("yes"), PossibleValue::new("no")]),
    }
}

/// `--encoding`: the engine's names and aliases (UTF-8, GBK, cp1252, ...).
pub fn encoding(text: &str) -> Result<TextEncoding, ValueProblem> {
    TextEncoding::from_label(text).ok_or_else(|| ValueProblem::UnknownEncoding(text.to_string()))
}

/// `--delimiter`: one character, or `tab` (or `\t`) for a tab.
pub fn delimiter(text: &str) -> Result<u8, ValueProblem> {
    match text {
        "\\t" | "tab" => Ok(b'\t'),
        d if d.len() == 1 => Ok(d.as_bytes()[0]),
        d => Err(ValueProblem::NotOneCharacter(d.to_string())),
    }
}

/// `--cv`: a number of folds, at least 2.
pub fn folds(text: &str) -> Result<usize, ValueProblem> {
    text.parse()
        .ok()
        .filter(|&k| k >= 2)
        .ok_or_else(|| ValueProblem::TooFewFolds(text.to_string()))
}

/// `--max-depth`: a depth of at least 1.
pub fn depth(text: &str) -> Result<usize, ValueProblem> {
    match text.parse() {
        Ok(0) => Err(ValueProblem::ZeroDepth(text.to_string())),
        Ok(depth) => Ok(depth),
        Err(_) => Err(ValueProblem::NotANumber(text.to_string())),
    }
}

/// A number inside a compound value (`elasticnet:0.5`, `cost:1:5`).
fn part_number(text: &str) -> Result<f64, ValueProblem> {
    text.parse()
        .map_err(|_| ValueProblem::PartNotANumber(text.to_string()))
}

/// `train --search`: the whole grid, or `random:N` settings of it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Search {
    Grid,
    Random(usize),
}

/// `train --search`: `grid` or `random:N` with N at least 1.
pub fn search(text: &str) -> Result<Search, ValueProblem> {
    if text == "grid" {
        return Ok(Search::Grid);
    }
    match text.strip_prefix("random:").map(str::parse::<usize>) {
        Some(Ok(n)) if n > 0 => Ok(Search::Random(n)),
        _ => Err(ValueProblem::NotOneOf {
            value: text.to_string(),
            expected: "grid or random:N, e.g. random:5".into(),
        }),
    }
}

/// `--penalty`: `l2`, `l1` or `elasticnet:RATIO`.
pub fn penalty(text: &str) -> Result<Penalty, ValueProblem> {
    match text.split_once(':') {
        None if text == "l2" => Ok(Penalty::L2),
        None if text == "l1" => Ok(Penalty::L1),
        Some(("elasticnet", ratio)) => Ok(Penalty::ElasticNet {
            l1_ratio: part_number(ratio)?,
        }),
        _ => Err(ValueProblem::NotOneOf {
            value: text.to_string(),
            expected: "l2, l1 or elasticnet:RATIO, e.g. elasticnet:0.5".into(),
        }),
    }
}

/// `--class-weight`: `balanced` or `NEG:POS`, two positive numbers.
pub fn class_weight(text: &str) -> Result<ClassWeight, ValueProblem> {
    let weight = match text.split_once(':') {
        None if text == "balanced" => ClassWeight::Balanced,
        Some((n, p)) => match (n.parse(), p.parse()) {
            (Ok(negative), Ok(positive)) => ClassWeight::Custom { negative, positive },
            _ => return Err(ValueProblem::NotWeights(text.to_string())),
        },
        None => {
            return Err(ValueProblem::NotOneOf {
                value: text.to_string(),
                expected: "balanced or NEG:POS, e.g. 1:3".into(),
            })
        }
    };
    weight.class_weights(&[0, 1])?;
    Ok(weight)
}

/// `--impute`: how missing values are filled in, for numbers and for categories.
#[derive(Debug, Clone, PartialEq)]
pub struct Impute {
    pub numeric: NumericImpute,
    /// `None` keeps the default for categories.
    pub categorical: Option<CategoricalImpute>,
}

/// `--impute`: `median`, `mean` or `constant:VALUE` (VALUE for categories too).
pub fn impute(text: &str) -> Result<Impute, ValueProblem> {
    let numeric = |numeric| Impute {
        numeric,
        categorical: None,
    };
    match text.split_once(':') {
        None if text == "median" => Ok(numeric(NumericImpute::Median)),
        None if text == "mean" => Ok(numeric(NumericImpute::Mean)),
        Some(("constant", value)) => Ok(Impute {
            numeric: NumericImpute::Constant(part_number(value)?),
            categorical: Some(CategoricalImpute::Constant(value.to_string())),
        }),
        _ => Err(ValueProblem::NotOneOf {
            value: text.to_string(),
            expected: "median, mean or constant:VALUE".into(),
        }),
    }
}

/// `--threshold`: a fixed probability, or a rule fitted on out-of-fold scores.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Threshold {
    Fixed(f64),
    Rule(ThresholdRule),
}

/// `--threshold`: a number from 0 to 1, `f1`, `recall:R`, `precision:P` or `cost:FP:FN`.
pub fn threshold(text: &str) -> Result<Threshold, ValueProblem> {
    let rule = match text.split(':').collect::<Vec<_>>().as_slice() {
        ["f1"] => ThresholdRule::MaxF1,
        ["recall", r] => ThresholdRule::TargetRecall(part_number(r)?),
        ["precision", p] => ThresholdRule::TargetPrecision(part_number(p)?),
        ["cost", fp, fn_] => ThresholdRule::MinCost {
            false_positive: part_number(fp)?,
            false_negative: part_number(fn_)?,
        },
        [v] => {
            let fixed = part_number(v)?;
            return if (0.0..=1.0).contains(&fixed) {
                Ok(Threshold::Fixed(fixed))
            } else {
                Err(ValueProblem::NotAProbability(v.to_string()))
            };
        }
        _ => {
            return Err(ValueProblem::NotOneOf {
                value: text.to_string(),
                expected: "a number, f1, recall:R, precision:P or cost:FP:FN".into(),
            })
        }
    };
    Ok(Threshold::Rule(rule))
}

/// `sql --dialect`: duckdb, postgres, spark or bigquery.
pub fn dialect(text: &str) -> Result<Dialect, ValueProblem> {
    Dialect::parse(text).ok_or_else(|| ValueProblem::NotOneOf {
        value: text.to_string(),
        expected: "duckdb, postgres, spark or bigquery".into(),
    })
}

/// `score --progress`: auto, bar, json or off.
pub fn progress(text: &str) -> Result<crate::progress::ProgressMode, ValueProblem> {
    use crate::progress::ProgressMode;
    match text {
        "auto" => Ok(ProgressMode::Auto),
        "bar" => Ok(ProgressMode::Bar),
        "json" => Ok(ProgressMode::Json),
        "off" | "none" => Ok(ProgressMode::Off),
        _ => Err(ValueProblem::NotOneOf {
            value: text.to_string(),
            expected: "auto, bar, json or off".into(),
        }),
    }
}
