//! A canvas that any chart of [`crate::charts`] draws on, sized in device pixels so it
//! stays crisp on high-DPI screens. The draw function may read signals: the chart is drawn
//! again when they change (a moving threshold, a growing loss curve).

use std::sync::Arc;

use gloo_timers::callback::Timeout;
use leptos::html::Canvas;
use leptos::prelude::*;
use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, IntoDrawingArea};
use plotters_canvas::CanvasBackend;

use churnscope_charts::ChartError;

/// Paints one chart on a canvas area at a scale (the device pixel ratio).
pub type Paint = Box<dyn FnOnce(&DrawingArea<CanvasBackend, Shift>, f64) -> Result<(), ChartError>>;

/// Reads what a chart shows (any signals it reads are tracked) and returns the painting,
/// which runs later in a task of its own: a page of charts then never blocks the main thread
/// for long in one go.
pub type Draw = Arc<dyn Fn() -> Paint + Send + Sync>;

/// A chart on a canvas. After drawing it carries `data-drawn="true"` and a `data-draws`
/// count (or `data-error` with the reason), which tests and scripts read.
#[component]
pub fn ChartCanvas(
    /// `data-testid` of the canvas.
    testid: &'static str,
    /// What the chart shows, for screen readers.
    #[prop(into)]
    label: String,
    /// Draws the chart.
    draw: Draw,
    /// CSS width in pixels.
    #[prop(default = 520.0)]
    width: f64,
    /// CSS height in pixels.
    #[prop(default = 400.0)]
    height: f64,
) -> impl IntoView {
    let canvas_ref = NodeRef::<Canvas>::new();
    let draws = StoredValue::new(0u32);
    // Only the latest request paints: a slider dragged fast queues several.
    let generation = StoredValue::new(0u64);
    Effect::new(move |_| {
        let Some(canvas) = canvas_ref.get() else {
            return;
        };
        let paint = draw();
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        Timeout::new(0, move || {
            if generation.try_get_value() == Some(mine) {
                paint_on(&canvas, paint, width, height, draws);
            }
        })
        .forget();
    });
    view! {
        <canvas
            node_ref=canvas_ref
            class="chart"
            data-testid=testid
            role="img"
            aria-label=label
            style:width=format!("{width}px")
            style:aspect-ratio=format!("{width} / {height}")
        ></canvas>
    }
}

/// Sizes `canvas` in device pixels and paints on it, recording the outcome in its
/// `data-*` attributes.
fn paint_on(
    canvas: &web_sys::HtmlCanvasElement,
    paint: Paint,
    width: f64,
    height: f64,
    draws: StoredValue<u32>,
) {
    {
        let scale = window().device_pixel_ratio().max(1.0);
        canvas.set_width((width * scale) as u32);
        canvas.set_height((height * scale) as u32);
        let result = CanvasBackend::with_canvas_object(canvas.clone())
            .ok_or_else(|| "no 2D drawing context".to_string())
            .and_then(|backend| {
                paint(&backend.into_drawing_area(), scale).map_err(|e| e.to_string())
            });
        match result {
            Ok(()) => {
                draws.update_value(|n| *n += 1);
                let n = draws.try_get_value().unwrap_or(0);
                let _ = canvas.set_attribute("data-drawn", "true");
                let _ = canvas.set_attribute("data-draws", &n.to_string());
                let _ = canvas.remove_attribute("data-error");
            }
            Err(e) => {
                let _ = canvas.set_attribute("data-error", &e);
            }
        }
    }
}
