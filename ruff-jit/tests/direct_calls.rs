//! Framed code calls functions with pure native code straight into that code
//! (`framed::emit::direct`), when the callee is still the closure it was at
//! compile time, the globals the callee's code assumes still hold, and the
//! arguments have the kinds compiled for. Every other case takes the call
//! helper: a global rebound to another function half-way, a callee whose own
//! callee was rebound, arguments of another kind, and a callee that bails out
//! (an overflow, caught). Results of every kind come back, and the output is
//! the VM's in every tier.
//!
//! A callee read from a local is checked by its function, not its closure:
//! closures made in the loop (each with its own captured values), a local
//! given a closure of the same function holding a float, then another
//! function, and closures passed as arguments.

mod counted;

use counted::{agrees_with_vm, find};
use ruff_core::api::{Options, Program};
use ruff_core::runtime::tier::{JitMode, Tier};
use ruff_jit::{Jit, JitOptions};

const N: u64 = 20_000;

const PROGRAM: &str = r#"
func sq(x) { return x * x }
func half(x) { return x / 2.0 }
func pos(x) { return x > 0 }
func nothing(x) { return null }
mut op := func(x) { return x * 3 }
mut inner := func(x) { return x + 1 }
func outer(x) { return inner(x) * 2 }
func run(arr, n) {
    mut t := 0
    mut f := 0.0
    mut b := 0
    mut msg := ""
    for i in n {
        if i == n / 2 {
            op = func(x) { return x - 7 }
            inner = func(x) { return x + 2 }
        }
        t = t + sq(i) + op(i) + outer(i)
        f = f + half(i * 1.0) + sq(arr[i % 3])
        if pos(i - 5) { b = b + 1 }
        if nothing(i) == null { b = b + 1 }
    }
    try { t = t + sq(3037000500) } except e { msg = e.message }
    return to_string(t) + " " + to_string(f) + " " + to_string(b) + " " + msg
}
print(run([1, 2, 2.5], 20000))
"#;

#[test]
fn framed_code_calls_pure_code_directly_and_falls_back_to_the_helper() {
    agrees_with_vm(PROGRAM, "Integer overflow: 3037000500 * 3037000500", 5, |_, _| {});
}

/// Without statistics, only entries through the VM's side count a pure
/// function's calls (`Vm::enter`): the direct calls do not, so `sq`, called
/// 2N times from `run`, counts far fewer.
#[test]
fn direct_calls_bypass_the_vms_entry() {
    let program = Program::compile("direct.ruff", PROGRAM).expect("compiles");
    let options = Options { jit: JitMode::Auto, ..Options::default() };
    let tier: Box<dyn Tier> = Box::new(Jit::new(JitOptions { verify: true, ..JitOptions::default() }));
    let run = program.run_captured(&options, Some(tier));
    assert!(run.stdout.contains("Integer overflow"), "unexpected output: {}", run.stdout);
    let sq = run.outcome.protos.iter().find_map(|p| find(p, "sq")).expect("sq");
    let entered = sq.jit.stats.native_calls.get();
    assert!(entered > 0, "sq never ran natively");
    assert!(entered < N / 2, "sq was entered through the VM {entered} times of {}", 2 * N);
}

const LOCALS: &str = r#"
func make_adder(k) {
    return func(x) { return x + k }
}
func twice(x) { return x * 2 }
func apply_all(f, n) {
    mut t := 0
    for i in n { t = t + f(i) }
    return t
}
func run(n) {
    mut add := make_adder(3)
    let sq := func(x) { return x * x }
    mut t := 0
    mut fl := 0.0
    mut msg := ""
    for i in n {
        if i == n / 2 {
            add = make_adder(2.5)
        }
        if i == n - 100 {
            add = twice
        }
        let own := make_adder(i)
        let r := add(i)
        if i < n / 2 || i >= n - 100 { t = t + r } else { fl = fl + r }
        t = t + own(1) + sq(i % 1000)
    }
    try { t = t + sq(3037000500) } except e { msg = e.message }
    try { t = t + add("s") } except e { msg = msg + " / " + e.message }
    return to_string(t) + " " + to_string(fl) + " " + msg
}
print(run(20000))
print(apply_all(make_adder(7), 20000), apply_all(twice, 20000), apply_all(func(x) { return x - 1 }, 3000))
"#;

#[test]
fn callees_in_locals_are_called_directly_when_of_the_same_function() {
    let expect = "6910694900 148024800 Integer overflow: 3037000500 * 3037000500 / Invalid binary operation: \
                  string * int\n200130000 399980000 4495500";
    agrees_with_vm(LOCALS, expect, 5, |_, _| {});
}

/// A closure passed to a function called once, whose loop is entered by OSR:
/// after that, the loop calls the closure's code directly, so the VM's side
/// enters it only for the calls before (fewer than 2,048 of N).
#[test]
fn a_closure_in_a_local_bypasses_the_vms_entry() {
    let source = "func make_adder(k) { return func(x) { return x + k } }\n\
                  func apply_all(f, n) {\n mut t := 0\n for i in n { t = t + f(i) }\n return t\n}\n\
                  print(apply_all(make_adder(7), 20000))\n";
    let program = Program::compile("local.ruff", source).expect("compiles");
    let options = Options { jit: JitMode::Auto, ..Options::default() };
    let tier: Box<dyn Tier> = Box::new(Jit::new(JitOptions { verify: true, ..JitOptions::default() }));
    let run = program.run_captured(&options, Some(tier));
    assert_eq!(run.stdout, "200130000\n");
    let adder = run.outcome.protos.iter().find_map(|p| find(p, "<lambda>")).expect("the closure's function");
    let entered = adder.jit.stats.native_calls.get();
    assert!(entered > 0, "the closure never ran natively");
    assert!(entered < 2_048, "the closure was entered through the VM {entered} times of {N}");
}
