//! From scores to retention actions: risk tiers, the profit of contacting the riskiest
//! customers, an intervention playbook and the action list a merchant works through.
//!
//! - **Tiers** cut the churn probability in three: high (`p ≥ high`), medium (`p ≥ medium`)
//!   and low. The default cut-offs come from the score distribution: the 80th and 50th
//!   percentiles of the scores, so a fifth of the customers are high and half are low.
//! - **Profit** (Provost & Fawcett, *Data Science for Business*, ch. 7 and 8: expected value
//!   and profit curves). Contacting a customer costs `c`; an intervention on a customer who
//!   would have churned keeps them with probability `s` (the success rate) and keeps their
//!   value `v`. Ranked by score, contacting the top `k` customers of the test set earns
//!   `net(k) = Σ_{i ≤ k} (y_i·s·v_i − c)`, with `y` the actual outcome, so the curve is what
//!   the campaign would have earned on customers the model never saw. Tied scores are
//!   contacted together (a threshold cannot split them). Figures are projected to the whole
//!   customer base by the factor `population / test customers`, and a contact capacity (at
//!   most `N` customers of the base) limits `k` to `N · test / population`. The optimum is
//!   the `k` with the largest net gain within the capacity (fewest contacts on a tie), and
//!   its threshold is the score of the last customer contacted.
//! - **Expected value of contacting** one scored customer uses the model's probability in
//!   place of the unknown outcome: `p·s·v − c`.
//! - **Playbook**: ordered rules, each naming column-name fragments and an action. A
//!   customer's reasons (the columns raising their risk most, strongest first) are taken in
//!   order; the first reason some rule matches gives the action, the first matching rule
//!   winning; with no match the playbook's fallback action applies. A rule may also require
//!   the customer's value of that column to be at most a number (`at_most`): the default
//!   playbook sends brand-new customers (tenure 0 or 1) whose risk is their short tenure to
//!   onboarding rather than a loyalty reward. [`Playbook::matching_columns`] tells when no
//!   rule names any column of a file (say, one with Chinese headers), so that everyone would
//!   get the fallback.

use serde::{Deserialize, Serialize};

use crate::acting::export::{Cell, NumberFormat, Table};
use crate::dataset::{Column, ColumnData, ColumnKind, Dataset};
use crate::evaluating::explanations::{
    contributions_by, row_reasons, ExplainError, Reason, TreeExplainer,
};
use crate::modelling::pipeline::{FittedPipeline, PipelineError};

/// Why an action plan cannot be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ActionError {
    #[error("the cost of an intervention must be a number of zero or more, not {0}")]
    BadCost(f64),
    #[error("the success rate must be between 0% and 100%, not {0}")]
    BadSuccessRate(f64),
    #[error("the customer value must be a number of zero or more, not {0}")]
    BadValue(f64),
    #[error("the value column '{0}' is not in the data")]
    NoValueColumn(String),
    #[error("the value column '{0}' holds no numbers")]
    ValueColumnNotNumeric(String),
    #[error(
        "the tier cut-offs must satisfy 0 ≤ medium ≤ high ≤ 1, not medium {medium}, high {high}"
    )]
    BadCuts { medium: f64, high: f64 },
    #[error("playbook rule {rule} has no action")]
    RuleWithoutAction { rule: usize },
    #[error("playbook rule {rule} ('{action}') names no column")]
    RuleWithoutColumns { rule: usize, action: String },
    #[error("playbook rule {rule}: the limit `at_most` must be a number, not {limit}")]
    BadLimit { rule: usize, limit: f64 },
    #[error("line {line}, column {column}: {message}")]
    NotAPlaybook {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("scores and outcomes differ in length ({0} and {1})")]
    MismatchedLengths(usize, usize),
}

pub type Result<T> = std::result::Result<T, ActionError>;

/// A risk tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    High,
    Medium,
    Low,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::High, Tier::Medium, Tier::Low];

    pub fn label(self) -> &'static str {
        match self {
            Tier::High => "high",
            Tier::Medium => "medium",
            Tier::Low => "low",
        }
    }
}

/// Where the tiers are cut: high from `high` up, medium from `medium` up.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TierCuts {
    pub high: f64,
    pub medium: f64,
}

/// Share of customers above the default high and medium cut-offs.
pub const DEFAULT_HIGH_SHARE: f64 = 0.2;
pub const DEFAULT_MEDIUM_SHARE: f64 = 0.5;

impl TierCuts {
    /// The default cut-offs: the 80th and 50th percentiles of `scores` (linear
    /// interpolation, numpy's default), or 0.5 and 0.2 without scores.
    pub fn from_scores(scores: &[f64]) -> Self {
        let mut sorted: Vec<f64> = scores.iter().copied().filter(|s| s.is_finite()).collect();
        if sorted.is_empty() {
            return TierCuts {
                high: 0.5,
                medium: 0.2,
            };
        }
        sorted.sort_by(f64::total_cmp);
        TierCuts {
            high: quantile(&sorted, 1.0 - DEFAULT_HIGH_SHARE),
            medium: quantile(&sorted, 1.0 - DEFAULT_MEDIUM_SHARE),
        }
    }

    pub fn check(&self) -> Result<()> {
        let ok = |x: f64| (0.0..=1.0).contains(&x);
        if ok(self.high) && ok(self.medium) && self.medium <= self.high {
            Ok(())
        } else {
            Err(ActionError::BadCuts {
                medium: self.medium,
                high: self.high,
            })
        }
    }

    pub fn tier(&self, probability: f64) -> Tier {
        if probability >= self.high {
            Tier::High
        } else if probability >= self.medium {
            Tier::Medium
        } else {
            Tier::Low
        }
    }
}

/// numpy's `quantile(a, q)` (linear method) of sorted, non-empty `a`.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// One tier's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TierSummary {
    pub tier: Tier,
    /// Scored customers in the tier (the whole file once scored, else the test set).
    pub customers: usize,
    /// Test customers in the tier, and how many of them churned.
    pub test_customers: usize,
    pub test_churned: usize,
    /// The columns most often among the tier's reasons, with how many customers have each
    /// (at most [`TIER_DRIVERS`]).
    pub drivers: Vec<(String, usize)>,
}

impl TierSummary {
    /// The tier's actual churn rate on the test set.
    pub fn churn_rate(&self) -> Option<f64> {
        (self.test_customers > 0).then(|| self.test_churned as f64 / self.test_customers as f64)
    }
}

/// Drivers listed per tier.
pub const TIER_DRIVERS: usize = 3;

/// The tiers of `cuts` on the test set (`test_scores`, `test_labels`) and, when given, on
/// the scored customers with their reasons.
pub fn summarise_tiers(
    cuts: &TierCuts,
    test_scores: &[f64],
    test_labels: &[u8],
    scored: &[ScoredCustomer],
) -> Vec<TierSummary> {
    Tier::ALL
        .iter()
        .map(|&tier| {
            let (mut test_customers, mut test_churned) = (0, 0);
            for (&p, &y) in test_scores.iter().zip(test_labels) {
                if cuts.tier(p) == tier {
                    test_customers += 1;
                    test_churned += usize::from(y == 1);
                }
            }
            let members: Vec<&ScoredCustomer> = scored
                .iter()
                .filter(|c| cuts.tier(c.probability) == tier)
                .collect();
            let mut counts: Vec<(String, usize)> = Vec::new();
            for c in &members {
                for r in &c.reasons {
                    match counts.iter_mut().find(|(name, _)| *name == r.column) {
                        Some((_, n)) => *n += 1,
                        None => counts.push((r.column.clone(), 1)),
                    }
                }
            }
            // Most frequent first; the stable sort keeps first-seen order on ties.
            counts.sort_by_key(|c| std::cmp::Reverse(c.1));
            counts.truncate(TIER_DRIVERS);
            TierSummary {
                tier,
                customers: if scored.is_empty() {
                    test_customers
                } else {
                    members.len()
                },
                test_customers,
                test_churned,
                drivers: counts,
            }
        })
        .collect()
}

/// What a retained customer is worth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerValue {
    /// The same amount for everyone.
    Fixed(f64),
    /// Each customer's value in a numeric column (such as spend); blank cells take the
    /// column's median.
    Column(String),
}

/// The merchant's assumptions for the profit view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfitInputs {
    pub value: CustomerValue,
    /// Cost of one intervention.
    pub cost: f64,
    /// Share of contacted would-be churners the intervention keeps (0 to 1).
    pub success_rate: f64,
    /// Most customers of the whole base that can be contacted.
    pub capacity: Option<usize>,
}

impl Default for ProfitInputs {
    /// A value of 200, a cost of 10, a success rate of 30% and no capacity limit.
    fn default() -> Self {
        ProfitInputs {
            value: CustomerValue::Fixed(200.0),
            cost: 10.0,
            success_rate: 0.3,
            capacity: None,
        }
    }
}

impl ProfitInputs {
    pub fn check(&self) -> Result<()> {
        if !(self.cost.is_finite() && self.cost >= 0.0) {
            return Err(ActionError::BadCost(self.cost));
        }
        if !(0.0..=1.0).contains(&self.success_rate) {
            return Err(ActionError::BadSuccessRate(self.success_rate));
        }
        if let CustomerValue::Fixed(v) = self.value {
            if !(v.is_finite() && v >= 0.0) {
                return Err(ActionError::BadValue(v));
            }
        }
        Ok(())
    }

    /// The value of each of `rows` of `ds`.
    pub fn values(&self, ds: &Dataset, rows: &[usize]) -> Result<Vec<f64>> {
        match &self.value {
            CustomerValue::Fixed(v) => Ok(vec![*v; rows.len()]),
            CustomerValue::Column(name) => {
                let column = ds
                    .column(name)
                    .ok_or_else(|| ActionError::NoValueColumn(name.clone()))?;
                let ColumnData::Numeric(values) = &column.data else {
                    return Err(ActionError::ValueColumnNotNumeric(name.clone()));
                };
                let mut present: Vec<f64> =
                    values.iter().copied().filter(|v| v.is_finite()).collect();
                if present.is_empty() {
                    return Err(ActionError::ValueColumnNotNumeric(name.clone()));
                }
                present.sort_by(f64::total_cmp);
                let median = quantile(&present, 0.5);
                Ok(rows
                    .iter()
                    .map(|&r| match values.get(r) {
                        // A negative spend (a refund) keeps nothing worth keeping.
                        Some(v) if v.is_finite() => v.max(0.0),
                        _ => median,
                    })
                    .collect())
            }
        }
    }
}

/// Name fragments of columns that usually hold money (compared as playbook rules compare,
/// by [`normalise`]d names): spend, revenue, order value and their Chinese equivalents.
const MONEY_HINTS: [&str; 20] = [
    "spend", "revenue", "amount", "value", "sales", "charge", "price", "payment", "cashback",
    "balance", "salary", "income", "ltv", "clv", "monetary", "profit", "消费", "金额", "收入",
    "费用",
];

/// The columns that can stand for what a kept customer is worth: numeric columns of the
/// kind *numeric* (not identifiers, dates, constants or yes/no flags), other than the
/// target, with more than two different values (a 0/1 flag is no amount); columns named
/// like money (spend, revenue, charges, 金额, …) first, the rest in file order.
pub fn value_columns(ds: &Dataset, target: &str) -> Vec<String> {
    let mut columns: Vec<(bool, String)> = ds
        .columns
        .iter()
        .filter(|c| c.kind == ColumnKind::Numeric && c.name != target)
        .filter_map(|c| match &c.data {
            ColumnData::Numeric(values) => Some((c, values)),
            ColumnData::Categorical { .. } => None,
        })
        .filter(|(_, values)| {
            let mut seen: Vec<f64> = Vec::with_capacity(3);
            for v in values.iter().filter(|v| v.is_finite()) {
                if !seen.contains(v) {
                    seen.push(*v);
                    if seen.len() > 2 {
                        return true;
                    }
                }
            }
            false
        })
        .map(|(c, _)| {
            let name = normalise(&c.name);
            (MONEY_HINTS.iter().any(|h| name.contains(h)), c.name.clone())
        })
        .collect();
    // Stable: money-like names first, each group in file order.
    columns.sort_by_key(|(money, _)| !*money);
    columns.into_iter().map(|(_, name)| name).collect()
}

/// The outcome of contacting every customer scored at or above `threshold`, projected to
/// the whole base.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ProfitPoint {
    /// Customers contacted (projected to the base).
    pub contacted: f64,
    /// Test customers contacted.
    pub test_contacted: usize,
    /// The lowest score contacted; `None` for contacting nobody.
    pub threshold: Option<f64>,
    /// Value kept: `Σ y·s·v` over the contacted, projected.
    pub retained: f64,
    /// Cost of the contacts, projected.
    pub cost: f64,
    /// `retained − cost`.
    pub net: f64,
}

/// The profit curve with its optimum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfitCurve {
    /// From contacting nobody to contacting everyone, one point per distinct score.
    pub points: Vec<ProfitPoint>,
    /// Index into `points` of the best net gain within the capacity.
    pub optimum: usize,
    /// Index of the last point within the capacity, when there is one.
    pub capacity: Option<usize>,
    /// Customers in the base the figures are projected to.
    pub population: usize,
    /// `population / test customers`.
    pub scale: f64,
}

impl ProfitCurve {
    pub fn best(&self) -> &ProfitPoint {
        &self.points[self.optimum]
    }
}

/// The profit curve of contacting the highest `scores` first, with the actual outcomes
/// `labels` and the customers' `values` (all aligned), for `inputs` (its value is already in
/// `values`), projected to `population` customers.
pub fn profit_curve(
    scores: &[f64],
    labels: &[u8],
    values: &[f64],
    inputs: &ProfitInputs,
    population: usize,
) -> Result<ProfitCurve> {
    inputs.check()?;
    let n = scores.len();
    if labels.len() != n || values.len() != n {
        return Err(ActionError::MismatchedLengths(
            n,
            labels.len().min(values.len()),
        ));
    }
    let scale = if n == 0 {
        1.0
    } else {
        population.max(n) as f64 / n as f64
    };
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let mut points = vec![ProfitPoint {
        contacted: 0.0,
        test_contacted: 0,
        threshold: None,
        retained: 0.0,
        cost: 0.0,
        net: 0.0,
    }];
    let (mut retained, mut k) = (0.0, 0);
    while k < n {
        let s = scores[order[k]];
        while k < n && scores[order[k]] == s {
            let i = order[k];
            retained += f64::from(labels[i]) * inputs.success_rate * values[i];
            k += 1;
        }
        let cost = k as f64 * inputs.cost;
        points.push(ProfitPoint {
            contacted: k as f64 * scale,
            test_contacted: k,
            threshold: Some(s),
            retained: retained * scale,
            cost: cost * scale,
            net: (retained - cost) * scale,
        });
    }
    let capacity = inputs.capacity.map(|cap| {
        points
            .iter()
            .rposition(|p| p.contacted <= cap as f64 + 1e-9)
            .unwrap_or(0)
    });
    let last = capacity.unwrap_or(points.len() - 1);
    let mut optimum = 0;
    for (i, p) in points.iter().enumerate().take(last + 1) {
        if p.net > points[optimum].net {
            optimum = i;
        }
    }
    Ok(ProfitCurve {
        points,
        optimum,
        capacity,
        population: population.max(n),
        scale,
    })
}

/// The expected value of contacting a customer with churn probability `p` and value `v`.
pub fn expected_value(p: f64, v: f64, inputs: &ProfitInputs) -> f64 {
    p * inputs.success_rate * v - inputs.cost
}

/// One rule of the playbook: when one of a customer's reasons is a column whose name
/// contains one of `columns` (fragments separated by `|`, compared in lower case ignoring
/// spaces, `_` and `-`), and the customer's value there is at most `at_most` when that is
/// set, suggest `action`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaybookRule {
    pub columns: String,
    pub action: String,
    /// Only for customers whose value of the reason column is a number no larger than this
    /// (absent: any value). Playbooks saved before it existed load without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_most: Option<f64>,
}

impl PlaybookRule {
    pub fn new(columns: &str, action: &str) -> Self {
        PlaybookRule {
            columns: columns.to_string(),
            action: action.to_string(),
            at_most: None,
        }
    }

    /// The rule, only for values of the column up to `limit`.
    pub fn at_most(mut self, limit: f64) -> Self {
        self.at_most = Some(limit);
        self
    }

    /// Whether the rule covers the column `name`.
    pub fn matches(&self, name: &str) -> bool {
        let name = normalise(name);
        self.fragments().any(|f| name.contains(&f))
    }

    /// Whether the rule covers `reason`: its column, and its value when the rule has a limit
    /// (a value that is not a number, such as "missing", is not within any limit).
    pub fn applies(&self, reason: &Reason) -> bool {
        self.matches(&reason.column)
            && self
                .at_most
                .is_none_or(|limit| reason.value.trim().parse::<f64>().is_ok_and(|v| v <= limit))
    }

    fn fragments(&self) -> impl Iterator<Item = String> + '_ {
        self.columns
            .split('|')
            .map(normalise)
            .filter(|f| !f.is_empty())
    }
}

/// Lower case, letters and digits only: `Days Since_Last-Order` → `dayssincelastorder`.
fn normalise(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Rules mapping a customer's reasons to an action, tried in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Playbook {
    pub rules: Vec<PlaybookRule>,
    /// The action when no rule matches.
    pub fallback: String,
}

/// The action a playbook suggests for one customer, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suggestion {
    pub action: String,
    /// The rule that matched (its index), with the reason column it matched.
    pub rule: Option<usize>,
    pub because: Option<String>,
}

impl Default for Playbook {
    fn default() -> Self {
        Playbook::ecommerce()
    }
}

impl Playbook {
    /// The default playbook for an online shop, with column fragments that cover the
    /// built-in sample and common export names (Telco, bank and e-commerce datasets).
    pub fn ecommerce() -> Self {
        Playbook {
            rules: vec![
                PlaybookRule::new(
                    "complain|service call|support|ticket|satisfaction|review|rating|return",
                    "Service call: a senior agent calls to resolve open issues",
                ),
                PlaybookRule::new(
                    "days since|daysince|recency|last order|last purchase|inactive",
                    "Win-back coupon for the next order",
                ),
                PlaybookRule::new(
                    "coupon|discount|cashback|price|charge|payment",
                    "Discount on the next order (price-sensitive customer)",
                ),
                PlaybookRule::new(
                    "order|spend|amount|basket|purchase|category|product",
                    "Personalised product recommendations",
                ),
                PlaybookRule::new(
                    "login|session|visit|app|active|device",
                    "Re-engagement email with what is new",
                ),
                // Before the loyalty rule: a customer of a month or less is new, not loyal.
                PlaybookRule::new(
                    "tenure|account length|months as customer|member since",
                    "Onboarding call and first-order guide",
                )
                .at_most(1.0),
                PlaybookRule::new(
                    "tenure|contract|account length|member",
                    "Loyalty reward for staying on",
                ),
            ],
            fallback: "Personal check-in email".to_string(),
        }
    }

    /// A playbook saved as JSON (`{"rules": [{"columns": …, "action": …}], "fallback": …}`),
    /// checked.
    pub fn from_json(text: &str) -> Result<Self> {
        let book: Playbook = serde_json::from_str(text).map_err(|e| ActionError::NotAPlaybook {
            line: e.line(),
            column: e.column(),
            message: plain_json_error(text, &e),
        })?;
        book.check()?;
        Ok(book)
    }

    pub fn check(&self) -> Result<()> {
        for (i, rule) in self.rules.iter().enumerate() {
            if rule.action.trim().is_empty() {
                return Err(ActionError::RuleWithoutAction { rule: i + 1 });
            }
            if rule.fragments().next().is_none() {
                return Err(ActionError::RuleWithoutColumns {
                    rule: i + 1,
                    action: rule.action.clone(),
                });
            }
            if let Some(limit) = rule.at_most.filter(|v| !v.is_finite()) {
                return Err(ActionError::BadLimit { rule: i + 1, limit });
            }
        }
        Ok(())
    }

    /// The columns of `columns` some rule names, in their order. Empty when the playbook
    /// cannot match any reason of a model on these columns, so every customer would get
    /// the fallback (e.g. column names in another language than the rules).
    pub fn matching_columns<'a>(&self, columns: &[&'a str]) -> Vec<&'a str> {
        columns
            .iter()
            .copied()
            .filter(|c| self.rules.iter().any(|r| r.matches(c)))
            .collect()
    }

    /// A notice for the user when no rule names any of `columns`; `None` when one does.
    pub fn no_match_notice(&self, columns: &[&str]) -> Option<String> {
        if columns.is_empty() || !self.matching_columns(columns).is_empty() {
            return None;
        }
        Some(format!(
            "No rule of the playbook names any column of this file ({}), so every customer gets \
             \"{}\". Add the words of your column names to the rules.",
            columns.join(", "),
            self.fallback
        ))
    }

    /// The action for a customer whose reasons raising the risk are `reasons`, strongest
    /// first.
    pub fn suggest(&self, reasons: &[Reason]) -> Suggestion {
        for reason in reasons {
            if let Some(i) = self.rules.iter().position(|r| r.applies(reason)) {
                return Suggestion {
                    action: self.rules[i].action.clone(),
                    rule: Some(i),
                    because: Some(reason.column.clone()),
                };
            }
        }
        Suggestion {
            action: self.fallback.clone(),
            rule: None,
            because: None,
        }
    }
}

/// serde_json's message about a playbook file in words a merchant reads, naming the field
/// it concerns (the last `"name":` before the error).
fn plain_json_error(text: &str, e: &serde_json::Error) -> String {
    let raw = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = raw.strip_suffix(&suffix).unwrap_or(&raw);
    let field = field_before(text, e.line(), e.column());
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        let (found, expected) = rest
            .split_once(", expected ")
            .unwrap_or((rest, "something else"));
        return format!(
            "{} must be {}, found {}",
            field_name(field),
            plain_expected(expected),
            plain_found(found)
        );
    }
    if let Some(name) = message
        .strip_prefix("missing field `")
        .and_then(|m| m.strip_suffix('`'))
    {
        return match name {
            "rules" | "fallback" => format!("the playbook has no `{name}`"),
            _ => format!("this rule has no `{name}`: every rule needs \"columns\" and \"action\""),
        };
    }
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (name, known) = rest.split_once("`, expected ").unwrap_or((rest, ""));
        return format!(
            "`{}` is not a playbook field (check its spelling); the fields are {}",
            name.trim_end_matches('`'),
            known.replace("one of ", "")
        );
    }
    let plain = match message {
        "trailing comma" => "there is a comma after the last item; remove it",
        "expected value" if e.line() == 1 && e.column() <= 1 => {
            "this is not a playbook file: a playbook is JSON text starting with {"
        }
        "expected value" => "a value is missing or not valid here: text must be in double quotes",
        "expected `,` or `}`" => "a comma or a closing } is missing before this point",
        "expected `,` or `]`" => "a comma or a closing ] is missing before this point",
        "expected `:`" => "a colon : is missing after the name",
        "key must be a string" => "names must be text in double quotes",
        "trailing characters" => "there is more text after the end of the playbook; remove it",
        "invalid escape" => "a backslash \\ inside text must be written twice (\\\\)",
        m if m.starts_with("EOF while parsing") => {
            "the file ends too early: a closing }, ] or quote is missing"
        }
        m if m.starts_with("control character") => {
            "text in quotes cannot hold a line break or a tab; keep each text on one line"
        }
        m => m,
    };
    plain.to_string()
}

/// The name of the last `"field":` in `text` before line `line`, column `column` (1-based).
fn field_before(text: &str, line: usize, column: usize) -> Option<&'static str> {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let mut end = (line_start + column).min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    ["columns", "action", "at_most", "fallback", "rules"]
        .into_iter()
        .filter_map(|name| {
            let quoted = format!("\"{name}\"");
            before.rmatch_indices(&quoted).find_map(|(at, _)| {
                let after = before[at + quoted.len()..].trim_start();
                after.starts_with(':').then_some((at, name))
            })
        })
        .max_by_key(|&(at, _)| at)
        .map(|(_, name)| name)
}

fn field_name(field: Option<&str>) -> String {
    match field {
        Some(f @ ("columns" | "action" | "at_most")) => format!("the rule's `{f}`"),
        Some(f) => format!("`{f}`"),
        None => "the playbook".to_string(),
    }
}

fn plain_expected(expected: &str) -> &str {
    match expected {
        "a string" => "text in quotes",
        "a sequence" => "a list of rules in [ ]",
        "f64" => "a number",
        e if e.starts_with("struct") => "a block in { }",
        e => e,
    }
}

fn plain_found(found: &str) -> String {
    let quoted = |prefix: &str| {
        found
            .strip_prefix(prefix)
            .map(|v| v.trim_matches('`').to_string())
    };
    if let Some(n) = quoted("integer ").or_else(|| quoted("floating point ")) {
        return format!("the number {n}");
    }
    if let Some(t) = found.strip_prefix("string ") {
        return format!("the text {t}");
    }
    if let Some(b) = quoted("boolean ") {
        return format!("{b} (a yes/no value)");
    }
    match found {
        "map" => "a block in { }".to_string(),
        "sequence" => "a list in [ ]".to_string(),
        "null" => "null (nothing)".to_string(),
        other => other.to_string(),
    }
}

/// A customer scored by the model, with the reasons raising their risk most.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoredCustomer {
    /// Row of the table.
    pub row: usize,
    pub probability: f64,
    /// Strongest first, at most [`ACTION_REASONS`].
    pub reasons: Vec<Reason>,
}

/// Reasons kept per scored customer.
pub const ACTION_REASONS: usize = 3;

/// Customers scored per core per progress report.
pub const SCORE_CHUNK: usize = 512;

/// Scores `rows` of `ds` with `pipeline` and finds each customer's reasons raising the risk
/// most, in chunks of [`SCORE_CHUNK`] rows, one per core at a time; `progress(done, total)`
/// returning `false` cancels.
pub fn score_customers(
    pipeline: &FittedPipeline,
    ds: &Dataset,
    rows: &[usize],
    mut progress: impl FnMut(usize, usize) -> bool,
) -> std::result::Result<Vec<ScoredCustomer>, PipelineError> {
    let mut scored = Vec::with_capacity(rows.len());
    // A progress step scores one chunk per core, the chunks on every core
    // ([`crate::parallel::map`]); each chunk's scores depend on its rows only.
    let threads = crate::parallel::threads();
    // Trees: their TreeSHAP tables and plans once for every chunk.
    let explainer = TreeExplainer::new(pipeline, rows.len());
    for step in rows.chunks(SCORE_CHUNK * threads) {
        if !progress(scored.len(), rows.len()) {
            return Err(PipelineError::Model(
                crate::modelling::models::ModelError::Cancelled,
            ));
        }
        let chunks: Vec<&[usize]> = step.chunks(SCORE_CHUNK).collect();
        let task = |c: usize, _: &mut dyn FnMut(()) -> bool| {
            score_chunk(pipeline, &explainer, ds, chunks[c])
        };
        for part in crate::parallel::map(chunks.len(), &mut |()| true, &task) {
            scored.extend(part?);
        }
    }
    progress(scored.len(), rows.len());
    Ok(scored)
}

/// The scores of `chunk` and, where the model explains itself, each customer's reasons.
fn score_chunk(
    pipeline: &FittedPipeline,
    explainer: &TreeExplainer,
    ds: &Dataset,
    chunk: &[usize],
) -> std::result::Result<Vec<ScoredCustomer>, PipelineError> {
    let p = pipeline.predict_proba(ds, chunk)?;
    let contributions = contributions_by(pipeline, explainer, ds, chunk).map_err(|e| match e {
        ExplainError::Pipeline(p) => p,
        other => PipelineError::Explanation(other.to_string()),
    })?;
    let customers = chunk.iter().zip(&p).enumerate();
    Ok(customers
        .map(|(i, (&row, &probability))| ScoredCustomer {
            row,
            probability,
            reasons: contributions.as_ref().map_or_else(Vec::new, |c| {
                row_reasons(c, ds, row, &c.values[i], ACTION_REASONS).0
            }),
        })
        .collect())
}

/// One line of the action list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionRow {
    pub row: usize,
    pub id: String,
    /// The id as the number the file holds, when the id column is numeric (the row's
    /// number when there is no id column), so the workbook keeps it a number.
    #[serde(default)]
    pub id_number: Option<f64>,
    pub probability: f64,
    pub tier: Tier,
    pub reasons: Vec<Reason>,
    pub action: String,
    /// Expected value of contacting the customer: `p·s·v − c`.
    pub expected_value: f64,
}

/// The column naming customers: the first identifier column, if any.
pub fn id_column(ds: &Dataset) -> Option<&str> {
    ds.columns
        .iter()
        .find(|c| c.kind == crate::dataset::ColumnKind::Identifier)
        .map(|c| c.name.as_str())
}

/// The action list of `scored` customers of `ds`, riskiest first: id (the identifier
/// column's value, else the row's number counting from 1), tier, reasons, the playbook's
/// action and the expected value of contacting them.
pub fn action_list(
    ds: &Dataset,
    scored: &[ScoredCustomer],
    cuts: &TierCuts,
    playbook: &Playbook,
    inputs: &ProfitInputs,
) -> Result<Vec<ActionRow>> {
    inputs.check()?;
    let rows: Vec<usize> = scored.iter().map(|c| c.row).collect();
    let values = inputs.values(ds, &rows)?;
    let ids = id_column(ds).and_then(|name| ds.column(name));
    let mut list: Vec<ActionRow> = scored
        .iter()
        .zip(values)
        .map(|(c, v)| {
            let (id, id_number) = customer_id(ids, c.row);
            ActionRow {
                row: c.row,
                id,
                id_number,
                probability: c.probability,
                tier: cuts.tier(c.probability),
                reasons: c.reasons.clone(),
                action: playbook.suggest(&c.reasons).action,
                expected_value: expected_value(c.probability, v, inputs),
            }
        })
        .collect();
    list.sort_by(|a, b| {
        b.probability
            .total_cmp(&a.probability)
            .then(a.row.cmp(&b.row))
    });
    Ok(list)
}

/// The id of `row` as text and, when the id column holds numbers, as a number; the row's
/// number counting from 1 when there is no id column or the cell is blank.
fn customer_id(ids: Option<&Column>, row: usize) -> (String, Option<f64>) {
    match ids.and_then(|col| col.text(row).map(|text| (text, &col.data))) {
        Some((text, ColumnData::Numeric(values))) => (text, Some(values[row])),
        Some((text, ColumnData::Categorical { .. })) => (text, None),
        None => ((row + 1).to_string(), Some((row + 1) as f64)),
    }
}

/// A reason as people read it: `column = value`.
pub fn reason_text(r: &Reason) -> String {
    format!("{} = {}", r.column, r.value)
}

/// Column names of the exported action list.
pub const ACTION_COLUMNS: [&str; 8] = [
    "customer",
    "churn probability",
    "tier",
    "reason 1",
    "reason 2",
    "reason 3",
    "suggested action",
    "expected value of contacting",
];

/// The action list as a table for [`crate::acting::export::to_csv`] and
/// [`crate::acting::export::to_xlsx`]: probabilities, values and numeric ids as numbers (shown with
/// four decimals, two decimals and in full), the rest as text.
pub fn action_table(rows: &[ActionRow]) -> Table {
    let mut formats = vec![NumberFormat::General; ACTION_COLUMNS.len()];
    formats[0] = NumberFormat::Integer;
    formats[1] = NumberFormat::Probability;
    formats[7] = NumberFormat::Money;
    Table {
        columns: ACTION_COLUMNS.iter().map(|c| c.to_string()).collect(),
        formats,
        rows: rows
            .iter()
            .map(|r| {
                let reason = |i: usize| {
                    r.reasons
                        .get(i)
                        .map_or(Cell::Empty, |x| Cell::Text(reason_text(x)))
                };
                vec![
                    r.id_number
                        .map_or_else(|| Cell::Text(r.id.clone()), Cell::Number),
                    Cell::Number(r.probability),
                    Cell::Text(r.tier.label().to_string()),
                    reason(0),
                    reason(1),
                    reason(2),
                    Cell::Text(r.action.clone()),
                    Cell::Number(r.expected_value),
                ]
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reading::ingest::{read_csv, ReadOptions};

    fn inputs(value: f64, cost: f64, success_rate: f64, capacity: Option<usize>) -> ProfitInputs {
        ProfitInputs {
            value: CustomerValue::Fixed(value),
            cost,
            success_rate,
            capacity,
        }
    }

    const SCORES: [f64; 6] = [0.9, 0.8, 0.7, 0.6, 0.3, 0.1];
    const LABELS: [u8; 6] = [1, 1, 0, 1, 0, 0];

    /// Worked by hand: value 100, cost 10, success 50%, so each churner reached keeps
    /// 0.5 · 100 = 50 and each contact costs 10. Contacting the top k (scores 0.9, 0.8,
    /// 0.7, 0.6, 0.3, 0.1; outcomes 1, 1, 0, 1, 0, 0):
    ///   k = 1: 50 − 10 = 40;  k = 2: 100 − 20 = 80;  k = 3: 100 − 30 = 70;
    ///   k = 4: 150 − 40 = 110; k = 5: 150 − 50 = 100; k = 6: 150 − 60 = 90.
    /// The best is k = 4 at threshold 0.6, net 110 (retained 150, cost 40).
    #[test]
    fn profit_matches_the_hand_worked_example() {
        let values = [100.0; 6];
        let c = profit_curve(
            &SCORES,
            &LABELS,
            &values,
            &inputs(100.0, 10.0, 0.5, None),
            6,
        )
        .expect("valid inputs");
        let nets: Vec<f64> = c.points.iter().map(|p| p.net).collect();
        assert_eq!(nets, vec![0.0, 40.0, 80.0, 70.0, 110.0, 100.0, 90.0]);
        assert_eq!(c.optimum, 4);
        let best = c.best();
        assert_eq!(best.threshold, Some(0.6));
        assert_eq!(
            (best.retained, best.cost, best.test_contacted),
            (150.0, 40.0, 4)
        );
        assert_eq!(c.capacity, None);
    }

    /// The same customers with a cost of 30: k = 1: 50 − 30 = 20; k = 2: 100 − 60 = 40;
    /// k = 3: 100 − 90 = 10; k = 4: 150 − 120 = 30; k = 5: 0; k = 6: −30. The optimum moves
    /// to k = 2 (threshold 0.8). With a cost of 60, more than a reached churner keeps
    /// (50), contacting nobody is best.
    #[test]
    fn a_dearer_intervention_moves_the_optimum() {
        let values = [100.0; 6];
        let c = profit_curve(
            &SCORES,
            &LABELS,
            &values,
            &inputs(100.0, 30.0, 0.5, None),
            6,
        )
        .expect("valid inputs");
        let nets: Vec<f64> = c.points.iter().map(|p| p.net).collect();
        assert_eq!(nets, vec![0.0, 20.0, 40.0, 10.0, 30.0, 0.0, -30.0]);
        assert_eq!(c.best().threshold, Some(0.8));
        let c = profit_curve(
            &SCORES,
            &LABELS,
            &values,
            &inputs(100.0, 60.0, 0.5, None),
            6,
        )
        .expect("valid inputs");
        assert_eq!((c.optimum, c.best().threshold), (0, None));
    }

    /// Projected to a base of 600 (scale 100), with room for 150 contacts (1.5 test
    /// customers, so one): the optimum within the capacity is k = 1, net 40 · 100 = 4,000.
    #[test]
    fn capacity_and_projection_scale_the_curve() {
        let values = [100.0; 6];
        let c = profit_curve(
            &SCORES,
            &LABELS,
            &values,
            &inputs(100.0, 10.0, 0.5, Some(150)),
            600,
        )
        .expect("valid inputs");
        assert_eq!(c.scale, 100.0);
        assert_eq!(c.capacity, Some(1));
        assert_eq!(c.optimum, 1);
        assert_eq!((c.best().contacted, c.best().net), (100.0, 4000.0));
        // The curve past the capacity is still drawn, unconstrained.
        assert_eq!(c.points[4].net, 11000.0);
    }

    /// Tied scores are contacted together: scores 0.9, 0.5, 0.5, 0.2 with outcomes 1, 0,
    /// 1, 0, value 10, cost 1, success 100%: k = 1: 9; k = 3: 20 − 3 = 17; k = 4: 16.
    #[test]
    fn ties_are_contacted_together() {
        let c = profit_curve(
            &[0.5, 0.9, 0.2, 0.5],
            &[0, 1, 0, 1],
            &[10.0; 4],
            &inputs(10.0, 1.0, 1.0, None),
            4,
        )
        .expect("valid inputs");
        let ks: Vec<usize> = c.points.iter().map(|p| p.test_contacted).collect();
        assert_eq!(ks, vec![0, 1, 3, 4]);
        let nets: Vec<f64> = c.points.iter().map(|p| p.net).collect();
        assert_eq!(nets, vec![0.0, 9.0, 17.0, 16.0]);
        assert_eq!(c.best().threshold, Some(0.5));
    }

    /// Per-customer values: the three churners are worth 300, blank and 20; the blank takes
    /// the median of 300, 20 and 100, which is 100. Cost 10, success 50%: k = 1: 150 − 10 =
    /// 140; k = 2: 150 + 50 − 20 = 180; k = 3: 150 + 50 + 10 − 30 = 180. On the tie the
    /// fewer contacts (k = 2) win.
    /// Column names from the IBM Telco and Kaggle E-Commerce exports (../shared/datasets).
    #[test]
    fn value_columns_offer_amounts_money_first() {
        let ds = read_csv(
            b"customerID,SeniorCitizen,tenure,MonthlyCharges,TotalCharges,CashbackAmount,Churn\n\
              7590,0,1,29.85,29.85,120.5,No\n\
              5575,1,34,56.95,1889.5,80.25,No\n\
              3668,0,2,53.85,108.15,99.0,Yes\n\
              7795,0,45,42.3,1840.75,150.0,No\n",
            &ReadOptions::default(),
        )
        .expect("valid csv");
        let mut ds = ds;
        // The reader calls four numbers in four rows numeric; mark the id as a user would.
        if let Some(c) = ds.columns.iter_mut().find(|c| c.name == "customerID") {
            c.kind = ColumnKind::Identifier;
        }
        assert_eq!(
            value_columns(&ds, "Churn"),
            vec!["MonthlyCharges", "TotalCharges", "CashbackAmount", "tenure"]
        );
        // The target is never offered, even when it is numeric with many values.
        assert!(!value_columns(&ds, "tenure").contains(&"tenure".to_string()));
    }

    #[test]
    fn values_from_a_column_fill_blanks_with_the_median() {
        let ds = read_csv(
            b"spend,churned\n300,1\n,1\n20,1\n100,0\n",
            &ReadOptions::default(),
        )
        .expect("valid csv");
        let value = ProfitInputs {
            value: CustomerValue::Column("spend".into()),
            ..inputs(0.0, 10.0, 0.5, None)
        };
        let values = value.values(&ds, &[0, 1, 2]).expect("numeric column");
        assert_eq!(values, vec![300.0, 100.0, 20.0]);
        let c =
            profit_curve(&[0.9, 0.8, 0.7], &[1, 1, 1], &values, &value, 3).expect("valid inputs");
        let nets: Vec<f64> = c.points.iter().map(|p| p.net).collect();
        assert_eq!(nets, vec![0.0, 140.0, 180.0, 180.0]);
        assert_eq!(c.optimum, 2);
        let missing = ProfitInputs {
            value: CustomerValue::Column("nope".into()),
            ..value
        };
        assert!(matches!(
            missing.values(&ds, &[0]),
            Err(ActionError::NoValueColumn(_))
        ));
    }

    #[test]
    fn rejects_impossible_assumptions() {
        let bad = [
            inputs(100.0, -1.0, 0.5, None),
            inputs(100.0, f64::NAN, 0.5, None),
            inputs(100.0, 1.0, 1.5, None),
            inputs(f64::INFINITY, 1.0, 0.5, None),
        ];
        for b in bad {
            assert!(profit_curve(&[0.5], &[1], &[1.0], &b, 1).is_err(), "{b:?}");
        }
        assert!(TierCuts {
            high: 0.2,
            medium: 0.5
        }
        .check()
        .is_err());
    }

    /// The expected value of contacting: p = 0.6, value 100, success 50%, cost 10:
    /// 0.6 · 0.5 · 100 − 10 = 20.
    #[test]
    fn expected_value_of_one_contact() {
        assert_eq!(
            expected_value(0.6, 100.0, &inputs(100.0, 10.0, 0.5, None)),
            20.0
        );
    }

    /// numpy 2: `np.quantile([0.1, 0.3, 0.6, 0.7, 0.8, 0.9], [0.8, 0.5])` = [0.8, 0.65].
    #[test]
    fn default_cuts_are_score_percentiles() {
        let cuts = TierCuts::from_scores(&SCORES);
        assert!((cuts.high - 0.8).abs() < 1e-12);
        assert!((cuts.medium - 0.65).abs() < 1e-12);
        assert_eq!(cuts.tier(0.9), Tier::High);
        assert_eq!(cuts.tier(0.7), Tier::Medium);
        assert_eq!(cuts.tier(0.6), Tier::Low);
    }

    fn reason(column: &str, contribution: f64) -> Reason {
        Reason {
            column: column.to_string(),
            value: "1".to_string(),
            contribution,
        }
    }

    #[test]
    fn tiers_count_customers_churn_and_drivers() {
        let cuts = TierCuts {
            high: 0.75,
            medium: 0.5,
        };
        let scored = vec![
            ScoredCustomer {
                row: 0,
                probability: 0.9,
                reasons: vec![reason("complaints", 1.0), reason("tenure", 0.5)],
            },
            ScoredCustomer {
                row: 1,
                probability: 0.8,
                reasons: vec![reason("tenure", 0.7)],
            },
            ScoredCustomer {
                row: 2,
                probability: 0.1,
                reasons: vec![],
            },
        ];
        let tiers = summarise_tiers(&cuts, &SCORES, &LABELS, &scored);
        // Test set: high = 0.9, 0.8 (both churned); medium = 0.7, 0.6 (one churned); low = 0.3, 0.1.
        assert_eq!(
            tiers
                .iter()
                .map(|t| (t.tier, t.customers, t.test_customers, t.test_churned))
                .collect::<Vec<_>>(),
            vec![
                (Tier::High, 2, 2, 2),
                (Tier::Medium, 0, 2, 1),
                (Tier::Low, 1, 2, 0)
            ]
        );
        assert_eq!(tiers[0].churn_rate(), Some(1.0));
        assert_eq!(tiers[1].churn_rate(), Some(0.5));
        assert_eq!(
            tiers[0].drivers,
            vec![("tenure".to_string(), 2), ("complaints".to_string(), 1)]
        );
    }

    /// Rule order decides between rules; reason order decides between reasons.
    #[test]
    fn playbook_matches_reasons_in_order() {
        let book = Playbook::ecommerce();
        book.check().expect("the default playbook is valid");
        let s = book.suggest(&[
            reason("days_since_last_order", 0.9),
            reason("complaints_last_90d", 0.5),
        ]);
        assert_eq!(s.action, "Win-back coupon for the next order");
        assert_eq!(s.because.as_deref(), Some("days_since_last_order"));
        // The names of the shared datasets, matched ignoring case, spaces and underscores.
        let action = |column: &str| book.suggest(&[reason(column, 1.0)]).action;
        assert_eq!(action("Complain"), book.rules[0].action);
        assert_eq!(action("Customer service calls"), book.rules[0].action);
        assert_eq!(action("DaySinceLastOrder"), book.rules[1].action);
        assert_eq!(action("CouponUsed"), book.rules[2].action);
        assert_eq!(action("MonthlyCharges"), book.rules[2].action);
        assert_eq!(action("OrderAmountHikeFromlastYear"), book.rules[3].action);
        assert_eq!(action("logins_last_30d"), book.rules[4].action);
        // `reason` gives every customer the value 1: a new customer, so onboarding.
        assert_eq!(action("tenure_months"), book.rules[5].action);
        // No rule for the city: the next reason decides, and with none left the fallback.
        let s = book.suggest(&[reason("city_tier", 1.0), reason("Contract", 0.4)]);
        assert_eq!((s.rule, s.because.as_deref()), (Some(6), Some("Contract")));
        let s = book.suggest(&[reason("city_tier", 1.0)]);
        assert_eq!(
            (s.action.as_str(), s.rule),
            ("Personal check-in email", None)
        );
        assert_eq!(book.suggest(&[]).action, book.fallback);
    }

    #[test]
    fn edited_playbooks_are_checked_and_used() {
        let mut book = Playbook {
            rules: vec![
                PlaybookRule::new("city", "Local event invitation"),
                PlaybookRule::new("days since", "Call"),
            ],
            fallback: "Nothing".into(),
        };
        let s = book.suggest(&[
            reason("days_since_last_order", 1.0),
            reason("city_tier", 0.5),
        ]);
        assert_eq!(s.action, "Call");
        let s = book.suggest(&[reason("city_tier", 1.0)]);
        assert_eq!(s.action, "Local event invitation");
        book.rules.push(PlaybookRule::new(" | ", "Empty"));
        assert!(matches!(
            book.check(),
            Err(ActionError::RuleWithoutColumns { rule: 3, .. })
        ));
        book.rules[2] = PlaybookRule::new("x", "  ");
        assert!(matches!(
            book.check(),
            Err(ActionError::RuleWithoutAction { rule: 3 })
        ));
    }

    #[test]
    fn action_list_is_riskiest_first_with_ids_tiers_and_values() {
        let ds = read_csv(
            b"customer_id,spend,churned\nA-1,100,1\nB-2,50,0\nC-3,200,1\n",
            &ReadOptions::default(),
        )
        .expect("valid csv");
        let scored = vec![
            ScoredCustomer {
                row: 0,
                probability: 0.2,
                reasons: vec![],
            },
            ScoredCustomer {
                row: 2,
                probability: 0.9,
                reasons: vec![reason("spend", 1.0)],
            },
        ];
        let cuts = TierCuts {
            high: 0.5,
            medium: 0.3,
        };
        let value = ProfitInputs {
            value: CustomerValue::Column("spend".into()),
            ..inputs(0.0, 10.0, 0.5, None)
        };
        let list =
            action_list(&ds, &scored, &cuts, &Playbook::ecommerce(), &value).expect("valid inputs");
        // Three rows are too few for "all distinct" to call customer_id an identifier, so
        // the ids are row numbers here; `id_column` is tested on the sample below.
        let expected_id = |row: usize, text: &str| match id_column(&ds) {
            Some(_) => text.to_string(),
            None => (row + 1).to_string(),
        };
        assert_eq!(list[0].id, expected_id(2, "C-3"));
        assert_eq!(list[0].tier, Tier::High);
        assert_eq!(list[0].action, "Personalised product recommendations");
        // 0.9 · 0.5 · 200 − 10 = 80 and 0.2 · 0.5 · 100 − 10 = 0.
        assert!((list[0].expected_value - 80.0).abs() < 1e-12);
        assert!(list[1].expected_value.abs() < 1e-12);
        assert_eq!(
            (list[1].tier, list[1].action.as_str()),
            (Tier::Low, "Personal check-in email")
        );
    }

    #[test]
    fn the_sample_names_customers_by_their_id() {
        let csv = crate::reading::sample::generate_csv(&crate::reading::sample::SampleSpec {
            customers: 50,
            seed: 1,
        });
        let ds = read_csv(csv.as_bytes(), &ReadOptions::default()).expect("sample reads");
        assert_eq!(id_column(&ds), Some("customer_id"));
    }

    /// Scoring in chunks gives every row the pipeline's own probability and the same
    /// reasons as the explanation of the riskiest customers (`top_reasons` on all rows at
    /// once), for each kind of model.
    #[test]
    fn scoring_every_customer_agrees_with_the_explanation() {
        use crate::modelling::pipeline::{ModelKind, TrainConfig};
        let csv = crate::reading::sample::generate_csv(&crate::reading::sample::SampleSpec {
            customers: 1200,
            seed: 3,
        });
        let ds = read_csv(csv.as_bytes(), &ReadOptions::default()).expect("sample reads");
        let target = crate::understanding::target::target_for(&ds, "churned", None)
            .expect("churned is binary");
        for model in [ModelKind::Logistic, ModelKind::Gbdt] {
            let mut config = TrainConfig::new(target.clone());
            config.model = model;
            config.gbdt.n_trees = 20;
            let train: Vec<usize> = (0..600).collect();
            let p = FittedPipeline::fit(&ds, &train, &config, |_| true).expect("fit");
            // More rows than one chunk, out of order.
            let rows: Vec<usize> = (0..ds.n_rows).rev().collect();
            let mut reports = 0;
            let scored = score_customers(&p, &ds, &rows, |_, _| {
                reports += 1;
                true
            })
            .expect("scores");
            let step = SCORE_CHUNK * crate::parallel::threads();
            assert_eq!(reports, rows.len().div_ceil(step) + 1);
            let expected = p.predict_proba(&ds, &rows).expect("predicts");
            assert_eq!(scored.iter().map(|c| c.row).collect::<Vec<_>>(), rows);
            for (c, e) in scored.iter().zip(&expected) {
                assert_eq!(c.probability, *e);
                assert!(c.reasons.len() <= ACTION_REASONS);
                assert!(c.reasons.iter().all(|r| r.contribution > 0.0));
            }
            let all = crate::evaluating::explanations::contributions(&p, &ds, &rows)
                .expect("contributions")
                .expect("some");
            let top = crate::evaluating::explanations::top_reasons(
                &all,
                &ds,
                &rows,
                &expected,
                5,
                ACTION_REASONS,
            );
            for t in top {
                let c = scored.iter().find(|c| c.row == t.row).expect("scored");
                assert_eq!(c.reasons.len(), t.up.len());
                for (a, b) in c.reasons.iter().zip(&t.up) {
                    assert_eq!(a.column, b.column);
                    assert!((a.contribution - b.contribution).abs() < 1e-9);
                }
            }
            let cancelled = score_customers(&p, &ds, &rows, |done, _| done < SCORE_CHUNK);
            assert!(cancelled.is_err());
        }
    }

    /// Hostile ids, reasons and actions leave in the CSV as inert text: formula triggers
    /// get an apostrophe, markup stays text, numbers stay numbers.
    #[test]
    fn exported_action_lists_are_inert() {
        let row = ActionRow {
            row: 0,
            id: "=HYPERLINK(\"http://x\",\"y\")".into(),
            id_number: None,
            probability: 0.75,
            tier: Tier::High,
            reasons: vec![Reason {
                column: "@cmd".into(),
                value: "<img src=x onerror=alert(1)>".into(),
                contribution: 1.0,
            }],
            action: "+call".into(),
            expected_value: -2.5,
        };
        let csv =
            String::from_utf8(crate::acting::export::to_csv(&action_table(&[row]))).expect("utf-8");
        let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
        assert_eq!(lines[0], ACTION_COLUMNS.join(","));
        assert_eq!(
            lines[1],
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",0.75,high,'@cmd = <img src=x onerror=alert(1)>,,,'+call,-2.5"
        );
    }

    /// Issue 14: ids that are numbers in the file stay numbers in the workbook, in full in
    /// the CSV; text ids (`00123`, `=1+1`) stay text exactly as written; without an id
    /// column the row numbers are numbers.
    #[test]
    fn exported_ids_keep_their_type_from_the_file() {
        use crate::acting::export::{to_csv, to_xlsx};
        use crate::dataset::ColumnKind;
        use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
        let n = 25;
        let phone_like = |row: usize| 447_911_123_400.0 + row as f64;
        let numeric = Column::new(
            "customer_id".into(),
            ColumnData::Numeric((0..n).map(phone_like).collect()),
        );
        let texts: Vec<String> = (0..n)
            .map(|row| match row {
                0 => "00123".to_string(),
                1 => "=1+1".to_string(),
                row => format!("C-{row:03}"),
            })
            .collect();
        let text = Column::new(
            "customer_id".into(),
            ColumnData::Categorical {
                levels: texts.clone(),
                codes: (0..n as u32).collect(),
            },
        );
        let spend = Column::new(
            "spend".into(),
            ColumnData::Numeric((0..n).map(|row| (row % 7) as f64).collect()),
        );
        let cases = [
            (
                numeric,
                (0..n)
                    .map(|r| Data::Float(phone_like(r)))
                    .collect::<Vec<_>>(),
            ),
            (
                text,
                texts.iter().map(|t| Data::String(t.clone())).collect(),
            ),
            (spend, (0..n).map(|r| Data::Float((r + 1) as f64)).collect()),
        ];
        for (column, expected) in cases {
            let name = column.name.clone();
            assert_eq!(
                column.kind == ColumnKind::Identifier,
                name == "customer_id",
                "{name}"
            );
            let ds = Dataset {
                n_rows: n,
                columns: vec![column],
            };
            // Riskiest first is row order here.
            let scored: Vec<ScoredCustomer> = (0..n)
                .map(|row| ScoredCustomer {
                    row,
                    probability: 1.0 - row as f64 / 100.0,
                    reasons: Vec::new(),
                })
                .collect();
            let cuts = TierCuts {
                high: 0.9,
                medium: 0.5,
            };
            let list = action_list(
                &ds,
                &scored,
                &cuts,
                &Playbook::ecommerce(),
                &ProfitInputs::default(),
            )
            .expect("valid inputs");
            let table = action_table(&list);
            let bytes = to_xlsx(&table, "Actions").expect("fits");
            let mut book: Xlsx<_> =
                open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("opens");
            let range = book.worksheet_range("Actions").expect("sheet reads");
            for (row, cell) in expected.iter().enumerate() {
                assert_eq!(range.get((row + 1, 0)), Some(cell), "{name}, row {row}");
            }
            let csv = String::from_utf8(to_csv(&table)).expect("UTF-8");
            let first = csv.lines().nth(1).expect("a first customer");
            let id = match &expected[0] {
                Data::Float(x) => format!("{x}"),
                other => format!("{other}"),
            };
            assert!(first.starts_with(&format!("{id},")), "{first}");
        }
    }

    /// A saved playbook loads back as it was; a damaged file says where.
    #[test]
    fn playbooks_round_trip_through_json() {
        let book = Playbook::ecommerce();
        let json = serde_json::to_string_pretty(&book).expect("json");
        assert_eq!(Playbook::from_json(&json), Ok(book));
        match Playbook::from_json("{\n  \"rules\": [\n    {\"columns\": 3}\n  ]}") {
            Err(ActionError::NotAPlaybook { line, .. }) => assert_eq!(line, 3),
            other => panic!("{other:?}"),
        }
        // A playbook saved before rules had a limit loads, each rule without one.
        let old = r#"{"rules": [{"columns": "tenure", "action": "Reward"}], "fallback": "Email"}"#;
        let book = Playbook::from_json(old).expect("an older file");
        assert_eq!(book.rules[0], PlaybookRule::new("tenure", "Reward"));
        assert!(matches!(
            Playbook::from_json(r#"{"rules": [{"columns": "", "action": "x"}], "fallback": "y"}"#),
            Err(ActionError::RuleWithoutColumns { rule: 1, .. })
        ));
    }

    /// Each damaged playbook file and the message a merchant sees, position first.
    #[test]
    fn playbook_file_errors_are_in_plain_words() {
        let rule_with_number = "{\n  \"rules\": [\n    {\"columns\": \"tenure\", \"action\": 5}\n  ],\n  \"fallback\": \"Email\"\n}";
        let cases = [
            (
                rule_with_number,
                "line 3, column 37: the rule's `action` must be text in quotes, found the number 5",
            ),
            (
                r#"{"rules": [{"columns": "tenure"}], "fallback": "Email"}"#,
                "line 1, column 32: this rule has no `action`: every rule needs \"columns\" and \"action\"",
            ),
            (
                r#"{"rules": [], "fallback": "Email", "colour": "red"}"#,
                "line 1, column 43: `colour` is not a playbook field (check its spelling); the fields are `rules` or `fallback`",
            ),
            (
                r#"{"rules": [{"columns": "a", "action": "b",}], "fallback": "c"}"#,
                "line 1, column 43: there is a comma after the last item; remove it",
            ),
            (
                "columns,action\ntenure,Reward\n",
                "line 1, column 1: this is not a playbook file: a playbook is JSON text starting with {",
            ),
            (
                r#"{"rules": {"columns": "a"}, "fallback": "c"}"#,
                "line 1, column 10: `rules` must be a list of rules in [ ], found a block in { }",
            ),
            (
                r#"{"rules": [], "fallback": "c""#,
                "line 1, column 29: the file ends too early: a closing }, ] or quote is missing",
            ),
        ];
        for (text, expected) in cases {
            let err = Playbook::from_json(text).expect_err(text);
            assert!(matches!(err, ActionError::NotAPlaybook { .. }), "{err:?}");
            assert_eq!(err.to_string(), expected, "{text}");
        }
    }

    fn reason_of(column: &str, value: &str) -> Reason {
        Reason {
            column: column.into(),
            value: value.into(),
            contribution: 1.0,
        }
    }

    #[test]
    fn new_customers_whose_tenure_is_the_reason_get_onboarding() {
        let book = Playbook::ecommerce();
        let onboarding = "Onboarding call and first-order guide";
        for value in ["0", "1", "1.0"] {
            let s = book.suggest(&[reason_of("tenure", value)]);
            assert_eq!(s.action, onboarding, "tenure {value}");
        }
        // A customer of two months or more, or of unknown tenure, is rewarded for staying.
        for value in ["2", "36", "missing"] {
            let s = book.suggest(&[reason_of("Tenure", value)]);
            assert_eq!(s.action, "Loyalty reward for staying on", "tenure {value}");
        }
        // The contract is tenure-like but not a count of months: no onboarding by its value.
        let s = book.suggest(&[reason_of("Contract", "1")]);
        assert_eq!(s.action, "Loyalty reward for staying on");
        let json = serde_json::to_string(&book).expect("json");
        assert!(json.contains("\"at_most\":1.0"), "{json}");
        assert_eq!(Playbook::from_json(&json), Ok(book));
    }

    #[test]
    fn tells_when_no_rule_names_any_column() {
        let book = Playbook::ecommerce();
        // The headers of tests/data/gbk_chinese.csv's kind of export: customer id, months as
        // a customer, monthly fee, churned.
        let chinese = ["客户编号", "在网月数", "月费", "是否流失"];
        assert!(book.matching_columns(&chinese).is_empty());
        let notice = book.no_match_notice(&chinese).expect("a notice");
        assert!(
            notice.contains("在网月数") && notice.contains("Personal check-in email"),
            "{notice}"
        );
        // Telco's columns: several are named by the rules.
        let telco = [
            "gender",
            "SeniorCitizen",
            "Partner",
            "Dependents",
            "tenure",
            "PhoneService",
            "MultipleLines",
            "InternetService",
            "OnlineSecurity",
            "OnlineBackup",
            "DeviceProtection",
            "TechSupport",
            "StreamingTV",
            "StreamingMovies",
            "Contract",
            "PaperlessBilling",
            "PaymentMethod",
            "MonthlyCharges",
            "TotalCharges",
        ];
        let matched = book.matching_columns(&telco);
        for c in [
            "tenure",
            "Contract",
            "TechSupport",
            "PaymentMethod",
            "MonthlyCharges",
        ] {
            assert!(matched.contains(&c), "{c}: {matched:?}");
        }
        assert_eq!(book.no_match_notice(&telco), None);
        assert_eq!(
            book.no_match_notice(&[]),
            None,
            "no columns, nothing to say"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        /// A playbook file (`churnscope act --playbook FILE`) of any bytes is refused with a
        /// message or used; matching any reasons with it never panics.
        #[test]
        fn any_playbook_file_is_refused_or_used(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
            rules in proptest::collection::vec(("[a-z |_]{0,12}", ".{0,8}"), 0..6),
            columns in proptest::collection::vec("[A-Za-z _]{0,16}", 0..5),
        ) {
            let _ = Playbook::from_json(&String::from_utf8_lossy(&bytes));
            let book = Playbook {
                rules: rules.iter().map(|(c, a)| PlaybookRule::new(c, a)).collect(),
                fallback: "fallback".into(),
            };
            let reasons: Vec<Reason> = columns.iter().map(|c| reason(c, 1.0)).collect();
            let s = book.suggest(&reasons);
            proptest::prop_assert!(s.rule.is_none_or(|r| r < book.rules.len()));
            if book.check().is_ok() && s.rule.is_none() {
                proptest::prop_assert_eq!(s.action, "fallback");
            }
        }
    }
}
