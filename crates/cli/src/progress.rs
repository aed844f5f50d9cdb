//! A long command's progress on standard error: a bar redrawn in place on a terminal, one
//! JSON object a line on request (`--progress json`), or nothing (the default when standard
//! error is not a terminal, so logs and pipes stay clean).

use std::io::{IsTerminal, Write};
use std::time::Instant;

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    /// A bar on a terminal, nothing otherwise.
    Auto,
    Bar,
    Json,
    Off,
}

/// The progress of reading one file of `total` bytes.
pub struct FileProgress {
    mode: ProgressMode,
    what: String,
    /// What the count counts ("customers", "rows"; in JSON with `_` for spaces).
    unit: &'static str,
    total: u64,
    started: Instant,
    drawn: Option<Instant>,
}

impl FileProgress {
    pub fn new(mode: ProgressMode, what: &str, unit: &'static str, total: u64) -> Self {
        let mode = match mode {
            ProgressMode::Auto if std::io::stderr().is_terminal() => ProgressMode::Bar,
            ProgressMode::Auto => ProgressMode::Off,
            m => m,
        };
        FileProgress {
            mode,
            what: what.to_string(),
            unit,
            total,
            started: Instant::now(),
            drawn: None,
        }
    }

    /// `done` bytes of the file read and `count` of the unit done: a bar at most five times
    /// a second, a JSON line every time.
    pub fn update(&mut self, done: u64, count: usize) {
        let seconds = self.started.elapsed().as_secs_f64();
        let share = if self.total == 0 {
            1.0
        } else {
            (done as f64 / self.total as f64).min(1.0)
        };
        let mut err = std::io::stderr().lock();
        match self.mode {
            ProgressMode::Bar => {
                if self.drawn.is_some_and(|t| t.elapsed().as_secs_f64() < 0.2) && done < self.total
                {
                    return;
                }
                self.drawn = Some(Instant::now());
                let filled = (share * 30.0).round() as usize;
                let _ = write!(
                    err,
                    "\r{} [{}{}] {:>3.0}%  {:.0} of {:.0} MB, {} {}, {:.0} s ",
                    self.what,
                    "#".repeat(filled),
                    " ".repeat(30 - filled),
                    share * 100.0,
                    done as f64 / 1e6,
                    self.total as f64 / 1e6,
                    churnscope_engine::dataset::group_thousands(count),
                    self.unit,
                    seconds
                );
            }
            ProgressMode::Json => {
                let mut line = serde_json::json!({
                    "progress": self.what, "bytes": done, "total_bytes": self.total,
                    "seconds": seconds,
                });
                line[self.unit.replace(' ', "_")] = count.into();
                let _ = writeln!(err, "{line}");
            }
            ProgressMode::Auto | ProgressMode::Off => {}
        }
        let _ = err.flush();
    }

    /// Ends the bar's line.
    pub fn finish(&mut self) {
        if self.mode == ProgressMode::Bar && self.drawn.is_some() {
            eprintln!();
        }
    }
}

/// The peak resident memory of this process (Linux's `VmHWM`), in bytes.
pub fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// ", peak memory N MB" for a line of output, empty where the peak is not known.
pub fn memory_note(peak: Option<u64>) -> String {
    peak.map(|b| format!(", peak memory {:.0} MB", b as f64 / 1e6))
        .unwrap_or_default()
}

/// [`memory_note`] of the peak so far.
pub fn peak_memory_note() -> String {
    memory_note(peak_memory())
}
