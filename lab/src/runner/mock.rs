//! A mock executor for tests: returns fixed, scripted samples per (language, benchmark,
//! size) and records the order of the calls, so statistics, verdicts and reports can be
//! checked for exact, deterministic output without spawning anything.

use super::{Executor, ExitKind, Job, RunOutput, RunnerError};
use crate::lang::Lang;
use std::collections::HashMap;

/// A scripted series of runs for one (language, benchmark, size).
#[derive(Debug, Clone)]
pub struct Script {
    /// What every run prints after `result=`.
    pub result: String,
    /// Wall times in milliseconds, used in order and then cycled.
    pub wall_ms: Vec<f64>,
    /// Exit code of every run.
    pub exit_code: i32,
    next: usize,
}

/// Returns scripted outputs; unscripted jobs exit with status 127.
#[derive(Debug, Default)]
pub struct MockExecutor {
    scripts: HashMap<(Lang, String, u64), Script>,
    /// Every executed job as `lang/bench/size`, in order.
    pub calls: Vec<String>,
}

impl MockExecutor {
    /// An executor with no scripts.
    pub fn new() -> Self {
        Self::default()
    }

    /// Scripts successful runs printing `result` with the given wall times.
    pub fn with(mut self, lang: Lang, bench: &str, size: u64, result: &str, wall_ms: &[f64]) -> Self {
        self.scripts.insert(
            (lang, bench.to_string(), size),
            Script { result: result.to_string(), wall_ms: wall_ms.to_vec(), exit_code: 0, next: 0 },
        );
        self
    }

    /// Scripts runs that exit with `code` (and print nothing useful).
    pub fn failing(mut self, lang: Lang, bench: &str, size: u64, code: i32) -> Self {
        self.scripts.insert(
            (lang, bench.to_string(), size),
            Script { result: String::new(), wall_ms: vec![1.0], exit_code: code, next: 0 },
        );
        self
    }
}

impl Executor for MockExecutor {
    fn execute(&mut self, job: &Job) -> Result<RunOutput, RunnerError> {
        self.calls.push(format!("{}/{}/{}", job.lang, job.bench, job.size));
        let Some(script) = self.scripts.get_mut(&(job.lang, job.bench.clone(), job.size)) else {
            return Ok(RunOutput {
                exit: ExitKind::Code(127),
                wall_ms: 0.5,
                cpu_ms: 0.5,
                max_rss_kb: 100,
                instructions: None,
                stdout: String::new(),
                stderr: "mock: no script for this job".into(),
            });
        };
        let wall = script.wall_ms[script.next % script.wall_ms.len()];
        script.next += 1;
        let stdout = if script.exit_code == 0 {
            // The kernel is a fixed 80% of the process, like a program with short start-up.
            format!("result={}\nkernel_ms={}\n", script.result, wall * 0.8)
        } else {
            String::new()
        };
        Ok(RunOutput {
            exit: ExitKind::Code(script.exit_code),
            wall_ms: wall,
            cpu_ms: wall * 0.9,
            max_rss_kb: 10_000,
            instructions: Some((wall * 1_000_000.0) as u64),
            stdout,
            stderr: if script.exit_code == 0 { String::new() } else { "mock failure".into() },
        })
    }
}
