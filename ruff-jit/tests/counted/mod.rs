//! Running a program with per-function instruction counts in every tier, for
//! the tests of framed code: outputs compared with the VM's, statistics read
//! per function.

#![allow(dead_code, reason = "each test file uses its own part")]

use std::rc::Rc;

use ruff_core::api::{Options, Program};
use ruff_core::bytecode::proto::feedback;
use ruff_core::bytecode::{Op, Proto};
use ruff_core::runtime::tier::JitMode;
use ruff_jit::{Jit, JitOptions};

pub fn find(p: &Rc<Proto>, name: &str) -> Option<Rc<Proto>> {
    if &*p.name == name {
        return Some(p.clone());
    }
    p.protos.iter().find_map(|c| find(c, name))
}

/// Function `name` among `protos` and their nested functions (panics when
/// there is none).
pub fn proto(protos: &[Rc<Proto>], name: &str) -> Rc<Proto> {
    protos.iter().find_map(|p| find(p, name)).unwrap_or_else(|| panic!("no function {name}"))
}

fn natives(p: &Rc<Proto>, acc: &mut (u64, u64)) {
    let s = &p.jit.stats;
    acc.0 += s.vm_insns.get();
    acc.1 += s.native_insns.get();
    for c in &p.protos {
        natives(c, acc);
    }
}

/// Runs `source`; returns its output, (VM, native) instruction counts and protos.
pub fn run_source(source: &str, jit: JitMode, stress: u64) -> (String, (u64, u64), Vec<Rc<Proto>>) {
    let program = Program::compile("framed.ruff", source).expect("compiles");
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
    (format!("{}|{}|{}", run.outcome.exit_code, run.stdout, run.stderr), acc, run.outcome.protos.clone())
}

/// Runs `source` in the VM (whose output must contain `expect`), then in each
/// tier and stress mode, requiring the VM's output; `check` looks at the
/// statistics of each run without stress.
pub fn agrees_with_vm(source: &str, expect: &str, stress: u64, check: impl Fn(JitMode, &[Rc<Proto>])) {
    let (vm, _, _) = run_source(source, JitMode::Off, 0);
    assert!(vm.contains(expect), "unexpected VM output: {vm}");
    for (mode, stress) in [(JitMode::Auto, 0), (JitMode::Eager, 0), (JitMode::Eager, stress)] {
        let (jit, _, protos) = run_source(source, mode, stress);
        assert_eq!(jit, vm, "{mode:?} stress {stress} differs from the VM");
        if stress == 0 {
            check(mode, &protos);
        }
    }
}

/// The statistics of function `name`.
pub fn stats_of(protos: &[Rc<Proto>], name: &str) -> (u64, u64, u64) {
    let f = protos.iter().find_map(|p| find(p, name)).unwrap_or_else(|| panic!("no function {name}"));
    let s = &f.jit.stats;
    (s.native_insns.get(), s.vm_insns.get(), s.stepped_insns.get())
}

/// Method calls the compiled code of `name` ran in line, over its compiles.
pub fn inlined(protos: &[Rc<Proto>], name: &str) -> u32 {
    proto(protos, name).jit.stats.inlined_calls.get()
}

/// Whether a method call of `name` has `OTHER` in its feedback: inlined
/// code there left to the VM (a failed guard, or a struct of another shape
/// after the call), and the code compiled next calls the method instead.
pub fn noted(protos: &[Rc<Proto>], name: &str) -> bool {
    let p = proto(protos, name);
    let calls = p.code.iter().enumerate().filter(|(_, op)| matches!(op, Op::CallMethod(..)));
    calls.into_iter().any(|(pc, _)| p.feedback[pc].get() & feedback::OTHER != 0)
}

/// Runs `source` in the VM (whose output must contain `expect`), then under
/// `auto` and `eager`, each with and without deopt stress, requiring the
/// VM's output; `check` looks at the statistics of the `auto` run without
/// stress. Returns the VM's output.
pub fn agrees_in_every_mode(source: &str, expect: &str, check: impl Fn(&[Rc<Proto>])) -> String {
    let (vm, _, _) = run_source(source, JitMode::Off, 0);
    assert!(vm.contains(expect), "unexpected VM output: {vm}");
    for (mode, stress) in
        [(JitMode::Auto, 0), (JitMode::Auto, 1), (JitMode::Auto, 3), (JitMode::Eager, 0), (JitMode::Eager, 7)]
    {
        let (jit, _, protos) = run_source(source, mode, stress);
        assert_eq!(jit, vm, "{mode:?} stress {stress} differs from the VM");
        if (mode, stress) == (JitMode::Auto, 0) {
            check(&protos);
        }
    }
    vm
}
