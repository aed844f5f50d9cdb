//! The status of the page's long jobs (reading a file, training, scoring every customer),
//! one value shared through context, and the status line that shows it.
//!
//! Only one job runs at a time (starting one in the worker stops the one before), so one
//! [`JobStatus`] says what runs, how far it is, when it started, and the page's current
//! error and notice.

use leptos::prelude::*;

use super::browser::now_ms;
use churnscope_worker::jobs::JobProgress;

/// A long job of the page, run in the background worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// Reading a file (or fetching the sample before that).
    Reading,
    /// Training the chosen models.
    Training,
    /// Scoring every customer for the action list.
    Scoring,
    /// Writing a model file (profiling the training data).
    SavingModel,
    /// Checking a new export against a saved model.
    Checking,
    /// Retraining a saved model on a new export.
    Retraining,
    /// Turning an order log into customers.
    Deriving,
}

impl Job {
    /// What the page says while the job runs.
    fn message(self) -> &'static str {
        match self {
            Job::Reading => "Reading the file…",
            Job::Training => "Training the model…",
            Job::Scoring => "Scoring every customer…",
            Job::SavingModel => "Writing the model file…",
            Job::Checking => "Scoring the new export and measuring its drift…",
            Job::Retraining => "Retraining on the new export…",
            Job::Deriving => "Turning the orders into customers…",
        }
    }

    /// The progress stage shown before the worker's first report.
    fn first_stage(self) -> &'static str {
        match self {
            Job::Reading => "Starting the reader",
            Job::Training => "Starting the trainer",
            Job::Scoring => "Starting the scorer",
            Job::SavingModel => "Profiling the training data",
            Job::Checking | Job::Retraining => "Reading the new export",
            Job::Deriving => "Grouping the rows into orders",
        }
    }
}

/// What runs, its progress, and the page's error and notice: signals, so the value is
/// `Copy` and every step reads it from context ([`JobStatus::get`]).
#[derive(Debug, Clone, Copy)]
pub struct JobStatus {
    /// The job running (or being prepared), if any.
    running: RwSignal<Option<Job>>,
    /// Its last progress report; `None` before the worker has it (or without a worker).
    progress: RwSignal<Option<JobProgress>>,
    /// When the running job started (page clock, ms), for the time elapsed beside it.
    started: RwSignal<f64>,
    /// What went wrong last; never clears what the user already has.
    error: RwSignal<Option<String>>,
    /// What the page says after a job was stopped.
    notice: RwSignal<Option<String>>,
}

impl JobStatus {
    /// Nothing running, no error, no notice.
    pub fn new() -> Self {
        JobStatus {
            running: RwSignal::new(None),
            progress: RwSignal::new(None),
            started: RwSignal::new(0.0),
            error: RwSignal::new(None),
            notice: RwSignal::new(None),
        }
    }

    /// The page's job status, provided by the app.
    pub fn get() -> Self {
        expect_context()
    }

    /// Starts `job`: clears the error and the notice and shows a progress bar at 0%.
    pub fn start(self, job: Job) {
        self.running.set(Some(job));
        self.error.set(None);
        self.notice.set(None);
        self.started.set(now_ms());
        self.progress
            .set(Some(JobProgress::new(job.first_stage(), 0.0)));
    }

    /// Says that `job` is being prepared (the sample is fetched), without a progress bar.
    pub fn prepare(self, job: Job) {
        self.running.set(Some(job));
    }

    /// The worker's latest progress report.
    pub fn report(self, progress: JobProgress) {
        self.progress.set(Some(progress));
    }

    /// The job ended well.
    pub fn finish(self) {
        self.running.set(None);
        self.progress.set(None);
    }

    /// The job ended with `message` for the user.
    pub fn fail(self, message: String) {
        self.finish();
        self.error.set(Some(message));
    }

    /// The user stopped the job; `notice` says what is kept.
    pub fn stop(self, notice: String) {
        self.finish();
        self.notice.set(Some(notice));
    }

    /// A file was refused before any job started: the waiting message goes (a job already
    /// running keeps its progress bar) and `message` says why.
    pub fn refuse(self, message: String) {
        self.running.set(None);
        self.error.set(Some(message));
    }

    /// Shows `message` as the page's error, whatever runs.
    pub fn show_error(self, message: String) {
        self.error.set(Some(message));
    }

    /// Clears the page's error (the user changed something).
    pub fn clear_error(self) {
        self.error.set(None);
    }

    /// True while a job runs or is prepared; the controls that would start another wait.
    pub fn busy(self) -> Signal<bool> {
        Signal::derive(move || self.running.with(Option::is_some))
    }

    /// The job running now, not tracked (for handlers).
    pub fn running_now(self) -> Option<Job> {
        self.running.get_untracked()
    }

    /// Milliseconds since the running job started, not tracked.
    pub fn elapsed_ms(self) -> f64 {
        now_ms() - self.started.get_untracked()
    }

    /// The progress of a training run going on, tracked (for the live loss chart).
    pub fn training_progress(self) -> Option<JobProgress> {
        (self.running.get() == Some(Job::Training))
            .then(|| self.progress.get())
            .flatten()
    }
}

impl Default for JobStatus {
    fn default() -> Self {
        Self::new()
    }
}

/// What is running (with a progress bar and Cancel), the current error and any notice,
/// shown right under the upload.
#[component]
pub fn StatusLine(
    /// Stops the running job.
    on_cancel: Callback<()>,
) -> impl IntoView {
    let job = JobStatus::get();
    view! {
        <div class="status" aria-live="polite">
            {move || match job.progress.get() {
                Some(p) => view! { <ProgressBar progress=p started=job.started on_cancel /> }.into_any(),
                None => {
                    job.running
                        .get()
                        .map(|j| view! { <p class="busy" data-testid="busy">{j.message()}</p> })
                        .into_any()
                }
            }}
            {move || {
                job.notice.get().map(|n| view! { <p class="notice" data-testid="notice">{n}</p> })
            }}

            {move || {
                job.error
                    .get()
                    .map(|e| {
                        view! {
                            <p class="error" role="alert" data-testid="error-message">
                                {e}
                            </p>
                        }
                    })
            }}
        </div>
    }
}

/// The running job's stage, percentage, time elapsed and bar, with Cancel.
#[component]
fn ProgressBar(
    /// The latest report.
    progress: JobProgress,
    /// When the job started (`now_ms`).
    started: RwSignal<f64>,
    /// Stops the job.
    on_cancel: Callback<()>,
) -> impl IntoView {
    let p = progress;
    let percent = (p.fraction * 100.0).floor().clamp(0.0, 100.0);
    // Recomputed with each progress report (at least every 100 ms of training).
    let elapsed = ((now_ms() - started.get_untracked()) / 1000.0).max(0.0);
    view! {
        <div class="progress" data-testid="progress">
            <label>
                <span data-testid="progress-stage">{p.stage}</span>
                " "
                <span class="progress-time">
                    <span data-testid="progress-percent">{format!("{percent:.0}%")}</span>
                    ", "
                    <span data-testid="progress-elapsed">{format!("{elapsed:.0} s")}</span>
                    " elapsed"
                </span>
                <progress
                    data-testid="progress-bar"
                    max="1"
                    prop:value=p.fraction
                ></progress>
            </label>
            <button
                class="button"
                data-testid="cancel-button"
                on:click=move |_| on_cancel.run(())
            >
                "Cancel"
            </button>
        </div>
    }
}
