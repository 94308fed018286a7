//! Framed code: functions with heap values, builtin calls, globals and `try` run
//! natively (not only in the VM) and agree with the VM, including when an int
//! speculation fails half-way through a loop and when an error is raised and
//! caught inside native code.

use std::rc::Rc;

use ruff_core::api::{Options, Program};
use ruff_core::bytecode::Proto;
use ruff_core::runtime::tier::JitMode;
use ruff_jit::{Jit, JitOptions};

const PROGRAM: &str = r#"
func build(n) {
    mut arr := []
    for i in n { arr = push(arr, i) }
    return arr
}
func total(arr) {
    mut t := 0
    for i in len(arr) { t = t + arr[i] }
    return t
}
func words(n) {
    mut d := {}
    mut s := ""
    for i in n {
        d[to_string(i)] = i * 2
        s = s + "x"
    }
    mut t := 0
    for i in n { t = t + d[to_string(i)] }
    return t + len(s)
}
func picks(arr, s, d) {
    mut t := 0
    for i in len(arr) { t = t + arr[i] + arr[-1 - i] }
    for i in len(s) { if s[i] == "b" { t = t + 1 } }
    return t + d["k"]
}
func risky(arr, i) {
    try {
        return arr[i]
    } except e {
        return e.message
    }
}
mut out := 0
for round in 1200 { out = out + total(build(200)) + words(50) + picks([1, 2, 3], "abcb", {"k": 5}) }
print(out)
mut mixed := build(20000)
mixed = push(mixed, 1.5)
print(total(mixed))
print(risky([1, 2], 5))
"#;

fn natives(p: &Rc<Proto>, acc: &mut (u64, u64)) {
    let s = &p.jit.stats;
    acc.0 += s.vm_insns.get();
    acc.1 += s.native_insns.get();
    for c in &p.protos {
        natives(c, acc);
    }
}

fn run(jit: JitMode, stress: u64) -> (String, (u64, u64)) {
    let program = Program::compile("framed.ruff", PROGRAM).expect("compiles");
    let options = Options { jit, count: true, ..Options::default() };
    let tier = match jit {
        JitMode::Off => None,
        _ => Some(Box::new(Jit::new(JitOptions { counting: true, verify: true, stress, ..JitOptions::default() }))
            as Box<dyn ruff_core::runtime::tier::Tier>),
    };
    let run = program.run_captured(&options, tier);
    let mut acc = (0, 0);
    for p in &run.outcome.protos {
        natives(p, &mut acc);
    }
    (format!("{}|{}|{}", run.outcome.exit_code, run.stdout, run.stderr), acc)
}

#[test]
fn heap_code_runs_natively_with_the_vms_results() {
    let (vm, _) = run(JitMode::Off, 0);
    assert!(vm.contains("Index out of bounds: 5"), "unexpected VM output: {vm}");
    for (mode, stress) in [(JitMode::Auto, 0), (JitMode::Eager, 0), (JitMode::Eager, 5)] {
        let (jit, (in_vm, native)) = run(mode, stress);
        assert_eq!(jit, vm, "{mode:?} stress {stress} differs from the VM");
        if stress == 0 {
            let coverage = native as f64 / (native + in_vm) as f64;
            // Auto runs the first calls and iterations in the VM until they are hot.
            let floor = if mode == JitMode::Auto { 0.9 } else { 0.95 };
            assert!(coverage > floor, "{mode:?}: only {:.1}% ran natively", coverage * 100.0);
        }
    }
}
