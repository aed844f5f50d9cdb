//! Histograms of scores: the score distribution of each class, and the reliability diagram
//! with the histogram of scores below it.
//!
//! The score distribution shows each class as the share of that class per bin (counts divided
//! by the class total), so a 5% churn class is as visible as the 95% that stayed. The
//! reliability diagram plots the observed churn rate against the mean predicted probability
//! per bin (Niculescu-Mizil & Caruana, "Predicting good probabilities with supervised
//! learning", ICML 2005); a calibrated model lies on the diagonal.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::lines::{draw_legend, draw_lines_with, draw_vline, LegendAt, LineChart, Series};
use super::{fix_range, font, percent, px, ChartError, BLUE, PALETTE, VERMILLION};

/// One model's reliability curve: `prob_pred[i]` is the mean score of bin `i`, `prob_true[i]`
/// the share of churners in it (scikit-learn's `calibration_curve` order).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CalibrationSeries {
    pub name: String,
    pub prob_pred: Vec<f64>,
    pub prob_true: Vec<f64>,
}

/// Score distribution by class: two overlaid semi-transparent step histograms (stayed in blue,
/// churned in vermillion) over the bins `edges[i]..edges[i + 1]`, with the optional threshold as
/// a dashed vertical line. The height of a bin is the share of its class that falls in it.
/// Bins with a non-finite edge are skipped; missing counts count as zero.
pub fn draw_score_distribution<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    edges: &[f64],
    stayed: &[usize],
    churned: &[usize],
    threshold: Option<f64>,
    scale: f64,
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    let px = |v: f64| px(scale, v);
    let font = |size: f64| font(scale, size);
    let bins = bins(edges);
    let classes = [("stayed", stayed, BLUE), ("churned", churned, VERMILLION)].map(
        |(name, counts, colour)| {
            let (total, shares) = class_shares(&bins, counts);
            (format!("{name} (n = {total})"), shares, colour)
        },
    );
    let top = classes
        .iter()
        .flat_map(|(_, shares, _)| shares.iter().copied())
        .fold(0.0f64, f64::max);
    let (x0, x1) = x_range(&bins);
    let (y0, y1) = fix_range((0.0, top * 1.15));

    area.fill(&WHITE)?;
    let mut ctx = ChartBuilder::on(area)
        .caption("Scores by outcome on the test set", font(17.0))
        .margin(px(12.0))
        .x_label_area_size(px(42.0))
        .y_label_area_size(px(56.0))
        .build_cartesian_2d(x0..x1, y0..y1)?;
    ctx.configure_mesh()
        .x_desc("Predicted churn probability")
        .y_desc("Share of the class's customers")
        .label_style(font(12.0))
        .axis_desc_style(font(12.0))
        .x_labels(6)
        .y_labels(6)
        .y_label_formatter(&percent)
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.08))
        .draw()?;

    let (w, h) = (px(14.0) as i32, px(5.0) as i32);
    for (name, shares, colour) in &classes {
        let colour = *colour;
        let outline = step_outline(&bins, shares);
        let fill =
            (!outline.is_empty()).then(|| Polygon::new(outline.clone(), colour.mix(0.25).filled()));
        ctx.draw_series(fill)?;
        let line = ShapeStyle::from(colour).stroke_width(px(2.0));
        let stroke = (!outline.is_empty()).then(|| PathElement::new(outline, line));
        ctx.draw_series(stroke)?.label(name).legend(move |(x, y)| {
            EmptyElement::at((x, y))
                + Rectangle::new([(0, -h), (w, h)], colour.mix(0.25).filled())
                + Rectangle::new([(0, -h), (w, h)], line)
        });
    }
    if let Some(t) = threshold {
        draw_vline(&mut ctx, t, &format!("threshold {t:.2}"), scale)?;
    }
    draw_legend(&mut ctx, SeriesLabelPosition::UpperMiddle, scale)?;
    area.present()?;
    Ok(())
}

/// A class's customers in `bins` (missing counts as zero) and the share of them in each bin.
fn class_shares(bins: &[(usize, f64, f64)], counts: &[usize]) -> (usize, Vec<f64>) {
    let counts: Vec<usize> = bins
        .iter()
        .map(|&(i, _, _)| counts.get(i).copied().unwrap_or(0))
        .collect();
    let total: usize = counts.iter().sum();
    let shares = counts
        .iter()
        .map(|&c| {
            if total == 0 {
                0.0
            } else {
                c as f64 / total as f64
            }
        })
        .collect();
    (total, shares)
}

/// Reliability diagram: the upper 70% of `area` holds each model's `(prob_pred, prob_true)`
/// polyline with a dot per bin and the perfect-calibration diagonal; the lower 30% the
/// histogram of all scores (`hist_counts[i]` in `hist_edges[i]..hist_edges[i + 1]`) of the
/// model named `hist_of` (the model in use), on the same probability axis.
pub fn draw_calibration<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    series: &[CalibrationSeries],
    hist_of: &str,
    hist_edges: &[f64],
    hist_counts: &[usize],
    scale: f64,
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    area.fill(&WHITE)?;
    let (_, height) = area.dim_in_pixel();
    let (upper, lower) = area.split_vertically((f64::from(height) * 0.7).round() as u32);
    draw_lines_with(&upper, &reliability_chart(series), scale, true)?;
    draw_score_histogram(&lower, hist_of, hist_edges, hist_counts, scale)?;
    area.present()?;
    Ok(())
}

/// The reliability curves of `series` with the perfect-calibration diagonal.
fn reliability_chart(series: &[CalibrationSeries]) -> LineChart {
    LineChart {
        title: "Calibration on the test set".to_string(),
        x_desc: "Mean predicted probability (per bin)".to_string(),
        y_desc: "Observed churn rate".to_string(),
        x_range: (0.0, 1.0),
        y_range: (0.0, 1.0),
        series: series
            .iter()
            .map(|s| {
                let points = s.prob_pred.iter().copied().zip(s.prob_true.iter().copied());
                Series::solid(s.name.clone(), points.collect())
            })
            .collect(),
        diagonal: Some("perfectly calibrated".to_string()),
        vline: None,
        legend: LegendAt::UpperLeft,
        percent_axes: false,
    }
}

/// The histogram of the scores of the model `hist_of` below the reliability diagram: bars of
/// `counts[i]` customers over `edges[i]..edges[i + 1]`.
fn draw_score_histogram<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    hist_of: &str,
    edges: &[f64],
    counts: &[usize],
    scale: f64,
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    let px = |v: f64| px(scale, v);
    let font = |size: f64| font(scale, size);
    let bins = bins(edges);
    let counts: Vec<usize> = bins
        .iter()
        .map(|&(i, _, _)| counts.get(i).copied().unwrap_or(0))
        .collect();
    let top = counts.iter().copied().max().unwrap_or(0);
    let (x0, x1) = x_range(&bins);
    let (y0, y1) = fix_range((0.0, top as f64 * 1.1));
    let desc = if hist_of.is_empty() {
        "Predicted churn probability".to_string()
    } else {
        format!("Predicted churn probability ({hist_of})")
    };
    let count_label = |v: &f64| {
        if (v - v.round()).abs() < 1e-9 {
            format!("{v:.0}")
        } else {
            format!("{v:.1}")
        }
    };
    let mut ctx = ChartBuilder::on(area)
        .margin(px(12.0))
        .x_label_area_size(px(42.0))
        .y_label_area_size(px(56.0))
        .build_cartesian_2d(x0..x1, y0..y1)?;
    ctx.configure_mesh()
        .x_desc(desc)
        .y_desc("Customers")
        .label_style(font(12.0))
        .axis_desc_style(font(12.0))
        .x_labels(6)
        .y_labels(3)
        .y_label_formatter(&count_label)
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.08))
        .draw()?;
    ctx.draw_series(
        bins.iter()
            .zip(&counts)
            .filter(|(_, &c)| c > 0)
            .map(|(&(_, a, b), &c)| {
                Rectangle::new([(a, 0.0), (b, c as f64)], PALETTE[0].mix(0.5).filled())
            }),
    )?;
    Ok(())
}

/// `(index, left, right)` of each bin whose edges are both finite.
fn bins(edges: &[f64]) -> Vec<(usize, f64, f64)> {
    edges
        .windows(2)
        .enumerate()
        .filter(|(_, w)| w[0].is_finite() && w[1].is_finite())
        .map(|(i, w)| (i, w[0], w[1]))
        .collect()
}

/// `[0, 1]`, widened to take in every bin.
fn x_range(bins: &[(usize, f64, f64)]) -> (f64, f64) {
    bins.iter().fold((0.0f64, 1.0f64), |(lo, hi), &(_, a, b)| {
        (lo.min(a.min(b)), hi.max(a.max(b)))
    })
}

/// The outline of a step histogram: up from zero at the first edge, across each bin at its
/// height, and down to zero at the last edge (2 points per bin plus 2).
fn step_outline(bins: &[(usize, f64, f64)], heights: &[f64]) -> Vec<(f64, f64)> {
    let (Some(first), Some(last)) = (bins.first(), bins.last()) else {
        return Vec::new();
    };
    let mut points = vec![(first.1, 0.0)];
    for (&(_, a, b), &h) in bins.iter().zip(heights) {
        points.push((a, h));
        points.push((b, h));
    }
    points.push((last.2, 0.0));
    points
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{assert_escaped, polyline_points, render, tags, texts, HOSTILE};

    /// The smallest pixel y (highest point on screen) of the first polyline in `colour`.
    fn peak(svg: &str, colour: &str) -> i32 {
        let line = tags(svg, "polyline", "stroke", colour)[0];
        line.split("points=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("points")
            .split_whitespace()
            .filter_map(|p| p.split_once(',').and_then(|(_, y)| y.parse().ok()))
            .min()
            .expect("a point")
    }

    #[test]
    fn score_distribution_normalises_each_class_and_marks_the_threshold() {
        let edges: Vec<f64> = (0..=10).map(|i| f64::from(i) / 10.0).collect();
        let stayed = [100; 10];
        // Five churners, all in the top bin: 100% of their class, so their step towers over
        // the 10% bins of the stayed class although there are 200 times fewer of them.
        let churned = [0, 0, 0, 0, 0, 0, 0, 0, 0, 5];
        let svg = render((520, 360), |a| {
            draw_score_distribution(a, &edges, &stayed, &churned, Some(0.3), 1.0)
        });
        let text = texts(&svg);
        for expected in [
            "Scores by outcome on the test set",
            "Predicted churn probability",
            "Share of the class&apos;s customers",
            "stayed (n = 1000)",
            "churned (n = 5)",
            "threshold 0.30",
        ] {
            assert!(text.contains(&expected), "{expected} missing from {text:?}");
        }
        // The step outline has two points per bin plus the two ends on the axis.
        assert_eq!(polyline_points(&svg, "#0072B2"), vec![22]);
        assert_eq!(polyline_points(&svg, "#D55E00"), vec![22]);
        // Semi-transparent fills under each outline.
        for colour in ["#0072B2", "#D55E00"] {
            let fills = tags(&svg, "polygon", "fill", colour);
            assert_eq!(fills.len(), 1);
            assert!(fills[0].contains("opacity=\"0.25\""), "{}", fills[0]);
        }
        assert!(peak(&svg, "#D55E00") < peak(&svg, "#0072B2"));
        assert!(tags(&svg, "polyline", "stroke", "#333333").len() > 5);
    }

    #[test]
    fn score_distribution_survives_odd_input() {
        render((300, 200), |a| {
            draw_score_distribution(a, &[], &[], &[], None, 1.0)
        });
        render((300, 200), |a| {
            draw_score_distribution(a, &[0.0, 0.5, 1.0], &[0, 0], &[0, 0], Some(f64::NAN), 1.0)
        });
        // Too few counts, a NaN edge and a threshold off the axis.
        let svg = render((300, 200), |a| {
            draw_score_distribution(
                a,
                &[0.0, f64::NAN, 0.5, 1.0],
                &[3],
                &[1, 2, 3, 4],
                Some(2.0),
                1.0,
            )
        });
        assert!(svg.contains("threshold 2.00"));
        // Only the bin 0.5..1 has two finite edges: one step of 4 points.
        assert_eq!(polyline_points(&svg, "#D55E00"), vec![4]);
    }

    #[test]
    fn calibration_draws_curves_dots_diagonal_and_score_histogram() {
        let series = [
            CalibrationSeries {
                name: "logistic".into(),
                prob_pred: vec![0.05, 0.3, 0.6, 0.9],
                prob_true: vec![0.04, 0.25, 0.7, 0.85],
            },
            CalibrationSeries {
                name: HOSTILE.into(),
                prob_pred: vec![0.2, 0.5, f64::NAN],
                prob_true: vec![0.1, 0.6, 0.7],
            },
        ];
        let edges: Vec<f64> = (0..=10).map(|i| f64::from(i) / 10.0).collect();
        let counts = [50, 30, 20, 0, 10, 5, 5, 3, 2, 1];
        let svg = render((480, 520), |a| {
            draw_calibration(a, &series, &series[0].name, &edges, &counts, 1.0)
        });
        let text = texts(&svg);
        for expected in [
            "Calibration on the test set",
            "Mean predicted probability (per bin)",
            "Observed churn rate",
            "logistic",
            "perfectly calibrated",
            "Predicted churn probability (logistic)",
            "Customers",
        ] {
            assert!(text.contains(&expected), "{expected} missing from {text:?}");
        }
        // The first model: a 4-point line, a dot per bin and a legend sample (line and dot).
        assert_eq!(polyline_points(&svg, "#0072B2"), vec![4, 2]);
        assert_eq!(tags(&svg, "circle", "fill", "#0072B2").len(), 5);
        // The second: the NaN bin is skipped.
        assert_eq!(polyline_points(&svg, "#D55E00"), vec![2, 2]);
        // Nine non-empty score bins, half-transparent blue.
        let bins = tags(&svg, "rect", "fill", "#0072B2");
        assert_eq!(bins.len(), 9);
        assert!(bins.iter().all(|b| b.contains("opacity=\"0.5\"")));
        assert_escaped(&svg);
    }

    #[test]
    fn calibration_survives_no_models_and_no_scores() {
        let svg = render((300, 300), |a| draw_calibration(a, &[], "", &[], &[], 1.0));
        assert!(svg.contains("perfectly calibrated"));
        let one = [CalibrationSeries {
            name: "one bin".into(),
            prob_pred: vec![0.5],
            prob_true: vec![0.5],
        }];
        render((300, 300), |a| {
            draw_calibration(a, &one, "", &[0.0, 1.0], &[0], 1.0)
        });
    }
}
