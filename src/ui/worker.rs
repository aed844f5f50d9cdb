//! The page's side of the background worker (`src/bin/worker.rs`).
//!
//! Each read gets a fresh worker: it is started, says `ready`, gets the file and the
//! request, reports progress and sends the table back as one buffer per column. Then it is
//! terminated, so the memory it used for a big file goes back to the browser at once.
//! Cancelling terminates it mid-read; the page keeps whatever it had before.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, ErrorEvent, MessageEvent, Worker};

use crate::engine::dataset::Dataset;
use crate::engine::jobs::{
    join_dataset, ColumnValues, JobProgress, ReadRequest, ReadResult, WorkerEvent,
};

/// The worker's loader, which Trunk writes next to `index.html`.
pub const WORKER_URL: &str = "./worker_loader.js";

type Done = Box<dyn FnOnce(Result<(Dataset, ReadResult), String>)>;

/// A running job: the worker and the callbacks it calls, kept alive until the next job.
struct Job {
    worker: Worker,
    done: Rc<RefCell<Option<Done>>>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

thread_local! {
    static CURRENT: RefCell<Option<Job>> = const { RefCell::new(None) };
}

/// Stops the running read, if any; its `done` callback is never called.
pub fn cancel() {
    CURRENT.with(|c| {
        if let Some(job) = c.borrow_mut().take() {
            job.done.borrow_mut().take();
            job.worker.terminate();
        }
    });
}

/// The table a finished read sent: its buffers, back into typed columns.
fn collect(data: &JsValue, result: ReadResult) -> Result<(Dataset, ReadResult), String> {
    let buffers: js_sys::Array = js_sys::Reflect::get(data, &"buffers".into())
        .map_err(|_| "the reader sent no values".to_string())?
        .dyn_into()
        .map_err(|_| "the reader sent values in an unknown form".to_string())?;
    let mut values = Vec::with_capacity(buffers.length() as usize);
    for b in buffers.iter() {
        if let Some(view) = b.dyn_ref::<js_sys::Float64Array>() {
            values.push(ColumnValues::Numbers(view.to_vec()));
        } else if let Some(view) = b.dyn_ref::<js_sys::Uint32Array>() {
            values.push(ColumnValues::Codes(view.to_vec()));
        } else {
            return Err("the reader sent values in an unknown form".to_string());
        }
    }
    let dataset = join_dataset(result.header.clone(), values)?;
    Ok((dataset, result))
}

/// Reads `file` in a new worker (stopping any read still running). `on_progress` gets each
/// progress report; `on_done` the table and its description, or a message for the user.
pub fn start_read(
    file: Blob,
    request: &ReadRequest,
    on_progress: impl Fn(JobProgress) + 'static,
    on_done: impl FnOnce(Result<(Dataset, ReadResult), String>) + 'static,
) -> Result<(), String> {
    cancel();
    let worker = Worker::new(WORKER_URL)
        .map_err(|e| format!("the browser could not start the background reader: {e:?}"))?;
    let request = serde_json::to_string(request).map_err(|e| e.to_string())?;
    let done: Rc<RefCell<Option<Done>>> = Rc::new(RefCell::new(Some(Box::new(on_done))));

    let finish = {
        let (done, worker) = (done.clone(), worker.clone());
        move |result: Result<(Dataset, ReadResult), String>| {
            worker.terminate();
            let callback = done.borrow_mut().take();
            if let Some(callback) = callback {
                callback(result);
            }
        }
    };
    let finish = Rc::new(RefCell::new(Some(finish)));

    let on_message = {
        let (worker, finish) = (worker.clone(), finish.clone());
        Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            let data = ev.data();
            let event = js_sys::Reflect::get(&data, &"event".into())
                .ok()
                .and_then(|e| e.as_string())
                .and_then(|e| serde_json::from_str::<WorkerEvent>(&e).ok());
            let end = |result| {
                if let Some(f) = finish.borrow_mut().take() {
                    f(result);
                }
            };
            match event {
                Some(WorkerEvent::Ready) => {
                    let message = js_sys::Object::new();
                    let _ =
                        js_sys::Reflect::set(&message, &"request".into(), &request.clone().into());
                    let _ = js_sys::Reflect::set(&message, &"file".into(), &file);
                    if let Err(e) = worker.post_message(&message) {
                        end(Err(format!(
                            "could not hand the file to the background reader: {e:?}"
                        )));
                    }
                }
                Some(WorkerEvent::Progress(p)) => on_progress(p),
                Some(WorkerEvent::Read(result)) => end(collect(&data, *result)),
                Some(WorkerEvent::Failed { message }) => end(Err(message)),
                None => end(Err(
                    "the background reader sent a message it should not".to_string()
                )),
            }
        })
    };
    let on_error = {
        let finish = finish.clone();
        Closure::<dyn FnMut(ErrorEvent)>::new(move |ev: ErrorEvent| {
            ev.prevent_default();
            if let Some(f) = finish.borrow_mut().take() {
                f(Err(format!(
                    "the background reader stopped unexpectedly ({}); the file may be damaged or too big for this tab",
                    ev.message()
                )));
            }
        })
    };
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    CURRENT.with(|c| {
        *c.borrow_mut() = Some(Job {
            worker,
            done,
            _on_message: on_message,
            _on_error: on_error,
        })
    });
    Ok(())
}

/// True while a read runs in a worker.
pub fn reading() -> bool {
    CURRENT.with(|c| {
        c.borrow()
            .as_ref()
            .is_some_and(|j| j.done.borrow().is_some())
    })
}
