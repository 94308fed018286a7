//! `ruff-lab run` and `ruff-lab compare`: choose benchmarks, sizes and languages,
//! prepare every program (building Go once per source hash), measure case by case with
//! the process executor, then assemble, compare with a baseline, save and render the
//! report. `measure_all` and `assemble` are also what the mock-runner tests drive.

use super::{exit_code, CommandError};
use crate::analysis;
use crate::baseline;
use crate::cli::{CompareArgs, JitChoice, MeasureArgs, RunArgs, SizeSet};
use crate::lang::{self, Lang, Toolchains};
use crate::measure::{self, Contender, Settings};
use crate::meta::{self, Meta};
use crate::progress::Progress;
use crate::record::{Measurement, Metric, Report, RunOptions, Status, SCHEMA_VERSION};
use crate::report::{self, Format};
use crate::runner::process::ProcessExecutor;
use crate::runner::Executor;
use crate::suite::{self, Benchmark, SizeChoice};
use crate::verdict;
use crate::workspace::Workspace;
use std::io::IsTerminal;
use std::time::Duration;

/// `ruff-lab run`: the Ruff variants only; ratios are JIT against --jit=off.
pub fn run(ws: &Workspace, args: &RunArgs) -> Result<u8, CommandError> {
    let langs = ruff_variants(args.jit);
    let refs = if args.jit == JitChoice::Both { vec![Lang::RuffNojit] } else { Vec::new() };
    execute(ws, &args.measure, "run", langs, refs)
}

/// `ruff-lab compare`: Ruff against the `--vs` languages.
pub fn compare(ws: &Workspace, args: &CompareArgs) -> Result<u8, CommandError> {
    let mut refs = Vec::new();
    for name in &args.vs {
        let lang = Lang::parse(name).ok_or_else(|| {
            CommandError::Usage(format!("unknown language `{name}` in --vs (known: python, go, pypy, node, luajit, c)"))
        })?;
        if lang.is_ruff() {
            return Err(CommandError::Usage(format!("--vs {name}: use `ruff-lab run` to compare Ruff tiers")));
        }
        if !refs.contains(&lang) {
            refs.push(lang);
        }
    }
    let mut langs = ruff_variants(args.jit);
    langs.extend(refs.iter().copied());
    execute(ws, &args.measure, "compare", langs, refs)
}

fn ruff_variants(jit: JitChoice) -> Vec<Lang> {
    match jit {
        JitChoice::On => vec![Lang::Ruff],
        JitChoice::Off => vec![Lang::RuffNojit],
        JitChoice::Both => vec![Lang::Ruff, Lang::RuffNojit],
    }
}

fn execute(
    ws: &Workspace,
    args: &MeasureArgs,
    command: &str,
    langs: Vec<Lang>,
    refs: Vec<Lang>,
) -> Result<u8, CommandError> {
    if args.timeout <= 0.0 || !args.timeout.is_finite() {
        return Err(CommandError::Usage("--timeout must be a positive number of seconds".into()));
    }
    if args.min_time < 0.0 || !args.min_time.is_finite() {
        return Err(CommandError::Usage("--min-time must be zero or more seconds".into()));
    }
    if args.metric == Metric::Instructions && lang::which("valgrind").is_none() {
        return Err(CommandError::Toolchain(
            "--metric instructions needs valgrind: install with `apt-get install -y valgrind`".into(),
        ));
    }
    let suites = suite::load_all(&ws.benchmarks)?;
    let benches = suite::select(&suites, &args.targets)?;
    let choice = match (args.size, args.sizes, args.quick) {
        (Some(n), _, _) => SizeChoice::Exact(n),
        (None, Some(SizeSet::All), _) => SizeChoice::All,
        (None, Some(SizeSet::Quick), _) | (None, None, true) => SizeChoice::Quick,
        (None, Some(SizeSet::Canonical), _) | (None, None, false) => SizeChoice::Canonical,
    };
    let runs = args.runs.unwrap_or(if args.quick { 3 } else { 10 }).max(1);
    let settings = Settings {
        runs,
        warmup: args.warmup.unwrap_or(1),
        min_time: Duration::from_secs_f64(args.min_time),
        max_rounds: runs.max(1000),
        timeout: Duration::from_secs_f64(args.timeout),
        metric: args.metric,
    };
    let ruff = args.ruff.clone().unwrap_or_else(|| ws.default_ruff());
    let meta = meta::collect(&ws.root, &ruff);
    let tools = Toolchains::detect(&langs, &ruff, &ws.build_cache);
    for &l in &langs {
        if let lang::Availability::Missing { hint } = tools.get(l) {
            eprintln!("note: {l} is not available: {hint}");
        }
    }

    let show_progress = !args.no_progress && std::io::stderr().is_terminal();
    let prep = Progress::new(0, show_progress);
    let contenders: Vec<Vec<Contender>> = benches
        .iter()
        .map(|b| {
            langs
                .iter()
                .map(|&l| {
                    prep.note(&format!("preparing {} ({l})", b.name));
                    Contender { lang: l, prepared: tools.prepare(l, b) }
                })
                .collect()
        })
        .collect();
    prep.finish();

    let cases: Vec<(usize, u64)> =
        benches.iter().enumerate().flat_map(|(i, b)| b.sizes_for(choice).into_iter().map(move |s| (i, s))).collect();
    let total: usize = cases
        .iter()
        .map(|(i, _)| contenders[*i].iter().map(|c| measure::planned_runs(c, &settings)).sum::<usize>())
        .sum();
    let progress = Progress::new(total, show_progress);
    let mut exec = ProcessExecutor::new();
    let case_refs: Vec<(&Benchmark, u64)> = cases.iter().map(|&(i, s)| (benches[i], s)).collect();
    let measurements =
        measure_all(&case_refs, |b| contender_for(&benches, &contenders, b), &settings, &mut exec, &progress);
    progress.finish();

    let options = RunOptions {
        command: command.to_string(),
        targets: args.targets.clone(),
        langs,
        refs,
        sizes: match choice {
            SizeChoice::Exact(n) => n.to_string(),
            SizeChoice::All => "all".into(),
            SizeChoice::Quick => "quick".into(),
            SizeChoice::Canonical => "canonical".into(),
        },
        runs: settings.runs,
        warmup: settings.warmup,
        min_time_s: args.min_time,
        timeout_s: args.timeout,
        metric: args.metric,
        quick: args.quick,
    };
    let mut report = assemble(measurements, options, meta);

    if let Some(spec) = &args.baseline {
        let path = baseline::resolve(spec, &ws.results)?;
        let base = baseline::load(&path)?;
        report.baseline = Some(baseline::compare(&report, &base, &path.display().to_string(), args.threshold / 100.0));
    }
    if args.save {
        let path = save(ws, &report)?;
        eprintln!("saved {}", path.display());
    }
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let color = to_terminal && std::env::var_os("NO_COLOR").is_none();
    let text = report::render(&report, args.format, color)?;
    match &args.output {
        Some(path) => std::fs::write(path, text).map_err(|source| CommandError::Io { path: path.clone(), source })?,
        None => print!("{text}"),
    }
    if args.format != Format::Table {
        print_failures(&report);
    }
    Ok(exit_code(&report))
}

fn contender_for(benches: &[&Benchmark], contenders: &[Vec<Contender>], b: &Benchmark) -> Vec<Contender> {
    benches.iter().position(|x| x.name == b.name).map(|i| contenders[i].clone()).unwrap_or_default()
}

/// Measures every (benchmark, size) case in order with the contenders `contenders_for`
/// gives for its benchmark.
pub fn measure_all(
    cases: &[(&Benchmark, u64)],
    contenders_for: impl Fn(&Benchmark) -> Vec<Contender>,
    settings: &Settings,
    exec: &mut dyn Executor,
    progress: &Progress,
) -> Vec<Measurement> {
    let mut out = Vec::new();
    for (bench, size) in cases {
        let contenders = contenders_for(bench);
        out.extend(measure::measure_case(bench, *size, &contenders, settings, exec, progress));
    }
    out
}

/// Builds the report: comparisons, geometric means and run-wide warnings.
pub fn assemble(measurements: Vec<Measurement>, options: RunOptions, meta: Meta) -> Report {
    let comparisons = analysis::compare(&measurements, &options.refs, options.metric);
    // Geometric means summarise the languages under test; other pairs stay per benchmark.
    let ruff_only: Vec<_> = comparisons.iter().filter(|c| c.lang.is_ruff()).cloned().collect();
    let geomeans = analysis::geomeans(&ruff_only);
    let warnings = if options.metric == Metric::Wall {
        verdict::load_warning(meta.load_avg[0], meta.cores).into_iter().collect()
    } else {
        Vec::new()
    };
    Report {
        schema_version: SCHEMA_VERSION,
        tool: format!("ruff-lab {}", env!("CARGO_PKG_VERSION")),
        meta,
        options,
        measurements,
        comparisons,
        geomeans,
        warnings,
        baseline: None,
    }
}

/// Writes the record to `results/<UTC time>-<git sha>.json`.
fn save(ws: &Workspace, report: &Report) -> Result<std::path::PathBuf, CommandError> {
    std::fs::create_dir_all(&ws.results).map_err(|source| CommandError::Io { path: ws.results.clone(), source })?;
    let sha = &report.meta.git_sha[..report.meta.git_sha.len().min(12)];
    let dirty = if report.meta.git_dirty { "-dirty" } else { "" };
    let name = format!("{}-{sha}{dirty}.json", meta::utc_compact(report.meta.timestamp));
    let path = ws.results.join(name);
    let text = report::json::render(report)?;
    std::fs::write(&path, text).map_err(|source| CommandError::Io { path: path.clone(), source })?;
    Ok(path)
}

/// For machine formats, failures still go to standard error so nobody misses them.
fn print_failures(report: &Report) {
    for m in report.measurements.iter().filter(|m| m.status != Status::Ok) {
        eprintln!("{} {} n={}: {}", m.bench, m.lang, m.size, report::table::failure_note(m));
    }
}
