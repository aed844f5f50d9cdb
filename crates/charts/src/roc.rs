//! The ROC curve: true positive rate against false positive rate, with the chance diagonal
//! and the area under the curve in the legend.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::lines::{draw_lines, LegendAt, LineChart, Series};
use super::ChartError;
use churnscope_engine::evaluating::metrics::RocCurve;

/// Draws `roc` with its `auc` on `area`. `scale` multiplies text sizes and line widths, for
/// crisp drawing on high-DPI canvases (pass `window.devicePixelRatio`; 1.0 for SVG).
pub fn draw_roc<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    roc: &RocCurve,
    auc: f64,
    scale: f64,
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    let chart = roc_chart(
        "ROC curve on the test set",
        vec![roc_series(format!("model (AUC = {auc:.3})"), roc)],
    );
    draw_lines(area, &chart, scale)
}

/// Draws several models' ROC curves over one another, each named `name (AUC = …)`, in palette
/// order, with the chance diagonal.
pub fn draw_roc_overlay<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    curves: &[(String, &RocCurve, f64)],
    scale: f64,
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    let series = curves
        .iter()
        .map(|(name, roc, auc)| roc_series(format!("{name} (AUC = {auc:.3})"), roc))
        .collect();
    draw_lines(
        area,
        &roc_chart("ROC curves on the test set", series),
        scale,
    )
}

fn roc_series(name: String, roc: &RocCurve) -> Series {
    Series::solid(
        name,
        roc.fpr
            .iter()
            .copied()
            .zip(roc.tpr.iter().copied())
            .collect(),
    )
}

fn roc_chart(title: &str, series: Vec<Series>) -> LineChart {
    LineChart {
        title: title.to_string(),
        x_desc: "False positive rate (share of loyal customers flagged)".to_string(),
        y_desc: "True positive rate (share of churners caught)".to_string(),
        x_range: (0.0, 1.0),
        y_range: (0.0, 1.0),
        series,
        diagonal: Some("chance (AUC = 0.5)".to_string()),
        vline: None,
        legend: LegendAt::LowerRight,
        percent_axes: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lines::MAX_POINTS;
    use churnscope_engine::evaluating::metrics::roc_curve;

    #[test]
    fn renders_curve_diagonal_axes_and_legend_to_svg() {
        // The curve of metrics.rs's sklearn example (AUC 0.88).
        let y = [0, 0, 1, 1, 0, 1, 0, 1, 1, 0];
        let p = [0.1, 0.4, 0.35, 0.8, 0.4, 0.9, 0.2, 0.4, 0.65, 0.05];
        let curve = roc_curve(&y, &p).expect("curve");
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (480, 400)).into_drawing_area();
            draw_roc(&root, &curve, 0.88, 1.0).expect("draws");
        }
        assert!(svg.contains("ROC curve on the test set"));
        assert!(svg.contains("model (AUC = 0.880)"));
        assert!(svg.contains("chance (AUC = 0.5)"));
        assert!(svg.contains("False positive rate"));
        assert!(svg.contains("True positive rate"));
        // Two polylines for the series (curve and diagonal) plus the two legend samples.
        assert!(svg.matches("<polyline").count() >= 2, "{svg}");
        // The curve's polyline carries its 9 points in the model colour rgb(0,114,178).
        let curve_line = svg
            .split("<polyline")
            .find(|s| s.contains("#0072B2"))
            .expect("a polyline in the model colour");
        let points = curve_line.split("points=\"").nth(1).expect("points");
        let n_points = points
            .split('"')
            .next()
            .expect("attr")
            .split_whitespace()
            .count();
        assert_eq!(n_points, curve.fpr.len());
    }

    #[test]
    fn thins_very_long_curves() {
        let n = 10_000;
        let y: Vec<u8> = (0..n).map(|i| u8::from(i % 3 == 0)).collect();
        let p: Vec<f64> = (0..n).map(|i| ((i * 7919) % n) as f64 / n as f64).collect();
        let curve = roc_curve(&y, &p).expect("curve");
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (300, 300)).into_drawing_area();
            draw_roc(&root, &curve, 0.5, 1.0).expect("draws");
        }
        let curve_line = svg
            .split("<polyline")
            .find(|s| s.contains("#0072B2"))
            .expect("model polyline");
        let n_points = curve_line
            .split("points=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .map_or(0, |s| s.split_whitespace().count());
        assert!(n_points <= MAX_POINTS + 1 && n_points > 1000, "{n_points}");
    }

    #[test]
    fn overlays_models_in_palette_order() {
        // Same sklearn example as above; the second "model" is its mirror image.
        let y = [0, 0, 1, 1, 0, 1, 0, 1, 1, 0];
        let p = [0.1, 0.4, 0.35, 0.8, 0.4, 0.9, 0.2, 0.4, 0.65, 0.05];
        let q: Vec<f64> = p.iter().map(|v| 1.0 - v).collect();
        let a = roc_curve(&y, &p).expect("curve");
        let b = roc_curve(&y, &q).expect("curve");
        let svg = crate::testing::render((480, 400), |area| {
            draw_roc_overlay(
                area,
                &[
                    ("logistic".into(), &a, 0.88),
                    ("<img src=x onerror=alert(1)>".into(), &b, 0.12),
                ],
                1.0,
            )
        });
        assert!(svg.contains("ROC curves on the test set"));
        assert!(svg.contains("logistic (AUC = 0.880)"));
        assert!(svg.contains("onerror=alert(1)&gt; (AUC = 0.120)"));
        assert!(svg.contains("chance (AUC = 0.5)"));
        use crate::testing::polyline_points;
        assert_eq!(polyline_points(&svg, "#0072B2"), vec![a.fpr.len(), 2]);
        assert_eq!(polyline_points(&svg, "#D55E00"), vec![b.fpr.len(), 2]);
        crate::testing::assert_escaped(&svg);
    }
}
