//! The report of a new export scored by a saved model: one self-contained HTML file with the
//! model it used, how the columns were matched, the drift table (with the drifted columns'
//! distributions drawn), the model's estimated or realised performance, the tiers, the
//! playbook and the head of the action list. Like [`crate::report`], it loads nothing and
//! escapes every text that comes from a file.

use churnscope_engine::acting::actions::{ActionRow, Tier};
use churnscope_engine::dataset::group_thousands;
use churnscope_engine::monitoring::drift::FeatureDrift;
use churnscope_engine::monitoring::model_file::ModelFile;
use churnscope_engine::monitoring::report::{DriftReport, HOW_TO_READ};
use churnscope_engine::monitoring::scoring::ColumnMatch;

use crate::drift::{draw_drift_bins, drift_chart_height};
use crate::report::{
    actions, document_head, esc, figure, percent, playbook, section_start, table_start,
};
use crate::ChartError;

/// Drifted columns drawn in the report, most severe first.
pub const DRAWN_COLUMNS: usize = 8;

/// What the scoring report shows.
#[derive(Debug, Clone, Copy)]
pub struct ScoringReportInput<'a> {
    /// The new export's name.
    pub file_name: &'a str,
    pub generated: &'a str,
    pub model: &'a ModelFile,
    /// The model's name as the merchant saved it.
    pub model_name: &'a str,
    pub columns: &'a ColumnMatch,
    pub drift: &'a DriftReport,
    /// Every customer, riskiest first.
    pub actions: &'a [ActionRow],
}

/// The report as one HTML document; an error when a chart fails to draw.
pub fn scoring_report(input: &ScoringReportInput) -> Result<String, ChartError> {
    let title = format!("Churn scores — {}", esc(input.file_name));
    let mut out = document_head(&title);
    let m = input.model;
    out.push_str(&format!(
        "<header id=\"report-header\">\n<h1>{title}</h1>\n<p class=\"meta\">Generated {} by \
         churnscope with the saved model <strong>{}</strong>, trained on {} ({} customers) on {}; \
         ROC AUC {:.3} on its test customers.</p>\n</header>\n<main>\n",
        esc(input.generated),
        esc(input.model_name),
        esc(&m.dataset.name),
        group_thousands(m.dataset.rows),
        esc(&m.dataset.trained_on),
        m.metrics.roc_auc
    ));
    columns(&mut out, input.columns);
    drift(&mut out, input.drift)?;
    performance(&mut out, input.drift);
    tiers(&mut out, input.actions);
    playbook(&mut out, &m.playbook);
    actions(&mut out, input.actions);
    out.push_str("</main>\n</body>\n</html>\n");
    Ok(out)
}

fn columns(out: &mut String, c: &ColumnMatch) {
    section_start(out, "columns", "Columns");
    let mut items = Vec::new();
    for (from, to) in &c.renamed {
        items.push(format!("“{}” read as the model's “{}”", esc(from), esc(to)));
    }
    if !c.ignored.is_empty() {
        let names: Vec<String> = c.ignored.iter().map(|n| esc(n)).collect();
        items.push(format!(
            "ignored (not used by the model): {}",
            names.join(", ")
        ));
    }
    for u in &c.unseen {
        items.push(format!(
            "“{}”: {} cells with categories the model never saw (scored as an unknown level)",
            esc(&u.column),
            group_thousands(u.cells)
        ));
    }
    if items.is_empty() {
        out.push_str("<p>Every column matched the model's by name.</p>\n");
    } else {
        out.push_str("<ul id=\"column-notes\">\n");
        for i in items {
            out.push_str(&format!("<li>{i}</li>\n"));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");
}

fn drift_row(out: &mut String, f: &FeatureDrift) {
    out.push_str(&format!(
        "<tr data-light=\"{}\"><td>{}</td><td>{}</td><td class=\"num\">{:.4}</td><td>{}</td>\
         <td class=\"num\">{:.4}</td><td class=\"num\">{}</td><td>{}</td>\
         <td class=\"num\">{} → {}</td></tr>\n",
        f.light().label(),
        f.light().label(),
        esc(&f.column),
        f.psi,
        f.test.label(),
        f.statistic,
        f.p_value.map_or("—".into(), |p| format!("{p:.4}")),
        if f.drifted { "drifted" } else { "no" },
        percent(f.missing_share_reference),
        percent(f.missing_share_current)
    ));
}

fn drift(out: &mut String, d: &DriftReport) -> Result<(), ChartError> {
    section_start(out, "drift", "Drift since training");
    out.push_str(&format!("<p id=\"drift-verdict\">{}</p>\n", d.verdict()));
    table_start(
        out,
        "drift-table",
        "Columns, most severe first",
        &[
            "Light",
            "Column",
            "num:PSI",
            "Test",
            "num:Statistic",
            "num:p-value",
            "Drifted",
            "num:Missing then → now",
        ],
    );
    for f in &d.features {
        drift_row(out, f);
    }
    drift_row(out, &d.scores);
    out.push_str("</tbody>\n</table>\n");
    out.push_str(&format!("<p class=\"note\">{}</p>\n", esc(HOW_TO_READ)));
    out.push_str("<div class=\"charts\">\n");
    let drawn = d.features.iter().filter(|f| f.drifted || f.psi >= 0.1);
    for f in drawn.take(DRAWN_COLUMNS) {
        let caption = format!(
            "{}: the share of values in each bin at training (blue) and now (orange)",
            f.column
        );
        let size = (560, drift_chart_height(f.bins.len()));
        figure(out, &format!("drift-{}", f.column), &caption, size, |a| {
            draw_drift_bins(a, &f.column, &f.bins, 1.0)
        })?;
    }
    out.push_str("</div>\n</section>\n");
    Ok(())
}

fn performance(out: &mut String, d: &DriftReport) {
    section_start(out, "performance", "How well the model still works");
    out.push_str(&format!(
        "<p id=\"estimated-auc\">Estimated ROC AUC now: <strong>{:.3}</strong> (an estimate from \
         the model's own probabilities, without outcomes); at training {:.3}.</p>\n",
        d.estimated_roc_auc, d.training_roc_auc
    ));
    if let Some(r) = &d.realised {
        out.push_str(&format!(
            "<p id=\"realised-auc\">Realised on {} customers with a known outcome: ROC AUC \
             <strong>{:.3}</strong> (95% interval {:.3} to {:.3}; training {:.3}), PR AUC {:.3} \
             (training {:.3}), Brier score {:.3} (training {:.3}).</p>\n",
            group_thousands(r.n),
            r.roc_auc,
            r.roc_auc_low,
            r.roc_auc_high,
            d.training_roc_auc,
            r.pr_auc,
            r.training_pr_auc,
            r.brier,
            r.training_brier
        ));
        if r.decayed {
            out.push_str(
                "<p id=\"decay\"><strong>The model has decayed:</strong> the realised ROC AUC's \
                 95% interval lies wholly below its training value. Retrain it on recent \
                 data.</p>\n",
            );
        }
    }
    out.push_str("</section>\n");
}

fn tiers(out: &mut String, rows: &[ActionRow]) {
    section_start(out, "tiers", "Risk tiers");
    table_start(
        out,
        "tiers-table",
        "Customers per tier (the saved model's cut-offs)",
        &["Tier", "num:Customers", "num:Share"],
    );
    for tier in [Tier::High, Tier::Medium, Tier::Low] {
        let n = rows.iter().filter(|r| r.tier == tier).count();
        let share = if rows.is_empty() {
            0.0
        } else {
            n as f64 / rows.len() as f64
        };
        out.push_str(&format!(
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
            tier.label(),
            group_thousands(n),
            percent(share)
        ));
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use churnscope_engine::acting::actions::{
        action_list, score_customers, Playbook, ProfitInputs,
    };
    use churnscope_engine::modelling::pipeline::TrainConfig;
    use churnscope_engine::monitoring::report::drift_report;
    use churnscope_engine::monitoring::scoring::match_columns;
    use churnscope_engine::reading::ingest::{read_csv, ReadOptions};
    use churnscope_engine::reading::sample::{generate_csv, SampleSpec};
    use churnscope_engine::understanding::target::detect_target;

    #[test]
    fn the_report_shows_model_columns_drift_and_actions_and_loads_nothing() {
        // Trained on the generator's seed 7; the new export is its seed 9 with a renamed
        // column and a hostile file name.
        let read = |csv: &str| read_csv(csv.as_bytes(), &ReadOptions::default()).expect("reads");
        let train = read(&generate_csv(&SampleSpec {
            customers: 800,
            seed: 7,
        }));
        let config = TrainConfig::new(detect_target(&train).expect("ok").expect("target"));
        let model = ModelFile::train(
            &train,
            "shop.csv",
            "2026-12-05",
            &config,
            None,
            ProfitInputs::default(),
            Playbook::ecommerce(),
        )
        .expect("trains");
        let csv = generate_csv(&SampleSpec {
            customers: 300,
            seed: 9,
        })
        .replacen("customer_id", "Customer Id", 1);
        let mut ds = read(&csv);
        let columns = match_columns(&model, &mut ds).expect("matches");
        let rows: Vec<usize> = (0..ds.n_rows).collect();
        let scored = score_customers(&model.pipeline, &ds, &rows, |_, _| true).expect("scores");
        let list = action_list(&ds, &scored, &model.tiers, &model.playbook, &model.profit)
            .expect("actions");
        let drift = drift_report(&model, &ds).expect("drift");
        let html = scoring_report(&ScoringReportInput {
            file_name: "<b>june</b>.csv",
            generated: "2026-12-05",
            model: &model,
            model_name: "My model",
            columns: &columns,
            drift: &drift,
            actions: &list,
        })
        .expect("writes");
        assert!(html.contains("&lt;b&gt;june&lt;/b&gt;.csv") && !html.contains("<b>june"));
        assert!(html.contains("“Customer Id” read as the model's “customer_id”"));
        for id in [
            "columns",
            "drift",
            "performance",
            "tiers",
            "playbook",
            "actions",
        ] {
            assert!(html.contains(&format!("data-section=\"{id}\"")), "{id}");
        }
        // One table row per feature plus the scores' row.
        let rows = html.matches("<tr data-light=").count();
        assert_eq!(rows, drift.features.len() + 1);
        assert!(html.contains(&format!("{:.3}", drift.estimated_roc_auc)));
        assert!(html.contains(&format!(
            "<span data-value=\"actions\">{}</span>",
            list.len()
        )));
        for banned in ["<script", "src=\"http", "href=\"http", "@import", "url("] {
            assert!(!html.contains(banned), "{banned}");
        }
    }
}
