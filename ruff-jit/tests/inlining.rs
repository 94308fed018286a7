//! A pure call unit emits its calls of itself as copies of its body, up to
//! two levels deep when the copies fit the budget
//! (`translate::inline_self_call`). The copy is a Ruff call the VM would
//! make: it must count towards the recursion limit, raise the same errors, and
//! return every kind of result. These programs run at and around the limit and
//! require the VM's output in every tier. Below the last inlined level, a
//! self-call runs the callee's quick return in line (`translate/quick.rs`):
//! the same holds there.

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

/// Self-calls whose quick returns compute, read a global, assign a local,
/// raise, and return every kind, around the recursion limit.
const QUICK: &str = r#"
let LIMIT := 2
func big(n, k) {
    if n < 1 { return k * 4611686018427387904 }
    return big(n - 1, k) + 1
}
func quot(n, d) {
    if n < 1 { return 1000 / d }
    return quot(n - 1, d) + quot(n - 2, d)
}
func lim(n) {
    if n < LIMIT { return n }
    return lim(n - 1) + lim(n - 2)
}
func steps(n) {
    mut m := n - 1
    if m < 0 { m = 0 }
    if m == 0 { return 7 }
    return steps(m) + 1
}
func flo(x) {
    if x < 1.0 { return x * 0.5 }
    return flo(x - 1.0) + flo(x - 2.0)
}
func via(d, k) {
    if d > 0 { return via(d - 1, k) }
    return big(k, 1) + steps(k)
}
func odd(n) {
    if n == 0 { return false }
    if n == 1 { return true }
    return odd(n - 2)
}
mut total := 0
for i in 1200 {
    total = total + lim(i % 9) + quot(i % 7, 3) + steps(i % 5) + big(i % 6, 1) % 1000
}
print(total, flo(9.5), odd(33), odd(60))
for k in [36, 37, 38, 39, 40] {
    try { print(k, big(k, 1)) } except e { print(k, e.message) }
    try { print(k, steps(k + 1)) } except e { print(k, e.message) }
    try { print(k, big(k, 2)) } except e { print(k, e.message) }
    try { print(k, quot(k - 24, 0)) } except e { print(k, e.message) }
    try { print(k, lim(k - 22), flo(k - 25.5)) } except e { print(k, e.message) }
}
for d in [1, 2, 3] {
    for k in [35, 36, 37, 38] {
        try { print(d, k, via(d, k)) } except e { print(d, k, e.message) }
    }
}
print(quot(9, 0))
"#;

fn run(jit: JitMode, stress: u64) -> String {
    run_source(PROGRAM, jit, stress)
}

fn run_source(source: &str, jit: JitMode, stress: u64) -> String {
    let program = Program::compile("inlining.ruff", source).expect("compiles");
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

#[test]
fn quick_returns_in_line_keep_the_recursion_limit_errors_and_results() {
    let vm = run_source(QUICK, JitMode::Off, 0);
    assert!(vm.contains("39 4611686018427387943\n39 46\n"), "unexpected VM output: {vm}");
    assert!(
        vm.contains("40 Maximum VM call stack depth of 40 exceeded while calling steps"),
        "unexpected VM output: {vm}"
    );
    // The limit falls on each level of the unit's copies in turn.
    for d in 1..=3 {
        let (ok, over) = (format!("{d} {} 4611", 38 - d), format!("{d} {} Maximum", 39 - d));
        assert!(vm.contains(&ok) && vm.contains(&over), "unexpected VM output: {vm}");
    }
    assert!(vm.contains("36 Integer overflow"), "unexpected VM output: {vm}");
    assert!(vm.contains("36 Division by zero"), "unexpected VM output: {vm}");
    assert!(vm.contains("0 at quot (inlining.ruff:8:23)"), "unexpected VM output: {vm}");
    for (mode, stress) in [(JitMode::Eager, 0), (JitMode::Auto, 0), (JitMode::Eager, 2), (JitMode::Eager, 5)] {
        assert_eq!(run_source(QUICK, mode, stress), vm, "{mode:?} stress {stress} differs from the VM");
    }
}
