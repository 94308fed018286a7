//! A pure call unit emits its calls of itself as copies of its body, up to
//! two levels deep when the copies fit the budget
//! (`translate::inline_self_call`). The copy is a Ruff call the VM would
//! make: it must count towards the recursion limit, raise the same errors, and
//! return every kind of result. These programs run at and around the limit and
//! require the VM's output in every tier.

use ruff_core::api::{Options, Program};
use ruff_core::runtime::tier::{JitMode, Tier};
use ruff_jit::{Jit, JitOptions};

const PROGRAM: &str = r#"
func down(n) {
    if n < 1 { return 0 }
    return 1 + down(n - 1)
}
func half(x) {
    if x < 1.0 { return x }
    return half(x / 2.0) + 0.5
}
func even(n) {
    if n == 0 { return true }
    if n == 1 { return false }
    return even(n - 2)
}
func nothing(n) {
    if n > 0 { nothing(n - 1) }
    return null
}
func fact(n) {
    if n < 2 { return 1 }
    return n * fact(n - 1)
}
func fib(n) {
    if n < 2 { return n }
    return fib(n - 1) + fib(n - 2)
}
func deep(d, n) {
    if d > 0 { return deep(d - 1, n) }
    return fib(n)
}
func tak(x, y, z) {
    if y < x { return tak(tak(x - 1, y, z), tak(y - 1, z, x), tak(z - 1, x, y)) }
    return z
}
for k in [37, 38, 39, 40, 41, 42] {
    try { print(k, down(k)) } except e { print(k, e.message) }
}
print(half(1000.0), even(30), even(31), nothing(20), tak(12, 8, 4))
for d in [28, 29, 30] {
    for k in [37, 38, 39, 40, 41, 42] {
        try { print(k, d, fib(k - 20), deep(d, k - d)) } except e { print(k, d, e.message) }
    }
}
for k in [18, 19, 20, 21, 22] {
    try { print(k, fact(k)) } except e { print(k, e.message) }
}
"#;

fn run(jit: JitMode, stress: u64) -> String {
    let program = Program::compile("inlining.ruff", PROGRAM).expect("compiles");
    let options = Options { jit, max_depth: 40, ..Options::default() };
    let tier: Option<Box<dyn Tier>> = match jit {
        JitMode::Off => None,
        _ => Some(Box::new(Jit::new(JitOptions { verify: true, stress, ..JitOptions::default() }))),
    };
    let run = program.run_captured(&options, tier);
    format!("exit={}\n--- stdout\n{}--- stderr\n{}", run.outcome.exit_code, run.stdout, run.stderr)
}

#[test]
fn inlined_self_calls_keep_the_recursion_limit_errors_and_results() {
    let vm = run(JitMode::Off, 0);
    // The depth error comes at the limit (the top-level loop is one frame).
    assert!(vm.contains("39 39\n40 Maximum"), "unexpected VM output: {vm}");
    assert!(vm.contains("21 Integer overflow"), "unexpected VM output: {vm}");
    for (mode, stress) in [(JitMode::Eager, 0), (JitMode::Auto, 0), (JitMode::Eager, 2), (JitMode::Eager, 7)] {
        assert_eq!(run(mode, stress), vm, "{mode:?} stress {stress} differs from the VM");
    }
}
