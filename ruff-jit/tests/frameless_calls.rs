//! Frameless function calls: framed code calling a function's frameless
//! native code itself, with no VM frame record (`framed::emit::frameless`).
//! The function's frame values start at the first argument; the call releases
//! them and the callee and puts the result where the callee was, and code
//! that leaves to the VM part-way gets the frame record it skipped
//! (`ruff_jit_call_bailed`). Everything here must print what the VM prints,
//! in every tier and under deopt stress:
//!
//! - `bump` leaves to the VM in the middle when a field that was an int is a
//!   float (a failed guard), after it has made a heap value of its own;
//! - `pick` raises from inside (an index out of bounds), caught by the caller
//!   or reported with `pick` in the call stack;
//! - `wide` needs more room than a caller keeps for frameless frames and is
//!   called through the helper;
//! - one call site calls `double`, then `triple`: the cache's function
//!   check sends `triple` to the helper, which caches it;
//! - `keep` returns one of its heap arguments, still referenced by the
//!   caller, and drops the others: a wrong count frees a live value or leaks;
//! - `scale` is called with ints, then floats: its entry refuses the floats
//!   (nothing ran) and the helper calls it.

mod counted;

use counted::{find, run_source};
use ruff_core::runtime::tier::{bail, JitMode};

fn program() -> String {
    // A function with more slots than `CALLEE_ROOM`: 70 locals.
    let locals: String = (0..70).map(|i| format!("    let v{i} := k + {i}\n")).collect();
    let sum = (0..70).map(|i| format!("v{i}")).collect::<Vec<_>>().join(" + ");
    format!(
        r#"
struct Box2 {{
    x: float,
    items: array
}}
func step(b, d) {{
    return Box2 {{ x: b.x + d * 0.5, items: b.items }}
}}
func pick(b, i) {{ return b.items[i] + b.x }}
func keep(a, b, c) {{ return b }}
func bump(b, d) {{
    let t := Box2 {{ x: d, items: b.items }}
    return b.x * d + t.x
}}
func double(a, i) {{ return a[0] * i * 2 }}
func triple(a, i) {{ return a[0] * i * 3 }}
func scale(a, k) {{ return a[0] * k }}
func wide(a, k) {{
{locals}    return {sum} + a[0]
}}
func run(n) {{
    mut b := Box2 {{ x: 0.0, items: [1.5, 2.5] }}
    mut s := 0.0
    for i in n {{
        b = step(b, i % 7)
        s = s + pick(b, i % 2)
    }}
    return s + b.x
}}
func turns(n) {{
    let a := [5]
    mut s := 0
    for i in n {{
        mut g := double
        if i >= n / 2 {{ g = triple }}
        s = s + g(a, i)
    }}
    return s
}}
func kept(n) {{
    let shared := [1, 2, 3]
    mut last := []
    for i in n {{
        let mine := [i]
        last = keep(mine, shared, "text" + to_string(i))
    }}
    return to_string(last) + " " + to_string(shared)
}}
func bumps(n) {{
    let ints := Box2 {{ x: 3, items: [] }}
    let floats := Box2 {{ x: 1.5, items: [] }}
    mut s := 0.0
    for i in n {{
        mut b := ints
        if i >= n / 2 {{ b = floats }}
        s = s + bump(b, i % 5)
    }}
    return s
}}
func scales(n) {{
    let a := [2]
    mut s := 0.0
    for i in n {{
        if i < n / 2 {{ s = s + scale(a, i) }} else {{ s = s + scale(a, 0.5) }}
    }}
    return s
}}
func widen(n) {{
    let a := [1]
    mut t := 0
    for i in n {{ t = t + wide(a, i) }}
    return t
}}
func careful(b, n) {{
    mut s := 0.0
    for i in n {{
        try {{ s = s + pick(b, i % 3) }} except e {{ s = s - 1.0 }}
    }}
    return s
}}
print(run(20000))
print(turns(20000))
print(kept(20000))
print(bumps(20000))
print(scales(20000))
print(widen(3000))
print(careful(Box2 {{ x: 0.5, items: [1.0, 2.0] }}, 20000))
func late(b, n) {{
    mut s := 0.0
    for i in n {{
        mut j := i % 3
        if i == 4999 {{ j = 7 }}
        s = s + pick(b, j)
    }}
    return s
}}
print(late(Box2 {{ x: 0.25, items: [1.0, 2.0, 3.0] }}, 3))
print(late(Box2 {{ x: 0.25, items: [1.0, 2.0, 3.0] }}, 5000))
"#
    )
}

/// The native call and guard-failure counts of function `name`.
fn stats(protos: &[std::rc::Rc<ruff_core::bytecode::Proto>], name: &str) -> (u64, u64) {
    let p = protos.iter().find_map(|p| find(p, name)).unwrap_or_else(|| panic!("no function {name}"));
    (p.jit.stats.native_calls.get(), p.jit.stats.bails[bail::GUARD as usize].get())
}

#[test]
fn frameless_function_calls_behave_as_the_vm() {
    let source = program();
    let (vm, _, _) = run_source(&source, JitMode::Off, 0);
    assert!(vm.contains("out of bounds"), "unexpected VM output: {vm}");
    for (mode, stress) in [(JitMode::Auto, 0), (JitMode::Auto, 3), (JitMode::Auto, 17), (JitMode::Eager, 0)] {
        let (jit, _, protos) = run_source(&source, mode, stress);
        assert_eq!(jit, vm, "{mode:?} stress {stress} differs from the VM");
        if (mode, stress) != (JitMode::Auto, 0) {
            continue;
        }
        // The hot functions ran without frames, and `bump` left to the VM
        // when its field was a float.
        let (bump_calls, bump_guards) = stats(&protos, "bump");
        assert!(bump_calls > 1_000, "bump ran frameless {bump_calls} times");
        assert!(bump_guards >= 100, "bump left to the VM {bump_guards} times");
        for name in ["step", "pick", "keep", "double", "triple", "scale"] {
            let (calls, _) = stats(&protos, name);
            assert!(calls > 500, "{name} ran frameless {calls} times");
        }
        // Too wide for the room callers keep: every call is a VM frame.
        assert_eq!(stats(&protos, "wide").0, 0, "wide ran frameless");
    }
}

/// Call sites whose callee was a builtin when the unit was compiled have no
/// code for Ruff functions (`FramedUnit::builtin_calls`): a global rebound
/// from `len` and `push` to Ruff functions half-way is still called, by the
/// step, with the VM's result.
#[test]
fn a_global_rebound_from_a_builtin_to_a_function_is_still_called() {
    let source = r#"
func twice(a) { return len(a) * 2 }
func add(xs, x) { return push(xs, x * 10) }
mut f := len
mut p := push
func run(n) {
    let a := [1, 2, 3]
    mut s := 0
    mut xs := []
    for i in n {
        s = s + f(a)
        xs = p(xs, i)
        if i == n / 2 { f = twice; p = add }
    }
    return s + len(xs) + xs[n - 1]
}
print(run(5000))
"#;
    let (vm, _, _) = run_source(source, JitMode::Off, 0);
    assert!(vm.contains("77487"), "unexpected VM output: {vm}");
    for (mode, stress) in [(JitMode::Auto, 0), (JitMode::Eager, 0), (JitMode::Eager, 3)] {
        let (jit, _, protos) = run_source(source, mode, stress);
        assert_eq!(jit, vm, "{mode:?} stress {stress} differs from the VM");
        let run = protos.iter().find_map(|p| find(p, "run")).expect("run");
        assert!(run.jit.stats.native_insns.get() > 20_000, "{mode:?}: run ran in the VM");
    }
}
