//! The language table: for every language the lab can time, its name, program file,
//! executable, how to ask its version, how to build and run a benchmark, and how to
//! install it. This is the one place that knows these facts; everything else asks here.
//!
//! Building compiled programs (Go, C) into the cache is `compile`'s job; spawning and
//! timing is `runner`'s.

use crate::compile;
use crate::suite::Benchmark;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A language (or a Ruff variant) the lab can time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Lang {
    /// The `ruff` binary with its default (JIT) tier.
    Ruff,
    /// The `ruff` binary with `--jit=off`: the bytecode VM only.
    RuffNojit,
    /// CPython 3 (`python3`).
    Python,
    /// Go, compiled once per source hash.
    Go,
    /// PyPy 3 (`pypy3`), running `bench.py`.
    Pypy,
    /// Node.js, running `bench.js`.
    Node,
    /// LuaJIT, running `bench.lua`.
    Luajit,
    /// C compiled with `cc -O2`, from `bench.c`.
    C,
}

/// How a language turns its program file into something to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Build {
    /// Run the file with the interpreter.
    Interpret,
    /// `go build` into the cache.
    Go,
    /// `cc -O2` into the cache.
    C,
}

/// One row of the language table.
#[derive(Debug, Clone, Copy)]
pub struct LangSpec {
    /// The language.
    pub lang: Lang,
    /// Name used on the command line and in reports.
    pub name: &'static str,
    /// Program file inside a benchmark folder.
    pub file: &'static str,
    /// Executable looked up on PATH (Ruff is located separately).
    pub tool: &'static str,
    /// Arguments that make `tool` print its version.
    pub version_args: &'static [&'static str],
    /// Arguments between the interpreter and the program file.
    pub run_args: &'static [&'static str],
    /// Arguments that make the tool print its real executable path. Version managers
    /// (pyenv, nvm) install shell-script shims whose start-up would be charged to the
    /// language, so the lab times the real binary instead. Empty: use the PATH entry.
    pub real_path_args: &'static [&'static str],
    /// How the program is built.
    pub build: Build,
    /// How to install the toolchain on Debian.
    pub install: &'static str,
}

/// Every language, in report order.
pub const LANGS: [LangSpec; 8] = [
    LangSpec {
        lang: Lang::Ruff,
        name: "ruff",
        file: "bench.ruff",
        tool: "ruff",
        version_args: &["--version"],
        run_args: &["run"],
        real_path_args: &[],
        build: Build::Interpret,
        install: "cargo build --release -p ruff-cli",
    },
    LangSpec {
        lang: Lang::RuffNojit,
        name: "ruff-nojit",
        file: "bench.ruff",
        tool: "ruff",
        version_args: &["--version"],
        run_args: &["run", "--jit=off"],
        real_path_args: &[],
        build: Build::Interpret,
        install: "cargo build --release -p ruff-cli",
    },
    LangSpec {
        lang: Lang::Python,
        name: "python",
        file: "bench.py",
        tool: "python3",
        version_args: &["--version"],
        run_args: &[],
        real_path_args: &["-c", "import sys; print(sys.executable)"],
        build: Build::Interpret,
        install: "apt-get install -y python3",
    },
    LangSpec {
        lang: Lang::Go,
        name: "go",
        file: "main.go",
        tool: "go",
        version_args: &["version"],
        run_args: &[],
        real_path_args: &[],
        build: Build::Go,
        install: "apt-get install -y golang-go",
    },
    LangSpec {
        lang: Lang::Pypy,
        name: "pypy",
        file: "bench.py",
        tool: "pypy3",
        version_args: &["--version"],
        run_args: &[],
        real_path_args: &["-c", "import sys; print(sys.executable)"],
        build: Build::Interpret,
        install: "apt-get install -y pypy3",
    },
    LangSpec {
        lang: Lang::Node,
        name: "node",
        file: "bench.js",
        tool: "node",
        version_args: &["--version"],
        run_args: &[],
        real_path_args: &["-p", "process.execPath"],
        build: Build::Interpret,
        install: "apt-get install -y nodejs",
    },
    LangSpec {
        lang: Lang::Luajit,
        name: "luajit",
        file: "bench.lua",
        tool: "luajit",
        version_args: &["-v"],
        run_args: &[],
        real_path_args: &[],
        build: Build::Interpret,
        install: "apt-get install -y luajit",
    },
    LangSpec {
        lang: Lang::C,
        name: "c",
        file: "bench.c",
        tool: "cc",
        version_args: &["--version"],
        run_args: &[],
        real_path_args: &[],
        build: Build::C,
        install: "apt-get install -y gcc",
    },
];

impl Lang {
    /// This language's row of the table.
    pub fn spec(self) -> &'static LangSpec {
        LANGS.iter().find(|s| s.lang == self).expect("every Lang has a LANGS row")
    }

    /// The report name (`ruff-nojit`, `python`, ...).
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// True for the Ruff variants (the languages under test).
    pub fn is_ruff(self) -> bool {
        matches!(self, Lang::Ruff | Lang::RuffNojit)
    }

    /// Parses a report name; also accepts `python3`, `golang`, `js`, `pypy3`.
    pub fn parse(name: &str) -> Option<Lang> {
        let n = name.trim().to_ascii_lowercase();
        let alias = match n.as_str() {
            "python3" | "cpython" | "py" => "python",
            "golang" => "go",
            "js" | "nodejs" => "node",
            "pypy3" => "pypy",
            "lua" => "luajit",
            "ruff-jit" => "ruff",
            "ruff-vm" | "ruff-interp" => "ruff-nojit",
            other => other,
        };
        LANGS.iter().find(|s| s.name == alias).map(|s| s.lang)
    }
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether a language's toolchain is present here.
#[derive(Debug, Clone)]
pub enum Availability {
    /// Found: the executable and its version line.
    Ready { path: PathBuf, version: String },
    /// Not found, with a message that says how to install it.
    Missing { hint: String },
}

/// A command that runs one benchmark program; the size is appended when it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// The executable.
    pub program: PathBuf,
    /// Arguments before the size.
    pub args: Vec<String>,
}

/// The outcome of getting a (language, benchmark) pair ready to run.
#[derive(Debug, Clone)]
pub enum Prepared {
    /// Ready to spawn.
    Ready(Invocation),
    /// The toolchain is missing (the message says how to install it).
    Missing(String),
    /// The benchmark has no program for this language; not an error.
    NoProgram(String),
    /// Building the program failed (an infrastructure error).
    BuildFailed(String),
}

/// Detected toolchains, asked once per process.
#[derive(Debug, Clone)]
pub struct Toolchains {
    found: BTreeMap<Lang, Availability>,
    cache: PathBuf,
}

impl Toolchains {
    /// Detects `langs`, using `ruff` as the Ruff binary and `cache` for compiled programs.
    pub fn detect(langs: &[Lang], ruff: &Path, cache: &Path) -> Self {
        let mut found = BTreeMap::new();
        for &lang in langs {
            found.insert(lang, detect(lang, ruff));
        }
        Self { found, cache: cache.to_path_buf() }
    }

    /// The availability of `lang` (missing if it was not detected).
    pub fn get(&self, lang: Lang) -> Availability {
        self.found
            .get(&lang)
            .cloned()
            .unwrap_or_else(|| Availability::Missing { hint: format!("{lang} was not detected") })
    }

    /// The version line of `lang`, when present.
    pub fn version(&self, lang: Lang) -> Option<String> {
        match self.found.get(&lang) {
            Some(Availability::Ready { version, .. }) => Some(version.clone()),
            _ => None,
        }
    }

    /// Gets `bench` ready to run in `lang`: checks the toolchain and the program file,
    /// and builds compiled languages into the cache.
    pub fn prepare(&self, lang: Lang, bench: &Benchmark) -> Prepared {
        let spec = lang.spec();
        let (tool, version) = match self.get(lang) {
            Availability::Ready { path, version } => (path, version),
            Availability::Missing { hint } => return Prepared::Missing(hint),
        };
        let file = bench.dir.join(spec.file);
        if !file.is_file() {
            return Prepared::NoProgram(format!("no {} in {}", spec.file, bench.dir.display()));
        }
        let built = match spec.build {
            Build::Interpret => {
                let mut args: Vec<String> = spec.run_args.iter().map(|s| s.to_string()).collect();
                args.push(file.display().to_string());
                return Prepared::Ready(Invocation { program: tool, args });
            }
            Build::Go => compile::build_go(&tool, &version, &file, &self.cache),
            Build::C => compile::build_c(&tool, &version, &file, &self.cache),
        };
        match built {
            Ok(program) => Prepared::Ready(Invocation { program, args: Vec::new() }),
            Err(e) => Prepared::BuildFailed(e.to_string()),
        }
    }
}

/// Detects one language: the Ruff variants check `ruff`, the others search PATH.
pub fn detect(lang: Lang, ruff: &Path) -> Availability {
    let spec = lang.spec();
    let path = if lang.is_ruff() {
        if !ruff.is_file() {
            return Availability::Missing {
                hint: format!(
                    "ruff binary not found at {}: run `{}` or pass --ruff PATH",
                    ruff.display(),
                    spec.install
                ),
            };
        }
        ruff.to_path_buf()
    } else {
        match which(spec.tool) {
            Some(p) => p,
            None => {
                return Availability::Missing {
                    hint: format!("{} not found on PATH: install with `{}`", spec.tool, spec.install),
                }
            }
        }
    };
    let path = real_path(&path, spec.real_path_args).unwrap_or(path);
    let version = version_line(&path, spec.version_args).unwrap_or_else(|| "unknown version".into());
    Availability::Ready { path, version }
}

/// The first non-empty line `program ARGS` prints (stdout first, then stderr).
pub fn version_line(program: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    let text = format!("{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    text.lines().map(str::trim).find(|l| !l.is_empty()).map(str::to_string)
}

/// The real executable behind a (possibly shimmed) `tool`, if it says so.
fn real_path(tool: &Path, args: &[&str]) -> Option<PathBuf> {
    if args.is_empty() {
        return None;
    }
    let out = Command::new(tool).args(args).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let path = PathBuf::from(text.trim());
    (out.status.success() && path.is_absolute() && path.is_file()).then_some(path)
}

/// Searches PATH for an executable file called `tool`.
pub fn which(tool: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(tool))
        .find(|p| p.metadata().map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0).unwrap_or(false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lang_has_one_row_and_round_trips_by_name() {
        for spec in LANGS {
            assert_eq!(Lang::parse(spec.name), Some(spec.lang));
            assert_eq!(spec.lang.spec().name, spec.name);
        }
        assert_eq!(Lang::parse("python3"), Some(Lang::Python));
        assert_eq!(Lang::parse("cobol"), None);
    }

    #[test]
    fn missing_ruff_says_how_to_build_it() {
        match detect(Lang::Ruff, Path::new("/nonexistent/ruff")) {
            Availability::Missing { hint } => assert!(hint.contains("cargo build --release -p ruff-cli")),
            other => panic!("unexpected {other:?}"),
        }
    }
}
