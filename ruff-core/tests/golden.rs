//! Golden programs: every `tests/programs/<feature>/NAME.ruff` runs in-process and
//! must print exactly `NAME.out` on stdout, exit with `NAME.exit` (default 0) and,
//! when `NAME.err` exists, contain its text on stderr. `tests/wishlist/` runs the
//! same way but only reports. `RUFF_BLESS=1 cargo test` rewrites expectations.

use std::path::{Path, PathBuf};

use ruff_core::api::{Options, Program};

/// Native stack for each program (deep recursion goldens need it).
const STACK: usize = 1 << 30;

struct Outcome {
    stdout: String,
    stderr: String,
    exit: i32,
}

/// Runs one program the way `ruff run` does, capturing everything.
fn run_program(path: &Path) -> Outcome {
    let path = path.to_path_buf();
    std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(move || {
            let name = path.to_string_lossy().to_string();
            let text = std::fs::read_to_string(&path).expect("readable golden program");
            match Program::compile(&name, &text) {
                Err(f) => Outcome { stdout: String::new(), stderr: f.render(), exit: f.exit_code() },
                Ok(program) => {
                    let run = program.run_captured(&Options::default(), None);
                    Outcome { stdout: run.stdout, stderr: run.stderr, exit: run.outcome.exit_code }
                }
            }
        })
        .expect("spawn")
        .join()
        .unwrap_or_else(|_| Outcome { stdout: String::new(), stderr: "PANIC".into(), exit: -1 })
}

/// Every `.ruff` file under `dir` (only files called `only`, when given).
fn programs_named(dir: &Path, only: Option<&str>) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "ruff")
                && only.is_none_or(|o| p.file_name().is_some_and(|n| n == o))
            {
                found.push(p);
            }
        }
    }
    found.sort();
    found
}

/// Checks one program; returns a description of each mismatch.
fn check(path: &Path, bless: bool) -> Vec<String> {
    let got = run_program(path);
    let out_path = path.with_extension("out");
    let err_path = path.with_extension("err");
    let exit_path = path.with_extension("exit");
    if bless {
        std::fs::write(&out_path, &got.stdout).expect("write .out");
        if got.exit != 0 {
            std::fs::write(&exit_path, format!("{}\n", got.exit)).expect("write .exit");
        } else if exit_path.exists() {
            std::fs::remove_file(&exit_path).expect("remove .exit");
        }
        return Vec::new();
    }
    let mut problems = Vec::new();
    let want_out = std::fs::read_to_string(&out_path).unwrap_or_default();
    if got.stdout != want_out {
        problems.push(format!("stdout differs\n--- expected\n{want_out}--- got\n{}---", got.stdout));
    }
    let want_exit: i32 = std::fs::read_to_string(&exit_path).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(0);
    if got.exit != want_exit {
        problems.push(format!("exit status {} (expected {want_exit})\n--- stderr\n{}---", got.exit, got.stderr));
    }
    if let Ok(want_err) = std::fs::read_to_string(&err_path) {
        let want_err = want_err.trim_end_matches('\n');
        if !got.stderr.contains(want_err) {
            problems.push(format!("stderr lacks {want_err:?}\n--- got stderr\n{}---", got.stderr));
        }
    }
    if got.stderr.contains("PANIC") {
        problems.push("the interpreter panicked".into());
    }
    problems
}

fn run_corpus(dir: &str, must_pass: bool) {
    run_corpus_of(dir, None, must_pass);
}

fn run_corpus_of(dir: &str, only: Option<&str>, must_pass: bool) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let bless = std::env::var_os("RUFF_BLESS").is_some();
    let all = programs_named(&root, only);
    assert!(!must_pass || !all.is_empty(), "no golden programs under {}", root.display());
    let mut failed = Vec::new();
    for p in &all {
        let problems = check(p, bless);
        if !problems.is_empty() {
            let rel = p.strip_prefix(&root).unwrap_or(p).display().to_string();
            eprintln!("FAIL {rel}\n{}\n", problems.join("\n"));
            failed.push(rel);
        }
    }
    let passed = all.len() - failed.len();
    eprintln!("{dir}: {passed} passed, {} failed", failed.len());
    if must_pass {
        assert!(failed.is_empty(), "{} golden program(s) failed: {}", failed.len(), failed.join(", "));
    }
}

#[test]
fn golden_programs() {
    run_corpus("tests/programs", true);
}

/// Multi-file fixtures: each folder's `main.ruff` imports its siblings.
#[test]
fn module_programs() {
    run_corpus_of("tests/modules", Some("main.ruff"), true);
}

/// The realistic programs under the repository's `examples/`.
#[test]
fn example_programs() {
    run_corpus("../examples", true);
}

#[test]
fn wishlist_programs_are_reported() {
    run_corpus("tests/wishlist", false);
}
