//! The lab end to end with the mock runner: scheduling, correctness checks, statistics,
//! verdicts, regression detection, exit codes and every exporter, with fixed samples so
//! that the output is exact and deterministic.

use ruff_lab::baseline;
use ruff_lab::commands::measure::{assemble, measure_all};
use ruff_lab::commands::{exit_code, EXIT_INFRA, EXIT_OK, EXIT_REGRESSION, EXIT_WRONG};
use ruff_lab::lang::{Invocation, Lang, Prepared};
use ruff_lab::measure::{Contender, Settings};
use ruff_lab::meta::Meta;
use ruff_lab::progress::Progress;
use ruff_lab::record::{Metric, Report, RunOptions, Status};
use ruff_lab::report::{self, html, Format};
use ruff_lab::runner::mock::MockExecutor;
use ruff_lab::suite::Benchmark;
use ruff_lab::verdict::{Change, Verdict};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

fn bench(name: &str, expected: Option<&str>) -> Benchmark {
    let mut exp = BTreeMap::new();
    if let Some(e) = expected {
        exp.insert(10, e.to_string());
    }
    Benchmark {
        suite: "demo".into(),
        name: name.into(),
        description: String::new(),
        dir: PathBuf::from("/"),
        sizes: vec![10],
        canonical: 10,
        quick: 10,
        expected: exp,
    }
}

fn ready(lang: Lang) -> Contender {
    Contender { lang, prepared: Prepared::Ready(Invocation { program: PathBuf::from("/bin/false"), args: vec![] }) }
}

fn settings() -> Settings {
    Settings {
        runs: 5,
        warmup: 1,
        min_time: Duration::ZERO,
        max_rounds: 1000,
        timeout: Duration::from_secs(10),
        metric: Metric::Wall,
    }
}

fn options(langs: Vec<Lang>, refs: Vec<Lang>) -> RunOptions {
    RunOptions {
        command: "compare".into(),
        targets: vec![],
        langs,
        refs,
        sizes: "canonical".into(),
        runs: 5,
        warmup: 1,
        min_time_s: 0.0,
        timeout_s: 10.0,
        metric: Metric::Wall,
        quick: false,
    }
}

fn meta() -> Meta {
    Meta {
        date: "2024-01-02T03:04:05Z".into(),
        timestamp: 1_704_164_645,
        git_sha: "0123456789abcdef".into(),
        cores: 2,
        cpu_model: "test cpu".into(),
        ..Meta::default()
    }
}

const RUFF: [f64; 6] = [20.0, 22.0, 24.0, 20.0, 22.0, 22.0];
const PY: [f64; 6] = [10.0, 11.0, 12.0, 10.0, 11.0, 11.0];
const GO: [f64; 6] = [40.0, 44.0, 48.0, 40.0, 44.0, 44.0];

fn standard_report(exec: &mut MockExecutor, contenders: Vec<Contender>, b: &Benchmark) -> Report {
    let langs: Vec<Lang> = contenders.iter().map(|c| c.lang).collect();
    let ms = measure_all(&[(b, 10)], |_| contenders.clone(), &settings(), exec, &Progress::hidden());
    assemble(ms, options(langs, vec![Lang::Python, Lang::Go]), meta())
}

fn mock() -> MockExecutor {
    // Round i of ruff takes exactly twice python's and half go's time: the warm-up
    // consumes the first value, so rounds use values 1..=5.
    MockExecutor::new().with(Lang::Ruff, "b1", 10, "42", &RUFF).with(Lang::Python, "b1", 10, "42", &PY).with(
        Lang::Go,
        "b1",
        10,
        "42",
        &GO,
    )
}

#[test]
fn languages_alternate_round_by_round() {
    let mut exec = mock();
    let b = bench("b1", Some("42"));
    standard_report(&mut exec, vec![ready(Lang::Ruff), ready(Lang::Python), ready(Lang::Go)], &b);
    let order: Vec<&str> = exec.calls.iter().map(|c| c.split('/').next().unwrap()).collect();
    assert_eq!(
        order,
        [
            "ruff", "python", "go", // warm-up
            "ruff", "python", "go", // round 1
            "python", "go", "ruff", // round 2
            "go", "ruff", "python", // round 3
            "ruff", "python", "go", // round 4
            "python", "go", "ruff", // round 5
        ]
    );
}

#[test]
fn paired_ratios_statistics_and_verdicts() {
    let mut exec = mock();
    let b = bench("b1", Some("42"));
    let r = standard_report(&mut exec, vec![ready(Lang::Ruff), ready(Lang::Python), ready(Lang::Go)], &b);
    assert_eq!(exit_code(&r), EXIT_OK);
    let ruff = &r.measurements[0];
    assert_eq!(ruff.status, Status::Ok);
    assert_eq!(ruff.samples.wall_ms, vec![22.0, 24.0, 20.0, 22.0, 22.0]);
    let s = ruff.summary.as_ref().unwrap();
    assert_eq!((s.n, s.median, s.mean, s.min, s.max, s.mad), (5, 22.0, 22.0, 20.0, 24.0, 0.0));
    assert!(s.outliers.is_empty() || s.outliers == vec![1, 2]);
    let kernel = ruff.kernel.as_ref().unwrap();
    assert!((kernel.median - 17.6).abs() < 1e-9);

    let vs_py = r.comparison("b1", 10, Lang::Ruff, Lang::Python).unwrap();
    assert_eq!((vs_py.ratio, vs_py.ci_low, vs_py.ci_high, vs_py.pairs), (2.0, 2.0, 2.0, 5));
    assert_eq!(vs_py.verdict, Verdict::Slower);
    let vs_go = r.comparison("b1", 10, Lang::Ruff, Lang::Go).unwrap();
    assert_eq!((vs_go.ratio, vs_go.verdict), (0.5, Verdict::Faster));

    let g: Vec<(String, Lang, Lang, f64)> =
        r.geomeans.iter().map(|g| (g.suite.clone(), g.lang, g.vs, g.ratio)).collect();
    assert!(g.contains(&("all".into(), Lang::Ruff, Lang::Python, 2.0)));
    assert!(g.contains(&("all".into(), Lang::Ruff, Lang::Go, 0.5)));
}

#[test]
fn wrong_result_fails_and_contributes_no_timing() {
    let mut exec = MockExecutor::new().with(Lang::Ruff, "b1", 10, "42", &RUFF).with(Lang::Python, "b1", 10, "41", &PY);
    let b = bench("b1", Some("42"));
    let r = standard_report(&mut exec, vec![ready(Lang::Ruff), ready(Lang::Python)], &b);
    let py = &r.measurements[1];
    assert_eq!(py.status, Status::Failed);
    assert_eq!(py.reason.as_deref(), Some("wrong result: result=41, expected 42 (suite.toml)"));
    assert!(py.samples.wall_ms.is_empty() && py.summary.is_none());
    assert!(r.comparisons.is_empty());
    assert_eq!(exit_code(&r), EXIT_WRONG);
}

#[test]
fn without_expected_value_the_majority_decides() {
    let mut exec = MockExecutor::new()
        .with(Lang::Ruff, "b1", 10, "7", &RUFF)
        .with(Lang::Python, "b1", 10, "8", &PY)
        .with(Lang::Go, "b1", 10, "8", &GO);
    let b = bench("b1", None);
    let r = standard_report(&mut exec, vec![ready(Lang::Ruff), ready(Lang::Python), ready(Lang::Go)], &b);
    assert_eq!(r.measurements[0].status, Status::Failed);
    assert_eq!(r.measurements[0].reason.as_deref(), Some("wrong result: result=7 differs from 8 (python, go)"));
    assert_eq!(r.measurements[1].status, Status::Ok);
}

#[test]
fn crashes_and_missing_toolchains_are_reported_not_fatal() {
    let mut exec = MockExecutor::new().with(Lang::Ruff, "b1", 10, "42", &RUFF).failing(Lang::RuffNojit, "b1", 10, 2);
    let b = bench("b1", Some("42"));
    let missing = Contender {
        lang: Lang::Go,
        prepared: Prepared::Missing("go not found on PATH: install with `apt-get install -y golang-go`".into()),
    };
    let r = standard_report(&mut exec, vec![ready(Lang::Ruff), ready(Lang::RuffNojit), missing], &b);
    assert_eq!(r.measurements[0].status, Status::Ok);
    assert_eq!(r.measurements[1].status, Status::Failed);
    assert_eq!(r.measurements[1].reason.as_deref(), Some("warm-up run: exit status 2: mock failure"));
    assert_eq!(r.measurements[2].status, Status::Missing);
    // A failed variant stops running: one warm-up call only.
    assert_eq!(exec.calls.iter().filter(|c| c.starts_with("ruff-nojit")).count(), 1);
    assert_eq!(exit_code(&r), EXIT_INFRA);
    let table = report::render(&r, Format::Table, false).unwrap();
    assert!(table.contains("FAILED: warm-up run: exit status 2: mock failure"), "{table}");
    assert!(table.contains("MISSING: go not found on PATH: install with `apt-get install -y golang-go`"));
}

#[test]
fn regression_detection_against_a_baseline() {
    let b = bench("b1", Some("42"));
    let base = standard_report(&mut mock(), vec![ready(Lang::Ruff), ready(Lang::Python)], &b);
    let slower: Vec<f64> = RUFF.iter().map(|v| v * 1.3).collect();
    let mut exec =
        MockExecutor::new().with(Lang::Ruff, "b1", 10, "42", &slower).with(Lang::Python, "b1", 10, "42", &PY);
    let mut cur = standard_report(&mut exec, vec![ready(Lang::Ruff), ready(Lang::Python)], &b);
    let result = baseline::compare(&cur, &base, "base.json", 0.05);
    assert_eq!(result.entries.len(), 2);
    assert_eq!(result.entries[0].verdict, Change::Regressed);
    assert!((result.entries[0].change - 1.3).abs() < 1e-9);
    assert_eq!(result.entries[1].verdict, Change::Unchanged);
    assert!(baseline::has_regression(&result));
    cur.baseline = Some(result);
    assert_eq!(exit_code(&cur), EXIT_REGRESSION);

    // The same numbers again are no regression, and a Python slowdown alone is drift.
    let same = standard_report(&mut mock(), vec![ready(Lang::Ruff), ready(Lang::Python)], &b);
    assert!(!baseline::has_regression(&baseline::compare(&same, &base, "b", 0.05)));
    let slow_py: Vec<f64> = PY.iter().map(|v| v * 2.0).collect();
    let mut exec =
        MockExecutor::new().with(Lang::Ruff, "b1", 10, "42", &RUFF).with(Lang::Python, "b1", 10, "42", &slow_py);
    let drift = standard_report(&mut exec, vec![ready(Lang::Ruff), ready(Lang::Python)], &b);
    let result = baseline::compare(&drift, &base, "b", 0.05);
    assert_eq!(result.entries[1].verdict, Change::Regressed);
    assert!(!baseline::has_regression(&result));
}

#[test]
fn exporters_are_deterministic_and_complete() {
    let b = bench("b1", Some("42"));
    let make = || standard_report(&mut mock(), vec![ready(Lang::Ruff), ready(Lang::Python), ready(Lang::Go)], &b);
    let (r1, r2) = (make(), make());
    for f in [Format::Table, Format::Json, Format::Md, Format::Csv] {
        assert_eq!(report::render(&r1, f, false).unwrap(), report::render(&r2, f, false).unwrap());
    }
    let table = report::render(&r1, Format::Table, false).unwrap();
    assert!(table.contains("2.00× slower (2.00–2.00)"), "{table}");
    assert!(table.contains("2.00× faster (2.00–2.00)"), "{table}");
    assert!(!table.contains('\u{1b}'), "plain output has no escape codes");
    assert!(report::render(&r1, Format::Table, true).unwrap().contains('\u{1b}'));

    let json = report::render(&r1, Format::Json, false).unwrap();
    let back: Report = serde_json::from_str(&json).unwrap();
    assert_eq!(back, r1);
    assert!(json.contains("\"schema_version\": 1"));

    let md = report::render(&r1, Format::Md, false).unwrap();
    assert!(md.contains("| b1 | 10 | ruff | 22.0 ms"), "{md}");

    let csv = report::render(&r1, Format::Csv, false).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4);
    assert!(lines[0].starts_with("suite,benchmark,language,size,status"));
    assert!(lines[0].ends_with("ratio_vs_go,ratio_vs_go_ci_low,ratio_vs_go_ci_high"));
    assert!(lines[1].starts_with("demo,b1,ruff,10,ok,,42,wall,5,22,22,"), "{}", lines[1]);
}

#[test]
fn dashboard_is_self_contained() {
    let b = bench("b1", Some("42"));
    let r = standard_report(&mut mock(), vec![ready(Lang::Ruff), ready(Lang::Python), ready(Lang::Go)], &b);
    let mut later = r.clone();
    later.meta.timestamp += 3600;
    later.meta.date = "2024-01-02T04:04:05Z".into();
    let page = html::render(&[("a.json".into(), r), ("b.json".into(), later)]);
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("Ruff against Python") && page.contains("Ruff against Go"));
    assert!(page.contains("History over saved runs") && page.contains("b1 n=10: history"));
    assert!(page.matches("<svg").count() >= 3);
    assert!(!page.contains("<script") && !page.contains("https://") && !page.contains("<link"));
    assert_eq!(page.matches("http://").count(), page.matches("xmlns=\"http://www.w3.org/2000/svg\"").count());
    let empty = html::render(&[]);
    assert!(empty.contains("No saved results yet"));
}

#[test]
fn min_time_adds_rounds_up_to_the_cap() {
    let b = bench("b1", Some("42"));
    let mut s = settings();
    s.min_time = Duration::from_secs(3600);
    s.max_rounds = 7;
    let contenders = vec![ready(Lang::Ruff), ready(Lang::Python)];
    let ms = measure_all(&[(&b, 10)], |_| contenders.clone(), &s, &mut mock(), &Progress::hidden());
    assert_eq!(ms[0].samples.wall_ms.len(), 7);
    assert_eq!(ms[1].samples.wall_ms.len(), 7);
}
