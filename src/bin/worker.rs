//! The background worker: runs the engine's long jobs off the page's main thread.
//!
//! Trunk builds this binary for the browser as `worker.js` + `worker_bg.wasm` with a loader
//! (`worker_loader.js`). The page starts one per job, waits for its `ready` event, posts a
//! message `{ request: JSON, file: Blob }` and receives `{ event: JSON, buffers: [..] }`
//! messages: progress, then the result with one transferable buffer per column (see
//! `churnscope::engine::jobs`). Cancelling is the page terminating the worker.

#[cfg(target_arch = "wasm32")]
mod browser {
    use churnscope::engine::ingest::read_table_with_progress;
    use churnscope::engine::jobs::{
        split_dataset, ColumnValues, JobProgress, ReadRequest, ReadResult, WorkerEvent,
    };
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    use web_sys::{Blob, DedicatedWorkerGlobalScope, FileReaderSync, MessageEvent};

    fn scope() -> DedicatedWorkerGlobalScope {
        js_sys::global().unchecked_into()
    }

    fn now_ms() -> f64 {
        scope().performance().map_or(0.0, |p| p.now())
    }

    /// Posts an event, handing over `buffers` (moved, not copied).
    fn post(event: &WorkerEvent, buffers: &js_sys::Array) {
        let message = js_sys::Object::new();
        let json = serde_json::to_string(event).unwrap_or_else(|e| {
            format!(r#"{{"event":"failed","message":"could not encode the result: {e}"}}"#)
        });
        let _ = js_sys::Reflect::set(&message, &"event".into(), &json.into());
        let _ = js_sys::Reflect::set(&message, &"buffers".into(), buffers);
        let transfer = js_sys::Array::new();
        for b in buffers.iter() {
            if let Some(view) = b.dyn_ref::<js_sys::Float64Array>() {
                transfer.push(&view.buffer());
            } else if let Some(view) = b.dyn_ref::<js_sys::Uint32Array>() {
                transfer.push(&view.buffer());
            }
        }
        if scope()
            .post_message_with_transfer(&message, &transfer)
            .is_err()
        {
            let _ = scope().post_message(&message);
        }
    }

    fn fail(message: String) {
        post(&WorkerEvent::Failed { message }, &js_sys::Array::new());
    }

    fn handle(event: MessageEvent) {
        let data = event.data();
        let request = js_sys::Reflect::get(&data, &"request".into())
            .ok()
            .and_then(|r| r.as_string())
            .and_then(|r| serde_json::from_str::<ReadRequest>(&r).ok());
        let Some(request) = request else {
            return fail("the page sent the reader a job it does not understand".to_string());
        };
        let name = request.name.clone();
        let Some(file) = js_sys::Reflect::get(&data, &"file".into())
            .ok()
            .and_then(|f| f.dyn_into::<Blob>().ok())
        else {
            return fail(format!("{name}: the page sent no file"));
        };
        let bytes = match FileReaderSync::new().and_then(|r| r.read_as_array_buffer(&file)) {
            Ok(buffer) => js_sys::Uint8Array::new(&buffer).to_vec(),
            Err(e) => {
                return fail(format!(
                    "{name}: the browser could not read the file: {e:?}"
                ))
            }
        };
        let start = now_ms();
        let mut last = -1.0f64;
        let result = read_table_with_progress(&bytes, &request.options(), &mut |p| {
            let progress = JobProgress::of_read(p);
            // A report per percent is plenty.
            if progress.fraction - last >= 0.01 || progress.fraction >= 1.0 {
                last = progress.fraction;
                post(&WorkerEvent::Progress(progress), &js_sys::Array::new());
            }
        });
        drop(bytes);
        let (dataset, info) = match result {
            Ok(read) => read,
            Err(e) => return fail(format!("{name}: {e}")),
        };
        let parse_ms = now_ms() - start;
        post(
            &WorkerEvent::Progress(JobProgress {
                stage: "Profiling the columns".to_string(),
                fraction: 1.0,
            }),
            &js_sys::Array::new(),
        );
        let mut described = ReadResult::describe(&dataset, info, parse_ms);
        if let Some(fit) = &request.fit {
            post(
                &WorkerEvent::Progress(JobProgress {
                    stage: "Fitting the model (benchmark)".to_string(),
                    fraction: 1.0,
                }),
                &js_sys::Array::new(),
            );
            described.fit = Some(fit.run(&dataset, &|| now_ms() / 1000.0));
        }
        let (header, values) = split_dataset(dataset);
        described.header = header;
        let buffers = js_sys::Array::new();
        for v in values {
            // Each column is copied out of this worker's memory once, then freed here.
            match v {
                ColumnValues::Numbers(v) => buffers.push(&js_sys::Float64Array::from(&v[..])),
                ColumnValues::Codes(v) => buffers.push(&js_sys::Uint32Array::from(&v[..])),
            };
        }
        post(&WorkerEvent::Read(Box::new(described)), &buffers);
    }

    pub fn start() {
        console_error_panic_hook::set_once();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(handle);
        scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
        post(&WorkerEvent::Ready, &js_sys::Array::new());
    }
}

#[cfg(target_arch = "wasm32")]
fn main() {
    browser::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("worker is the browser app's background reader: Trunk builds it (see README.md).");
    std::process::exit(2);
}
