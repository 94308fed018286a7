//! Tier parity: every golden program, module fixture and example runs under
//! `--jit=off` (the reference), `eager`, `auto` and `eager` with deopt stress
//! (a bail-out every few basic blocks), and must produce byte-identical stdout,
//! stderr and exit status in every mode.

mod common;

use std::path::{Path, PathBuf};

use ruff_core::api::Program;
use ruff_core::runtime::tier::JitMode;

const STACK: usize = 1 << 30;

#[derive(Clone, Copy, Debug)]
struct Mode {
    name: &'static str,
    jit: JitMode,
    stress: u64,
}

const MODES: [Mode; 4] = [
    Mode { name: "off", jit: JitMode::Off, stress: 0 },
    Mode { name: "eager", jit: JitMode::Eager, stress: 0 },
    Mode { name: "auto", jit: JitMode::Auto, stress: 0 },
    Mode { name: "eager+stress", jit: JitMode::Eager, stress: 3 },
];

/// Runs `path` in every mode on a big-stack thread; returns (mode, output) pairs.
fn run_all(path: &Path) -> Vec<(&'static str, String)> {
    let path = path.to_path_buf();
    std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(move || {
            let name = path.to_string_lossy().to_string();
            let text = std::fs::read_to_string(&path).expect("readable program");
            let program = match Program::compile(&name, &text) {
                Ok(p) => p,
                Err(f) => return MODES.iter().map(|m| (m.name, f.render())).collect(),
            };
            MODES.iter().map(|m| (m.name, common::run_in_tier(&program, m.jit, m.stress, STACK - (64 << 20)))).collect()
        })
        .expect("thread")
        .join()
        .expect("no panic")
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            if p.join("main.ruff").exists() {
                out.push(p.join("main.ruff"));
            } else {
                collect(&p, out);
            }
        } else if p.extension().is_some_and(|e| e == "ruff") && !p.parent().is_some_and(|d| d.ends_with("modules")) {
            out.push(p);
        }
    }
}

#[test]
fn every_program_behaves_the_same_in_every_tier() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    collect(&root.join("ruff-core/tests/programs"), &mut files);
    collect(&root.join("ruff-core/tests/modules"), &mut files);
    collect(&root.join("examples"), &mut files);
    assert!(files.len() > 400, "expected the golden corpus, found {} programs", files.len());
    let mut failures = Vec::new();
    for f in &files {
        let runs = run_all(f);
        let (_, reference) = &runs[0];
        for (mode, got) in &runs[1..] {
            if got != reference {
                failures.push(format!("{} differs under {mode}:\n{reference}\n=== vs ===\n{got}", f.display()));
            }
        }
    }
    println!("{} programs compared in {} modes", files.len(), MODES.len());
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n\n"));
}
