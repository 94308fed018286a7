//! Machine and toolchain metadata recorded with every run: git commit and dirty flag,
//! date, tool versions, CPU model, core count and load average. Reading it never fails:
//! anything unavailable is recorded as `null` (or `unknown`).
//!
//! Language detection proper lives in `lang`; this module only records versions.

use serde::{Deserialize, Serialize};
use std::path::Path;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

/// Facts about where and with what a run was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Meta {
    /// UTC date and time, `YYYY-MM-DDTHH:MM:SSZ`.
    pub date: String,
    /// Seconds since the Unix epoch.
    pub timestamp: u64,
    /// `git rev-parse HEAD` (or `unknown`, e.g. before the first commit).
    pub git_sha: String,
    /// True when the work tree had uncommitted changes.
    pub git_dirty: bool,
    /// `rustc -V`.
    pub rustc: Option<String>,
    /// `python3 --version`.
    pub python: Option<String>,
    /// `go version`.
    pub go: Option<String>,
    /// `node --version`.
    pub node: Option<String>,
    /// Path of the ruff binary used.
    pub ruff_binary: Option<String>,
    /// `ruff --version`, when it answers.
    pub ruff: Option<String>,
    /// CPU model from /proc/cpuinfo.
    pub cpu_model: String,
    /// Logical cores available.
    pub cores: usize,
    /// 1, 5 and 15 minute load averages at start.
    pub load_avg: [f64; 3],
    /// Kernel release.
    pub os: String,
}

/// Collects metadata; `root` is the repository, `ruff` the binary path.
pub fn collect(root: &Path, ruff: &Path) -> Meta {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let git_sha = first_line(Command::new("git").arg("-C").arg(root).args(["rev-parse", "HEAD"]))
        .filter(|s| s.len() >= 7 && s.chars().all(|c| c.is_ascii_hexdigit()))
        .unwrap_or_else(|| "unknown".into());
    let git_dirty = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["status", "--porcelain"])
        .output()
        .map(|o| o.status.success() && !o.stdout.is_empty())
        .unwrap_or(false);
    Meta {
        date: utc_string(now),
        timestamp: now,
        git_sha,
        git_dirty,
        rustc: first_line(Command::new("rustc").arg("-V")),
        python: first_line(Command::new("python3").arg("--version")),
        go: first_line(Command::new("go").arg("version")),
        node: first_line(Command::new("node").arg("--version")),
        ruff_binary: ruff.is_file().then(|| ruff.display().to_string()),
        ruff: if ruff.is_file() { first_line(Command::new(ruff).arg("--version")) } else { None },
        cpu_model: cpu_model().unwrap_or_else(|| "unknown".into()),
        cores: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        load_avg: load_avg().unwrap_or([0.0; 3]),
        os: std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| format!("Linux {}", s.trim()))
            .unwrap_or_else(|_| std::env::consts::OS.to_string()),
    }
}

/// The 1/5/15-minute load averages from /proc/loadavg.
pub fn load_avg() -> Option<[f64; 3]> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    let v: Vec<f64> = text.split_whitespace().take(3).filter_map(|s| s.parse().ok()).collect();
    (v.len() == 3).then(|| [v[0], v[1], v[2]])
}

fn cpu_model() -> Option<String> {
    let text = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    text.lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
}

fn first_line(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    text.lines().map(str::trim).find(|l| !l.is_empty()).map(str::to_string)
}

/// `YYYY-MM-DDTHH:MM:SSZ` for Unix seconds `secs`.
pub fn utc_string(secs: u64) -> String {
    let (y, mo, d) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!("{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// `YYYYMMDDTHHMMSSZ`: the compact form used in result file names.
pub fn utc_compact(secs: u64) -> String {
    utc_string(secs).replace(['-', ':'], "")
}

/// Days since 1970-01-01 to (year, month, day), after Howard Hinnant's algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_dates() {
        assert_eq!(utc_string(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_string(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc_string(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(utc_compact(1_700_000_000), "20231114T221320Z");
    }
}
