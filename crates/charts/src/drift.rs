//! One column's drift as a picture: the reference and the current distributions over the
//! same bins (the reference's deciles, or its levels plus "other"), as pairs of horizontal
//! bars, reference in blue above current in vermillion, so a shift shows as bars that no
//! longer match.

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::bars::MAX_LABEL_CHARS;
use super::{font, percent, px, ChartError, BLUE, VERMILLION};
use churnscope_engine::dataset::char_display_columns;
use churnscope_engine::monitoring::drift::DriftBin;

/// The height of a drift chart with `bins` rows at scale 1.
pub fn drift_chart_height(bins: usize) -> u32 {
    (90 + 34 * bins.max(1)) as u32
}

/// Draws `bins` of `column` on `area`: a pair of bars per bin, the share of present values
/// in it at training (blue) and now (vermillion). Shares outside 0..1 are clamped.
pub fn draw_drift_bins<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    column: &str,
    bins: &[DriftBin],
    scale: f64,
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    let px = |v: f64| px(scale, v);
    let font = |size: f64| font(scale, size);
    let n = bins.len().max(1);
    let top = bins
        .iter()
        .flat_map(|b| [b.reference, b.current])
        .filter(|x| x.is_finite())
        .fold(0.0f64, f64::max)
        .clamp(0.01, 1.0);
    let labels: Vec<String> = bins.iter().map(|b| shorten(&b.label)).collect();
    area.fill(&WHITE)?;
    let mut ctx = ChartBuilder::on(area)
        .caption(format!("{column}: training against now"), font(15.0))
        .margin(px(10.0))
        .x_label_area_size(px(40.0))
        .y_label_area_size(px(150.0))
        .build_cartesian_2d(0.0..top * 1.1, -0.5..n as f64 - 0.5)?;
    let label_of = |y: &f64| {
        let i = y.round();
        if (y - i).abs() < 1e-9 && i >= 0.0 {
            labels.get(i as usize).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    };
    ctx.configure_mesh()
        .x_desc("Share of the column's present values")
        .label_style(font(12.0))
        .axis_desc_style(font(12.0))
        .x_labels(5)
        .x_label_formatter(&percent)
        .y_labels(n + 1)
        .y_label_formatter(&label_of)
        .disable_y_mesh()
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.08))
        .draw()?;
    draw_pairs(&mut ctx, bins, scale)?;
    if bins.is_empty() {
        let style = TextStyle::from(font(13.0)).pos(Pos::new(HPos::Center, VPos::Center));
        let (w, h) = area.dim_in_pixel();
        area.draw_text("no values to compare", &style, (w as i32 / 2, h as i32 / 2))?;
    }
    area.present()?;
    Ok(())
}

/// The pairs of bars, reference above current in each row, and their legend.
fn draw_pairs<'a, DB: DrawingBackend + 'a>(
    ctx: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    bins: &[DriftBin],
    scale: f64,
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    let px = |v: f64| px(scale, v);
    let font = |size: f64| font(scale, size);
    let clamp = |x: f64| {
        if x.is_finite() {
            x.clamp(0.0, 1.0)
        } else {
            0.0
        }
    };
    // Row i runs from i - 0.5 (drawn at the bottom) to i + 0.5; the reference bar takes the
    // upper part of the row, the current bar the lower part.
    for (name, colour, (lo, hi), pick) in [
        (
            "at training",
            BLUE,
            (0.02, 0.36),
            (|b: &DriftBin| b.reference) as fn(&DriftBin) -> f64,
        ),
        ("now", VERMILLION, (-0.36, -0.02), |b: &DriftBin| b.current),
    ] {
        let rects = bins.iter().enumerate().map(move |(i, b)| {
            let y = i as f64;
            Rectangle::new([(0.0, y + lo), (clamp(pick(b)), y + hi)], colour.filled())
        });
        let (w, h) = (px(14.0) as i32, px(5.0) as i32);
        ctx.draw_series(rects)?
            .label(name)
            .legend(move |(x, y)| Rectangle::new([(x, y - h), (x + w, y + h)], colour.filled()));
    }
    ctx.configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.3))
        .label_font(font(12.0))
        .draw()?;
    Ok(())
}

/// `label` cut to what the label area holds: past 24 columns, its first 24 and "…".
fn shorten(label: &str) -> String {
    let mut used = 0;
    let mut out = String::new();
    for c in label.chars() {
        used += char_display_columns(c);
        if used > MAX_LABEL_CHARS - 4 {
            out.push('…');
            return out;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{render, tags, texts};

    fn bin(label: &str, reference: f64, current: f64) -> DriftBin {
        DriftBin {
            label: label.into(),
            reference,
            current,
        }
    }

    #[test]
    fn each_bin_gets_a_bar_per_side_and_its_label() {
        let bins = [bin("≤ 10", 0.5, 0.2), bin("> 10", 0.5, 0.8)];
        let svg = render((560, drift_chart_height(2)), |a| {
            draw_drift_bins(a, "tenure", &bins, 1.0)
        });
        // Two bars per side plus the legend's swatch.
        assert_eq!(tags(&svg, "rect", "fill", "#0072B2").len(), 3, "{svg}");
        assert_eq!(tags(&svg, "rect", "fill", "#D55E00").len(), 3);
        let text = texts(&svg).join("|");
        for wanted in ["≤ 10", "&gt; 10", "tenure: training against now", "now"] {
            assert!(text.contains(wanted), "{wanted} in {text}");
        }
    }

    #[test]
    fn an_empty_column_says_so() {
        let svg = render((560, drift_chart_height(0)), |a| {
            draw_drift_bins(a, "x", &[], 1.0)
        });
        assert!(texts(&svg).contains(&"no values to compare"));
    }

    #[test]
    fn long_labels_are_cut() {
        assert_eq!(shorten("short"), "short");
        let cut = shorten(&"x".repeat(60));
        assert!(cut.ends_with('…') && cut.chars().count() == MAX_LABEL_CHARS - 3);
    }
}
