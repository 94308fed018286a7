//! A tiny suite run for real: the process executor times `python3` (and the `ruff`
//! binary, when it has been built) on the repository's benchmarks at small sizes, and the
//! `ruff-lab` binary is driven end to end. The Ruff part is skipped, with a printed
//! message, only when `target/release/ruff` does not exist.

use ruff_lab::lang::{Lang, Toolchains};
use ruff_lab::measure::{measure_case, Contender, Settings};
use ruff_lab::progress::Progress;
use ruff_lab::record::{Metric, Report, Status};
use ruff_lab::runner::process::ProcessExecutor;
use ruff_lab::suite;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn ruff_binary() -> Option<PathBuf> {
    let path =
        std::env::var_os("RUFF_LAB_RUFF").map(PathBuf::from).unwrap_or_else(|| root().join("target/release/ruff"));
    if path.is_file() {
        Some(path)
    } else {
        println!(
            "SKIPPING the Ruff part of the real run: no ruff binary at {} (build it with `cargo build --release -p ruff-cli`)",
            path.display()
        );
        None
    }
}

#[test]
fn tiny_suite_runs_for_real() {
    let suites = suite::load_all(&root().join("benchmarks")).unwrap();
    let benches = suite::select(&suites, &["fib_recursive".into(), "hello".into()]).unwrap();
    let ruff = ruff_binary();
    let mut langs = vec![Lang::Python];
    if ruff.is_some() {
        langs.insert(0, Lang::Ruff);
    }
    let ruff_path = ruff.clone().unwrap_or_else(|| PathBuf::from("/nonexistent/ruff"));
    let tools = Toolchains::detect(&langs, &ruff_path, &root().join("target/lab-go-cache"));
    let settings = Settings {
        runs: 2,
        warmup: 1,
        min_time: Duration::ZERO,
        max_rounds: 2,
        timeout: Duration::from_secs(60),
        metric: Metric::Wall,
    };
    let mut exec = ProcessExecutor::new();
    for b in benches {
        let contenders: Vec<Contender> =
            langs.iter().map(|&l| Contender { lang: l, prepared: tools.prepare(l, b) }).collect();
        let ms = measure_case(b, b.quick, &contenders, &settings, &mut exec, &Progress::hidden());
        for m in &ms {
            assert_eq!(m.status, Status::Ok, "{} {}: {:?}", m.bench, m.lang, m.reason);
            assert_eq!(m.result.as_deref(), b.expected_at(b.quick));
            assert_eq!(m.samples.wall_ms.len(), 2);
            assert_eq!(m.samples.kernel_ms.len(), 2, "{} printed kernel_ms", m.lang);
            let s = m.summary.as_ref().unwrap();
            assert!(s.median > 0.0 && s.ci_low <= s.median && s.median <= s.ci_high);
            assert!(m.samples.max_rss_kb.iter().all(|&kb| kb > 1000), "rss from rusage");
            assert!(m.samples.cpu_ms.iter().all(|&c| c > 0.0), "cpu from rusage");
        }
    }
}

#[test]
fn cli_compare_with_python_end_to_end() {
    let ruff = ruff_binary();
    let ruff_arg = ruff.clone().unwrap_or_else(|| PathBuf::from("/nonexistent/ruff"));
    let out = Command::new(env!("CARGO_BIN_EXE_ruff-lab"))
        .current_dir(root())
        .args(["compare", "--quick", "--runs", "2", "--warmup", "0", "--format", "json", "--no-progress"])
        .args(["--vs", "python", "--ruff"])
        .arg(&ruff_arg)
        .args(["fib_recursive", "hello"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: Report = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let code = out.status.code();
    for m in report.measurements.iter().filter(|m| m.lang == Lang::Python) {
        assert_eq!(m.status, Status::Ok, "{:?}", m.reason);
    }
    if ruff.is_some() {
        assert_eq!(code, Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(report.comparison("fib_recursive", 20, Lang::Ruff, Lang::Python).is_some());
    } else {
        // Ruff is missing: reported with the build command, Python still runs, exit 3.
        assert_eq!(code, Some(3));
        let ruff_m = report.measurements.iter().find(|m| m.lang == Lang::Ruff).unwrap();
        assert_eq!(ruff_m.status, Status::Missing);
        assert!(ruff_m.reason.as_deref().unwrap().contains("cargo build --release -p ruff-cli"));
    }
}

#[test]
fn cli_help_and_usage_errors() {
    let bin = env!("CARGO_BIN_EXE_ruff-lab");
    for cmd in ["list", "run", "compare", "report"] {
        let out = Command::new(bin).args([cmd, "--help"]).output().unwrap();
        assert!(out.status.success(), "{cmd} --help");
        assert!(String::from_utf8_lossy(&out.stdout).contains("Usage: ruff-lab"));
    }
    let out = Command::new(bin).current_dir(root()).args(["compare", "--vs", "cobol"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown language `cobol`"));
    let out = Command::new(bin).current_dir(root()).args(["run", "no_such_bench"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown suite or benchmark `no_such_bench`"));
}
