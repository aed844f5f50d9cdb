//! churnscope's figures and report: charts drawn with plotters on any `DrawingBackend`, and
//! [`report`], a whole analysis as one self-contained HTML document (its charts as SVG).
//!
//! Each function takes a drawing area and data from the engine and returns `Result`; only the
//! UI creates a canvas backend, while tests and the HTML report render the very same
//! function to SVG. [`figures`] holds the app's chart definitions, shared by the page and the
//! report. Colours come from the Okabe-Ito palette, which stays distinguishable for
//! the common forms of colour blindness.

pub mod bars;
pub mod drift;
pub mod figures;
pub mod histogram;
pub mod lines;
pub mod report;
pub mod roc;
pub mod scoring_report;
#[cfg(test)]
pub(crate) mod testing;

use plotters::style::RGBColor;

pub use bars::{draw_bars, Bar, BarChart};
pub use histogram::{draw_calibration, draw_score_distribution, CalibrationSeries};
pub use lines::{draw_lines, LegendAt, LineChart, Series};
pub use roc::{draw_roc, draw_roc_overlay};

/// Okabe-Ito blue: the primary series.
pub const BLUE: RGBColor = RGBColor(0, 114, 178);
/// Okabe-Ito vermillion: a contrasting series.
pub const VERMILLION: RGBColor = RGBColor(213, 94, 0);
/// Neutral grey for reference lines.
pub const GREY: RGBColor = RGBColor(136, 136, 136);
/// Dark ink for markers drawn over the data (threshold lines, error-bar whiskers).
pub const INK: RGBColor = RGBColor(51, 51, 51);

/// The Okabe-Ito palette (Okabe & Ito, "Color Universal Design", 2008) in drawing order:
/// blue, vermillion, bluish green, reddish purple, orange, sky blue, black. Series `i` uses
/// `PALETTE[i % 7]`. Okabe-Ito's yellow is left out: it is nearly invisible as a thin line on white.
pub const PALETTE: [RGBColor; 7] = [
    BLUE,
    VERMILLION,
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
];

/// A chart could not be drawn; the backend's message.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("could not draw the chart: {0}")]
pub struct ChartError(pub String);

impl<E: std::error::Error + Send + Sync> From<plotters::drawing::DrawingAreaErrorKind<E>>
    for ChartError
{
    fn from(e: plotters::drawing::DrawingAreaErrorKind<E>) -> Self {
        ChartError(e.to_string())
    }
}

/// Pixels for a length given at scale 1, at least one.
fn px(scale: f64, v: f64) -> u32 {
    ((v * scale).round() as u32).max(1)
}

/// The charts' font at `size` points for scale 1.
fn font(scale: f64, size: f64) -> (&'static str, f64) {
    ("sans-serif", size * scale)
}

/// A drawable axis range: non-finite ends fall back to `[0, 1]`, reversed ends are swapped and
/// an empty range is widened around its value, so plotters never divides by zero.
fn fix_range((a, b): (f64, f64)) -> (f64, f64) {
    if !a.is_finite() || !b.is_finite() {
        return (0.0, 1.0);
    }
    let (a, b) = if a <= b { (a, b) } else { (b, a) };
    if a < b {
        (a, b)
    } else if a == 0.0 {
        (0.0, 1.0)
    } else {
        let d = a.abs() * 0.1;
        (a - d, a + d)
    }
}

/// Tick label as a percentage of 1, without a negative zero.
/// A tick label for a large number: `4000`, `25k`, `-1.2M` (whole units below 10,000).
fn large(v: &f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

fn percent(v: &f64) -> String {
    let p = v * 100.0;
    if p.abs() < 0.5 {
        "0%".to_string()
    } else {
        format!("{p:.0}%")
    }
}

#[cfg(test)]
mod tests {
    use super::testing::render;
    use super::*;
    use churnscope_engine::evaluating::metrics::roc_curve;

    #[test]
    fn large_tick_labels_are_compact() {
        let labels: Vec<String> = [0.0, 4000.0, -2500.0, 25_000.0, 100_000.0, 1_250_000.0]
            .iter()
            .map(large)
            .collect();
        assert_eq!(labels, ["0", "4000", "-2500", "25k", "100k", "1.2M"]);
    }

    /// Every chart at scale 2 (a high-DPI canvas), on an area twice the usual size.
    fn every_chart_at(scale: f64) -> Vec<String> {
        let y = [0, 0, 1, 1, 0, 1, 0, 1, 1, 0];
        let p = [0.1, 0.4, 0.35, 0.8, 0.4, 0.9, 0.2, 0.4, 0.65, 0.05];
        let roc = roc_curve(&y, &p).expect("curve");
        let size = ((480.0 * scale) as u32, (400.0 * scale) as u32);
        let lines = LineChart {
            title: "Precision and recall".into(),
            x_desc: "Recall".into(),
            y_desc: "Precision".into(),
            x_range: (0.0, 1.0),
            y_range: (0.0, 1.05),
            series: vec![
                Series::solid("logistic", vec![(0.0, 1.0), (0.5, 0.7), (1.0, 0.5)]),
                Series::dashed("churn rate", vec![(0.0, 0.5), (1.0, 0.5)]),
            ],
            diagonal: None,
            vline: Some((0.5, "threshold 0.50".into())),
            legend: LegendAt::LowerLeft,
            percent_axes: true,
        };
        let bars = BarChart {
            title: "Coefficients".into(),
            value_desc: "log-odds".into(),
            bars: vec![
                Bar {
                    label: "tenure".into(),
                    value: -1.0,
                    spread: Some(0.2),
                },
                Bar {
                    label: "MonthlyCharges".into(),
                    value: 0.5,
                    spread: None,
                },
            ],
            signed_legend: true,
        };
        let calibration = [CalibrationSeries {
            name: "logistic".into(),
            prob_pred: vec![0.1, 0.5, 0.9],
            prob_true: vec![0.15, 0.45, 0.8],
        }];
        let edges = [0.0, 0.25, 0.5, 0.75, 1.0];
        vec![
            render(size, |a| draw_roc(a, &roc, 0.88, scale)),
            render(size, |a| {
                draw_roc_overlay(a, &[("m".into(), &roc, 0.88)], scale)
            }),
            render(size, |a| draw_lines(a, &lines, scale)),
            render(size, |a| draw_bars(a, &bars, scale)),
            render(size, |a| {
                draw_score_distribution(
                    a,
                    &edges,
                    &[40, 30, 20, 10],
                    &[1, 2, 3, 4],
                    Some(0.5),
                    scale,
                )
            }),
            render(size, |a| {
                draw_calibration(a, &calibration, "model", &edges, &[4, 3, 2, 1], scale)
            }),
        ]
    }

    #[test]
    fn every_chart_draws_at_scale_two() {
        let charts = every_chart_at(2.0);
        // Text sizes double: the titles are set at 17 × 2 points, which the SVG backend writes
        // as 34 / 1.24 = 27.419….
        for svg in &charts {
            assert!(svg.contains("font-size=\"27.419"), "{svg}");
        }
        // Line widths double: the ROC curve is 2 × 2 pixels wide.
        assert!(charts[0].contains("stroke-width=\"4\""));
        if let Ok(dir) = std::env::var("CHURNSCOPE_CHART_DIR") {
            for (i, svg) in charts.iter().chain(&every_chart_at(1.0)).enumerate() {
                std::fs::write(format!("{dir}/chart{i}.svg"), svg).expect("write");
            }
        }
    }
}
