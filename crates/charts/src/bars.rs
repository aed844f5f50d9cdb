//! Horizontal bar charts of signed values with optional error bars: logistic-regression
//! coefficients (or odds ratios) by column, permutation importance with its spread.
//!
//! Bars are drawn top to bottom in the order given, from zero to the value; labels sit on the
//! left, truncated with "…" past [`MAX_LABEL_CHARS`] columns (a Chinese, Japanese or
//! Korean character takes two, as it is drawn about twice as wide as a Latin letter). A spread `s` is drawn as a
//! whisker from `value - s` to `value + s` with caps at both ends.

use std::ops::Range;

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{fix_range, font, px, ChartError, BLUE, INK, VERMILLION};
use churnscope_engine::dataset::{char_display_columns, display_columns};

/// Widest label shown in full, in columns of [`display_columns`]; longer ones keep what fits
/// in 27 columns and "…".
pub const MAX_LABEL_CHARS: usize = 28;

/// Pixels one label column takes at the 12-point label font (Latin letters average about
/// 6.6 px in the browsers' sans-serif fonts; wide characters take two columns).
const COLUMN_PX: f64 = 6.6;

/// One bar.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Bar {
    pub label: String,
    /// The bar runs from 0 to `value`; a non-finite value leaves the row empty.
    pub value: f64,
    /// Half-width of the error bar (e.g. the standard deviation over repeats), if any.
    pub spread: Option<f64>,
}

/// A horizontal bar chart.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BarChart {
    pub title: String,
    /// Description of the value axis, e.g. "Coefficient (log-odds per standard deviation)".
    pub value_desc: String,
    /// Drawn top to bottom in this order.
    pub bars: Vec<Bar>,
    /// When set, positive bars are vermillion and negative ones blue, and the legend says which
    /// raises and which lowers churn risk; otherwise every bar is blue and there is no legend.
    pub signed_legend: bool,
}

/// Legend entry of the positive (vermillion) bars when `signed_legend` is set.
pub const RAISES: &str = "raises churn risk";
/// Legend entry of the negative (blue) bars when `signed_legend` is set.
pub const LOWERS: &str = "lowers churn risk";

/// Draws `chart` on `area`; `scale` multiplies text sizes and line widths (see
/// [`draw_lines`](super::draw_lines)).
pub fn draw_bars<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &BarChart,
    scale: f64,
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    let labels: Vec<String> = chart.bars.iter().map(|b| truncate(&b.label)).collect();
    let widest = widest_label(area, &labels, scale);
    // The legend gets a strip of its own below the chart, where it cannot hide a bar.
    area.fill(&WHITE)?;
    let (_, height) = area.dim_in_pixel();
    let strip = if chart.signed_legend {
        px(scale, 30.0).min(height / 3)
    } else {
        0
    };
    let (plot, legend) = area.split_vertically(height - strip);
    let mut ctx = build_plot(&plot, chart, Rows { labels }, widest, scale)?;
    draw_bar_rows(&mut ctx, chart, scale)?;
    if chart.signed_legend {
        draw_signed_legend(&legend, scale)?;
    }
    area.present()?;
    Ok(())
}

/// The plot's value axis and category rows: row r (from the bottom) holds bar n - 1 - r, so
/// the first bar is on top.
type Plot<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, Rows>>;

/// Half-width of `bar`'s error bar; 0 without a finite spread.
fn spread(bar: &Bar) -> f64 {
    bar.spread.filter(|s| s.is_finite()).map_or(0.0, f64::abs)
}

/// The value axis: from the lowest to the highest whisker end, always including zero, padded
/// by 6% on the side where bars are.
fn value_range(bars: &[Bar]) -> (f64, f64) {
    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    for bar in bars.iter().filter(|b| b.value.is_finite()) {
        lo = lo.min(bar.value - spread(bar));
        hi = hi.max(bar.value + spread(bar));
    }
    let pad = (hi - lo) * 0.06;
    fix_range((
        if lo < 0.0 { lo - pad } else { 0.0 },
        if hi > 0.0 { hi + pad } else { 0.0 },
    ))
}

/// The width of the widest label at scale 1, for the label strip: the backend's own measure
/// (a canvas measures with the page's fonts) or two columns per wide character, whichever is
/// larger, so a Chinese label is never clipped at the left edge (it was, when each character
/// was counted as one Latin letter).
pub(super) fn widest_label<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    labels: &[String],
    scale: f64,
) -> f64 {
    let label_style = TextStyle::from(FontDesc::from(font(scale, 12.0)));
    let mut widest = 0.0f64;
    for label in labels {
        let measured = area
            .estimate_text_size(label, &label_style)
            .map_or(0.0, |(w, _)| f64::from(w) / scale);
        widest = widest
            .max(measured)
            .max(display_columns(label) as f64 * COLUMN_PX);
    }
    widest
}

/// The title, the value axis with its grid and the labelled rows on `plot`.
fn build_plot<'a, DB: DrawingBackend>(
    plot: &'a DrawingArea<DB, Shift>,
    chart: &BarChart,
    rows: Rows,
    widest: f64,
    scale: f64,
) -> Result<Plot<'a, DB>, ChartError>
where
    DB::ErrorType: 'static,
{
    let px = |v: f64| px(scale, v);
    let font = |size: f64| font(scale, size);
    let (lo, hi) = value_range(&chart.bars);
    let mut builder = ChartBuilder::on(plot);
    builder
        .margin(px(12.0))
        .x_label_area_size(px(42.0))
        .y_label_area_size(px(widest + 14.0));
    if !chart.title.is_empty() {
        builder.caption(&chart.title, font(17.0));
    }
    let mut ctx = builder.build_cartesian_2d(lo..hi, rows)?;
    ctx.configure_mesh()
        .x_desc(&chart.value_desc)
        .label_style(font(12.0))
        .axis_desc_style(font(12.0))
        .x_labels(6)
        .disable_y_mesh()
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.08))
        .draw()?;
    Ok(ctx)
}

/// The bars, the zero line, then the whiskers over the bars.
fn draw_bar_rows<DB: DrawingBackend>(
    ctx: &mut Plot<'_, DB>,
    chart: &BarChart,
    scale: f64,
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    let n = chart.bars.len();
    let colour = |v: f64| {
        if chart.signed_legend && v > 0.0 {
            VERMILLION
        } else {
            BLUE
        }
    };
    let shown = || {
        chart
            .bars
            .iter()
            .enumerate()
            .filter(|(_, b)| b.value.is_finite())
            .map(|(i, b)| ((n - 1 - i) as f64, b))
    };
    ctx.draw_series(shown().map(|(row, bar)| {
        Rectangle::new(
            [(0.0, row + 0.18), (bar.value, row + 0.82)],
            colour(bar.value).filled(),
        )
    }))?;
    ctx.draw_series(std::iter::once(PathElement::new(
        vec![(0.0, 0.0), (0.0, n.max(1) as f64)],
        BLACK.mix(0.6).stroke_width(px(scale, 1.0)),
    )))?;
    let whisker = ShapeStyle::from(INK).stroke_width(px(scale, 1.0));
    let cap = px(scale, 4.0) as i32;
    let whiskers = || {
        shown().filter_map(|(row, bar)| {
            let s = spread(bar);
            bar.spread.is_some_and(f64::is_finite).then_some((
                bar.value - s,
                bar.value + s,
                row + 0.5,
            ))
        })
    };
    ctx.draw_series(whiskers().map(|(a, b, y)| PathElement::new(vec![(a, y), (b, y)], whisker)))?;
    ctx.draw_series(whiskers().flat_map(|(a, b, y)| {
        [a, b].map(|x| {
            EmptyElement::at((x, y)) + PathElement::new(vec![(0, -cap), (0, cap)], whisker)
        })
    }))?;
    Ok(())
}

/// The swatches and names of the two bar colours in one centred row.
fn draw_signed_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    scale: f64,
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    let px = |v: f64| px(scale, v) as i32;
    let style =
        TextStyle::from(font(scale, 12.0).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    let entries = [(RAISES, VERMILLION), (LOWERS, BLUE)];
    let (swatch, gap, spacing) = (px(12.0), px(6.0), px(24.0));
    let mut widths = Vec::with_capacity(entries.len());
    for (name, _) in entries {
        widths.push(area.estimate_text_size(name, &style)?.0 as i32);
    }
    let total = widths.iter().map(|w| swatch + gap + w).sum::<i32>() + spacing;
    let (width, height) = area.dim_in_pixel();
    let (mut x, y) = ((width as i32 - total).max(0) / 2, height as i32 / 2);
    let half = px(5.0);
    for ((name, colour), w) in entries.into_iter().zip(widths) {
        area.draw(&Rectangle::new(
            [(x, y - half), (x + swatch, y + half)],
            colour.filled(),
        ))?;
        area.draw(&Text::new(name, (x + swatch + gap, y), style.clone()))?;
        x += swatch + gap + w + spacing;
    }
    Ok(())
}

/// `label`, or as much of its start as fits in `MAX_LABEL_CHARS - 1` columns and "…".
fn truncate(label: &str) -> String {
    if display_columns(label) <= MAX_LABEL_CHARS {
        return label.to_string();
    }
    let mut short = String::new();
    let mut used = 0;
    for c in label.chars() {
        used += char_display_columns(c);
        if used > MAX_LABEL_CHARS - 1 {
            break;
        }
        short.push(c);
    }
    short.push('…');
    short
}

/// The category axis: `labels.len()` rows of height 1 from the bottom, the last label in the
/// bottom row, with a tick and its label at the centre of each row.
struct Rows {
    labels: Vec<String>,
}

impl Ranged for Rows {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let rows = self.labels.len().max(1) as f64;
        let t = value / rows;
        (f64::from(limit.0) + t * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, _hint: Hint) -> Vec<f64> {
        (0..self.labels.len()).map(|r| r as f64 + 0.5).collect()
    }

    fn range(&self) -> Range<f64> {
        0.0..self.labels.len().max(1) as f64
    }
}

impl ValueFormatter<f64> for Rows {
    fn format_ext(&self, value: &f64) -> String {
        let row = value.floor();
        let n = self.labels.len();
        if row < 0.0 || row >= n as f64 {
            return String::new();
        }
        self.labels[n - 1 - row as usize].clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{assert_escaped, render, tags, texts, HOSTILE};

    /// The `y` attribute of the `<text>` whose body is `body`.
    fn text_y(svg: &str, body: &str) -> i32 {
        svg.split("<text ")
            .find(|t| {
                t.split_once('>')
                    .is_some_and(|(_, b)| b.trim_start().starts_with(body))
            })
            .and_then(|t| t.split("y=\"").nth(1))
            .and_then(|t| t.split('"').next())
            .and_then(|y| y.parse().ok())
            .expect("text with its y")
    }

    fn coefficients() -> BarChart {
        BarChart {
            title: "Logistic regression coefficients".into(),
            value_desc: "Change in log-odds of churn per standard deviation".into(),
            bars: vec![
                Bar {
                    label: "tenure".into(),
                    value: -1.2,
                    spread: Some(0.1),
                },
                Bar {
                    label: "Contract_Month-to-month".into(),
                    value: 0.8,
                    spread: None,
                },
                Bar {
                    label: "a_column_with_an_extremely_long_name_indeed".into(),
                    value: 0.3,
                    spread: Some(0.05),
                },
                Bar {
                    label: HOSTILE.into(),
                    value: -0.1,
                    spread: None,
                },
            ],
            signed_legend: true,
        }
    }

    #[test]
    fn colours_bars_by_sign_with_labels_whiskers_and_legend() {
        let svg = render((560, 360), |a| draw_bars(a, &coefficients(), 1.0));
        let text = texts(&svg);
        for expected in [
            "Logistic regression coefficients",
            "Change in log-odds of churn per standard deviation",
            "tenure",
            "Contract_Month-to-month",
            "a_column_with_an_extremely_…",
            RAISES,
            LOWERS,
        ] {
            assert!(text.contains(&expected), "{expected} missing from {text:?}");
        }
        assert!(!svg.contains("extremely_long_name_indeed"));
        // Two positive bars and one legend swatch in vermillion; two negative and a swatch in blue.
        assert_eq!(tags(&svg, "rect", "fill", "#D55E00").len(), 3);
        assert_eq!(tags(&svg, "rect", "fill", "#0072B2").len(), 3);
        // Two bars with a spread: a whisker and two caps each.
        assert_eq!(tags(&svg, "polyline", "stroke", "#333333").len(), 6);
        // Drawn in the order given, top to bottom.
        assert!(text_y(&svg, "tenure") < text_y(&svg, "Contract_Month-to-month"));
        assert!(text_y(&svg, "Contract_Month-to-month") < text_y(&svg, "a_column"));
        assert_escaped(&svg);
    }

    #[test]
    fn unsigned_bars_are_all_blue_without_a_legend() {
        let chart = BarChart {
            title: "Permutation importance".into(),
            value_desc: "Drop in ROC AUC when the column is shuffled".into(),
            bars: vec![
                Bar {
                    label: "tenure".into(),
                    value: 0.05,
                    spread: Some(0.01),
                },
                Bar {
                    label: "gender".into(),
                    value: -0.001,
                    spread: Some(0.002),
                },
            ],
            signed_legend: false,
        };
        let svg = render((480, 240), |a| draw_bars(a, &chart, 1.0));
        assert_eq!(tags(&svg, "rect", "fill", "#0072B2").len(), 2);
        assert!(tags(&svg, "rect", "fill", "#D55E00").is_empty());
        assert!(!svg.contains(RAISES));
        assert!(svg.contains("Drop in ROC AUC when the column is shuffled"));
    }

    #[test]
    fn survives_no_bars_zero_and_nan_values() {
        render((300, 200), |a| draw_bars(a, &BarChart::default(), 1.0));
        let chart = BarChart {
            title: "odd".into(),
            value_desc: "value".into(),
            bars: vec![
                Bar {
                    label: "zero".into(),
                    value: 0.0,
                    spread: None,
                },
                Bar {
                    label: "nan".into(),
                    value: f64::NAN,
                    spread: Some(f64::NAN),
                },
                Bar {
                    label: "nan spread".into(),
                    value: 1.0,
                    spread: Some(f64::NAN),
                },
            ],
            signed_legend: true,
        };
        let svg = render((300, 200), |a| draw_bars(a, &chart, 1.0));
        for label in ["zero", "nan", "nan spread"] {
            assert!(texts(&svg).contains(&label), "{label}");
        }
        assert!(tags(&svg, "polyline", "stroke", "#333333").is_empty());
    }

    /// The left edge of the first bar: where the label strip ends.
    fn first_bar_x(svg: &str) -> i32 {
        tags(svg, "rect", "fill", "#0072B2")
            .first()
            .and_then(|t| format!(" {t}").split(" x=\"").nth(1).map(str::to_string))
            .and_then(|t| t.split('"').next().and_then(|x| x.parse().ok()))
            .expect("a blue bar with its x")
    }

    /// Telco's `tenure` as a Chinese export names it (在网月数, "months on the network").
    /// It was drawn as `网月数`: the strip was sized at 6.6 px a character, half what a
    /// Chinese character takes, so the first one fell off the left edge.
    #[test]
    fn chinese_labels_get_room_for_every_character() {
        let chart = |label: &str| BarChart {
            bars: vec![Bar {
                label: label.into(),
                value: 0.4,
                spread: None,
            }],
            ..Default::default()
        };
        let latin = render((480, 200), |a| draw_bars(a, &chart("abcd"), 1.0));
        let chinese = render((480, 200), |a| draw_bars(a, &chart("在网月数"), 1.0));
        assert!(texts(&chinese).contains(&"在网月数"));
        // Four wide characters take eight columns of 6.6 px: 26.4 px more than four letters
        // (the SVG backend measures no wider than that).
        assert!(
            first_bar_x(&chinese) >= first_bar_x(&latin) + 26,
            "{} vs {}",
            first_bar_x(&chinese),
            first_bar_x(&latin)
        );
        assert_eq!(display_columns("在网月数"), 8);
        assert_eq!(display_columns("tenure 在网"), 11);
        // Long Chinese labels are cut by width: 13 characters (26 columns) and "…".
        let long = "客户最近一次下单距今的天数与平均间隔之比";
        assert_eq!(truncate(long).chars().count(), 14);
        assert!(truncate(long).ends_with('…'));
    }
}
