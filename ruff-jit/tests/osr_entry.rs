//! An OSR entry of pure code checks and loads only the slots its unit reads. A
//! variable the rest of the function never reads may hold anything when the
//! loop is entered again (the entry must still be taken), while one that is
//! read after the loop keeps its check (a new kind there is a mismatch, and the
//! VM runs the loop). Every tier must print what the VM prints.

mod counted;

use std::rc::Rc;

use ruff_core::api::{Options, Program};
use ruff_core::bytecode::Proto;
use ruff_core::runtime::tier::{JitMode, Tier};
use ruff_jit::{Jit, JitOptions};

const PROGRAM: &str = r#"
func unread(n, junk) {
    mut kept := junk
    mut s := 0
    for i in n { s = s + i }
    return s
}
func read_after(n, x) {
    mut t := 0
    for i in n { t = t + 1 }
    return t + x
}
func stored_in_loop(n, junk) {
    mut last := junk
    mut s := 0
    for i in n {
        last = i
        s = s + 2
    }
    return s
}
print(unread(5000, 1))
print(unread(5000, "text"))
print(unread(5000, [1, 2]))
print(read_after(5000, 1))
print(read_after(5000, 0.5))
print(stored_in_loop(5000, 7))
print(stored_in_loop(5000, "seven"))
"#;

/// Output, and (OSR entries, mismatches) of each function above.
fn run(jit: JitMode, stress: u64) -> (String, Vec<(u64, u64)>) {
    let program = Program::compile("osr_entry.ruff", PROGRAM).expect("compiles");
    let options = Options { jit, ..Options::default() };
    let tier: Option<Box<dyn Tier>> = match jit {
        JitMode::Off => None,
        _ => Some(Box::new(Jit::new(JitOptions { verify: true, stress, ..JitOptions::default() }))),
    };
    let run = program.run_captured(&options, tier);
    let protos: &[Rc<Proto>] = &run.outcome.protos;
    let stats = ["unread", "read_after", "stored_in_loop"]
        .iter()
        .map(|n| protos.iter().find_map(|p| counted::find(p, n)).unwrap_or_else(|| panic!("no function {n}")))
        .map(|p| (p.jit.stats.osr_entries.get(), p.jit.stats.mismatches.get()))
        .collect();
    (format!("{}|{}|{}", run.outcome.exit_code, run.stdout, run.stderr), stats)
}

#[test]
fn an_osr_entry_checks_only_the_slots_its_unit_reads() {
    let (vm, _) = run(JitMode::Off, 0);
    assert_eq!(vm, "0|12497500\n12497500\n12497500\n5001\n5000.5\n10000\n10000\n|", "unexpected VM output");
    for (mode, stress) in [(JitMode::Auto, 0), (JitMode::Eager, 0), (JitMode::Eager, 3), (JitMode::Auto, 5)] {
        let (jit, _) = run(mode, stress);
        assert_eq!(jit, vm, "{mode:?} stress {stress} differs from the VM");
    }
    let (_, stats) = run(JitMode::Auto, 0);
    // Each call enters its loop natively, whatever the unread variable holds.
    assert_eq!(stats[0], (3, 0), "unread: (OSR entries, mismatches)");
    assert_eq!(stats[2], (2, 0), "stored_in_loop: (OSR entries, mismatches)");
    // `x` is read after the loop: the float there fails the entry's check.
    assert_eq!(stats[1].0, 1, "read_after: OSR entries");
    assert!(stats[1].1 > 0, "read_after: no mismatch");
}
