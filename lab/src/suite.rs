//! Benchmark suites: loading and validating `benchmarks/<suite>/suite.toml`, choosing
//! sizes, and selecting benchmarks by suite or benchmark name.
//!
//! A suite file names its benchmarks, their sizes, the canonical size, the `--quick`
//! size and the expected `result=` per size. Which program files exist per language is
//! `lang`'s business; this module only checks that each benchmark folder exists.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Failures while reading or validating suite files.
#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    /// The folder or a file could not be read.
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    /// The file is not valid TOML or does not have the expected shape.
    #[error("invalid suite file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    /// The file parses but breaks a rule (sizes, names, expected values).
    #[error("invalid suite file {path}: {message}")]
    Invalid { path: PathBuf, message: String },
    /// No `*/suite.toml` under the benchmarks folder.
    #[error("no suites found under {0} (expected <suite>/suite.toml files)")]
    Empty(PathBuf),
    /// A command-line target names neither a suite nor a benchmark.
    #[error("unknown suite or benchmark `{name}` (known: {known})")]
    Unknown { name: String, known: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SuiteFile {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(rename = "benchmark", default)]
    benchmarks: Vec<BenchFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BenchFile {
    name: String,
    #[serde(default)]
    description: String,
    sizes: Vec<u64>,
    canonical: u64,
    quick: Option<u64>,
    #[serde(default)]
    expected: BTreeMap<String, String>,
}

/// One suite: a folder of benchmarks sharing a theme.
#[derive(Debug, Clone)]
pub struct Suite {
    /// Folder name, equal to `name` in the file.
    pub name: String,
    /// One-line description.
    pub description: String,
    /// Absolute path of the suite folder.
    pub dir: PathBuf,
    /// Benchmarks in file order.
    pub benchmarks: Vec<Benchmark>,
}

/// One benchmark: the same workload written once per language in `dir`.
#[derive(Debug, Clone)]
pub struct Benchmark {
    /// Name of the suite holding it.
    pub suite: String,
    /// Benchmark name, equal to its folder name; unique across all suites.
    pub name: String,
    /// One-line description.
    pub description: String,
    /// Absolute path of the benchmark folder (holds `bench.ruff`, `bench.py`, ...).
    pub dir: PathBuf,
    /// Sizes in ascending order, never empty.
    pub sizes: Vec<u64>,
    /// The size used by default; one of `sizes`.
    pub canonical: u64,
    /// The size used by `--quick`; one of `sizes` (the smallest unless given).
    pub quick: u64,
    /// Expected `result=` value per size.
    pub expected: BTreeMap<u64, String>,
}

/// Which sizes of each benchmark to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeChoice {
    /// The canonical size.
    Canonical,
    /// The `--quick` size.
    Quick,
    /// Every listed size.
    All,
    /// One given size (benchmarks with a single size ignore it).
    Exact(u64),
}

impl Benchmark {
    /// The sizes to run under `choice`, ascending.
    pub fn sizes_for(&self, choice: SizeChoice) -> Vec<u64> {
        match choice {
            SizeChoice::Canonical => vec![self.canonical],
            SizeChoice::Quick => vec![self.quick],
            SizeChoice::All => self.sizes.clone(),
            // A benchmark with one size (start-up) does not scale with the argument.
            SizeChoice::Exact(_) if self.sizes.len() == 1 => self.sizes.clone(),
            SizeChoice::Exact(n) => vec![n],
        }
    }

    /// The expected result at `size`, if suite.toml records one.
    pub fn expected_at(&self, size: u64) -> Option<&str> {
        self.expected.get(&size).map(String::as_str)
    }
}

/// Loads every `<dir>/*/suite.toml`, sorted by folder name, and validates them.
pub fn load_all(dir: &Path) -> Result<Vec<Suite>, SuiteError> {
    let entries = std::fs::read_dir(dir).map_err(|source| SuiteError::Read { path: dir.to_path_buf(), source })?;
    let mut folders: Vec<PathBuf> =
        entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.join("suite.toml").is_file()).collect();
    folders.sort();
    if folders.is_empty() {
        return Err(SuiteError::Empty(dir.to_path_buf()));
    }
    let mut suites = Vec::new();
    for folder in folders {
        suites.push(load_suite(&folder)?);
    }
    let mut seen = BTreeMap::new();
    for s in &suites {
        for b in &s.benchmarks {
            if let Some(other) = seen.insert(b.name.clone(), s.name.clone()) {
                return Err(SuiteError::Invalid {
                    path: s.dir.join("suite.toml"),
                    message: format!("benchmark `{}` is also defined in suite `{other}`", b.name),
                });
            }
        }
    }
    Ok(suites)
}

/// Loads and validates one suite folder.
pub fn load_suite(folder: &Path) -> Result<Suite, SuiteError> {
    let path = folder.join("suite.toml");
    let text = std::fs::read_to_string(&path).map_err(|source| SuiteError::Read { path: path.clone(), source })?;
    parse_suite(&text, folder)
}

/// Parses suite.toml text belonging to `folder` (the folder name must match `name`).
pub fn parse_suite(text: &str, folder: &Path) -> Result<Suite, SuiteError> {
    let path = folder.join("suite.toml");
    let file: SuiteFile =
        toml::from_str(text).map_err(|e| SuiteError::Parse { path: path.clone(), message: toml_message(text, &e) })?;
    let invalid = |message: String| SuiteError::Invalid { path: path.clone(), message };
    let folder_name = folder.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if file.name != folder_name {
        return Err(invalid(format!("name `{}` does not match the folder name `{folder_name}`", file.name)));
    }
    if file.benchmarks.is_empty() {
        return Err(invalid("no [[benchmark]] entries".into()));
    }
    let mut benchmarks: Vec<Benchmark> = Vec::new();
    for b in file.benchmarks {
        let bench = validate_bench(b, &file.name, folder).map_err(&invalid)?;
        if benchmarks.iter().any(|x| x.name == bench.name) {
            return Err(invalid(format!("benchmark `{}` is listed twice", bench.name)));
        }
        benchmarks.push(bench);
    }
    Ok(Suite { name: file.name, description: file.description, dir: folder.to_path_buf(), benchmarks })
}

/// `line L, column C: message` for a TOML error (toml's own text spans several lines).
fn toml_message(text: &str, e: &toml::de::Error) -> String {
    let message = e.message().trim_end().replace('\n', "; ");
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            format!("line {line}, column {column}: {message}")
        }
        None => message,
    }
}

fn validate_bench(b: BenchFile, suite: &str, folder: &Path) -> Result<Benchmark, String> {
    let name = &b.name;
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(format!("benchmark name `{name}` must be letters, digits, `_` or `-`"));
    }
    let dir = folder.join(name);
    if !dir.is_dir() {
        return Err(format!("benchmark `{name}`: folder {} is missing", dir.display()));
    }
    if b.sizes.is_empty() {
        return Err(format!("benchmark `{name}`: `sizes` is empty"));
    }
    if b.sizes.windows(2).any(|w| w[0] >= w[1]) {
        return Err(format!("benchmark `{name}`: `sizes` must be strictly ascending"));
    }
    if !b.sizes.contains(&b.canonical) {
        return Err(format!("benchmark `{name}`: canonical size {} is not in `sizes`", b.canonical));
    }
    let quick = b.quick.unwrap_or(b.sizes[0]);
    if !b.sizes.contains(&quick) {
        return Err(format!("benchmark `{name}`: quick size {quick} is not in `sizes`"));
    }
    let mut expected = BTreeMap::new();
    for (k, v) in b.expected {
        let size: u64 = k.parse().map_err(|_| format!("benchmark `{name}`: expected key `{k}` is not a size"))?;
        if !b.sizes.contains(&size) {
            return Err(format!("benchmark `{name}`: expected result for size {size}, which is not in `sizes`"));
        }
        if v.is_empty() || v.chars().any(char::is_whitespace) {
            return Err(format!("benchmark `{name}`: expected result `{v}` must be non-empty without spaces"));
        }
        expected.insert(size, v);
    }
    Ok(Benchmark {
        suite: suite.to_string(),
        name: b.name,
        description: b.description,
        dir,
        sizes: b.sizes,
        canonical: b.canonical,
        quick,
        expected,
    })
}

/// The benchmarks named by `targets` (suite or benchmark names), in suite order and
/// without duplicates; all benchmarks when `targets` is empty.
pub fn select<'a>(suites: &'a [Suite], targets: &[String]) -> Result<Vec<&'a Benchmark>, SuiteError> {
    let all: Vec<&Benchmark> = suites.iter().flat_map(|s| s.benchmarks.iter()).collect();
    if targets.is_empty() {
        return Ok(all);
    }
    let mut wanted: Vec<&str> = Vec::new();
    for t in targets {
        let hits: Vec<&str> = all.iter().filter(|b| &b.suite == t || &b.name == t).map(|b| b.name.as_str()).collect();
        if hits.is_empty() {
            let mut known: Vec<&str> = suites.iter().map(|s| s.name.as_str()).collect();
            known.extend(all.iter().map(|b| b.name.as_str()));
            return Err(SuiteError::Unknown { name: t.clone(), known: known.join(", ") });
        }
        wanted.extend(hits);
    }
    Ok(all.into_iter().filter(|b| wanted.contains(&b.name.as_str())).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ruff-lab-suite-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("demo").join("b1")).unwrap();
        dir.join("demo")
    }

    #[test]
    fn parses_a_valid_suite() {
        let text = "name = \"demo\"\n[[benchmark]]\nname = \"b1\"\nsizes = [1, 10]\ncanonical = 10\n[benchmark.expected]\n10 = \"55\"\n";
        let s = parse_suite(text, &folder()).unwrap();
        assert_eq!(s.benchmarks[0].quick, 1);
        assert_eq!(s.benchmarks[0].expected_at(10), Some("55"));
        assert_eq!(s.benchmarks[0].sizes_for(SizeChoice::All), vec![1, 10]);
    }

    #[test]
    fn bad_toml_names_the_file_and_line() {
        let err = parse_suite("name = \"demo\"\n[[benchmark]\n", &folder()).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("suite.toml"), "{msg}");
        assert!(msg.contains("line 2"), "{msg}");
    }

    #[test]
    fn canonical_must_be_listed() {
        let text = "name = \"demo\"\n[[benchmark]]\nname = \"b1\"\nsizes = [1]\ncanonical = 2\n";
        let msg = parse_suite(text, &folder()).unwrap_err().to_string();
        assert!(msg.contains("canonical size 2 is not in `sizes`"), "{msg}");
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let text = "name = \"demo\"\n[[benchmark]]\nname = \"b1\"\nsizes = [1]\ncanonical = 1\nexpect = 3\n";
        let msg = parse_suite(text, &folder()).unwrap_err().to_string();
        assert!(msg.contains("unknown field"), "{msg}");
    }
}
