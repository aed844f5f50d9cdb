//! The HTML report: one self-contained, printable document of a whole analysis.
//!
//! [`html_report`] writes the data summary, the model comparison, the chosen model's curves
//! and explanations, the risk tiers, the profit view, the playbook and the head of the action
//! list into a single HTML file a merchant can keep, mail or print. The charts are the app's
//! own ([`crate::figures`]), drawn to inline SVG by the same functions the page draws
//! on its canvases, so the report and the page never disagree.
//!
//! The document loads nothing: no scripts, fonts, style sheets or images from anywhere, and
//! its Content-Security-Policy (`default-src 'none'`) forbids them should any slip in. Every
//! piece of text that comes from the user's file or settings (file name, column names, cell
//! values, ids, playbook text) is HTML-escaped, and plotters escapes the text inside the
//! SVGs. The module uses no browser API, so the command line can write reports too; in the
//! browser, plotters measures chart text with the page's DOM, so call it on the page rather
//! than in a worker.

use std::sync::Arc;

use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, IntoDrawingArea, SVGBackend};

use crate::figures::{
    calibration_inputs, coefficient_chart, draw_distribution, gains_chart, importance_chart,
    lift_chart, pd_chart, pr_chart, profit_chart, roc_curves, sweep_chart, tier_chart,
};
use crate::{draw_bars, draw_lines, draw_roc_overlay, ChartError};
use churnscope_engine::acting::actions::{
    id_column, reason_text, ActionRow, CustomerValue, Playbook, ProfitCurve, ProfitInputs,
    TierCuts, TierSummary,
};
use churnscope_engine::dataset::{group_thousands, Dataset};
use churnscope_engine::evaluating::evaluation::ModelRun;
use churnscope_engine::evaluating::explanations::{ContributionUnit, Reason};
use churnscope_engine::evaluating::metrics::ConfusionMatrix;

/// Everything the report shows.
#[derive(Debug, Clone, Copy)]
pub struct ReportInput<'a> {
    pub file_name: &'a str,
    /// When the report was made, as the caller words it.
    pub generated: &'a str,
    pub dataset: &'a Dataset,
    /// The target column's name.
    pub target: &'a str,
    /// Every trained model, for the comparison.
    pub runs: &'a [Arc<ModelRun>],
    /// Index into `runs` of the model in use (the last one when out of range).
    pub chosen: usize,
    /// The model's operating threshold.
    pub threshold: f64,
    pub cuts: TierCuts,
    pub tiers: &'a [TierSummary],
    pub inputs: &'a ProfitInputs,
    pub profit: &'a ProfitCurve,
    pub playbook: &'a Playbook,
    /// The whole action list, riskiest first; the report shows its head.
    pub actions: &'a [ActionRow],
}

/// Rows of the action list in the report.
pub const ACTION_ROWS: usize = 25;
/// Size of a chart in the report, in CSS pixels (drawn at scale 1).
pub const CHART_SIZE: (u32, u32) = (560, 400);
/// The coefficient chart has up to 30 bars and needs more room.
const COEFFICIENT_SIZE: (u32, u32) = (720, 560);

const STYLE: &str = "
:root { color-scheme: light; }
body { font: 15px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #222;
  max-width: 1180px; margin: 0 auto; padding: 24px; }
h1 { font-size: 1.7em; margin: 0 0 .2em; }
h2 { font-size: 1.3em; border-bottom: 2px solid #0072B2; padding-bottom: .2em; margin-top: 2em; }
h3 { font-size: 1.05em; margin-top: 1.4em; }
.meta, .note, figcaption { color: #555; }
figcaption { font-size: .88em; }
table { border-collapse: collapse; margin: .8em 0; font-size: .92em; }
caption { text-align: left; font-weight: 600; padding-bottom: .3em; }
th, td { border-bottom: 1px solid #ddd; padding: .3em .6em; text-align: left; vertical-align: top; }
th { background: #f4f6f8; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.chosen td { background: #eaf3fa; font-weight: 600; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
figure.chart { margin: 0; max-width: 100%; break-inside: avoid; page-break-inside: avoid; }
figure.chart svg { display: block; max-width: 100%; height: auto; }
dl.key { display: grid; grid-template-columns: max-content auto; gap: .2em 1.2em; }
dl.key dt { font-weight: 600; }
dl.key dd { margin: 0; }
@page { margin: 14mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  section { break-before: page; page-break-before: always; }
  section:first-of-type { break-before: auto; page-break-before: auto; }
  tr, figure.chart, dl.key { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
}
";

/// Appends formatted text to a `String` (which cannot fail, unlike `write!`'s signature says).
macro_rules! put {
    ($out:expr, $($arg:tt)*) => { $out.push_str(&format!($($arg)*)) };
}

/// The report as one HTML document; an error when there is no model or a chart fails to draw.
pub fn html_report(input: &ReportInput) -> Result<String, ChartError> {
    let chosen = input.chosen.min(input.runs.len().saturating_sub(1));
    let run = input
        .runs
        .get(chosen)
        .ok_or_else(|| ChartError("there is no trained model to report on".into()))?;
    let title = format!("Churn report — {}", esc(input.file_name));
    let mut out = String::with_capacity(256 * 1024);
    out.push_str(&document_head(&title));
    put!(
        out,
        "<header id=\"report-header\">\n<h1>{title}</h1>\n\
         <p class=\"meta\">Generated {} by churnscope from <strong>{}</strong>. Model in use: \
         <strong>{}</strong>.</p>\n</header>\n<main>\n",
        esc(input.generated),
        esc(input.file_name),
        run.label()
    );
    summary(&mut out, input, run);
    comparison(&mut out, input.runs, chosen);
    curves(&mut out, input, run)?;
    explanation(&mut out, input, run)?;
    tiers(&mut out, input)?;
    profit(&mut out, input)?;
    playbook(&mut out, input.playbook);
    actions(&mut out, input.actions);
    out.push_str("</main>\n</body>\n</html>\n");
    Ok(out)
}

/// A report's document up to `<body>`: nothing may load from anywhere (the
/// Content-Security-Policy), styles inline. `title` is already escaped.
pub(crate) fn document_head(title: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; img-src data:\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
    )
}

/// `s` as HTML text or attribute value.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An amount of money (or any large quantity): rounded, thousands separated, signed.
pub fn amount(x: f64) -> String {
    if !x.is_finite() {
        return "—".into();
    }
    let sign = if x.round() < 0.0 { "−" } else { "" };
    format!("{sign}{}", group_thousands(x.abs().round() as usize))
}

pub(crate) fn percent(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

pub(crate) fn section_start(out: &mut String, id: &str, heading: &str) {
    put!(
        out,
        "<section id=\"{id}\" data-section=\"{id}\">\n<h2>{heading}</h2>\n"
    );
}

/// Draws one chart to an inline SVG inside a `<figure>` with a caption (escaped here).
pub(crate) fn figure(
    out: &mut String,
    id: &str,
    caption: &str,
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), ChartError>,
) -> Result<(), ChartError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw(&root)?;
        root.present()?;
    }
    let caption = esc(caption);
    put!(
        out,
        "<figure class=\"chart\" id=\"chart-{id}\" style=\"width:{}px\">\n\
         <div role=\"img\" aria-label=\"{caption}\">\n{}</div>\n\
         <figcaption>{caption}</figcaption>\n</figure>\n",
        size.0,
        svg.trim_end()
    );
    Ok(())
}

/// A table's opening: its id, caption and column headers (`num:` before a header right-aligns it).
pub(crate) fn table_start(out: &mut String, id: &str, caption: &str, headers: &[&str]) {
    put!(
        out,
        "<table id=\"{id}\">\n<caption>{caption}</caption>\n<thead><tr>"
    );
    for h in headers {
        match h.strip_prefix("num:") {
            Some(h) => put!(out, "<th scope=\"col\" class=\"num\">{h}</th>"),
            None => put!(out, "<th scope=\"col\">{h}</th>"),
        }
    }
    out.push_str("</tr></thead>\n<tbody>\n");
}

fn summary(out: &mut String, input: &ReportInput, run: &ModelRun) {
    let ds = input.dataset;
    let target = &run.outcome.pipeline.target;
    section_start(out, "summary", "The data");
    let labels = target.labels(ds).unwrap_or_default();
    let labelled = labels.iter().flatten().count();
    let churned = labels.iter().flatten().filter(|&&l| l == 1).count();
    put!(
        out,
        "<p id=\"data-summary\"><span data-value=\"rows\">{}</span> customers (rows) and \
         <span data-value=\"columns\">{}</span> columns. The target column is <strong>{}</strong>, \
         where {} counts as churned: {} of {} labelled customers churned, a churn rate of \
         <span data-value=\"churn-rate\">{}</span>.</p>\n",
        group_thousands(ds.n_rows),
        ds.columns.len(),
        esc(input.target),
        esc(&target.positive),
        group_thousands(churned),
        group_thousands(labelled),
        percent(churned as f64 / labelled.max(1) as f64)
    );
    table_start(
        out,
        "columns-table",
        "Columns as the app read them",
        &["Column", "Kind", "num:Missing cells", "num:Distinct values"],
    );
    for c in ds.summary() {
        let role = if c.name == input.target {
            " (target)"
        } else {
            ""
        };
        put!(
            out,
            "<tr><td>{}{role}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
            esc(&c.name),
            c.kind.label(),
            group_thousands(c.missing),
            group_thousands(c.distinct)
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

fn comparison(out: &mut String, runs: &[Arc<ModelRun>], chosen: usize) {
    section_start(out, "comparison", "Model comparison");
    put!(
        out,
        "<p class=\"note\">Every model was tested on the same {} customers it never saw while \
         learning. F1, recall and precision are at each model's own threshold; log loss and Brier \
         score are better when lower.</p>\n",
        group_thousands(runs[chosen].outcome.test.n)
    );
    let cv = runs.iter().any(|r| r.cv.is_some());
    let mut headers = vec![
        "Model",
        "num:ROC AUC",
        "num:PR AUC",
        "num:F1",
        "num:Recall",
        "num:Precision",
        "num:Log loss",
        "num:Brier",
    ];
    if cv {
        headers.push("num:Cross-validated (mean ± sd)");
    }
    table_start(out, "comparison-table", "The trained models", &headers);
    for (i, r) in runs.iter().enumerate() {
        let chosen = i == chosen;
        let t = &r.outcome.test;
        put!(
            out,
            "<tr{}><td>{}{}</td>",
            if chosen {
                " class=\"chosen\" aria-current=\"true\" data-chosen=\"true\""
            } else {
                ""
            },
            r.label(),
            if chosen { " (in use)" } else { "" }
        );
        for v in [
            t.roc_auc,
            t.pr_auc,
            t.f1,
            t.recall,
            t.precision,
            t.log_loss,
            t.brier,
        ] {
            put!(out, "<td class=\"num\">{v:.3}</td>");
        }
        if cv {
            match &r.cv {
                Some(c) => put!(
                    out,
                    "<td class=\"num\">{} {:.3} ± {:.3} ({} folds)</td>",
                    c.scoring.label(),
                    c.mean,
                    c.std,
                    c.folds
                ),
                None => out.push_str("<td class=\"num\">—</td>"),
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

fn curves(out: &mut String, input: &ReportInput, run: &ModelRun) -> Result<(), ChartError> {
    let (runs, t) = (input.runs, input.threshold);
    section_start(out, "curves", "How well the model in use works");
    let m = ConfusionMatrix::at_threshold(&run.test_labels, &run.test_scores, t);
    put!(
        out,
        "<p id=\"operating-point\">{} at threshold <span data-value=\"threshold\">{t:.3}</span> \
         flags {} of the {} test customers, {} of whom churned: precision {}, recall {} \
         (of {} churners).</p>\n<div class=\"charts\">\n",
        run.label(),
        group_thousands(m.true_positive + m.false_positive),
        group_thousands(m.total()),
        group_thousands(m.true_positive),
        percent(m.precision()),
        percent(m.recall()),
        group_thousands(m.true_positive + m.false_negative)
    );
    let caption = "ROC curves: the further into the top left corner, the better the model tells \
                   churners from loyal customers.";
    figure(out, "roc", caption, CHART_SIZE, |a| {
        draw_roc_overlay(a, &roc_curves(runs), 1.0)
    })?;
    let caption = "Precision against recall: each point is a threshold; the dashed line is \
                   flagging at random.";
    figure(out, "pr", caption, CHART_SIZE, |a| {
        draw_lines(a, &pr_chart(runs), 1.0)
    })?;
    let caption = "Cumulative gains: the share of all churners reached by contacting the riskiest \
                   customers first.";
    figure(out, "gains", caption, CHART_SIZE, |a| {
        draw_lines(a, &gains_chart(runs), 1.0)
    })?;
    let caption =
        "Lift: how many times more churners the contacted customers hold than a random pick.";
    figure(out, "lift", caption, CHART_SIZE, |a| {
        draw_lines(a, &lift_chart(runs), 1.0)
    })?;
    let caption = "Calibration: groups of customers by predicted probability against how often \
                   they churned; on the diagonal is well calibrated.";
    let calibration = calibration_inputs(runs, run);
    figure(out, "calibration", caption, CHART_SIZE, |a| {
        calibration.draw(a, 1.0)
    })?;
    let caption = "Scores of the customers who stayed and who churned; the line is the threshold.";
    figure(out, "distribution", caption, CHART_SIZE, |a| {
        draw_distribution(a, run, t, 1.0)
    })?;
    let caption = "Precision, recall, F1 and the share flagged as the threshold moves.";
    figure(out, "sweep", caption, CHART_SIZE, |a| {
        draw_lines(a, &sweep_chart(run, t), 1.0)
    })?;
    out.push_str("</div>\n</section>\n");
    Ok(())
}

/// The id of the customer in `row`: the identifier column's value, else the row number.
fn customer_id(ds: &Dataset, row: usize) -> String {
    id_column(ds)
        .and_then(|name| ds.column(name))
        .and_then(|c| c.text(row))
        .unwrap_or_else(|| format!("row {}", row + 1))
}

/// Reasons as escaped `column = value (±x.xx)` items.
fn reason_list(reasons: &[Reason]) -> String {
    let items: Vec<String> = reasons
        .iter()
        .map(|r| format!("{} ({:+.2})", esc(&reason_text(r)), r.contribution))
        .collect();
    items.join("<br>")
}

fn explanation(out: &mut String, input: &ReportInput, run: &ModelRun) -> Result<(), ChartError> {
    section_start(out, "explanation", "Why customers are at risk");
    if let Some(chart) = coefficient_chart(run) {
        let caption = "Logistic regression coefficients: bars to the right raise the odds of \
                       churn, to the left lower them; the odds ratio says by how much.";
        figure(out, "coefficients", caption, COEFFICIENT_SIZE, |a| {
            draw_bars(a, &chart, 1.0)
        })?;
    }
    let Some(ex) = &run.explanation else {
        out.push_str(
            "<p class=\"note\">No explanations were computed for this model.</p>\n</section>\n",
        );
        return Ok(());
    };
    out.push_str("<div class=\"charts\">\n");
    let caption = format!(
        "Permutation importance: how much worse the model ranks the {} test customers when one \
         column is shuffled ({} shuffles each).",
        ex.rows_used, ex.repeats
    );
    figure(out, "importance", &caption, CHART_SIZE, |a| {
        draw_bars(a, &importance_chart(ex), 1.0)
    })?;
    for (i, pd) in ex.partial_dependence.iter().enumerate() {
        let caption = format!(
            "Partial dependence: the average churn probability if every customer had that value \
             of {}, the rest of their data unchanged.",
            pd.column
        );
        figure(out, &format!("pd-{i}"), &caption, CHART_SIZE, |a| {
            draw_lines(a, &pd_chart(pd), 1.0)
        })?;
    }
    out.push_str("</div>\n");
    let unit = match ex.reasons_unit {
        ContributionUnit::LogOdds => "the log-odds of churn",
        ContributionUnit::Probability => "the probability of churn",
    };
    let caption = format!(
        "The riskiest test customers and what drives their score ({} contributions; numbers are \
         changes in {unit})",
        if ex.exact_reasons {
            "exact"
        } else {
            "approximate"
        }
    );
    table_start(
        out,
        "risky-table",
        &caption,
        &[
            "Customer",
            "num:Churn probability",
            "Pushing risk up",
            "Pushing risk down",
        ],
    );
    for c in &ex.reasons {
        put!(
            out,
            "<tr><td>{}</td><td class=\"num\">{:.3}</td><td>{}</td><td>{}</td></tr>\n",
            esc(&customer_id(input.dataset, c.row)),
            c.probability,
            reason_list(&c.up),
            reason_list(&c.down)
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
    Ok(())
}

fn tiers(out: &mut String, input: &ReportInput) -> Result<(), ChartError> {
    let cuts = input.cuts;
    section_start(out, "tiers", "Risk tiers");
    put!(
        out,
        "<p id=\"tier-cuts\">High risk: churn probability of at least {:.3}. Medium: at least \
         {:.3}. Low: below {:.3}.</p>\n",
        cuts.high,
        cuts.medium,
        cuts.medium
    );
    table_start(
        out,
        "tiers-table",
        "Customers, actual churn on the test set and the most common reasons per tier",
        &[
            "Tier",
            "num:Customers",
            "num:Test customers",
            "num:Test churn rate",
            "Most common reasons",
        ],
    );
    for t in input.tiers {
        let drivers: Vec<String> = t
            .drivers
            .iter()
            .map(|(column, n)| format!("{} ({})", esc(column), group_thousands(*n)))
            .collect();
        put!(
            out,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td>{}</td></tr>\n",
            t.tier.label(),
            group_thousands(t.customers),
            group_thousands(t.test_customers),
            t.churn_rate().map_or("—".into(), percent),
            if drivers.is_empty() {
                "—".into()
            } else {
                drivers.join(", ")
            }
        );
    }
    out.push_str("</tbody>\n</table>\n<div class=\"charts\">\n");
    let caption = "The actual churn rate of each tier's test customers: a good model's high tier \
                   churns far more often than its low tier.";
    figure(out, "tiers", caption, (CHART_SIZE.0, 300), |a| {
        draw_bars(a, &tier_chart(input.tiers), 1.0)
    })?;
    out.push_str("</div>\n</section>\n");
    Ok(())
}

fn profit(out: &mut String, input: &ReportInput) -> Result<(), ChartError> {
    let (curve, inputs) = (input.profit, input.inputs);
    let best = curve.best();
    let tested = curve.points.last().map_or(0, |p| p.test_contacted);
    section_start(out, "profit", "Who to contact: the profit view");
    put!(
        out,
        "<dl class=\"key\" id=\"optimum\">\n\
         <dt>Customers to contact</dt><dd data-value=\"contacted\">{} of {}</dd>\n\
         <dt>Threshold</dt><dd data-value=\"threshold\">{}</dd>\n\
         <dt>Value retained</dt><dd data-value=\"retained\">{}</dd>\n\
         <dt>Cost of the contacts</dt><dd data-value=\"cost\">{}</dd>\n\
         <dt>Expected net gain</dt><dd data-value=\"net\">{}</dd>\n</dl>\n",
        amount(best.contacted),
        group_thousands(curve.population),
        best.threshold
            .map_or("none: contacting nobody is best".into(), |t| format!(
                "{t:.3} (contact everyone scored at or above it)"
            )),
        amount(best.retained),
        amount(best.cost),
        amount(best.net)
    );
    let value = match &inputs.value {
        CustomerValue::Fixed(v) => format!("each retained customer is worth {}", amount(*v)),
        CustomerValue::Column(name) => format!(
            "each retained customer is worth their value in the column <strong>{}</strong> \
             (blank cells take the column's median)",
            esc(name)
        ),
    };
    let capacity = match inputs.capacity {
        Some(n) => format!("at most {} customers can be contacted", group_thousands(n)),
        None => "there is no limit on how many customers can be contacted".into(),
    };
    put!(
        out,
        "<h3>Assumptions</h3>\n<ul id=\"assumptions\">\n<li>Value: {value}.</li>\n\
         <li>Cost: each contact costs {}.</li>\n\
         <li>Success rate: the intervention keeps {} of the contacted customers who would have \
         churned.</li>\n<li>Capacity: {capacity}.</li>\n\
         <li>Figures from the {} test customers, projected to the {} customers in the file.</li>\n\
         </ul>\n<div class=\"charts\">\n",
        format_cost(inputs.cost),
        percent(inputs.success_rate),
        group_thousands(tested),
        group_thousands(curve.population)
    );
    for (id, by_threshold) in [("profit", false), ("profit-threshold", true)] {
        let caption =
            "The expected net gain of contacting the riskiest customers first: value kept \
                       from would-be churners minus the cost of every contact.";
        figure(out, id, caption, CHART_SIZE, |a| {
            draw_lines(a, &profit_chart(curve, by_threshold), 1.0)
        })?;
    }
    out.push_str("</div>\n</section>\n");
    Ok(())
}

/// A cost as typed: whole amounts without decimals, others with two.
fn format_cost(c: f64) -> String {
    if c.fract() == 0.0 {
        amount(c)
    } else {
        format!("{c:.2}")
    }
}

pub(crate) fn playbook(out: &mut String, book: &Playbook) {
    section_start(out, "playbook", "The playbook");
    table_start(
        out,
        "playbook-table",
        "A customer's first reason matching a rule (in this order) decides the action",
        &["num:Rule", "When a reason's column contains", "Action"],
    );
    for (i, rule) in book.rules.iter().enumerate() {
        put!(
            out,
            "<tr><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>\n",
            i + 1,
            esc(&rule.columns),
            esc(&rule.action)
        );
    }
    put!(
        out,
        "</tbody>\n</table>\n<p id=\"fallback\">When no rule matches: {}</p>\n</section>\n",
        esc(&book.fallback)
    );
}

pub(crate) fn actions(out: &mut String, rows: &[ActionRow]) {
    section_start(out, "actions", "The action list");
    table_start(
        out,
        "actions-table",
        &format!("The {} riskiest customers", rows.len().min(ACTION_ROWS)),
        &[
            "Customer",
            "num:Churn probability",
            "Tier",
            "Reasons",
            "Suggested action",
            "num:Expected value of contacting",
        ],
    );
    for r in rows.iter().take(ACTION_ROWS) {
        let reasons: Vec<String> = r.reasons.iter().map(|x| esc(&reason_text(x))).collect();
        put!(
            out,
            "<tr><td>{}</td><td class=\"num\">{:.3}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td class=\"num\">{}</td></tr>\n",
            esc(&r.id),
            r.probability,
            r.tier.label(),
            reasons.join("<br>"),
            esc(&r.action),
            format!("{:.2}", r.expected_value).replace('-', "−")
        );
    }
    put!(
        out,
        "</tbody>\n</table>\n<p id=\"actions-total\"><span data-value=\"actions\">{}</span> \
         customers in total; download the full list from the app.</p>\n</section>\n",
        group_thousands(rows.len())
    );
}

/// The name of a file the merchant downloads: what it is, the data file it came from and
/// the day, so downloads from several exports and months do not overwrite each other:
/// `download_name("churn-action-list", "Customers May.csv", "2026-12-04", "xlsx")` is
/// `churn-action-list-Customers_May-2026-12-04.xlsx`. Characters a file system may refuse
/// become `_`; letters of any script stay.
pub fn download_name(what: &str, data_file: &str, date: &str, extension: &str) -> String {
    let stem = data_file.rsplit_once('.').map_or(data_file, |(s, _)| s);
    let safe: String = stem
        .chars()
        .take(80)
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let safe = if safe.is_empty() {
        "data".to_string()
    } else {
        safe
    };
    format!("{what}-{safe}-{date}.{extension}")
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use super::*;
    use crate::testing::HOSTILE;
    use churnscope_engine::acting::actions::{
        action_list, profit_curve, score_customers, summarise_tiers, PlaybookRule,
    };
    use churnscope_engine::evaluating::evaluation::{run_plan, TrainPlan};
    use churnscope_engine::modelling::pipeline::{ModelKind, TrainConfig};
    use churnscope_engine::reading::ingest::{read_csv, ReadOptions};
    use churnscope_engine::reading::sample::{generate_csv, SampleSpec};
    use churnscope_engine::understanding::target::target_for;

    /// Everything a report borrows, built from real training on a generated sample.
    struct Fixture {
        ds: Dataset,
        runs: Vec<Arc<ModelRun>>,
        chosen: usize,
        cuts: TierCuts,
        tiers: Vec<TierSummary>,
        inputs: ProfitInputs,
        profit: ProfitCurve,
        playbook: Playbook,
        actions: Vec<ActionRow>,
    }

    impl Fixture {
        /// Trains `models` (explained, with 3-fold cross-validation when `cv`) on `csv`,
        /// uses the `chosen` one to score every customer, and plans the campaign.
        fn new(
            csv: &str,
            models: &[ModelKind],
            chosen: usize,
            cv: bool,
            inputs: ProfitInputs,
            playbook: Playbook,
        ) -> Self {
            let ds = read_csv(csv.as_bytes(), &ReadOptions::default()).expect("sample reads");
            let target = target_for(&ds, "churned", Some("Yes")).expect("binary target");
            let mut config = TrainConfig::new(target);
            config.gbdt.n_trees = 30;
            let mut plan = TrainPlan::single(config);
            plan.models = models.to_vec();
            plan.explain = true;
            plan.cv_folds = cv.then_some(3);
            let mut runs = Vec::new();
            run_plan(&ds, &plan, |_, _| true, &|| 0.0, |r| runs.push(Arc::new(r)))
                .expect("the sample trains");
            let run = runs[chosen].clone();
            let cuts = TierCuts::from_scores(&run.test_scores);
            let rows: Vec<usize> = (0..ds.n_rows).collect();
            let scored =
                score_customers(&run.outcome.pipeline, &ds, &rows, |_, _| true).expect("scores");
            let tiers = summarise_tiers(&cuts, &run.test_scores, &run.test_labels, &scored);
            let values = inputs.values(&ds, &run.test_rows).expect("values");
            let profit = profit_curve(
                &run.test_scores,
                &run.test_labels,
                &values,
                &inputs,
                ds.n_rows,
            )
            .expect("profit curve");
            let actions =
                action_list(&ds, &scored, &cuts, &playbook, &inputs).expect("action list");
            Fixture {
                ds,
                runs,
                chosen,
                cuts,
                tiers,
                inputs,
                profit,
                playbook,
                actions,
            }
        }

        fn input<'a>(&'a self, file_name: &'a str, generated: &'a str) -> ReportInput<'a> {
            ReportInput {
                file_name,
                generated,
                dataset: &self.ds,
                target: "churned",
                runs: &self.runs,
                chosen: self.chosen,
                threshold: 0.35,
                cuts: self.cuts,
                tiers: &self.tiers,
                inputs: &self.inputs,
                profit: &self.profit,
                playbook: &self.playbook,
                actions: &self.actions,
            }
        }
    }

    /// The 600-customer sample (seed 1): logistic regression and boosted trees with
    /// cross-validation, the trees in use, the default assumptions with room for 100 contacts.
    fn sample() -> &'static Fixture {
        static FIXTURE: OnceLock<Fixture> = OnceLock::new();
        FIXTURE.get_or_init(|| {
            let csv = generate_csv(&SampleSpec {
                customers: 600,
                seed: 1,
            });
            let inputs = ProfitInputs {
                capacity: Some(100),
                ..ProfitInputs::default()
            };
            Fixture::new(
                &csv,
                &[ModelKind::Logistic, ModelKind::Gbdt],
                1,
                true,
                inputs,
                Playbook::ecommerce(),
            )
        })
    }

    fn sample_report() -> &'static str {
        static REPORT: OnceLock<String> = OnceLock::new();
        REPORT.get_or_init(|| {
            html_report(&sample().input("sample_customers.csv", "2025-03-01 10:00"))
                .expect("the report draws")
        })
    }

    const SECTIONS: [&str; 8] = [
        "summary",
        "comparison",
        "curves",
        "explanation",
        "tiers",
        "profit",
        "playbook",
        "actions",
    ];

    #[test]
    fn every_section_is_present_in_order() {
        let html = sample_report();
        assert!(html.starts_with("<!doctype html>"));
        assert!(html.contains("<meta charset=\"utf-8\">"));
        assert!(html
            .contains("content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\""));
        assert!(html.contains("<title>Churn report — sample_customers.csv</title>"));
        assert!(html.contains("@media print"));
        let at: Vec<usize> = SECTIONS
            .iter()
            .map(|s| {
                let tag = format!("<section id=\"{s}\" data-section=\"{s}\">");
                assert_eq!(html.matches(&tag).count(), 1, "{s}");
                html.find(&tag).expect("present")
            })
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{at:?}");
        assert!(html.trim_end().ends_with("</html>"));
        if let Ok(path) = std::env::var("CHURNSCOPE_REPORT") {
            std::fs::write(path, html).expect("write the report");
        }
    }

    /// Seven curves, importance and one partial dependence per explained column, the tier
    /// chart and two profit charts; no coefficient chart, as boosted trees are in use.
    #[test]
    fn every_chart_is_an_inline_svg() {
        let html = sample_report();
        let ex = sample().runs[1].explanation.as_ref().expect("explained");
        assert_eq!(ex.partial_dependence.len(), 3);
        let expected = 7 + 1 + ex.partial_dependence.len() + 1 + 2;
        assert_eq!(html.matches("<svg").count(), expected);
        assert_eq!(html.matches("</svg>").count(), expected);
        assert!(!html.contains("id=\"chart-coefficients\""));
        for id in [
            "roc",
            "pr",
            "gains",
            "lift",
            "calibration",
            "distribution",
            "sweep",
        ] {
            assert!(html.contains(&format!("id=\"chart-{id}\"")), "{id}");
        }
        eprintln!(
            "600-customer sample: {} SVGs, {} bytes",
            html.matches("<svg").count(),
            html.len()
        );
    }

    #[test]
    fn nothing_is_loaded_from_anywhere() {
        let html = sample_report().to_lowercase();
        for banned in [
            "src=",
            "href=",
            "url(",
            "@import",
            "<script",
            "<link",
            "<iframe",
            "<object",
            "<embed",
            "<img",
            "@font-face",
        ] {
            assert!(!html.contains(banned), "{banned}");
        }
    }

    #[test]
    fn the_numbers_shown_are_the_inputs() {
        let (f, html) = (sample(), sample_report());
        assert!(html.contains("<span data-value=\"rows\">600</span>"));
        assert!(html.contains(&format!(
            "<span data-value=\"columns\">{}</span>",
            f.ds.columns.len()
        )));
        // The comparison: both models, the trees marked as in use, with their test numbers.
        for (i, r) in f.runs.iter().enumerate() {
            let t = &r.outcome.test;
            let row = html
                .split("<tr")
                .find(|row| row.contains(&format!("<td>{}", r.label())))
                .expect("a row per model");
            assert_eq!(row.contains("(in use)"), i == 1, "{row}");
            for v in [t.roc_auc, t.pr_auc, t.log_loss, t.brier] {
                assert!(row.contains(&format!(">{v:.3}<")), "{v} in {row}");
            }
            let cv = r.cv.as_ref().expect("cross-validated");
            assert!(row.contains(&format!("{:.3} ± {:.3}", cv.mean, cv.std)));
        }
        // The optimum within the capacity of 100 contacts.
        let best = f.profit.best();
        assert!(best.contacted <= 100.0);
        assert!(html.contains(&format!("<dd data-value=\"net\">{}</dd>", amount(best.net))));
        assert!(html.contains(&format!(
            "<dd data-value=\"contacted\">{} of 600</dd>",
            amount(best.contacted)
        )));
        assert!(html.contains(&format!(
            "Figures from the {} test customers, projected to the 600 customers in the file.",
            f.runs[1].test_rows.len()
        )));
        assert!(html.contains("each retained customer is worth 200"));
        assert!(html.contains("each contact costs 10."));
        assert!(html.contains("keeps 30.0% of the contacted"));
        assert!(html.contains("at most 100 customers can be contacted"));
        // The tiers and their cut-offs.
        assert!(html.contains(&format!("at least {:.3}", f.cuts.high)));
        let tier_total: usize = f.tiers.iter().map(|t| t.customers).sum();
        assert_eq!(tier_total, 600);
        // The head of the action list and the count.
        let table = html
            .split("id=\"actions-table\"")
            .nth(1)
            .and_then(|t| t.split("</table>").next())
            .expect("action table");
        assert_eq!(
            table.matches("<tr>").count(),
            ACTION_ROWS + 1,
            "header and 25 rows"
        );
        let first = &f.actions[0];
        assert!(table.contains(&format!(
            "<tr><td>{}</td><td class=\"num\">{:.3}</td>",
            first.id, first.probability
        )));
        assert!(html.contains("<span data-value=\"actions\">600</span> customers in total"));
        // The playbook's fallback.
        assert!(html.contains(&format!(
            "<p id=\"fallback\">When no rule matches: {}</p>",
            f.playbook.fallback
        )));
    }

    /// A hostile file name, column name, category level, value column and playbook come
    /// out as text, in the tables and in the charts alike.
    #[test]
    fn user_text_is_escaped_everywhere() {
        let csv = generate_csv(&SampleSpec {
            customers: 400,
            seed: 2,
        })
        .replacen("complaints_last_90d", HOSTILE, 1)
        .replace(",Mobile,", &format!(",{HOSTILE},"));
        let playbook = Playbook {
            rules: vec![PlaybookRule::new(HOSTILE, HOSTILE)],
            fallback: HOSTILE.into(),
        };
        let inputs = ProfitInputs {
            value: CustomerValue::Column(HOSTILE.into()),
            ..ProfitInputs::default()
        };
        let f = Fixture::new(&csv, &[ModelKind::Logistic], 0, false, inputs, playbook);
        let html = html_report(&f.input(HOSTILE, "<b>now</b>")).expect("the report draws");
        let escaped = "&lt;img src=x onerror=alert(1)&gt;";
        assert!(!html.contains("<img"), "raw markup in the report");
        assert!(!html.contains("<b>"));
        assert!(html.contains(&format!("<title>Churn report — {escaped}</title>")));
        // The columns table, the value column, the playbook and the fallback.
        assert!(html.contains(&format!("<tr><td>{escaped}</td><td>numeric</td>")));
        assert!(html.contains(&format!("column <strong>{escaped}</strong>")));
        assert!(html.contains(&format!("<td>{escaped}</td><td>{escaped}</td></tr>")));
        assert!(html.contains(&format!("When no rule matches: {escaped}</p>")));
        // The action list names the hostile column among reasons and its action.
        let actions = html.split("id=\"actions-table\"").nth(1).expect("actions");
        assert!(actions.contains(&format!("{escaped} = ")));
        // Every chart, the logistic regression's coefficients among them, whose labels name
        // the column escaped by plotters.
        assert_eq!(
            html.matches("<svg").count(),
            7 + 1
                + 1
                + f.runs[0]
                    .explanation
                    .as_ref()
                    .map_or(0, |e| e.partial_dependence.len())
                + 1
                + 2
        );
        let coefficients = html
            .split("id=\"chart-coefficients\"")
            .nth(1)
            .and_then(|s| s.split("</figure>").next())
            .expect("coefficient chart");
        // Bar labels are cut at 28 characters, the closing `>` with them.
        assert!(coefficients.contains("&lt;img src=x onerror=alert(1)…"));
    }

    #[test]
    fn no_model_is_an_error() {
        let f = sample();
        let input = ReportInput {
            runs: &[],
            ..f.input("x.csv", "now")
        };
        assert!(html_report(&input).is_err());
        // A chosen index past the end reports the last model.
        let input = ReportInput {
            chosen: 9,
            ..f.input("x.csv", "now")
        };
        let html = html_report(&input).expect("draws");
        assert!(html.contains("Gradient-boosted trees (in use)"));
    }

    #[test]
    fn amounts_are_rounded_grouped_and_signed() {
        assert_eq!(amount(1234.5), "1,235");
        assert_eq!(amount(-98765.4), "−98,765");
        assert_eq!(amount(-0.2), "0");
        assert_eq!(amount(f64::NAN), "—");
        assert_eq!(
            esc("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
    }

    #[test]
    fn download_names_carry_the_data_file_and_the_day() {
        assert_eq!(
            download_name(
                "churn-action-list",
                "Customers May.csv",
                "2026-12-04",
                "xlsx"
            ),
            "churn-action-list-Customers_May-2026-12-04.xlsx"
        );
        // Chinese letters stay; dots and slashes become `_`.
        assert_eq!(
            download_name("churn-report", "../客户/流失.xlsx", "2026-01-31", "html"),
            "churn-report-___客户_流失-2026-01-31.html"
        );
        assert_eq!(
            download_name("churn-action-list", ".csv", "2026-01-31", "csv"),
            "churn-action-list-data-2026-01-31.csv"
        );
    }
}
