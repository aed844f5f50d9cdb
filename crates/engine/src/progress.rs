//! How far a long step has got, as the page's progress bar and the command line show it.

use serde::{Deserialize, Serialize};

use crate::reading::ingest::ReadProgress;

/// How far a job has got: a label for the user and the fraction done (0 to 1), and while a
/// model trains, its loss so far (iteration, loss) for the live chart.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JobProgress {
    pub stage: String,
    pub fraction: f64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub loss: Vec<(usize, f64)>,
    /// What one step of the loss curve is: iteration, tree or epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss_unit: Option<String>,
}

impl JobProgress {
    /// A stage and fraction with no loss curve.
    pub fn new(stage: impl Into<String>, fraction: f64) -> Self {
        JobProgress {
            stage: stage.into(),
            fraction,
            ..Self::default()
        }
    }

    /// The label and fraction of a read's progress report.
    pub fn of_read(p: ReadProgress) -> Self {
        JobProgress::new(
            if p.pass == 1 {
                "Reading the file"
            } else {
                "Reading some columns again"
            },
            if p.total == 0 {
                1.0
            } else {
                p.done as f64 / p.total as f64
            },
        )
    }
}
