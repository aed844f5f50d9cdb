//! The ROC chart on a canvas, drawn by [`crate::charts::draw_roc`].

use leptos::html::Canvas;
use leptos::prelude::*;
use plotters::prelude::IntoDrawingArea;
use plotters_canvas::CanvasBackend;

use crate::charts::draw_roc;
use crate::engine::metrics::RocCurve;

const WIDTH: f64 = 560.0;
const HEIGHT: f64 = 440.0;

/// Canvas with the ROC curve; sized in device pixels so it stays crisp on high-DPI screens.
/// After drawing it carries `data-drawn="true"` (or `data-error` with the reason).
#[component]
pub fn RocChart(
    /// The curve to draw.
    curve: RocCurve,
    /// Its area, shown in the legend.
    auc: f64,
) -> impl IntoView {
    let canvas_ref = NodeRef::<Canvas>::new();
    Effect::new(move |_| {
        let Some(canvas) = canvas_ref.get() else {
            return;
        };
        let scale = window().device_pixel_ratio().max(1.0);
        canvas.set_width((WIDTH * scale) as u32);
        canvas.set_height((HEIGHT * scale) as u32);
        let result = CanvasBackend::with_canvas_object(canvas.clone())
            .ok_or_else(|| "no 2D drawing context".to_string())
            .and_then(|backend| {
                draw_roc(&backend.into_drawing_area(), &curve, auc, scale)
                    .map_err(|e| e.to_string())
            });
        match result {
            Ok(()) => {
                let _ = canvas.set_attribute("data-drawn", "true");
            }
            Err(e) => {
                let _ = canvas.set_attribute("data-error", &e);
            }
        }
    });
    view! {
        <canvas
            node_ref=canvas_ref
            class="chart"
            data-testid="roc-chart"
            role="img"
            aria-label=format!("ROC curve of the model on the test set, area under the curve {auc:.3}")
            style=format!("width:{WIDTH}px;height:{HEIGHT}px")
        ></canvas>
    }
}
