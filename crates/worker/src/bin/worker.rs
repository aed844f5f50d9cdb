//! The background worker: runs the engine's long jobs off the page's main thread.
//!
//! Trunk builds this binary for the browser as `worker.js` + `worker_bg.wasm` with a loader
//! (`worker_loader.js`). The page starts one per job (one per part of a job it shares out
//! over a pool: a slice of the customers to score, some of the models to train), waits for
//! its `ready` event, posts a message `{ request: JSON, file: Blob }` (a read), `{ train:
//! JSON, buffers: [..], trees?: [..] }` (a training run on a table the page holds, with a
//! forest's trees grown by the pool, packed), `{ cv: JSON, buffers: [..] }` (a share of one
//! model's cross-validation), `{ forest: JSON, buffers: [..] }` (a share of one forest's
//! trees, sent back packed in two buffers), `{ explain: JSON, pipeline: JSON, buffers: [..]
//! }` (a share of explaining one model, on the rows it uses), `{ score: JSON, buffers: [..] }` (scoring every
//! customer for the action list), `{ model: JSON, buffers: [..] }` (a model file from a
//! training run), `{ monitor: JSON, file: Blob }` (a new export checked against a saved
//! model, or a retrain on it) or `{ orders: JSON, buffers: [..] }` (an order log turned into
//! customers) and receives `{ event: JSON, buffers: [..] }`
//! messages: progress, then the result with one transferable buffer per column (see
//! `churnscope_worker::jobs`). Cancelling is the page terminating the worker.

#[cfg(target_arch = "wasm32")]
mod browser {
    use churnscope_engine::dataset::Dataset;
    use churnscope_engine::evaluating::evaluation::{run_plan, PlanProgress};
    use churnscope_engine::modelling::models::GrownTree;
    use churnscope_engine::orders::baselines;
    use churnscope_engine::reading::ingest::read_table_with_progress;
    use churnscope_engine::reading::ingest::ReadInfo;
    use churnscope_worker::buffers::{transfer_list, values_from_js, values_to_js};
    use churnscope_worker::jobs::{
        join_dataset, pack_forest, split_dataset, unpack_forest, ColumnValues, CvRequest,
        DatasetHeader, ErrorMessage, ExplainRequest, ForestRequest, JobProgress, ReadRequest,
        ReadResult, ScoreRequest, TrainRequest, WorkerEvent,
    };
    use churnscope_worker::monitor::{ModelRequest, MonitorRequest, MonitorTask};
    use churnscope_worker::orders::{OrdersRequest, OrdersResult};
    use std::cell::RefCell;
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
        let transfer = transfer_list(buffers);
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

    /// Trains every model of the plan in `request` (JSON) on the table in `data.buffers`,
    /// posting each model as it finishes and progress (with the live loss curve) at most
    /// every 100 ms.
    fn train(data: &JsValue, request: &str) {
        let request = match serde_json::from_str::<TrainRequest>(request) {
            Ok(r) => r,
            Err(e) => {
                return fail(format!(
                    "the page sent a training job the worker does not understand: {e}"
                ))
            }
        };
        let dataset = match dataset_from(data, request.header.clone()) {
            Ok(d) => d,
            Err(e) => return fail(e),
        };
        let mut request = request;
        match grown_trees(data) {
            Ok(None) => {}
            Ok(Some(trees)) => request.plan.grown_trees = Some(trees),
            Err(e) => return fail(e),
        }
        let mut tracker = PlanProgress::new(&request.plan);
        if let Some((numbers, total)) = request.numbering.clone() {
            tracker = tracker.numbered(numbers, total);
        }
        let mut last = f64::NEG_INFINITY;
        let mut test_rows: Option<Vec<usize>> = None;
        let result = run_plan(
            &dataset,
            &request.plan,
            |model, p| {
                tracker.observe(model, p);
                let t = now_ms();
                if t - last >= 100.0 {
                    last = t;
                    post(
                        &WorkerEvent::Progress(tracker.report()),
                        &js_sys::Array::new(),
                    );
                }
                true
            },
            &|| now_ms() / 1000.0,
            |mut run| {
                test_rows.get_or_insert_with(|| run.test_rows.clone());
                // A forest's trees go packed beside the run, not as text.
                let (bare, trees) = pack_forest(&run.outcome.pipeline);
                run.outcome.pipeline = bare;
                post(
                    &WorkerEvent::ModelTrained(Box::new(run)),
                    &values_to_js(trees),
                )
            },
        );
        if let Err(e) = result {
            return fail(e.to_string());
        }
        if let (Some(horizon), Some(rows)) = (request.baseline_horizon_days, test_rows) {
            post(
                &WorkerEvent::Progress(JobProgress::new("Fitting BG/NBD and Pareto/NBD", 1.0)),
                &js_sys::Array::new(),
            );
            let runs = baselines::evaluate(
                &dataset,
                &request.plan.config.target,
                &rows,
                horizon,
                &|| false,
            )
            .map_err(ErrorMessage);
            post(&WorkerEvent::Baselines(runs), &js_sys::Array::new());
        }
        post(&WorkerEvent::Finished, &js_sys::Array::new());
    }

    /// Turns the order log in `data.buffers` into customers as `request` (JSON) says,
    /// posting progress at most every 100 ms; the two tables go back as buffers.
    fn orders(data: &JsValue, request: &str) {
        let request = match serde_json::from_str::<OrdersRequest>(request) {
            Ok(r) => r,
            Err(e) => {
                return fail(format!(
                    "the page sent an order log job the worker does not understand: {e}"
                ))
            }
        };
        let log = match dataset_from(data, request.header.clone()) {
            Ok(d) => d,
            Err(e) => return fail(e),
        };
        match request.run(&log, throttled()) {
            Ok(customers) => {
                drop(log);
                let (result, values) = OrdersResult::split(customers);
                post(
                    &WorkerEvent::Derived(Box::new(result)),
                    &values_to_js(values),
                );
            }
            Err(e) => fail(e),
        }
    }

    /// Scores every customer of the table in `data.buffers` with the pipeline in `request`
    /// (JSON), with their reasons, posting progress at most every 100 ms.
    fn score(data: &JsValue, request: &str) {
        let trees = match packed_trees(data) {
            Ok(t) => t,
            Err(e) => return fail(e),
        };
        let trees = RefCell::new(Some(trees));
        table_job::<ScoreRequest>(
            data,
            request,
            "a scoring job",
            |request, dataset| {
                let mut request = request.clone();
                let trees = trees.borrow_mut().take().unwrap_or_default();
                unpack_forest(&mut request.pipeline, trees)?;
                let customers = request
                    .run(dataset, throttled())
                    .map_err(|e| e.to_string())?;
                Ok(WorkerEvent::Scored { customers })
            },
            &RefCell::default(),
        )
    }

    /// Runs this worker's share of one model's cross-validation (`request`, JSON) on the
    /// table in `data.buffers`, posting progress at most every 100 ms, then the scores.
    fn cv(data: &JsValue, request: &str) {
        table_job::<CvRequest>(
            data,
            request,
            "a cross-validation job",
            |request, dataset| {
                let scores = request
                    .run(dataset, throttled())
                    .map_err(|e| e.to_string())?;
                Ok(WorkerEvent::CvScores { scores })
            },
            &RefCell::default(),
        )
    }

    /// Grows this worker's share of one forest's trees (`request`, JSON) on the table in
    /// `data.buffers`, posting progress at most every 100 ms, then the trees packed in two
    /// buffers ([`GrownTree::pack`]), transferred rather than written out as text.
    fn forest(data: &JsValue, request: &str) {
        let packed = RefCell::new(js_sys::Array::new());
        table_job::<ForestRequest>(
            data,
            request,
            "a job of growing trees",
            |request, dataset| {
                let trees = request
                    .run(dataset, throttled())
                    .map_err(|e| e.to_string())?;
                let (ints, floats) = GrownTree::pack(&trees);
                *packed.borrow_mut() = values_to_js(vec![
                    ColumnValues::Codes(ints),
                    ColumnValues::Numbers(floats),
                ]);
                Ok(WorkerEvent::ForestTrees { trees: trees.len() })
            },
            &packed,
        )
    }

    /// Does this worker's part of explaining one model (`request`, JSON) with the pipeline
    /// in `data.pipeline` (JSON) on the rows in `data.buffers`, posting progress at most
    /// every 100 ms, then the part.
    fn explain(data: &JsValue, request: &str) {
        let pipeline = js_sys::Reflect::get(data, &"pipeline".into())
            .ok()
            .and_then(|p| p.as_string())
            .ok_or_else(|| "no model".to_string())
            .and_then(|p| serde_json::from_str(&p).map_err(|e| e.to_string()));
        let pipeline = pipeline.and_then(|mut p| {
            unpack_forest(&mut p, packed_trees(data)?)?;
            Ok(p)
        });
        let pipeline = match pipeline {
            Ok(p) => p,
            Err(e) => {
                return fail(format!(
                    "the page sent a model to explain the worker does not understand: {e}"
                ))
            }
        };
        table_job::<ExplainRequest>(
            data,
            request,
            "an explaining job",
            |request, dataset| {
                let part = request
                    .run(&pipeline, dataset.clone(), throttled())
                    .map_err(|e| e.to_string())?;
                Ok(WorkerEvent::Explained(Box::new(part)))
            },
            &RefCell::default(),
        )
    }

    /// A job on the table in `data.buffers` (its shape in the request's header): decodes
    /// `request` (JSON), rebuilds the table, runs the job and posts its event, or fails
    /// with a message naming `what` the page sent.
    fn table_job<R: serde::de::DeserializeOwned + HasHeader>(
        data: &JsValue,
        request: &str,
        what: &str,
        run: impl FnOnce(&R, &Dataset) -> Result<WorkerEvent, String>,
        buffers: &RefCell<js_sys::Array>,
    ) {
        let request = match serde_json::from_str::<R>(request) {
            Ok(r) => r,
            Err(e) => {
                return fail(format!(
                    "the page sent {what} the worker does not understand: {e}"
                ))
            }
        };
        let dataset = match dataset_from(data, request.header().clone()) {
            Ok(d) => d,
            Err(e) => return fail(e),
        };
        match run(&request, &dataset) {
            Ok(event) => post(&event, &buffers.borrow()),
            Err(e) => fail(e),
        }
    }

    /// A request that carries a table's header.
    trait HasHeader {
        fn header(&self) -> &DatasetHeader;
    }

    impl HasHeader for ScoreRequest {
        fn header(&self) -> &DatasetHeader {
            &self.header
        }
    }

    impl HasHeader for CvRequest {
        fn header(&self) -> &DatasetHeader {
            &self.header
        }
    }

    impl HasHeader for ExplainRequest {
        fn header(&self) -> &DatasetHeader {
            &self.header
        }
    }

    impl HasHeader for ForestRequest {
        fn header(&self) -> &DatasetHeader {
            &self.header
        }
    }

    /// The forest's trees of a pipeline that `data.packed_trees` carries (two buffers,
    /// [`pack_forest`]), none when it carries none.
    fn packed_trees(data: &JsValue) -> Result<Vec<ColumnValues>, String> {
        let trees =
            js_sys::Reflect::get(data, &"packed_trees".into()).unwrap_or(JsValue::UNDEFINED);
        if trees.is_undefined() {
            return Ok(Vec::new());
        }
        let message = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&message, &"buffers".into(), &trees);
        values_from_js(&message)
    }

    /// The forest's trees grown by the pool that `data.trees` carries (each worker's share
    /// packed in two buffers, in order), if it carries any.
    fn grown_trees(data: &JsValue) -> Result<Option<Vec<GrownTree>>, String> {
        let trees = js_sys::Reflect::get(data, &"trees".into()).unwrap_or(JsValue::UNDEFINED);
        if trees.is_undefined() {
            return Ok(None);
        }
        let message = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&message, &"buffers".into(), &trees);
        let values = values_from_js(&message)?;
        let mut all = Vec::new();
        for pair in values.chunks(2) {
            let [ColumnValues::Codes(ints), ColumnValues::Numbers(floats)] = pair else {
                return Err("the page sent trees in an unknown form".to_string());
            };
            all.extend(GrownTree::unpack(ints, floats)?);
        }
        Ok(Some(all))
    }

    /// The table whose values `data.buffers` carries and whose shape `header` describes.
    fn dataset_from(data: &JsValue, header: DatasetHeader) -> Result<Dataset, String> {
        let values = values_from_js(data)?;
        join_dataset(header, values).map_err(|e| e.to_string())
    }

    /// The bytes of the file a message carries (`data.file`).
    fn file_bytes(data: &JsValue, name: &str) -> Result<Vec<u8>, String> {
        let Some(file) = js_sys::Reflect::get(data, &"file".into())
            .ok()
            .and_then(|f| f.dyn_into::<Blob>().ok())
        else {
            return Err(format!("{name}: the page sent no file"));
        };
        FileReaderSync::new()
            .and_then(|r| r.read_as_array_buffer(&file))
            .map(|buffer| js_sys::Uint8Array::new(&buffer).to_vec())
            .map_err(|e| format!("{name}: the browser could not read the file: {e:?}"))
    }

    /// Parses `bytes` as `request` says, posting progress.
    fn parse(bytes: &[u8], request: &ReadRequest) -> Result<(Dataset, ReadInfo), String> {
        if churnscope_engine::orders::cdnow::looks_like(bytes) {
            return churnscope_engine::orders::cdnow::read_with_info(bytes)
                .map_err(|e| format!("{}: {e}", request.name));
        }
        let mut last = -1.0f64;
        read_table_with_progress(bytes, &request.options(), &mut |p| {
            let progress = JobProgress::of_read(p);
            // A report per percent is plenty.
            if progress.fraction - last >= 0.01 || progress.fraction >= 1.0 {
                last = progress.fraction;
                post(&WorkerEvent::Progress(progress), &js_sys::Array::new());
            }
        })
        .map_err(|e| format!("{}: {e}", request.name))
    }

    /// Reads the file a message carries as `request` says.
    fn read_file(data: &JsValue, request: &ReadRequest) -> Result<(Dataset, ReadInfo), String> {
        parse(&file_bytes(data, &request.name)?, request)
    }

    /// A progress reporter posting at most every 100 ms.
    fn throttled() -> impl FnMut(JobProgress) -> bool {
        let mut last = f64::NEG_INFINITY;
        move |progress| {
            let t = now_ms();
            if t - last >= 100.0 {
                last = t;
                post(&WorkerEvent::Progress(progress), &js_sys::Array::new());
            }
            true
        }
    }

    /// Assembles the model file of a run on the table in `data.buffers`.
    fn model(data: &JsValue, request: &str) {
        let request = match serde_json::from_str::<ModelRequest>(request) {
            Ok(r) => r,
            Err(e) => {
                return fail(format!(
                    "the page sent a model to save the worker does not understand: {e}"
                ))
            }
        };
        post(
            &WorkerEvent::Progress(JobProgress::new(
                "Profiling the training data for the model file",
                0.5,
            )),
            &js_sys::Array::new(),
        );
        match dataset_from(data, request.header.clone()) {
            Ok(dataset) => post(
                &WorkerEvent::Model(Box::new(request.run(&dataset))),
                &js_sys::Array::new(),
            ),
            Err(e) => fail(e),
        }
    }

    /// Reads the new export in `data.file` and checks it against (or retrains) the saved
    /// model in `request`.
    fn monitor(data: &JsValue, request: &str) {
        let request = match serde_json::from_str::<MonitorRequest>(request) {
            Ok(r) => r,
            Err(e) => {
                return fail(format!(
                    "the page sent a monitoring job the worker does not understand: {e}"
                ))
            }
        };
        let dataset = match read_file(data, &request.read) {
            Ok((dataset, _)) => dataset,
            Err(e) => return fail(e),
        };
        let event = match request.task {
            MonitorTask::Check => request
                .check(dataset, throttled())
                .map(|r| WorkerEvent::Checked(Box::new(r))),
            MonitorTask::Retrain => {
                let original = match request.original.clone() {
                    Some(header) => match dataset_from(data, header) {
                        Ok(d) => Some(d),
                        Err(e) => return fail(e),
                    },
                    None => None,
                };
                request
                    .retrain(dataset, original, throttled())
                    .map(|r| WorkerEvent::Retrained(Box::new(r)))
            }
        };
        match event {
            Ok(event) => post(&event, &js_sys::Array::new()),
            Err(e) => fail(e),
        }
    }

    fn handle(event: MessageEvent) {
        let data = event.data();
        for (key, job) in [
            ("model", model as fn(&JsValue, &str)),
            ("monitor", monitor),
            ("orders", orders),
            ("cv", cv),
            ("forest", forest),
            ("explain", explain),
        ] {
            if let Some(request) = js_sys::Reflect::get(&data, &key.into())
                .ok()
                .and_then(|t| t.as_string())
            {
                return job(&data, &request);
            }
        }
        if let Some(request) = js_sys::Reflect::get(&data, &"score".into())
            .ok()
            .and_then(|t| t.as_string())
        {
            return score(&data, &request);
        }
        if let Some(request) = js_sys::Reflect::get(&data, &"train".into())
            .ok()
            .and_then(|t| t.as_string())
        {
            return train(&data, &request);
        }
        let request = js_sys::Reflect::get(&data, &"request".into())
            .ok()
            .and_then(|r| r.as_string())
            .and_then(|r| serde_json::from_str::<ReadRequest>(&r).ok());
        let Some(request) = request else {
            return fail("the page sent the reader a job it does not understand".to_string());
        };
        let bytes = match file_bytes(&data, &request.name) {
            Ok(bytes) => bytes,
            Err(e) => return fail(e),
        };
        let start = now_ms();
        let result = parse(&bytes, &request);
        drop(bytes);
        let (dataset, info) = match result {
            Ok(read) => read,
            Err(e) => return fail(e),
        };
        let parse_ms = now_ms() - start;
        post(
            &WorkerEvent::Progress(JobProgress::new("Profiling the columns", 1.0)),
            &js_sys::Array::new(),
        );
        let mut described = ReadResult::describe(&dataset, info, parse_ms);
        if let Some(fit) = &request.fit {
            post(
                &WorkerEvent::Progress(JobProgress::new("Fitting the model (benchmark)", 1.0)),
                &js_sys::Array::new(),
            );
            described.fit = Some(
                fit.run(&dataset, &|| now_ms() / 1000.0)
                    .map_err(|e| ErrorMessage::of(&e)),
            );
        }
        let (header, values) = split_dataset(dataset);
        described.header = header;
        let buffers = values_to_js(values);
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
