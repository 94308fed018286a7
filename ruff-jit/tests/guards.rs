//! Pure native code checks what it assumes about globals (a callee still being
//! the same function, a global still being an int) once, where the VM enters it,
//! and not at every load inside: pure code runs no VM code, so nothing can change
//! a global under it. These programs change such globals between calls and
//! require the VM's results in every tier, and a recorded guard bail-out.

use std::rc::Rc;

use ruff_core::api::{Options, Program};
use ruff_core::bytecode::Proto;
use ruff_core::runtime::tier::{bail, JitMode, Tier};
use ruff_jit::{Jit, JitOptions};

const PROGRAM: &str = r#"
mut scale := 3
func double(x) { return x * 2 }
func triple(x) { return x * 3 }
mut f := double
func work(n) {
    mut t := 0
    for i in n { t = t + f(i) * scale }
    return t
}
func rec(n) {
    if n < 1 { return 0 }
    return f(n) + rec(n - 1)
}
mut out := 0
for r in 3000 { out = out + work(10) + rec(5) }
print(out)
f = triple
print(work(10), rec(5))
scale = 2.5
print(work(10))
f = func(x) { return to_string(x) }
try { print(work(3)) } except e { print("caught", e.message) }
print(rec(3))
"#;

fn find<'a>(protos: &'a [Rc<Proto>], name: &str) -> Option<&'a Rc<Proto>> {
    for p in protos {
        if &*p.name == name {
            return Some(p);
        }
        if let Some(q) = find(&p.protos, name) {
            return Some(q);
        }
    }
    None
}

fn run(jit: JitMode, stress: u64) -> (String, u64) {
    let program = Program::compile("guards.ruff", PROGRAM).expect("compiles");
    let options = Options { jit, ..Options::default() };
    let tier: Option<Box<dyn Tier>> = match jit {
        JitMode::Off => None,
        _ => Some(Box::new(Jit::new(JitOptions { verify: true, stress, ..JitOptions::default() }))),
    };
    let run = program.run_captured(&options, tier);
    let guard_bails = ["work", "rec"]
        .iter()
        .filter_map(|n| find(&run.outcome.protos, n))
        .map(|p| p.jit.stats.bails[bail::GUARD as usize].get())
        .sum();
    (format!("{}|{}|{}", run.outcome.exit_code, run.stdout, run.stderr), guard_bails)
}

#[test]
fn changed_globals_are_noticed_on_entry_to_pure_code() {
    let (vm, _) = run(JitMode::Off, 0);
    assert!(vm.contains("900000\n405 45\n337.5"), "unexpected VM output: {vm}");
    for (mode, stress) in [(JitMode::Auto, 0), (JitMode::Eager, 0), (JitMode::Eager, 3)] {
        let (jit, guard_bails) = run(mode, stress);
        assert_eq!(jit, vm, "{mode:?} stress {stress} differs from the VM");
        if stress == 0 {
            assert!(guard_bails > 0, "{mode:?}: no guard noticed the changed globals");
        }
    }
}
