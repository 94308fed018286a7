//! Code the VM never ran before it was compiled (the loops after the one an
//! OSR entry took over, a branch not taken yet) has no type feedback. Framed
//! code guesses ints there when an operand is known to be an int (or the
//! instruction has one operand), instead of handing each such instruction to
//! the VM; a guess that fails leaves to the VM, which resumes at the guessed
//! instruction, and code whose guards keep failing is dropped, to be compiled
//! again with what the VM has seen since.

mod counted;

use counted::{agrees_with_vm, find, run_source, stats_of};
use ruff_core::runtime::tier::{bail, JitMode};

/// A function called once: its first loop gets hot and is entered by OSR,
/// and the loops after it, which the VM never ran, count over a builtin's
/// result and add array elements to an int.
#[test]
fn loops_after_an_osr_entry_run_without_steps() {
    let source = r#"
func run(n) {
    mut arr := []
    for i in n { arr = push(arr, i) }
    mut total := 0
    for r in 3 {
        for i in len(arr) {
            total = total + arr[i]
        }
    }
    mut below := 0
    for i in len(arr) {
        if arr[i] < n / 2 { below = below + 1 }
    }
    return to_string(total) + " " + to_string(below)
}
print(run(5000))
"#;
    agrees_with_vm(source, "37492500 2500", 3, |mode, protos| {
        let (native, vm, stepped) = stats_of(protos, "run");
        if mode == JitMode::Auto {
            // Before the guesses, each element of the later loops was stepped:
            // about 20,000 steps.
            assert!(native > 100_000 && stepped < 50, "run: {native} native, {vm} in the VM, {stepped} stepped");
            let f = protos.iter().find_map(|p| find(p, "run")).expect("run");
            assert_eq!(f.jit.stats.bails[bail::GUARD as usize].get(), 0, "no guess failed");
        }
    });
}

/// Guesses that fail: loops over an array and a string where an int count was
/// guessed, and array elements added to a float. The VM's results in every
/// tier; in auto mode, the VM runs the rest of each loop whose guess failed
/// until it is hot again, and the entry compiled then, with what the VM saw,
/// steps nothing.
#[test]
fn failed_guesses_resume_natively_soon() {
    let source = r#"
func run(n) {
    mut arr := []
    for i in n { arr = push(arr, i % 7) }
    mut words := []
    for w in ["a", "bc", "def"] { words = push(words, w) }
    mut text := ""
    for r in 200 {
        for w in words { text = text + w }
    }
    mut f := 0.5
    for x in arr {
        f = f + x
    }
    mut floats := []
    for i in 300 { floats = push(floats, i * 0.5) }
    mut acc := 0
    mut g := 0.0
    for i in len(floats) {
        g = g + floats[i] * 2
        acc = acc + 1
    }
    return to_string(len(text)) + " " + to_string(f) + " " + to_string(g) + " " + to_string(acc)
}
print(run(5000))
"#;
    agrees_with_vm(source, "1200 14995.5 44850 300", 3, |mode, protos| {
        if mode == JitMode::Auto {
            let (native, vm, stepped) = stats_of(protos, "run");
            let compiles = protos.iter().find_map(|p| find(p, "run")).expect("run").jit.stats.compiles.get();
            assert!(native > 20_000 && stepped < 100, "run: {native} native, {vm} in the VM, {stepped} stepped");
            assert!(compiles <= 3, "run compiled {compiles} times");
        }
    });
}

/// A function compiled at its thousandth call, whose branch taken only later
/// adds a float to an int, which was never seen: the guess fails on every
/// such call until the function is compiled again (once), and then never.
#[test]
fn code_whose_guesses_keep_failing_is_compiled_again() {
    let source = r#"
let halves := [0.5]
func f(i) {
    mut t := i
    if i > 1500 { t = t + halves[0] }
    return t
}
mut s := 0.0
for i in 3000 {
    s = s + f(i)
}
print(s)
"#;
    agrees_with_vm(source, "4499249.5", 3, |mode, protos| {
        let g = protos.iter().find_map(|p| find(p, "f")).expect("f");
        let s = &g.jit.stats;
        let guards = s.bails[bail::GUARD as usize].get();
        if mode == JitMode::Auto {
            assert_eq!(s.recompiles.get(), 1, "f was compiled again once ({guards} failed guards)");
            assert_eq!(s.compiles.get(), 2, "f's compiles");
            assert_eq!(guards, 100, "failed guards before f was compiled again");
            assert!(s.rejection.borrow().is_none(), "f was not disabled: {:?}", s.rejection.borrow());
        }
        assert!(s.recompiles.get() <= 2, "{mode:?}: f recompiled {} times", s.recompiles.get());
    });
}

/// Recompiles are bounded: a guard that fails on every call whatever the VM
/// has seen (the deopt stress mode makes them all fail) leaves the function,
/// framed for its array, with at most two recompiles, and the VM's results.
#[test]
fn recompiles_are_bounded() {
    let source = r#"
func f(i) {
    mut t := [0]
    for k in 3 { t[0] = t[0] + i * k }
    return t[0]
}
mut s := 0
for i in 3000 { s = s + f(i) }
print(s)
"#;
    let (vm, _, _) = run_source(source, JitMode::Off, 0);
    assert!(vm.contains("13495500"), "{vm}");
    for stress in [1, 2, 5] {
        let (jit, _, protos) = run_source(source, JitMode::Eager, stress);
        assert_eq!(jit, vm, "stress {stress}");
        let s = &protos.iter().find_map(|p| find(p, "f")).expect("f").jit.stats;
        let (recompiles, guards) = (s.recompiles.get(), s.bails[bail::GUARD as usize].get());
        assert!(guards > 300, "stress {stress}: only {guards} failed guards");
        assert_eq!(recompiles, 2, "stress {stress}: {recompiles} recompiles after {guards} failed guards");
    }
}

/// Equality notes what it saw like the other operations: a string compared
/// with an int constant (`x == 0`, a `match` arm's literal) in a function that
/// gets hot on strings is not guessed an int, so its guard never fails.
#[test]
fn equality_seen_on_strings_is_not_guessed() {
    let source = r#"
func f(x) {
    if x == 0 { return 1 }
    match x {
        case 0: { return 2 }
        default: { return len(x) }
    }
}
mut s := 0
for i in 3000 { s = s + f("ab" + to_string(i % 10)) }
print(s, f(0))
"#;
    agrees_with_vm(source, "9000 1", 3, |mode, protos| {
        if mode == JitMode::Auto {
            let s = &protos.iter().find_map(|p| find(p, "f")).expect("f").jit.stats;
            let guards = s.bails[bail::GUARD as usize].get();
            assert_eq!((guards, s.recompiles.get()), (0, 0), "f's failed guards and recompiles");
            assert!(s.native_insns.get() > 10_000, "f ran {} instructions natively", s.native_insns.get());
        }
    });
}

/// A loop at a function's very first instruction is entered by OSR like any
/// other (its failed guards drop that OSR entry, not the call entry).
#[test]
fn a_loop_at_instruction_zero_is_an_osr_entry() {
    let source = r#"
func fill(xs, n) {
    while len(xs) < n { xs = push(xs, len(xs)) }
    return xs
}
print(len(fill([], 5000)))
"#;
    agrees_with_vm(source, "5000", 3, |mode, protos| {
        if mode == JitMode::Auto {
            let s = &protos.iter().find_map(|p| find(p, "fill")).expect("fill").jit.stats;
            assert_eq!((s.osr_entries.get(), s.native_calls.get()), (1, 0), "fill's OSR entries and native calls");
        }
    });
}
