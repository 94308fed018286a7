//! Builtins calling closures back (`map`, `filter`, `reduce`, `find`, `any`,
//! `all`) through `vm::Callback`, which enters pure native code with the
//! context the call before prepared: closures of one function holding ints or
//! floats, an overflow inside pure code (replayed by the VM, which raises),
//! elements of another kind (the code does not match), a callback that assigns
//! its captured variable (framed), a wrong arity, a non-function, a builtin as
//! the callback, a callback whose code calls another closure with captured
//! values (which overwrites the context's closure word), and recursion through
//! callbacks up to the VM's limit. Every tier must print what the VM prints.
//!
//! Past `tier::HOT_ENTRIES` entries a closure's entry is settled and the
//! callback enters it directly (`vm::callback::Settled`): the second program
//! makes that code refuse an element of another kind, bail out on an
//! overflow and on the recursion budget, in the middle of a loop, and checks
//! that the calls it ran still count as native calls.

mod counted;

use counted::{agrees_with_vm, find};
use ruff_core::api::{Options, Program};
use ruff_core::runtime::tier::JitMode;
use ruff_jit::{Jit, JitOptions};

const PROGRAM: &str = r##"
func make_adder(k) {
    return func(x) { return x + k }
}
mut xs := []
for i in 3000 { xs = push(xs, i) }
let add3 := make_adder(3)
let addf := make_adder(0.5)
print(len(map(xs, add3)), reduce(map(xs, add3), 0, func(a, b) { return a + b }))
print(reduce(map(xs, addf), 0.0, func(a, b) { return a + b }))
print(len(filter(xs, func(x) { return x % 7 == 0 })), find(xs, func(x) { return x * x > 5000000 }))
print(any(xs, func(x) { return x > 2998 }), all(xs, func(x) { return x >= 0 }))
mut big := []
for i in 3000 { big = push(big, 9223372036854774900 + i % 900) }
try {
    print(len(map(big, func(x) { return x + 200 })))
} except e {
    print("error:", e.message)
}
mut mixed := []
for i in 3000 { if i % 1000 == 999 { mixed = push(mixed, 1.5) } else { mixed = push(mixed, i) } }
print(reduce(map(mixed, add3), 0, func(a, b) { return a + b }))
mut count := 0
print(len(map(xs, func(x) { count = count + 1
    return count })), count)
try {
    print(map(xs, func(a, b) { return a }))
} except e {
    print("error:", e.message)
}
try {
    print(map(xs, 5))
} except e {
    print("error:", e.message)
}
let inner := make_adder(100)
func wrap(k) {
    return func(x) { return inner(x) + k }
}
print(reduce(map(xs, wrap(5)), 0, func(a, b) { return a + b }))
print(map([1, 2, 3], to_string), reduce([1, 2, 3], 10, func(a, b) { return a * b }))
func deep(n) {
    if n == 0 { return 0 }
    return reduce([n], 0, func(a, b) { return deep(n - 1) + b })
}
print(deep(100))
try {
    print(deep(5000))
} except e {
    print("error:", e.message)
}
"##;

/// Recursion through callbacks nests the VM's Rust frames up to its limit of
/// 2,000: the test runs on a stack as large as `ruff run` gives the VM.
#[test]
fn callbacks_from_builtins_behave_as_in_the_vm() {
    let expect = "3000 4507500\n4500000\n429 2237\ntrue true\nerror: Integer overflow: 9223372036854775608 + 200";
    std::thread::Builder::new()
        .stack_size(1 << 30)
        .spawn(move || agrees_with_vm(PROGRAM, expect, 3, |_, _| {}))
        .expect("thread")
        .join()
        .expect("the tiers agree");
}

const SETTLED: &str = r#"
func add3(x) {
    return x + 3
}
func down(n) {
    if n == 0 { return 0 }
    return down(n - 1) + 1
}
func sum(a, b) {
    return a + b
}
mut xs := []
mut mixed := []
mut big := []
mut depths := []
for i in 30000 {
    xs = push(xs, i)
    if i == 25000 { mixed = push(mixed, 0.5) } else { mixed = push(mixed, i) }
    if i == 29000 { big = push(big, 9223372036854775806) } else { big = push(big, i) }
    if i == 20000 { depths = push(depths, 3000) } else { depths = push(depths, i % 4) }
}
print(reduce(map(xs, add3), 0, sum))
print(reduce(map(mixed, add3), 0, sum))
try {
    print(len(map(big, add3)))
} except e {
    print("error:", e.message)
}
print(reduce(map(depths, down), 0, sum), len(filter(map(xs, add3), func(x) { return x % 3 == 0 })))
"#;

/// Native calls of `name` in a run of `source` without statistics (the VM
/// then counts the calls it enters native code for).
fn native_calls_without_stats(source: &str, name: &str) -> (String, u64) {
    let program = Program::compile("settled.ruff", source).expect("compiles");
    let options = Options { jit: JitMode::Auto, ..Options::default() };
    let tier = Jit::new(JitOptions { counting: false, ..JitOptions::default() });
    let run = program.run_captured(&options, Some(Box::new(tier)));
    let f = run.outcome.protos.iter().find_map(|p| find(p, name)).unwrap_or_else(|| panic!("no {name}"));
    (run.stdout.clone(), f.jit.stats.native_calls.get())
}

#[test]
fn settled_callbacks_refuse_bail_out_and_count_as_before() {
    let expect = "450075000\n450050000.5\nerror: Integer overflow: 9223372036854775806 + 3\n48000 10000\n";
    std::thread::Builder::new()
        .stack_size(1 << 30)
        .spawn(move || {
            agrees_with_vm(SETTLED, expect, 3, |mode, protos| {
                let add3 = protos.iter().find_map(|p| find(p, "add3")).expect("add3");
                assert!(add3.jit.stats.mismatches.get() >= 1, "{mode:?}: the float was refused");
            });
            // 119,001 calls of add3 in all; those refused or replayed run in
            // the VM. Settled entries must count too (they are most calls).
            let (out, native) = native_calls_without_stats(SETTLED, "add3");
            assert!(out.starts_with(expect), "unexpected output: {out}");
            assert!(native > 110_000, "add3 ran {native} calls natively");
        })
        .expect("thread")
        .join()
        .expect("the tiers agree");
}
