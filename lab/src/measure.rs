//! Scheduling and checking the runs of one (benchmark, size) across languages:
//! warm-up runs, then measured rounds in which every language runs once, the order
//! rotating from round to round so that no language always runs first (or right after
//! the same neighbour). Rounds continue past `runs` until `min_time` has passed.
//!
//! Correctness comes before speed: a language whose run fails, or whose result differs
//! between runs, from suite.toml or from the other languages, is marked failed and its
//! timings are dropped. Spawning is the `Executor`'s job; statistics are `stats`'.

use crate::lang::{Invocation, Lang, Prepared};
use crate::progress::Progress;
use crate::record::{Measurement, Metric, Samples, Status};
use crate::runner::{Executor, Job, Sample};
use crate::stats::Summary;
use crate::suite::Benchmark;
use crate::verdict;
use std::time::{Duration, Instant};

/// How many runs to make and how long each may take.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Measured rounds, at least.
    pub runs: usize,
    /// Warm-up runs per language, not recorded.
    pub warmup: usize,
    /// Keep adding rounds until this much time has been spent measuring.
    pub min_time: Duration,
    /// Hard cap on rounds, whatever `min_time` asks.
    pub max_rounds: usize,
    /// Per-run timeout.
    pub timeout: Duration,
    /// The main metric.
    pub metric: Metric,
}

/// One language entering a case: what `lang::Toolchains::prepare` returned.
#[derive(Debug, Clone)]
pub struct Contender {
    /// The language.
    pub lang: Lang,
    /// Ready to run, or why not.
    pub prepared: Prepared,
}

struct Lane {
    lang: Lang,
    invocation: Option<Invocation>,
    status: Status,
    reason: Option<String>,
    samples: Vec<Sample>,
    planned: usize,
}

impl Lane {
    fn fail(&mut self, status: Status, reason: String) {
        self.status = status;
        self.reason = Some(reason);
        self.invocation = None;
    }
}

/// Measures `bench` at `size` for every contender and returns one measurement each,
/// in contender order.
pub fn measure_case(
    bench: &Benchmark,
    size: u64,
    contenders: &[Contender],
    settings: &Settings,
    exec: &mut dyn Executor,
    progress: &Progress,
) -> Vec<Measurement> {
    let mut lanes: Vec<Lane> = contenders.iter().map(|c| lane_for(c, settings)).collect();
    let job = |lane: &Lane| Job {
        lang: lane.lang,
        bench: bench.name.clone(),
        size,
        invocation: lane.invocation.clone().expect("only active lanes run"),
        cwd: bench.dir.clone(),
        timeout: settings.timeout,
        metric: settings.metric,
    };

    for w in 0..settings.warmup {
        for i in rotation(lanes.len(), w) {
            if lanes[i].invocation.is_none() {
                continue;
            }
            progress.step(&format!("{} {} n={size} warm-up", bench.name, lanes[i].lang));
            let outcome = run_once(exec, &job(&lanes[i]), settings.timeout);
            lanes[i].planned -= 1;
            if let Err(reason) = outcome {
                lanes[i].fail(Status::Failed, format!("warm-up run: {reason}"));
            }
        }
    }

    let start = Instant::now();
    let mut round = 0;
    loop {
        let active = lanes.iter().filter(|l| l.invocation.is_some()).count();
        let enough = round >= settings.runs && (start.elapsed() >= settings.min_time || round >= settings.max_rounds);
        if active == 0 || enough {
            break;
        }
        if round >= settings.runs {
            progress.grow(active);
        }
        for i in rotation(lanes.len(), round) {
            if lanes[i].invocation.is_none() {
                continue;
            }
            progress.step(&format!("{} {} n={size} run {}", bench.name, lanes[i].lang, round + 1));
            let outcome = run_once(exec, &job(&lanes[i]), settings.timeout);
            lanes[i].planned = lanes[i].planned.saturating_sub(1);
            match outcome {
                Ok(sample) => lanes[i].samples.push(sample),
                Err(reason) => lanes[i].fail(Status::Failed, format!("run {}: {reason}", round + 1)),
            }
        }
        round += 1;
    }
    for lane in &lanes {
        // Runs planned for a lane that failed early will never happen.
        progress.skip(lane.planned);
    }

    check_results(&mut lanes, bench.expected_at(size));
    lanes.into_iter().map(|lane| into_measurement(lane, bench, size, settings)).collect()
}

/// The number of runs `measure_case` plans for a contender (for progress bars).
pub fn planned_runs(contender: &Contender, settings: &Settings) -> usize {
    match contender.prepared {
        Prepared::Ready(_) => settings.warmup + settings.runs,
        _ => 0,
    }
}

fn lane_for(c: &Contender, settings: &Settings) -> Lane {
    let mut lane = Lane {
        lang: c.lang,
        invocation: None,
        status: Status::Ok,
        reason: None,
        samples: Vec::new(),
        planned: planned_runs(c, settings),
    };
    match &c.prepared {
        Prepared::Ready(inv) => lane.invocation = Some(inv.clone()),
        Prepared::Missing(why) => lane.fail(Status::Missing, why.clone()),
        Prepared::NoProgram(why) => lane.fail(Status::NoProgram, why.clone()),
        Prepared::BuildFailed(why) => lane.fail(Status::BuildFailed, why.clone()),
    }
    lane
}

/// Lane indexes for round `round`: the order rotates by one each round.
pub fn rotation(lanes: usize, round: usize) -> Vec<usize> {
    (0..lanes).map(|i| (i + round) % lanes.max(1)).collect()
}

fn run_once(exec: &mut dyn Executor, job: &Job, timeout: Duration) -> Result<Sample, String> {
    match exec.execute(job) {
        Ok(output) => output.into_sample(timeout),
        Err(e) => Err(e.to_string()),
    }
}

/// Fails lanes whose results are inconsistent, wrong against `expected`, or (with no
/// expected value) different from the majority of the other languages.
fn check_results(lanes: &mut [Lane], expected: Option<&str>) {
    for lane in lanes.iter_mut().filter(|l| l.status == Status::Ok && !l.samples.is_empty()) {
        let first = lane.samples[0].result.clone();
        if let Some(other) = lane.samples.iter().map(|s| &s.result).find(|r| **r != first) {
            let reason = format!("results differ between runs: {first} vs {other}");
            lane.fail(Status::Failed, reason);
            continue;
        }
        if let Some(exp) = expected {
            if first != exp {
                lane.fail(Status::Failed, format!("wrong result: result={first}, expected {exp} (suite.toml)"));
            }
        }
    }
    if expected.is_some() {
        return;
    }
    let ok: Vec<(Lang, String)> = lanes
        .iter()
        .filter(|l| l.status == Status::Ok && !l.samples.is_empty())
        .map(|l| (l.lang, l.samples[0].result.clone()))
        .collect();
    let majority =
        ok.iter().map(|(_, r)| r).find(|r| ok.iter().filter(|(_, x)| x == *r).count() * 2 > ok.len()).cloned();
    for lane in lanes.iter_mut().filter(|l| l.status == Status::Ok && !l.samples.is_empty()) {
        let mine = lane.samples[0].result.clone();
        let reason = match &majority {
            Some(m) if *m == mine => continue,
            Some(m) => {
                let holders: Vec<String> = ok.iter().filter(|(_, r)| r == m).map(|(l, _)| l.to_string()).collect();
                format!("wrong result: result={mine} differs from {m} ({})", holders.join(", "))
            }
            None => {
                let all: Vec<String> = ok.iter().map(|(l, r)| format!("{l}={r}")).collect();
                format!("languages disagree and no result is expected: {}", all.join(", "))
            }
        };
        lane.fail(Status::Failed, reason);
    }
}

fn into_measurement(lane: Lane, bench: &Benchmark, size: u64, settings: &Settings) -> Measurement {
    let mut m = Measurement {
        suite: bench.suite.clone(),
        bench: bench.name.clone(),
        lang: lane.lang,
        size,
        status: lane.status,
        reason: lane.reason,
        result: lane.samples.first().map(|s| s.result.clone()),
        expected: bench.expected_at(size).map(str::to_string),
        warmup_runs: settings.warmup,
        samples: Samples::default(),
        summary: None,
        kernel: None,
        cpu: None,
        rss_kb: None,
        warnings: Vec::new(),
    };
    if m.status != Status::Ok || lane.samples.is_empty() {
        if m.status == Status::Ok {
            m.status = Status::Failed;
            m.reason = Some("no measured run".into());
        }
        // A failed measurement never contributes a timing: keep no samples.
        return m;
    }
    m.samples = Samples {
        wall_ms: lane.samples.iter().map(|s| s.wall_ms).collect(),
        cpu_ms: lane.samples.iter().map(|s| s.cpu_ms).collect(),
        max_rss_kb: lane.samples.iter().map(|s| s.max_rss_kb).collect(),
        kernel_ms: lane.samples.iter().filter_map(|s| s.kernel_ms).collect(),
        instructions: lane.samples.iter().filter_map(|s| s.instructions).collect(),
    };
    let values = m.samples.values(settings.metric);
    m.summary = Summary::of(&values);
    m.kernel = Summary::of(&m.samples.kernel_ms);
    m.cpu = Summary::of(&m.samples.cpu_ms);
    let rss: Vec<f64> = m.samples.max_rss_kb.iter().map(|&v| v as f64).collect();
    m.rss_kb = Summary::of(&rss);
    if let Some(s) = &m.summary {
        m.warnings = verdict::assess(&values, s, settings.metric == Metric::Wall);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_starts_each_round_one_further() {
        assert_eq!(rotation(3, 0), vec![0, 1, 2]);
        assert_eq!(rotation(3, 1), vec![1, 2, 0]);
        assert_eq!(rotation(3, 5), vec![2, 0, 1]);
        assert!(rotation(0, 2).is_empty());
    }
}
