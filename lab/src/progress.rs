//! The progress bar (indicatif) on standard error. It stays hidden for the first second,
//! so quick commands print nothing extra, and it never draws when standard error is not
//! a terminal, so CI logs stay clean. What is being measured is `measure`'s concern.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::cell::Cell;
use std::time::{Duration, Instant};

/// Show the bar only for work that has already taken this long.
const SHOW_AFTER: Duration = Duration::from_secs(1);

/// A progress bar counting runs; a no-op when disabled.
pub struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
    shown: Cell<bool>,
}

impl Progress {
    /// A bar for `total` steps; `enabled = false` gives a silent one.
    pub fn new(total: usize, enabled: bool) -> Self {
        let bar = enabled.then(|| {
            let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::hidden());
            let style = ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        Self { bar, started: Instant::now(), shown: Cell::new(false) }
    }

    /// A silent bar.
    pub fn hidden() -> Self {
        Self::new(0, false)
    }

    /// Starts the next step, described by `message`.
    pub fn step(&self, message: &str) {
        if let Some(bar) = &self.bar {
            self.reveal(bar);
            bar.set_message(message.to_string());
            bar.inc(1);
        }
    }

    /// Shows `message` without counting a step (for builds and other preparation).
    pub fn note(&self, message: &str) {
        if let Some(bar) = &self.bar {
            self.reveal(bar);
            bar.set_message(message.to_string());
            bar.tick();
        }
    }

    /// Adds `n` steps that were not planned (extra rounds for `--min-time`).
    pub fn grow(&self, n: usize) {
        if let Some(bar) = &self.bar {
            bar.inc_length(n as u64);
        }
    }

    /// Counts `n` planned steps that will not happen (a language failed early).
    pub fn skip(&self, n: usize) {
        if let Some(bar) = &self.bar {
            bar.inc(n as u64);
        }
    }

    /// Removes the bar from the terminal.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    fn reveal(&self, bar: &ProgressBar) {
        if !self.shown.get() && self.started.elapsed() >= SHOW_AFTER {
            self.shown.set(true);
            bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }
}
