//! The ROC curve: true positive rate against false positive rate, with the chance diagonal
//! and the area under the curve in the legend.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{ChartError, BLUE, GREY};
use crate::engine::metrics::RocCurve;

/// Most points drawn; longer curves are thinned evenly (the first and last points are kept),
/// which is invisible at chart resolution and keeps drawing fast for large test sets.
const MAX_POINTS: usize = 2000;

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
    let px = |v: f64| (v * scale).round() as u32;
    let font = |size: f64| ("sans-serif", size * scale);
    area.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(area)
        .caption("ROC curve on the test set", font(17.0))
        .margin(px(12.0))
        .x_label_area_size(px(42.0))
        .y_label_area_size(px(52.0))
        .build_cartesian_2d(0f64..1f64, 0f64..1f64)?;
    chart
        .configure_mesh()
        .x_desc("False positive rate (share of loyal customers flagged)")
        .y_desc("True positive rate (share of churners caught)")
        .label_style(font(12.0))
        .axis_desc_style(font(12.0))
        .x_labels(6)
        .y_labels(6)
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.08))
        .draw()?;

    let step = roc.fpr.len().div_ceil(MAX_POINTS).max(1);
    let last = roc.fpr.len().saturating_sub(1);
    let points = roc
        .fpr
        .iter()
        .zip(&roc.tpr)
        .enumerate()
        .filter(|(i, _)| i % step == 0 || *i == last)
        .map(|(_, (&x, &y))| (x, y));
    let model_style = ShapeStyle::from(BLUE).stroke_width(px(2.0).max(1));
    chart
        .draw_series(LineSeries::new(points, model_style))?
        .label(format!("model (AUC = {auc:.3})"))
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], model_style));
    let chance_style = ShapeStyle::from(GREY).stroke_width(px(1.0).max(1));
    chart
        .draw_series(LineSeries::new(vec![(0.0, 0.0), (1.0, 1.0)], chance_style))?
        .label("chance (AUC = 0.5)")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], chance_style));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .margin(px(10.0))
        .label_font(font(12.0))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.3))
        .draw()?;
    area.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::metrics::roc_curve;

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
}
