//! `ruff check` must never panic: every golden program, mutated at random (bytes
//! deleted, duplicated, swapped, replaced by punctuation or keywords), goes through
//! the whole front end — lexer, parser and compiler — via `Program::compile`.

use std::path::{Path, PathBuf};

use ruff_core::api::Program;

mod common;
use common::Rng;

const PIECES: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ":=",
    "=",
    ",",
    ";",
    "func",
    "return",
    "break",
    "continue",
    "let",
    "mut",
    "const",
    "match",
    "case",
    "default",
    "try",
    "except",
    "import",
    "export",
    "struct",
    "enum",
    "self",
    "...",
    "?",
    "?.",
    "??",
    "|>",
    "\"",
    "${",
    "::",
    "for",
    "in",
    "while",
    "loop",
    "if",
    "else",
    "0",
    "-1",
    "9223372036854775807",
];

fn golden_sources() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/programs")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "ruff") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn mutate(rng: &mut Rng, src: &str) -> String {
    let mut s: Vec<u8> = src.as_bytes().to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(s.len() + 1);
        match rng.below(4) {
            0 if !s.is_empty() => {
                let end = (at + 1 + rng.below(8)).min(s.len());
                s.drain(at.min(end)..end);
            }
            1 => {
                let piece = PIECES[rng.below(PIECES.len())].as_bytes();
                s.splice(at..at, piece.iter().copied());
            }
            2 if !s.is_empty() => {
                let from = rng.below(s.len());
                let end = (from + rng.below(16)).min(s.len());
                let chunk: Vec<u8> = s[from..end].to_vec();
                s.splice(at..at, chunk);
            }
            _ => {
                let byte = [b'\0', b'\\', b'$', b'\'', b'@', 0xC3, b'\r'][rng.below(7)];
                s.insert(at, byte);
            }
        }
    }
    String::from_utf8_lossy(&s).into_owned()
}

#[test]
fn mutated_programs_compile_or_report_without_panicking() {
    let sources = golden_sources();
    assert!(!sources.is_empty(), "no golden programs to mutate");
    let seed: u64 = std::env::var("RUFF_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5EED_1234_ABCD);
    let rounds: usize = std::env::var("RUFF_FUZZ_ROUNDS").ok().and_then(|s| s.parse().ok()).unwrap_or(8);
    let mut rng = Rng(seed);
    let (mut ok, mut rejected) = (0usize, 0usize);
    for path in &sources {
        let text = std::fs::read_to_string(path).expect("readable");
        for _ in 0..rounds {
            let mutated = mutate(&mut rng, &text);
            match Program::compile("fuzz.ruff", &mutated) {
                Ok(p) => {
                    let _ = p.disassemble();
                    ok += 1;
                }
                Err(f) => {
                    assert!(!f.diagnostics.is_empty(), "a failed compile must say why");
                    assert!(f.exit_code() == 3 || f.exit_code() == 4);
                    let _ = f.render();
                    rejected += 1;
                }
            }
        }
    }
    eprintln!("fuzzed {} programs: {ok} compiled, {rejected} rejected with diagnostics", ok + rejected);
}
