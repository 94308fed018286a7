//! Robustness of the front end: malformed, random and pathological inputs go
//! through `ruff_core::syntax::parse` and must come back as a program or as
//! diagnostics, quickly, without a panic or a stack overflow. Inputs are random
//! bytes, random token soups (from a small deterministic PRNG, so failures
//! reproduce), truncations of a valid program, 10,000-deep nesting of every
//! nesting construct, and huge literals. Every parse runs on a thread with a
//! 2 MiB stack, the default for spawned threads.

use std::time::{Duration, Instant};

use ruff_core::diag::{Diagnostic, Stage};
use ruff_core::syntax::parse;

mod common;
use common::Rng;

/// Generous bound for one parse of at most about 1 MiB in a debug build.
const SLOW: Duration = Duration::from_secs(5);

/// Runs `f` on a thread with a 2 MiB stack; a panic or overflow fails the test.
fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .expect("spawn test thread")
        .join()
        .expect("parser panicked");
}

/// Parses `text`, checks the diagnostics are well formed, and returns whether it
/// parsed.
fn check(text: &str) -> bool {
    let started = Instant::now();
    let result = parse(text);
    let elapsed = started.elapsed();
    assert!(elapsed < SLOW, "parse took {elapsed:?} for input of {} bytes", text.len());
    match result {
        Ok(_) => true,
        Err(diags) => {
            assert!(!diags.is_empty(), "an error result must carry diagnostics");
            diags.iter().for_each(|d| check_diagnostic(d, text));
            false
        }
    }
}

fn check_diagnostic(d: &Diagnostic, text: &str) {
    assert!(d.span.start <= d.span.end, "{d:?}");
    assert!(d.span.end as usize <= text.len(), "span past the end: {d:?}");
    assert!(!d.message.is_empty());
    let prefix = match d.stage {
        Stage::Lexer => "RUFLEX",
        Stage::Parser => "RUFPARSE",
        Stage::Compiler => panic!("the front end made a compiler diagnostic: {d:?}"),
    };
    assert!(d.code.starts_with(prefix), "{d:?}");
}

const PROGRAM: &str = r#"# a small program touching most of the grammar
import util
from a.b import x, y
enum Color { Red, Green, Blue }
struct Point {
    x: int, y: float
    func norm(self) -> float { return self.x + self.y }
}
export func classify(v) {
    match v {
        case Ok(x): { return "ok ${x}" }
        case Color::Red: { return "red" }
        case -1: { return "minus one" }
        case _: { return null }
    }
}
let [a, _, ...rest] := [1, 2, 3, 4]
mut {name, ...others} := {"name": "n", "k": [1, 2.5]}
const LIMIT: int := 10
p := Point { x: 1, y: 2.0 }
p.x += 1
for i in range(LIMIT) {
    if i % 2 == 0 && !done { continue } else if i > 7 { break } else { print(i) }
}
loop while a < 3 { a := a + 1 }
try { throw("boom") } except e { print(e.message ?? "none") }
total := [1, 2, 3] |> sum |> to_string
f := func(x) { return x?.field ?? Result::Err(x)? }
print("${total} and ${ {"k": "}"}["k"] } /* not a comment */ \${x}")
"#;

#[test]
fn the_sample_program_parses() {
    on_small_stack(|| assert!(check(PROGRAM), "{:?}", parse(PROGRAM).err()));
}

#[test]
fn every_truncation_of_a_valid_program() {
    on_small_stack(|| {
        for end in 0..=PROGRAM.len() {
            if PROGRAM.is_char_boundary(end) {
                check(&PROGRAM[..end]);
            }
        }
    });
}

#[test]
fn every_single_character_deletion() {
    on_small_stack(|| {
        for (at, c) in PROGRAM.char_indices() {
            let mut text = String::with_capacity(PROGRAM.len());
            text.push_str(&PROGRAM[..at]);
            text.push_str(&PROGRAM[at + c.len_utf8()..]);
            check(&text);
        }
    });
}

#[test]
fn random_bytes() {
    on_small_stack(|| {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for round in 0..3000 {
            let len = if round % 500 == 0 { 65_536 } else { rng.below(200) };
            let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            check(&String::from_utf8_lossy(&bytes));
        }
    });
}

const VOCABULARY: &[&str] = &[
    "let",
    "mut",
    "const",
    "func",
    "return",
    "enum",
    "match",
    "case",
    "default",
    "if",
    "else",
    "loop",
    "while",
    "for",
    "in",
    "break",
    "continue",
    "try",
    "except",
    "import",
    "export",
    "from",
    "struct",
    "impl",
    "self",
    "null",
    "spawn",
    "test",
    "yield",
    "async",
    "await",
    "int",
    "string",
    "true",
    "false",
    "Ok",
    "Err",
    "Some",
    "None",
    "throw",
    "Result",
    "Option",
    "x",
    "y",
    "_",
    "Point",
    "Color",
    "0",
    "42",
    "2.5",
    "9223372036854775807",
    "\"s\"",
    "\"a${x}b\"",
    "\"${\"${y}\"}\"",
    "\"${}\"",
    "\"\\q\"",
    "\"open",
    "+",
    "-",
    "*",
    "/",
    "%",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "&&",
    "||",
    "!",
    ":=",
    "=",
    "+=",
    "-=",
    "*=",
    "/=",
    "%=",
    "->",
    "::",
    "??",
    "?.",
    "?",
    "|>",
    "...",
    ".",
    ",",
    ":",
    ";",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "&",
    "|",
    "@",
    "'",
    "1e5",
    "/* c */",
    "# c\n",
    "// c\n",
    "\n",
    "\r\n",
    " ",
];

#[test]
fn random_token_soups() {
    on_small_stack(|| {
        let mut rng = Rng(0xD1B5_4A32_D192_ED03);
        for _ in 0..4000 {
            let len = rng.below(60);
            let mut text = String::new();
            for _ in 0..len {
                text.push_str(VOCABULARY[rng.below(VOCABULARY.len())]);
                text.push(' ');
            }
            check(&text);
        }
    });
}

#[test]
fn random_edits_of_a_valid_program() {
    on_small_stack(|| {
        let mut rng = Rng(0x0123_4567_89AB_CDEF);
        let words: Vec<&str> = PROGRAM.split(' ').collect();
        for _ in 0..1500 {
            let mut picked = words.clone();
            for _ in 0..1 + rng.below(3) {
                let at = rng.below(picked.len());
                match rng.below(3) {
                    0 => {
                        picked.remove(at);
                    }
                    1 => picked.insert(at, VOCABULARY[rng.below(VOCABULARY.len())]),
                    _ => picked.swap(at, rng.below(words.len())),
                }
            }
            check(&picked.join(" "));
        }
    });
}

/// `open` repeated `n` times, then `middle`, then `close` repeated `n` times.
fn nest(open: &str, middle: &str, close: &str, n: usize) -> String {
    let mut text = open.repeat(n);
    text.push_str(middle);
    text.push_str(&close.repeat(n));
    text
}

#[test]
fn ten_thousand_deep_nesting() {
    const N: usize = 10_000;
    on_small_stack(|| {
        let inputs = [
            nest("(", "1", ")", N),
            nest("[", "1", "]", N),
            nest("{", "1", "}", N),
            nest("{\"k\": ", "1", "}", N),
            "x := ".to_string() + &nest("(", "1", ")", N),
            nest("-", "1", "", N),
            nest("!", "x", "", N),
            nest("- ", "1", "", N),
            nest("f(", "1", ")", N),
            "x := a".to_string() + &".b".repeat(N),
            "x := a".to_string() + &"()".repeat(N),
            "x := a".to_string() + &"[0]".repeat(N),
            "x := a".to_string() + &"?".repeat(N),
            "x := 1".to_string() + &" + 1".repeat(N),
            "x := 1".to_string() + &" |> f".repeat(N),
            "x := 1".to_string() + &" ?? a && b || c".repeat(N),
            nest("if x { ", "y := 1", " }", N),
            nest("while x { ", "", " }", N),
            nest("func f() { ", "", " }", N),
            nest("x := func() { return ", "1", " }", N),
            nest("{ ", "", " }", N),
            "let ".to_string() + &nest("[", "a", "]", N) + " := x",
            nest("[", "a", "]", N) + " := x",
            "let x: ".to_string() + &nest("Option<", "int", ">", N) + " := 1",
            nest("\"${", "1", "}\"", N),
            nest("\"${", "", "", N),
            "if x { y } ".to_string() + &"else if x { y } ".repeat(N),
            "export ".repeat(N) + "let x := 1",
            "match x { ".repeat(N),
            ")".repeat(N),
            "}".repeat(N),
            "]".repeat(N),
            "x := ".repeat(N) + "1",
            "let ".repeat(N),
            "/*".repeat(N),
            "\"".repeat(N + 1),
        ];
        for text in &inputs {
            let head: String = text.chars().take(40).collect();
            assert!(!check(text), "10,000-deep nesting was accepted: {head}...");
        }
    });
}

#[test]
fn huge_inputs() {
    on_small_stack(|| {
        let mib = 1 << 20;
        let cases = [
            "9".repeat(mib - 1),
            format!("x := {}", "1".repeat(100_000)),
            format!("x := {}.{}", "1".repeat(100_000), "2".repeat(100_000)),
            "a".repeat(mib - 1),
            format!("x := \"{}\"", "s".repeat(100_000)),
            format!("x := \"{}", "s".repeat(100_000)),
            format!("x := [{}]", "1, ".repeat(100_000)),
            format!("x := {{{}}}", "\"k\": 1, ".repeat(50_000)),
            format!("f({})", "x, ".repeat(100_000)),
            format!("func f({}) {{}}", "a, ".repeat(100_000)),
            format!("enum E {{ {} }}", "A, ".repeat(100_000)),
            format!("struct S {{ {} }}", "a ".repeat(100_000)),
            " ".repeat(mib + 1),
            "x := 1\n".repeat(mib / 7),
            "@".repeat(mib),
            "x := )\n".repeat(mib / 7),
            "\0".repeat(mib),
            "é".repeat(mib / 2),
        ];
        for text in &cases {
            check(text);
        }
    });
}
