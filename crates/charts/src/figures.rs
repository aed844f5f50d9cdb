//! The app's charts as values: what each figure shows, built from the engine's results.
//!
//! The page draws these definitions on a canvas and the HTML report draws the very same ones
//! to SVG, so both always show the same curves, titles and legends. Every function here is
//! plain data in, [`LineChart`] / [`BarChart`] out (or the inputs of the histogram charts);
//! nothing draws until a caller hands the value to [`draw_lines`](super::draw_lines) or
//! [`draw_bars`](super::draw_bars).

use std::sync::Arc;

use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, DrawingBackend};

use super::{
    draw_calibration, draw_score_distribution, Bar, BarChart, CalibrationSeries, ChartError,
    LegendAt, LineChart, Series,
};
use churnscope_engine::acting::actions::{ProfitCurve, ProfitPoint, TierSummary};
use churnscope_engine::dataset::group_thousands;
use churnscope_engine::evaluating::evaluation::{Explanation, ModelRun};
use churnscope_engine::evaluating::explanations::{feature_columns, PartialDependence};
use churnscope_engine::evaluating::metrics::RocCurve;

/// Columns shown in the permutation-importance chart.
pub const IMPORTANCE_BARS: usize = 15;
/// Coefficients shown in the grouped coefficient chart.
pub const COEFFICIENT_BARS: usize = 30;

/// Share of churners among `run`'s test customers (every model of a plan shares them).
pub fn test_churn_rate(run: &ModelRun) -> f64 {
    run.outcome.test.n_positive as f64 / run.outcome.test.n.max(1) as f64
}

/// One solid series per model: its `name` and the (x, y) pairs of its `xy` curve.
fn model_series(
    runs: &[Arc<ModelRun>],
    name: impl Fn(&ModelRun) -> String,
    xy: impl Fn(&ModelRun) -> (&Vec<f64>, &Vec<f64>),
) -> Vec<Series> {
    runs.iter()
        .map(|r| {
            let (x, y) = xy(r);
            Series::solid(name(r), x.iter().copied().zip(y.iter().copied()).collect())
        })
        .collect()
}

/// The ROC curve and area of every model, for [`draw_roc_overlay`](super::draw_roc_overlay).
pub fn roc_curves(runs: &[Arc<ModelRun>]) -> Vec<(String, &RocCurve, f64)> {
    runs.iter()
        .map(|r| {
            (
                r.label().to_string(),
                &r.outcome.test.roc,
                r.outcome.test.roc_auc,
            )
        })
        .collect()
}

/// Precision against recall for every model, with the churn rate (what flagging at random
/// gets) dashed.
pub fn pr_chart(runs: &[Arc<ModelRun>]) -> LineChart {
    let churn_rate = runs.first().map_or(0.0, |r| test_churn_rate(r));
    let mut series = model_series(
        runs,
        |r| format!("{} (AP = {:.3})", r.label(), r.outcome.test.pr_auc),
        |r| (&r.curves.pr.recall, &r.curves.pr.precision),
    );
    series.push(Series::dashed(
        format!("guessing (churn rate {:.1}%)", churn_rate * 100.0),
        vec![(0.0, churn_rate), (1.0, churn_rate)],
    ));
    LineChart {
        title: "Precision against recall".into(),
        x_desc: "Recall (share of churners caught)".into(),
        y_desc: "Precision (share of flagged who churn)".into(),
        x_range: (0.0, 1.0),
        y_range: (0.0, 1.0),
        series,
        diagonal: None,
        vline: None,
        legend: LegendAt::UpperRight,
        percent_axes: false,
    }
}

/// Cumulative gains of every model against contacting at random.
pub fn gains_chart(runs: &[Arc<ModelRun>]) -> LineChart {
    LineChart {
        title: "Cumulative gains".into(),
        x_desc: "Customers contacted, riskiest first".into(),
        y_desc: "Churners reached".into(),
        x_range: (0.0, 1.0),
        y_range: (0.0, 1.0),
        series: model_series(
            runs,
            |r| r.label().to_string(),
            |r| (&r.curves.gains.contacted, &r.curves.gains.caught),
        ),
        diagonal: Some("contacting at random".into()),
        vline: None,
        legend: LegendAt::LowerRight,
        percent_axes: true,
    }
}

/// Lift of every model, from the first percent contacted on.
pub fn lift_chart(runs: &[Arc<ModelRun>]) -> LineChart {
    let top = runs
        .iter()
        .flat_map(|r| r.curves.gains.lift.iter().copied())
        .filter(|v| v.is_finite())
        .fold(1.0f64, f64::max);
    let mut series = model_series(
        runs,
        |r| r.label().to_string(),
        |r| (&r.curves.gains.contacted, &r.curves.gains.lift),
    );
    // Lift at 0 customers contacted is undefined (the curve repeats the first point's).
    for s in &mut series {
        s.points.retain(|(x, _)| *x > 0.0);
    }
    LineChart {
        title: "Lift".into(),
        x_desc: "Customers contacted, riskiest first".into(),
        y_desc: "Times the churn rate of a random pick".into(),
        x_range: (0.0, 1.0),
        y_range: (0.0, (top * 1.1).ceil()),
        series,
        diagonal: None,
        vline: None,
        legend: LegendAt::UpperRight,
        percent_axes: false,
    }
}

/// What [`draw_calibration`] takes: every model's reliability curve and the histogram of
/// one model's scores.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationInputs {
    pub series: Vec<CalibrationSeries>,
    /// The model whose scores the histogram counts.
    pub hist_of: String,
    pub edges: Vec<f64>,
    pub counts: Vec<usize>,
}

impl CalibrationInputs {
    /// Draws the calibration chart on `area`.
    pub fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        scale: f64,
    ) -> Result<(), ChartError>
    where
        DB::ErrorType: 'static,
    {
        draw_calibration(
            area,
            &self.series,
            &self.hist_of,
            &self.edges,
            &self.counts,
            scale,
        )
    }
}

/// The calibration of every model of `runs`, over the histogram of `run`'s test scores.
pub fn calibration_inputs(runs: &[Arc<ModelRun>], run: &ModelRun) -> CalibrationInputs {
    let h = &run.curves.histogram;
    CalibrationInputs {
        series: runs
            .iter()
            .map(|r| CalibrationSeries {
                name: r.label().to_string(),
                prob_pred: r.curves.calibration.prob_pred.clone(),
                prob_true: r.curves.calibration.prob_true.clone(),
            })
            .collect(),
        hist_of: run.label().to_string(),
        edges: h.edges.clone(),
        counts: h
            .stayed
            .iter()
            .zip(&h.churned)
            .map(|(a, b)| a + b)
            .collect(),
    }
}

/// The distribution of `run`'s test scores by class, with the `threshold` marked.
pub fn draw_distribution<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    run: &ModelRun,
    threshold: f64,
    scale: f64,
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    let h = &run.curves.histogram;
    draw_score_distribution(
        area,
        &h.edges,
        &h.stayed,
        &h.churned,
        Some(threshold),
        scale,
    )
}

/// Precision, recall, F1 and the share flagged against the threshold, `threshold` marked.
pub fn sweep_chart(run: &ModelRun, threshold: f64) -> LineChart {
    let s = &run.curves.sweep;
    let line = |name: &str, ys: &[f64], dashed: bool| Series {
        name: name.to_string(),
        points: s
            .thresholds
            .iter()
            .copied()
            .zip(ys.iter().copied())
            .collect(),
        dashed,
        points_only: false,
    };
    LineChart {
        title: "Metrics against the threshold".into(),
        x_desc: "Threshold".into(),
        y_desc: "Value".into(),
        x_range: (0.0, 1.0),
        y_range: (0.0, 1.0),
        series: vec![
            line("precision", &s.precision, false),
            line("recall", &s.recall, false),
            line("F1", &s.f1, false),
            line("share flagged", &s.flagged, true),
        ],
        diagonal: None,
        vline: Some((threshold, format!("threshold {threshold:.3}"))),
        legend: LegendAt::UpperRight,
        percent_axes: false,
    }
}

/// Permutation importance of the [`IMPORTANCE_BARS`] most important columns, with their
/// spread over the shuffles.
pub fn importance_chart(ex: &Explanation) -> BarChart {
    BarChart {
        title: "Permutation importance on the test set".into(),
        value_desc: "Drop in ROC AUC when the column is shuffled".into(),
        bars: ex
            .importance
            .iter()
            .take(IMPORTANCE_BARS)
            .map(|i| Bar {
                label: i.column.clone(),
                value: i.mean,
                spread: Some(i.std),
            })
            .collect(),
        signed_legend: false,
    }
}

/// The average churn probability against one column's value: a line over a grid, two dots
/// for a column of two values (a 0/1 flag), where values in between mean nothing.
pub fn pd_chart(pd: &PartialDependence) -> LineChart {
    let (mut lo, mut hi) = pd
        .grid
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        });
    let top = pd.average.iter().copied().fold(0.0f64, f64::max);
    let points: Vec<(f64, f64)> = pd
        .grid
        .iter()
        .copied()
        .zip(pd.average.iter().copied())
        .collect();
    let two_valued = pd.grid.len() <= 2;
    if two_valued {
        // Room around the dots, which would otherwise sit on the plot's edges.
        let pad = ((hi - lo) * 0.5).max(0.5);
        (lo, hi) = (lo - pad, hi + pad);
    }
    LineChart {
        title: format!("Partial dependence on {}", pd.column),
        x_desc: pd.column.clone(),
        y_desc: "Average churn probability".into(),
        x_range: (lo, hi),
        y_range: (0.0, (top * 1.2).clamp(0.05, 1.0)),
        series: vec![if two_valued {
            Series::dots("model", points)
        } else {
            Series::solid("model", points)
        }],
        diagonal: None,
        vline: None,
        legend: LegendAt::UpperRight,
        percent_axes: false,
    }
}

/// Bars of a logistic regression's coefficients: columns ordered by their largest weight,
/// each column's levels together, every label with its odds ratio; `None` for other models.
pub fn grouped_coefficients(run: &ModelRun) -> Option<Vec<Bar>> {
    let coefficients = run.outcome.pipeline.coefficients()?;
    let columns = feature_columns(&run.outcome.pipeline.preprocessor);
    let mut groups: Vec<(String, Vec<Bar>)> = Vec::new();
    for (c, column) in coefficients.iter().zip(columns) {
        let bar = Bar {
            label: format!("{} (odds ×{:.2})", c.feature, c.odds_ratio),
            value: c.coefficient,
            spread: None,
        };
        match groups.iter_mut().find(|(name, _)| *name == column) {
            Some((_, bars)) => bars.push(bar),
            None => groups.push((column, vec![bar])),
        }
    }
    let weight = |bars: &[Bar]| bars.iter().map(|b| b.value.abs()).fold(0.0, f64::max);
    groups.sort_by(|a, b| weight(&b.1).total_cmp(&weight(&a.1)));
    for (_, bars) in &mut groups {
        bars.sort_by(|a, b| b.value.total_cmp(&a.value));
    }
    Some(
        groups
            .into_iter()
            .flat_map(|(_, bars)| bars)
            .take(COEFFICIENT_BARS)
            .collect(),
    )
}

/// The logistic regression's coefficients grouped by column ([`grouped_coefficients`]).
pub fn coefficient_chart(run: &ModelRun) -> Option<BarChart> {
    grouped_coefficients(run).map(|bars| BarChart {
        title: "Logistic regression coefficients, grouped by column".into(),
        value_desc: "Change in log-odds of churn (per standard deviation for numbers)".into(),
        bars,
        signed_legend: true,
    })
}

/// A number of customers for people: rounded, with thousands separators.
fn customers(x: f64) -> String {
    group_thousands(x.max(0.0).round() as usize)
}

/// The expected net gain of a campaign against the customers contacted (riskiest first) or,
/// with `by_threshold`, against the threshold (contacting nobody sits at 1). The optimum is
/// a labelled marker, the capacity (when there is one) a dashed vertical line at the last
/// point within it, named by the customers contacted there, and break-even a dashed line. The
/// y axis runs from 8% of the curve's span below its lowest point (or zero) to 50% above its
/// highest, leaving the top of the plot to the legend.
pub fn profit_chart(curve: &ProfitCurve, by_threshold: bool) -> LineChart {
    let x = |p: &ProfitPoint| {
        if by_threshold {
            p.threshold.unwrap_or(1.0)
        } else {
            p.contacted
        }
    };
    let (lo, hi) = curve
        .points
        .iter()
        .map(|p| p.net)
        .filter(|v| v.is_finite())
        .fold((0.0f64, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    let hi = if hi.is_finite() { hi } else { 0.0 };
    // Room above the curve for the legend, which sits in the plot's top corner.
    let span = (hi - lo).max(f64::EPSILON);
    let y_range = (lo - 0.08 * span, hi + 0.5 * span);
    let x_range = if by_threshold {
        (0.0, 1.0)
    } else {
        (
            0.0,
            curve.points.iter().map(|p| p.contacted).fold(0.0, f64::max),
        )
    };
    let mut series = vec![
        Series::solid(
            "expected net gain",
            curve.points.iter().map(|p| (x(p), p.net)).collect(),
        ),
        Series::dashed("break-even", vec![(x_range.0, 0.0), (x_range.1, 0.0)]),
    ];
    if let Some(p) = curve.capacity.and_then(|i| curve.points.get(i)) {
        series.push(Series::dashed(
            format!("capacity {}", customers(p.contacted)),
            vec![(x(p), y_range.0), (x(p), y_range.1)],
        ));
    }
    let best = curve.points.get(curve.optimum);
    let label = match best {
        Some(p) if p.test_contacted > 0 => format!(
            "best: contact {} (threshold {:.3})",
            customers(p.contacted),
            p.threshold.unwrap_or(1.0)
        ),
        _ => "best: contact nobody".to_string(),
    };
    LineChart {
        title: if by_threshold {
            "Expected net gain against the threshold".into()
        } else {
            "Expected net gain against customers contacted".into()
        },
        x_desc: if by_threshold {
            "Threshold (contact everyone scored at or above it)".into()
        } else {
            "Customers contacted, riskiest first".into()
        },
        y_desc: format!(
            "Net gain (all {} customers)",
            group_thousands(curve.population)
        ),
        x_range,
        y_range,
        series,
        diagonal: None,
        vline: best.map(|p| (x(p), label)),
        legend: if by_threshold {
            LegendAt::UpperLeft
        } else {
            LegendAt::UpperRight
        },
        percent_axes: false,
    }
}

/// The actual churn rate (in percent) of each risk tier's test customers, labelled with the
/// tier's number of customers.
pub fn tier_chart(tiers: &[TierSummary]) -> BarChart {
    BarChart {
        title: "Actual churn rate by risk tier".into(),
        value_desc: "Churn rate of the tier's test customers (%)".into(),
        bars: tiers
            .iter()
            .map(|t| Bar {
                label: format!(
                    "{} ({} customers)",
                    t.tier.label(),
                    group_thousands(t.customers)
                ),
                value: t.churn_rate().map_or(f64::NAN, |r| r * 100.0),
                spread: None,
            })
            .collect(),
        signed_legend: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{assert_escaped, polyline_points, render, tags, texts, HOSTILE};
    use crate::{draw_bars, draw_lines, draw_roc_overlay};
    use churnscope_engine::acting::actions::{profit_curve, CustomerValue, ProfitInputs, Tier};
    use churnscope_engine::evaluating::evaluation::{run_model, TrainPlan};
    use churnscope_engine::modelling::pipeline::{ModelKind, TrainConfig};
    use churnscope_engine::modelling::training::split_rows;
    use churnscope_engine::reading::ingest::{read_csv, ReadOptions};
    use churnscope_engine::reading::sample::{generate_csv, SampleSpec};
    use churnscope_engine::understanding::target::target_for;

    /// A logistic regression, explained, on the sample whose complaints column is renamed
    /// to a piece of markup.
    fn hostile_run() -> Arc<ModelRun> {
        let csv = generate_csv(&SampleSpec {
            customers: 400,
            seed: 5,
        })
        .replacen("complaints_last_90d", HOSTILE, 1);
        let ds = read_csv(csv.as_bytes(), &ReadOptions::default()).expect("sample reads");
        let target = target_for(&ds, "churned", Some("Yes")).expect("binary target");
        let mut plan = TrainPlan::single(TrainConfig::new(target));
        plan.explain = true;
        let split = split_rows(&ds, &plan.config).expect("split");
        Arc::new(
            run_model(&ds, &plan, ModelKind::Logistic, &split, |_| true, &|| 0.0)
                .expect("the sample trains"),
        )
    }

    #[test]
    fn the_run_charts_draw_every_model_and_escape_column_names() {
        let run = hostile_run();
        let runs = vec![run.clone(), run.clone()];
        let size = (560, 400);
        // Two models and the dashed churn rate; legend names carry the average precision.
        let pr = pr_chart(&runs);
        assert_eq!(pr.series.len(), 3);
        assert!(pr.series[2].dashed);
        assert_eq!(pr.series[0].points.len(), run.curves.pr.recall.len());
        let svg = render(size, |a| draw_lines(a, &pr, 1.0));
        assert!(texts(&svg)
            .iter()
            .any(|t| t.starts_with("Logistic regression (AP = ")));
        // Gains: 101 points per model (0%, 1%, ..., 100%); lift leaves out 0%.
        let svg = render(size, |a| draw_lines(a, &gains_chart(&runs), 1.0));
        assert_eq!(polyline_points(&svg, "#0072B2"), vec![101, 2]);
        let lift = lift_chart(&runs);
        assert!(lift.series.iter().all(|s| s.points.len() == 100));
        render(size, |a| draw_lines(a, &lift, 1.0));
        // The sweep: precision, recall, F1 at 101 thresholds, the threshold named.
        let svg = render(size, |a| draw_lines(a, &sweep_chart(&run, 0.25), 1.0));
        assert_eq!(polyline_points(&svg, "#0072B2"), vec![101, 2]);
        assert!(texts(&svg).contains(&"threshold 0.250"));
        render(size, |a| draw_roc_overlay(a, &roc_curves(&runs), 1.0));
        let calibration = calibration_inputs(&runs, &run);
        assert_eq!(calibration.series.len(), 2);
        assert_eq!(
            calibration.counts.iter().sum::<usize>(),
            run.test_rows.len()
        );
        render(size, |a| calibration.draw(a, 1.0));
        render(size, |a| draw_distribution(a, &run, 0.5, 1.0));

        let ex = run.explanation.as_ref().expect("explained");
        let importance = importance_chart(ex);
        assert_eq!(
            importance.bars.len(),
            ex.importance.len().min(IMPORTANCE_BARS)
        );
        assert_escaped(&render(size, |a| draw_bars(a, &importance, 1.0)));
        let coefficients = coefficient_chart(&run).expect("a logistic regression");
        assert!(coefficients
            .bars
            .iter()
            .any(|b| b.label.starts_with(HOSTILE)));
        // Labels past 28 characters are cut, the odds ratio and the closing `>` with them.
        let svg = render((720, 520), |a| draw_bars(a, &coefficients, 1.0));
        assert!(!svg.contains("<img") && svg.contains("&lt;img src=x onerror=alert(1)…"));
        for pd in &ex.partial_dependence {
            let chart = pd_chart(pd);
            assert_eq!(chart.series[0].points.len(), pd.grid.len());
            let svg = render(size, |a| draw_lines(a, &chart, 1.0));
            assert!(!svg.contains(HOSTILE));
        }
        // A partial dependence on the hostile column names it in the title and the axis.
        let pd = PartialDependence {
            column: HOSTILE.into(),
            grid: vec![0.0, 1.0, 2.0],
            average: vec![0.1, 0.2, 0.4],
        };
        assert_escaped(&render(size, |a| draw_lines(a, &pd_chart(&pd), 1.0)));
    }

    #[test]
    fn partial_dependence_on_a_flag_is_two_dots_not_a_line() {
        let flag = PartialDependence {
            column: "SeniorCitizen".into(),
            grid: vec![0.0, 1.0],
            average: vec![0.24, 0.41],
        };
        let chart = pd_chart(&flag);
        assert!(chart.series[0].points_only);
        assert!(
            chart.x_range.0 < 0.0 && chart.x_range.1 > 1.0,
            "dots off the edges"
        );
        let svg = render((640, 400), |a| draw_lines(a, &chart, 1.0));
        // Two dots in the plot and one in the legend, in the series' colour (PALETTE[0],
        // #0072B2), and no line of that colour.
        assert_eq!(tags(&svg, "circle", "fill", "#0072B2").len(), 3, "{svg}");
        assert!(polyline_points(&svg, "#0072B2").is_empty(), "{svg}");
        // A column with a range of values stays a line, without dots.
        let tenure = PartialDependence {
            column: "tenure".into(),
            grid: vec![1.0, 10.0, 20.0, 40.0],
            average: vec![0.5, 0.3, 0.2, 0.1],
        };
        let svg = render((640, 400), |a| draw_lines(a, &pd_chart(&tenure), 1.0));
        assert!(tags(&svg, "circle", "fill", "#0072B2").is_empty());
        assert_eq!(
            polyline_points(&svg, "#0072B2"),
            vec![4, 2],
            "the line and its legend"
        );
    }

    /// Six test customers projected to 600 (scale 100), value 100, cost 10, success 50%:
    /// by hand, the net gain after contacting the top k is 100 · Σ (y·50 − 10) =
    /// 0, 4,000, 8,000, 7,000, 11,000, 10,000, 9,000. Room for 250 contacts keeps k ≤ 2, so
    /// the optimum is k = 2 (200 customers, threshold 0.8).
    fn curve() -> ProfitCurve {
        let inputs = ProfitInputs {
            value: CustomerValue::Fixed(100.0),
            cost: 10.0,
            success_rate: 0.5,
            capacity: Some(250),
        };
        profit_curve(
            &[0.9, 0.8, 0.7, 0.6, 0.3, 0.1],
            &[1, 1, 0, 1, 0, 0],
            &[100.0; 6],
            &inputs,
            600,
        )
        .expect("valid inputs")
    }

    #[test]
    fn the_profit_chart_marks_the_optimum_capacity_and_break_even() {
        let curve = curve();
        let chart = profit_chart(&curve, false);
        let xy: Vec<(f64, f64)> = chart.series[0].points.clone();
        assert_eq!(
            xy,
            vec![
                (0.0, 0.0),
                (100.0, 4000.0),
                (200.0, 8000.0),
                (300.0, 7000.0),
                (400.0, 11000.0),
                (500.0, 10000.0),
                (600.0, 9000.0)
            ]
        );
        assert_eq!(chart.x_range, (0.0, 600.0));
        // 8% of the 0 .. 11,000 span below, 50% above.
        assert_eq!(chart.y_range, (-880.0, 16500.0));
        assert_eq!(
            chart.vline,
            Some((200.0, "best: contact 200 (threshold 0.800)".into()))
        );
        assert_eq!(chart.series[1].points, vec![(0.0, 0.0), (600.0, 0.0)]);
        assert_eq!(chart.series[2].name, "capacity 200");
        assert!(chart.series[1].dashed && chart.series[2].dashed);
        let svg = render((560, 400), |a| draw_lines(a, &chart, 1.0));
        // Every point of the curve in one blue polyline, then its legend sample.
        assert_eq!(polyline_points(&svg, "#0072B2"), vec![7, 2]);
        let text = texts(&svg);
        for expected in [
            "Expected net gain against customers contacted",
            "Net gain (all 600 customers)",
            "best: contact 200 (threshold 0.800)",
            "capacity 200",
            "break-even",
        ] {
            assert!(text.contains(&expected), "{expected} missing from {text:?}");
        }

        // Against the threshold, contacting nobody sits at 1.
        let chart = profit_chart(&curve, true);
        let xs: Vec<f64> = chart.series[0].points.iter().map(|p| p.0).collect();
        assert_eq!(xs, vec![1.0, 0.9, 0.8, 0.7, 0.6, 0.3, 0.1]);
        assert_eq!(chart.x_range, (0.0, 1.0));
        assert_eq!(chart.series[2].points[0].0, 0.8);
        assert_eq!(chart.vline.as_ref().map(|v| v.0), Some(0.8));
        let svg = render((560, 400), |a| draw_lines(a, &chart, 1.0));
        assert_eq!(polyline_points(&svg, "#0072B2"), vec![7, 2]);
    }

    /// With a cost of 60 every contact loses money (at most 50 kept per churner): the best
    /// is contacting nobody and the range reaches below the lowest net gain.
    #[test]
    fn a_losing_campaign_is_best_left_alone() {
        let inputs = ProfitInputs {
            value: CustomerValue::Fixed(100.0),
            cost: 60.0,
            success_rate: 0.5,
            capacity: None,
        };
        let curve =
            profit_curve(&[0.9, 0.2], &[1, 0], &[100.0; 2], &inputs, 2).expect("valid inputs");
        // Nets: 0, 50 − 60 = −10, −10 − 60 = −70.
        let chart = profit_chart(&curve, false);
        assert_eq!(chart.vline, Some((0.0, "best: contact nobody".into())));
        assert_eq!(chart.series.len(), 2, "no capacity line");
        assert!(chart.y_range.0 < -70.0 && chart.y_range.1 > 0.0);
        render((400, 300), |a| draw_lines(a, &chart, 1.0));
    }

    #[test]
    fn the_tier_chart_shows_each_tiers_churn_rate_and_size() {
        let tier = |tier, customers, test_customers, test_churned| TierSummary {
            tier,
            customers,
            test_customers,
            test_churned,
            drivers: vec![(HOSTILE.to_string(), 3)],
        };
        let tiers = [
            tier(Tier::High, 1234, 10, 4),
            tier(Tier::Medium, 56, 20, 2),
            tier(Tier::Low, 7, 0, 0),
        ];
        let chart = tier_chart(&tiers);
        let labels: Vec<&str> = chart.bars.iter().map(|b| b.label.as_str()).collect();
        assert_eq!(
            labels,
            vec![
                "high (1,234 customers)",
                "medium (56 customers)",
                "low (7 customers)"
            ]
        );
        // 4 / 10 and 2 / 20 as percentages; no test customers leaves the row empty.
        assert_eq!(chart.bars[0].value, 40.0);
        assert_eq!(chart.bars[1].value, 10.0);
        assert!(chart.bars[2].value.is_nan());
        let svg = render((560, 300), |a| draw_bars(a, &chart, 1.0));
        let text = texts(&svg);
        for label in labels {
            assert!(text.contains(&label), "{label} missing from {text:?}");
        }
        // Two drawn bars, both blue.
        assert_eq!(
            crate::testing::tags(&svg, "rect", "fill", "#0072B2").len(),
            2
        );
    }
}
