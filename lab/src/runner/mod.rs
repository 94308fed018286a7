//! Running one benchmark program once. `Executor` is the seam: `process` spawns real
//! processes (wall time, rusage, timeout), `mock` returns fixed samples for tests.
//!
//! This module also turns a finished run into a `Sample` or a failure reason (exit
//! status, signal, timeout, missing `result=`). Scheduling many runs is `measure`'s job;
//! judging results across languages is `measure`'s and `verdict`'s.

pub mod mock;
pub mod process;

use crate::lang::{Invocation, Lang};
use crate::record::Metric;
use std::path::PathBuf;
use std::time::Duration;

/// Failures of the runner itself (not of the program it runs).
#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    /// The program could not be started.
    #[error("cannot start {program}: {source}")]
    Spawn { program: PathBuf, source: std::io::Error },
    /// Waiting for the program failed.
    #[error("waiting for {program} failed: {source}")]
    Wait { program: PathBuf, source: std::io::Error },
    /// The instruction count could not be read from callgrind's output.
    #[error("no instruction count in callgrind output {0}")]
    Callgrind(PathBuf),
}

/// One run to perform.
#[derive(Debug, Clone)]
pub struct Job {
    /// The language (for mocks and messages).
    pub lang: Lang,
    /// The benchmark name (for mocks and messages).
    pub bench: String,
    /// The size, passed as the last argument.
    pub size: u64,
    /// The command, without the size.
    pub invocation: Invocation,
    /// Working directory (the benchmark folder).
    pub cwd: PathBuf,
    /// The run is killed after this long.
    pub timeout: Duration,
    /// Wall time, or instructions under callgrind.
    pub metric: Metric,
}

impl Job {
    /// The full argument list: invocation arguments, then the size.
    pub fn argv(&self) -> Vec<String> {
        let mut args = self.invocation.args.clone();
        args.push(self.size.to_string());
        args
    }
}

/// How a process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitKind {
    /// Exited with this status code.
    Code(i32),
    /// Killed by this signal (not by the lab).
    Signal(i32),
    /// Killed by the lab after the timeout.
    TimedOut,
}

/// What one finished run produced.
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// How it ended.
    pub exit: ExitKind,
    /// Whole-process wall time, spawn to exit, in milliseconds.
    pub wall_ms: f64,
    /// User + system CPU time in milliseconds (from rusage).
    pub cpu_ms: f64,
    /// Peak resident set size in KiB (from rusage).
    pub max_rss_kb: u64,
    /// Instructions counted by callgrind, for the instructions metric.
    pub instructions: Option<u64>,
    /// Captured standard output.
    pub stdout: String,
    /// Captured standard error.
    pub stderr: String,
}

/// A successful run: the numbers and the printed result.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Whole-process wall time in milliseconds.
    pub wall_ms: f64,
    /// User + system CPU time in milliseconds.
    pub cpu_ms: f64,
    /// Peak RSS in KiB.
    pub max_rss_kb: u64,
    /// The program's own `kernel_ms=`, if it printed one.
    pub kernel_ms: Option<f64>,
    /// Instructions (instructions metric only).
    pub instructions: Option<u64>,
    /// The value after `result=`.
    pub result: String,
}

impl Sample {
    /// The value of `metric` for this run.
    pub fn value(&self, metric: Metric) -> f64 {
        match metric {
            Metric::Wall => self.wall_ms,
            Metric::Instructions => self.instructions.unwrap_or(0) as f64,
        }
    }
}

/// Runs jobs. Implementations must not panic on a failing program: every way a
/// program can fail is a `RunOutput`, and `Err` is kept for the runner's own failures.
pub trait Executor {
    /// Runs `job` once and waits for it.
    fn execute(&mut self, job: &Job) -> Result<RunOutput, RunnerError>;
}

impl RunOutput {
    /// The sample, or why this run does not count.
    pub fn into_sample(self, timeout: Duration) -> Result<Sample, String> {
        match self.exit {
            ExitKind::Code(0) => {}
            ExitKind::Code(c) => return Err(format!("exit status {c}{}", stderr_tail(&self.stderr))),
            ExitKind::Signal(s) => return Err(format!("killed by signal {s}{}", stderr_tail(&self.stderr))),
            ExitKind::TimedOut => return Err(format!("timed out after {} s", timeout.as_secs_f64())),
        }
        let mut result = None;
        let mut kernel_ms = None;
        for line in self.stdout.lines() {
            if let Some(v) = line.strip_prefix("result=") {
                if result.is_some() {
                    return Err("more than one result= line".into());
                }
                result = Some(v.trim().to_string());
            } else if let Some(v) = line.strip_prefix("kernel_ms=") {
                kernel_ms = v.trim().parse::<f64>().ok().filter(|x| x.is_finite());
            }
        }
        let result = match result {
            Some(r) if !r.is_empty() => r,
            _ => return Err(format!("no result= line in output{}", stderr_tail(&self.stderr))),
        };
        Ok(Sample {
            wall_ms: self.wall_ms,
            cpu_ms: self.cpu_ms,
            max_rss_kb: self.max_rss_kb,
            kernel_ms,
            instructions: self.instructions,
            result,
        })
    }
}

/// `": <last non-empty stderr line>"`, shortened, or nothing.
fn stderr_tail(stderr: &str) -> String {
    match stderr.lines().map(str::trim).rfind(|l| !l.is_empty()) {
        Some(line) => {
            let short: String = line.chars().take(160).collect();
            format!(": {short}")
        }
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(exit: ExitKind, stdout: &str, stderr: &str) -> RunOutput {
        RunOutput {
            exit,
            wall_ms: 10.0,
            cpu_ms: 9.0,
            max_rss_kb: 1000,
            instructions: None,
            stdout: stdout.into(),
            stderr: stderr.into(),
        }
    }

    #[test]
    fn parses_result_and_kernel() {
        let s = out(ExitKind::Code(0), "result=42\nkernel_ms=1.5\n", "").into_sample(Duration::from_secs(1)).unwrap();
        assert_eq!(s.result, "42");
        assert_eq!(s.kernel_ms, Some(1.5));
    }

    #[test]
    fn failures_have_reasons() {
        let t = Duration::from_secs(2);
        let e = out(ExitKind::Code(4), "", "boom\nDivision by zero\n").into_sample(t).unwrap_err();
        assert_eq!(e, "exit status 4: Division by zero");
        let e = out(ExitKind::TimedOut, "", "").into_sample(t).unwrap_err();
        assert_eq!(e, "timed out after 2 s");
        let e = out(ExitKind::Code(0), "kernel_ms=1\n", "").into_sample(t).unwrap_err();
        assert!(e.starts_with("no result= line"));
        let e = out(ExitKind::Signal(11), "", "").into_sample(t).unwrap_err();
        assert_eq!(e, "killed by signal 11");
    }
}
