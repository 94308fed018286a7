//! `/tmp/perf-PID.map`: one `ADDR SIZE NAME` line per compiled function (hex
//! address and size), the format `perf` and profilers read to name JIT frames.

use std::fs::{File, OpenOptions};
use std::io::Write;

/// An open perf map.
pub struct PerfMap {
    file: File,
}

impl PerfMap {
    /// Opens (appends to) this process's map.
    pub fn open() -> Result<PerfMap, String> {
        let path = format!("/tmp/perf-{}.map", std::process::id());
        let file =
            OpenOptions::new().create(true).append(true).open(&path).map_err(|e| format!("cannot open {path}: {e}"))?;
        Ok(PerfMap { file })
    }

    /// Records a function.
    pub fn add(&mut self, addr: usize, size: usize, name: &str) {
        let _ = writeln!(self.file, "{addr:x} {size:x} ruff::{name}");
    }
}
