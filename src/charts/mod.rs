//! Charts drawn with plotters on any `DrawingBackend`.
//!
//! Each function takes a drawing area and data from the engine and returns `Result`; only the
//! UI creates a canvas backend, while tests (and later the HTML report) render the very same
//! function to SVG. Colours come from the Okabe-Ito palette, which stays distinguishable for
//! the common forms of colour blindness.

pub mod bars;
pub mod histogram;
pub mod lines;
pub mod roc;
#[cfg(test)]
mod testing;

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
fn percent(v: &f64) -> String {
    let p = v * 100.0;
    if p.abs() < 0.5 {
        "0%".to_string()
    } else {
        format!("{p:.0}%")
    }
}
