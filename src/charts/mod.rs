//! Charts drawn with plotters on any `DrawingBackend`.
//!
//! Each function takes a drawing area and data from the engine and returns `Result`; only the
//! UI creates a canvas backend, while tests (and later the HTML report) render the very same
//! function to SVG. Colours come from the Okabe-Ito palette, which stays distinguishable for
//! the common forms of colour blindness.

pub mod roc;

use plotters::style::RGBColor;

pub use roc::draw_roc;

/// Okabe-Ito blue: the primary series.
pub const BLUE: RGBColor = RGBColor(0, 114, 178);
/// Okabe-Ito vermillion: a contrasting series.
pub const VERMILLION: RGBColor = RGBColor(213, 94, 0);
/// Neutral grey for reference lines.
pub const GREY: RGBColor = RGBColor(136, 136, 136);

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
