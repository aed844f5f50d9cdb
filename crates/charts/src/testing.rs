//! Helpers for the chart tests: render to an SVG string and pick elements out of it.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::ChartError;

/// Renders `draw` on a `width` × `height` SVG and returns the document.
pub fn render(
    (width, height): (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), ChartError>,
) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        draw(&root).expect("the chart draws");
    }
    // One complete document: nothing drawn after the backend closed it.
    assert_eq!(svg.matches("<svg").count(), 1);
    assert_eq!(svg.matches("</svg>").count(), 1);
    assert!(
        svg.trim_end().ends_with("</svg>"),
        "drawn after closing: {svg}"
    );
    svg
}

/// The opening tags `<name …/>` of the SVG whose attribute `attr` is `value`.
pub fn tags<'a>(svg: &'a str, name: &str, attr: &str, value: &str) -> Vec<&'a str> {
    let wanted = format!("{attr}=\"{value}\"");
    svg.split(&format!("<{name} "))
        .skip(1)
        .map(|rest| rest.split('>').next().unwrap_or(""))
        .filter(|tag| tag.contains(&wanted))
        .collect()
}

/// The number of points of each `<polyline>` stroked in `colour` (e.g. "#0072B2"), in order.
pub fn polyline_points(svg: &str, colour: &str) -> Vec<usize> {
    tags(svg, "polyline", "stroke", colour)
        .iter()
        .map(|tag| {
            tag.split("points=\"")
                .nth(1)
                .and_then(|s| s.split('"').next())
                .map_or(0, |s| s.split_whitespace().count())
        })
        .collect()
}

/// `<text>` contents of the SVG (entities left escaped).
pub fn texts(svg: &str) -> Vec<&str> {
    svg.split("<text ")
        .skip(1)
        .filter_map(|rest| rest.split_once('>'))
        .map(|(_, body)| body.split("</text>").next().unwrap_or("").trim())
        .collect()
}

pub const HOSTILE: &str = "<img src=x onerror=alert(1)>";

/// The hostile label appears escaped and never raw.
pub fn assert_escaped(svg: &str) {
    assert!(!svg.contains(HOSTILE), "raw markup in the SVG");
    assert!(svg.contains("&lt;img src=x onerror=alert(1)&gt;"), "{svg}");
}
