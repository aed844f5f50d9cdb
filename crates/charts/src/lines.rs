//! Line charts: named series over explicit axis ranges, with an optional grey reference
//! diagonal and a labelled vertical marker.
//!
//! ROC and precision-recall curves, cumulative gains, lift, metrics against the threshold, the
//! training loss and partial dependence are all drawn by [`draw_lines`]. Points outside the
//! ranges are clipped at the plot's border (Liang & Barsky, "A new concept and method for line
//! clipping", ACM TOG 3(1), 1984), non-finite points are skipped, and series longer than
//! 2000 points are thinned evenly.

use plotters::chart::SeriesAnno;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use super::{fix_range, font, large, percent, px, ChartError, GREY, INK, PALETTE};

/// Most points drawn per series; longer series are thinned evenly (the first and last points
/// are kept), which is invisible at chart resolution and keeps drawing fast for large test sets.
pub(super) const MAX_POINTS: usize = 2000;

/// Where the legend sits inside the plot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LegendAt {
    UpperLeft,
    UpperRight,
    LowerLeft,
    #[default]
    LowerRight,
}

impl LegendAt {
    fn position(self) -> SeriesLabelPosition {
        match self {
            LegendAt::UpperLeft => SeriesLabelPosition::UpperLeft,
            LegendAt::UpperRight => SeriesLabelPosition::UpperRight,
            LegendAt::LowerLeft => SeriesLabelPosition::LowerLeft,
            LegendAt::LowerRight => SeriesLabelPosition::LowerRight,
        }
    }
}

/// One named line; the `i`-th series of a chart is drawn in `PALETTE[i % 7]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    /// The legend entry; an empty name leaves the series out of the legend.
    pub name: String,
    /// `(x, y)` in drawing order; points with a non-finite coordinate are skipped.
    pub points: Vec<(f64, f64)>,
    /// Drawn dashed, for reference lines such as the churn rate.
    pub dashed: bool,
    /// Drawn as dots without a line, for values in between that mean nothing (the partial
    /// dependence on a 0/1 column).
    pub points_only: bool,
}

impl Series {
    /// A solid series.
    pub fn solid(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            name: name.into(),
            points,
            ..Series::default()
        }
    }

    /// A dashed series.
    pub fn dashed(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            name: name.into(),
            points,
            dashed: true,
            ..Series::default()
        }
    }

    /// Dots without a line between them.
    pub fn dots(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            name: name.into(),
            points,
            points_only: true,
            ..Series::default()
        }
    }
}

/// A line chart over fixed ranges. Empty or reversed ranges are repaired (widened, swapped).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LineChart {
    pub title: String,
    pub x_desc: String,
    pub y_desc: String,
    pub x_range: (f64, f64),
    pub y_range: (f64, f64),
    pub series: Vec<Series>,
    /// A grey reference line from `(x0, y0)` to `(x1, y1)` with this legend name.
    pub diagonal: Option<String>,
    /// A dashed vertical marker at `x` (e.g. the current threshold) with this legend name.
    pub vline: Option<(f64, String)>,
    pub legend: LegendAt,
    /// Tick labels as percentages (0% .. 100%) on both axes.
    pub percent_axes: bool,
}

/// Draws `chart` on `area`. `scale` multiplies text sizes and line widths, for crisp drawing
/// on high-DPI canvases (pass `window.devicePixelRatio`; 1.0 for SVG).
pub fn draw_lines<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &LineChart,
    scale: f64,
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    draw_lines_with(area, chart, scale, false)?;
    area.present()?;
    Ok(())
}

/// The plot's coordinates: `x` and `y` as numbers.
pub(super) type Plot<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The plot's `x` and `y` ranges, repaired.
type Ranges = ((f64, f64), (f64, f64));

/// [`draw_lines`], with a dot at every (unthinned-away) point when `markers` is set, without
/// presenting `area`: presenting an SVG closes the document, so a chart drawn on part of an
/// area leaves that to its caller.
pub(super) fn draw_lines_with<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &LineChart,
    scale: f64,
    markers: bool,
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    let ranges = (fix_range(chart.x_range), fix_range(chart.y_range));
    area.fill(&WHITE)?;
    let mut ctx = build_plot(area, chart, ranges, scale)?;
    let mut labelled = false;
    for (i, series) in chart.series.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        labelled |= draw_one_series(&mut ctx, series, colour, ranges, scale, markers)?;
    }
    if let Some(name) = &chart.diagonal {
        labelled |= draw_diagonal(&mut ctx, name, ranges, scale)?;
    }
    if let Some((x, name)) = &chart.vline {
        draw_vline(&mut ctx, *x, name, scale)?;
        labelled |= !name.is_empty();
    }
    if labelled {
        draw_legend(&mut ctx, chart.legend.position(), scale)?;
    }
    Ok(())
}

/// The legend of the named series at `position`, on a white box.
pub(super) fn draw_legend<'a, DB: DrawingBackend + 'a>(
    ctx: &mut Plot<'a, DB>,
    position: SeriesLabelPosition,
    scale: f64,
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    ctx.configure_series_labels()
        .position(position)
        .margin(px(scale, 10.0))
        .label_font(font(scale, 12.0))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.3))
        .draw()?;
    Ok(())
}

/// The chart's title, axes, grid and tick labels on `area`.
fn build_plot<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    chart: &LineChart,
    ((x0, x1), (y0, y1)): Ranges,
    scale: f64,
) -> Result<Plot<'a, DB>, ChartError>
where
    DB::ErrorType: 'static,
{
    let px = |v: f64| px(scale, v);
    let font = |size: f64| font(scale, size);
    let y_label = y_labeller(chart, (y0, y1));
    // The value axis' strip holds its title and its widest tick label side by side, so a
    // loss of four decimals (0.4715) does not run into the title.
    let widest = widest_tick(area, &y_label, (y0, y1), scale);
    let mut builder = ChartBuilder::on(area);
    builder
        .margin(px(12.0))
        .x_label_area_size(px(42.0))
        .y_label_area_size(px(y_strip(widest)));
    if !chart.title.is_empty() {
        builder.caption(&chart.title, font(17.0));
    }
    let mut ctx = builder.build_cartesian_2d(x0..x1, y0..y1)?;
    let mut mesh = ctx.configure_mesh();
    mesh.x_desc(&chart.x_desc)
        .y_desc(&chart.y_desc)
        .label_style(font(12.0))
        .axis_desc_style(font(12.0))
        .x_labels(6)
        .y_labels(Y_TICKS)
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.08));
    if chart.percent_axes {
        mesh.x_label_formatter(&percent);
    }
    // Counts and money: `4000`, `25k`, `1.2M` instead of `25000.0`.
    if x0.abs().max(x1.abs()) >= 1000.0 {
        mesh.x_label_formatter(&large);
    }
    mesh.y_label_formatter(&y_label);
    mesh.draw()?;
    Ok(ctx)
}

/// Ticks on the value axis.
const Y_TICKS: usize = 6;

/// The value axis' tick labels: percentages, compact counts, or as many decimals as the
/// step between its ticks needs (0.4710, 0.4715 rather than 0.471, 0.4715).
fn y_labeller(chart: &LineChart, (y0, y1): (f64, f64)) -> impl Fn(&f64) -> String {
    let style = if chart.percent_axes {
        YStyle::Percent
    } else if y0.abs().max(y1.abs()) >= 1000.0 {
        YStyle::Large
    } else {
        YStyle::Decimals(tick_decimals(&ticks((y0, y1))))
    };
    move |v: &f64| match style {
        YStyle::Percent => percent(v),
        YStyle::Large => large(v),
        YStyle::Decimals(d) => {
            // No "-0.00" for a tick at zero.
            let v = if v.abs() < 1e-12 { 0.0 } else { *v };
            format!("{v:.d$}")
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum YStyle {
    Percent,
    Large,
    Decimals(usize),
}

/// The tick values plotters draws on an axis from `lo` to `hi`.
fn ticks((lo, hi): (f64, f64)) -> Vec<f64> {
    use plotters::coord::ranged1d::Ranged;
    RangedCoordf64::from(lo..hi).key_points(Y_TICKS)
}

/// The fewest decimals (at most 8) that write every step between `ticks` exactly.
fn tick_decimals(ticks: &[f64]) -> usize {
    let step = ticks
        .windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .filter(|s| *s > 0.0)
        .fold(f64::INFINITY, f64::min);
    if !step.is_finite() {
        return 1;
    }
    (0..=8)
        .find(|&d| {
            let unit = 10f64.powi(d as i32);
            let scaled = step * unit;
            (scaled - scaled.round()).abs() < 1e-6 * scaled.max(1.0)
        })
        .unwrap_or(8)
}

/// The widest of the value axis' tick labels at scale 1 ([`super::bars::widest_label`]).
fn widest_tick<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    label: &impl Fn(&f64) -> String,
    range: (f64, f64),
    scale: f64,
) -> f64 {
    let labels: Vec<String> = ticks(range).iter().map(label).collect();
    super::bars::widest_label(area, &labels, scale)
}

/// The width of the value axis' strip for tick labels `widest` pixels wide: the axis'
/// title (about 16 pixels), a gap, the labels and the tick marks; 56 pixels at least.
fn y_strip(widest: f64) -> f64 {
    (widest + 32.0).max(56.0)
}

/// Draws one series in `colour` with its legend entry; returns whether the entry is named
/// (shown in the legend).
fn draw_one_series<'a, DB: DrawingBackend + 'a>(
    ctx: &mut Plot<'a, DB>,
    series: &Series,
    colour: RGBColor,
    ranges: Ranges,
    scale: f64,
    markers: bool,
) -> Result<bool, ChartError>
where
    DB::ErrorType: 'static,
{
    let points = thin(&series.points);
    let anno = if series.points_only {
        let r = px(scale, 5.0);
        let legend_width = px(scale, 22.0) as i32;
        let anno = ctx.draw_series(dots(&points, ranges, r, colour))?;
        anno.legend(move |(x, y)| Circle::new((x + legend_width / 2, y), r, colour.filled()))
    } else {
        let (xs, ys) = ranges;
        draw_runs(
            ctx,
            clip_runs(&points, xs, ys),
            colour,
            series.dashed,
            markers,
            scale,
        )?
    };
    let named = !series.name.is_empty();
    if named {
        anno.label(&series.name);
    }
    // Dots: at every point when asked, and always for a lone point (a one-point line is invisible).
    if !series.points_only && (markers || points.len() == 1) {
        ctx.draw_series(dots(&points, ranges, px(scale, 3.0), colour))?;
    }
    Ok(named)
}

/// A filled dot of radius `r` at each of `points` inside the plot.
fn dots(
    points: &[(f64, f64)],
    ((x0, x1), (y0, y1)): Ranges,
    r: u32,
    colour: RGBColor,
) -> impl Iterator<Item = Circle<(f64, f64), u32>> + '_ {
    points
        .iter()
        .filter(move |&&(x, y)| x0 <= x && x <= x1 && y0 <= y && y <= y1)
        .map(move |&p| Circle::new(p, r, colour.filled()))
}

/// The visible pieces of a line, dashed or solid; its legend entry is a short line (with a
/// dot in the middle when `markers`).
fn draw_runs<'b, 'a, DB: DrawingBackend + 'a>(
    ctx: &'b mut Plot<'a, DB>,
    runs: Vec<Vec<(f64, f64)>>,
    colour: RGBColor,
    dashed: bool,
    markers: bool,
    scale: f64,
) -> Result<&'b mut SeriesAnno<'a, DB>, ChartError>
where
    DB::ErrorType: 'static,
{
    let px = |v: f64| px(scale, v);
    let legend_width = px(22.0) as i32;
    let style = ShapeStyle::from(colour).stroke_width(px(2.0));
    if dashed {
        let (dash, gap) = (px(6.0), px(4.0));
        let anno = ctx.draw_series(
            runs.into_iter()
                .map(|run| DashedPathElement::new(run, dash, gap, style)),
        )?;
        return Ok(anno.legend(move |(x, y)| {
            DashedPathElement::new(vec![(x, y), (x + legend_width, y)], dash, gap, style)
        }));
    }
    let anno = ctx.draw_series(runs.into_iter().map(|run| PathElement::new(run, style)))?;
    Ok(if markers {
        let r = px(3.0);
        anno.legend(move |(x, y)| {
            EmptyElement::at((x, y))
                + PathElement::new(vec![(0, 0), (legend_width, 0)], style)
                + Circle::new((legend_width / 2, 0), r, colour.filled())
        })
    } else {
        anno.legend(move |(x, y)| PathElement::new(vec![(x, y), (x + legend_width, y)], style))
    })
}

/// The grey reference line from the plot's lower left to its upper right corner, with the
/// legend entry `name`; returns whether the entry is named.
fn draw_diagonal<DB: DrawingBackend>(
    ctx: &mut Plot<'_, DB>,
    name: &str,
    ((x0, x1), (y0, y1)): Ranges,
    scale: f64,
) -> Result<bool, ChartError>
where
    DB::ErrorType: 'static,
{
    let style = ShapeStyle::from(GREY).stroke_width(px(scale, 1.0));
    let legend_width = px(scale, 22.0) as i32;
    let anno = ctx.draw_series(std::iter::once(PathElement::new(
        vec![(x0, y0), (x1, y1)],
        style,
    )))?;
    anno.legend(move |(x, y)| PathElement::new(vec![(x, y), (x + legend_width, y)], style));
    if !name.is_empty() {
        anno.label(name);
    }
    Ok(!name.is_empty())
}

/// A dashed dark vertical line at `x` across the whole plot, with a legend entry `name`
/// (the entry is kept even when `x` lies outside the plot or is not finite).
pub(super) fn draw_vline<DB: DrawingBackend>(
    ctx: &mut Plot<'_, DB>,
    x: f64,
    name: &str,
    scale: f64,
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    let px = |v: f64| px(scale, v);
    let (xs, ys) = (ctx.x_range(), ctx.y_range());
    let style = ShapeStyle::from(INK).stroke_width(px(1.5));
    let (dash, gap) = (px(5.0), px(3.0));
    let visible = x.is_finite() && xs.start <= x && x <= xs.end;
    let line = visible.then(|| vec![(x, ys.start), (x, ys.end)]);
    let anno = ctx.draw_series(
        line.into_iter()
            .map(|l| DashedPathElement::new(l, dash, gap, style)),
    )?;
    let w = px(22.0) as i32;
    anno.legend(move |(x, y)| DashedPathElement::new(vec![(x, y), (x + w, y)], dash, gap, style));
    if !name.is_empty() {
        anno.label(name);
    }
    Ok(())
}

/// The finite points of `points`, thinned evenly to at most about [`MAX_POINTS`] (the first and
/// last are kept).
pub(super) fn thin(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let finite: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect();
    let step = finite.len().div_ceil(MAX_POINTS).max(1);
    let last = finite.len().saturating_sub(1);
    finite
        .into_iter()
        .enumerate()
        .filter(|(i, _)| i % step == 0 || *i == last)
        .map(|(_, p)| p)
        .collect()
}

/// The visible pieces of the polyline `points` inside the box `xs` × `ys`: each piece is a run
/// of consecutive points, with points interpolated where the line crosses the border. A fully
/// visible line comes back whole, point for point; a lone point comes back alone if inside.
fn clip_runs(points: &[(f64, f64)], xs: (f64, f64), ys: (f64, f64)) -> Vec<Vec<(f64, f64)>> {
    if let [p] = points {
        let inside = xs.0 <= p.0 && p.0 <= xs.1 && ys.0 <= p.1 && p.1 <= ys.1;
        return if inside { vec![vec![*p]] } else { vec![] };
    }
    let mut runs = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    for pair in points.windows(2) {
        match clip_segment(pair[0], pair[1], xs, ys) {
            Some((a, b)) => {
                if current.last() != Some(&a) {
                    if !current.is_empty() {
                        runs.push(std::mem::take(&mut current));
                    }
                    current.push(a);
                }
                current.push(b);
            }
            None => {
                if !current.is_empty() {
                    runs.push(std::mem::take(&mut current));
                }
            }
        }
    }
    if !current.is_empty() {
        runs.push(current);
    }
    runs
}

/// Liang-Barsky: the part of the segment `p`–`q` inside the box, if any. Ends that are inside
/// come back bit for bit, so consecutive visible segments join into one run.
fn clip_segment(
    p: (f64, f64),
    q: (f64, f64),
    xs: (f64, f64),
    ys: (f64, f64),
) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (q.0 - p.0, q.1 - p.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (pk, qk) in [
        (-dx, p.0 - xs.0),
        (dx, xs.1 - p.0),
        (-dy, p.1 - ys.0),
        (dy, ys.1 - p.1),
    ] {
        if pk == 0.0 {
            if qk < 0.0 {
                return None;
            }
        } else {
            let r = qk / pk;
            if pk < 0.0 {
                if r > t1 {
                    return None;
                }
                t0 = t0.max(r);
            } else {
                if r < t0 {
                    return None;
                }
                t1 = t1.min(r);
            }
        }
    }
    let at = |t: f64| {
        if t <= 0.0 {
            p
        } else if t >= 1.0 {
            q
        } else {
            (p.0 + t * dx, p.1 + t * dy)
        }
    };
    Some((at(t0), at(t1)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{assert_escaped, polyline_points, render, tags, texts, HOSTILE};

    /// The live loss chart of a network's first epoch (the e2e test's screenshot
    /// `11-live-loss.png`: a loss of 0.4715, so ticks of four decimals): every tick label
    /// starts right of the value axis' title, counting 6.6 pixels a character and the
    /// title's 12-pixel text (before, the labels ran into the title), and the labels keep
    /// the decimals their step needs.
    #[test]
    fn value_labels_of_four_decimals_clear_the_axis_title() {
        let chart = LineChart {
            title: "Training loss, live".into(),
            x_desc: "epoch".into(),
            y_desc: "Loss on the training rows".into(),
            x_range: (0.0, 1.0),
            y_range: (0.4705, 0.4725),
            series: vec![Series::solid("loss per epoch", vec![(1.0, 0.4715)])],
            diagonal: None,
            vline: None,
            legend: LegendAt::UpperRight,
            percent_axes: false,
        };
        let svg = render((480, 300), |a| draw_lines(a, &chart, 1.0));
        let x_of = |tag: &str| -> f64 {
            let rest = tag.split("x=\"").nth(1).expect("an x");
            rest.split('"')
                .next()
                .expect("quoted")
                .parse()
                .expect("a number")
        };
        let title = svg
            .split("<text ")
            .skip(1)
            .find(|t| t.contains("rotate(270"))
            .map(x_of)
            .expect("the value axis' title is drawn turned");
        let ends: Vec<f64> = tags(&svg, "text", "text-anchor", "end")
            .into_iter()
            .map(x_of)
            .collect();
        let labels: Vec<&str> = texts(&svg)
            .into_iter()
            .filter(|t| t.starts_with("0.47"))
            .collect();
        assert_eq!(labels, ["0.4705", "0.4710", "0.4715", "0.4720", "0.4725"]);
        assert_eq!(ends.len(), labels.len(), "{svg}");
        for (end, label) in ends.iter().zip(&labels) {
            let start = end - label.len() as f64 * 6.6;
            assert!(
                start >= title + 12.0,
                "{label} starts at {start}, the title at {title}"
            );
        }
    }

    #[test]
    fn tick_labels_take_the_decimals_of_their_step() {
        assert_eq!(tick_decimals(&[0.4705, 0.471, 0.4715]), 4);
        assert_eq!(tick_decimals(&[0.0, 0.2, 0.4]), 1);
        assert_eq!(tick_decimals(&[0.0, 20.0, 40.0]), 0);
        assert_eq!(tick_decimals(&[0.25, 0.5, 0.75]), 2);
        assert_eq!(tick_decimals(&[1.0]), 1, "one tick: no step");
    }

    fn curve(n: usize, f: impl Fn(f64) -> f64) -> Vec<(f64, f64)> {
        (0..n)
            .map(|i| i as f64 / (n - 1) as f64)
            .map(|x| (x, f(x)))
            .collect()
    }

    fn metrics_chart() -> LineChart {
        LineChart {
            title: "Metrics against the threshold".into(),
            x_desc: "Threshold on the churn score".into(),
            y_desc: "Value of the metric".into(),
            x_range: (0.0, 1.0),
            y_range: (0.0, 1.0),
            series: vec![
                Series::solid("precision", curve(11, |x| x)),
                Series::solid("recall", curve(21, |x| 1.0 - x)),
                Series::dashed("churn rate", vec![(0.0, 0.25), (1.0, 0.25)]),
                Series::solid(HOSTILE, curve(5, |x| x * x)),
            ],
            diagonal: Some("reference".into()),
            vline: Some((0.4, "threshold 0.40".into())),
            legend: LegendAt::UpperRight,
            percent_axes: true,
        }
    }

    #[test]
    fn draws_title_axes_legend_and_every_point_of_each_series() {
        let svg = render((520, 400), |a| draw_lines(a, &metrics_chart(), 1.0));
        let text = texts(&svg);
        for expected in [
            "Metrics against the threshold",
            "Threshold on the churn score",
            "Value of the metric",
            "precision",
            "recall",
            "churn rate",
            "reference",
            "threshold 0.40",
            "40%",
            "100%",
        ] {
            assert!(text.contains(&expected), "{expected} missing from {text:?}");
        }
        // Palette order: blue, vermillion, bluish green, reddish purple. Each solid series is one
        // polyline with all its points, then a two-point legend sample in the same colour.
        assert_eq!(polyline_points(&svg, "#0072B2"), vec![11, 2]);
        assert_eq!(polyline_points(&svg, "#D55E00"), vec![21, 2]);
        assert_eq!(polyline_points(&svg, "#CC79A7"), vec![5, 2]);
        // The dashed series is many short dashes across the plot.
        assert!(polyline_points(&svg, "#009E73").len() > 10);
        // The threshold is a dashed vertical line: every dash at the same x.
        let dashes = tags(&svg, "polyline", "stroke", "#333333");
        assert!(dashes.len() > 10, "{}", dashes.len());
        // The grey diagonal and its legend sample.
        assert_eq!(polyline_points(&svg, "#888888"), vec![2, 2]);
        assert_escaped(&svg);
    }

    #[test]
    fn clips_lines_at_the_border_and_keeps_legend_of_invisible_series() {
        let chart = LineChart {
            title: "Lift".into(),
            x_range: (0.0, 1.0),
            y_range: (0.0, 1.0),
            series: vec![
                Series::solid("crosses", vec![(0.0, 0.0), (0.5, 0.5), (2.0, 2.0)]),
                Series::solid("outside", vec![(2.0, 2.0), (3.0, 3.0)]),
            ],
            ..LineChart::default()
        };
        let svg = render((300, 300), |a| draw_lines(a, &chart, 1.0));
        assert_eq!(polyline_points(&svg, "#0072B2"), vec![3, 2]);
        assert_eq!(
            polyline_points(&svg, "#D55E00"),
            vec![2],
            "only the legend sample"
        );
        assert!(texts(&svg).contains(&"outside"));
        // The clipped end lies on the plot's top-right corner, not beyond the drawing.
        let line = tags(&svg, "polyline", "stroke", "#0072B2")[0];
        let points = line.split("points=\"").nth(1).expect("points");
        let last = points.split_whitespace().nth(2).expect("third point");
        let (x, y) = last.split_once(',').expect("x,y");
        let (x, y): (i32, i32) = (x.parse().expect("x"), y.parse().expect("y"));
        assert!((0..300).contains(&x) && (0..300).contains(&y), "{x},{y}");
    }

    #[test]
    fn splits_a_line_that_leaves_and_reenters_the_box() {
        let runs = clip_runs(
            &[(0.0, 0.5), (0.5, 1.5), (1.0, 0.5)],
            (0.0, 1.0),
            (0.0, 1.0),
        );
        // Exact by construction: the crossings of y = 1 are at x = 0.25 and x = 0.75.
        assert_eq!(
            runs,
            vec![vec![(0.0, 0.5), (0.25, 1.0)], vec![(0.75, 1.0), (1.0, 0.5)]]
        );
    }

    #[test]
    fn survives_empty_single_point_nan_and_degenerate_ranges() {
        let chart = LineChart {
            title: "Training loss".into(),
            x_desc: "Iteration".into(),
            y_desc: "Log loss".into(),
            x_range: (3.0, 3.0),
            y_range: (f64::NAN, 1.0),
            series: vec![
                Series::solid("empty", vec![]),
                Series::solid("one point", vec![(3.0, 0.5)]),
                Series::solid(
                    "with gaps",
                    vec![
                        (2.8, 0.1),
                        (f64::NAN, 0.2),
                        (3.0, f64::INFINITY),
                        (3.2, 0.3),
                    ],
                ),
            ],
            vline: Some((f64::NAN, "nowhere".into())),
            ..LineChart::default()
        };
        let svg = render((300, 200), |a| draw_lines(a, &chart, 1.0));
        for name in ["empty", "one point", "with gaps", "nowhere"] {
            assert!(texts(&svg).contains(&name), "{name}");
        }
        // A lone point is drawn as a dot; the NaN and infinite points are skipped.
        assert_eq!(tags(&svg, "circle", "fill", "#D55E00").len(), 1);
        assert_eq!(polyline_points(&svg, "#009E73"), vec![2, 2]);
        // Wholly empty charts draw too.
        render((200, 150), |a| draw_lines(a, &LineChart::default(), 1.0));
    }
}
