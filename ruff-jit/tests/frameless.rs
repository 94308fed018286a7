//! Frameless method calls: compiled code calling a struct method's native code
//! itself, with no VM frame record (`framed::emit::methods`). The method's
//! frame values start at the receiver; the call releases them and moves the
//! result over the receiver, and a method that leaves to the VM part-way gets
//! the frame record it skipped (`ruff_jit_method_bailed`). Everything here
//! must print what the VM prints, in every tier and under deopt stress:
//!
//! - `Acc.bump`, called from compiled code, leaves to the VM in the middle
//!   when a field that was an int is a float (a failed guard), after it has
//!   made a heap value of its own
//!   (methods that call builtins step, and so are not frameless);
//! - `Acc.pick` raises from inside (an index out of bounds, a missing field),
//!   caught by the caller or reported with the method in the call stack;
//! - `Acc.wide` needs more room than a caller keeps for frameless frames and
//!   is called through the helper;
//! - `Other.step` has the same name on another type: the cache's type check
//!   sends it to the helper, which caches the new type;
//! - `Acc.keep` returns one of its heap arguments, still referenced by the
//!   caller, and drops the others: a wrong count frees a live value or leaks.

mod counted;

use counted::{agrees_with_vm, find, run_source};
use ruff_core::runtime::tier::{bail, JitMode};

fn program() -> String {
    // A method with more slots than `CALLEE_ROOM`: 70 locals.
    let locals: String = (0..70).map(|i| format!("        let v{i} := k + {i}\n")).collect();
    let sum = (0..70).map(|i| format!("v{i}")).collect::<Vec<_>>().join(" + ");
    format!(
        r#"
struct Acc {{
    x: float,
    items: array
    func step(d) {{
        let t := Other {{ x: d * 0.5 }}
        let y := x + t.x
        return Acc {{ x: y, items: items }}
    }}
    func pick(i) {{ return items[i] + x }}
    func keep(a, b, c) {{ return b }}
    func bump(d) {{
        let t := Other {{ x: d }}
        return x * d + t.x
    }}
    func wide(k) {{
{locals}        return {sum}
    }}
}}
struct Other {{
    x: float
    func step(d) {{ return Other {{ x: x - d }} }}
}}
func run(n) {{
    mut a := Acc {{ x: 0.0, items: [1.5, 2.5] }}
    mut s := 0.0
    for i in n {{
        a = a.step(i % 7)
        s = s + a.pick(i % 2)
    }}
    return s + a.x
}}
func mixed(n) {{
    mut a := Acc {{ x: 0.0, items: [1.0] }}
    mut o := Other {{ x: 0.0 }}
    for i in n {{
        if i % 3 == 0 {{ o = o.step(i) }} else {{ a = a.step(1) }}
    }}
    return a.x + o.x
}}
func bumps(n) {{
    let ints := Acc {{ x: 3, items: [] }}
    let floats := Acc {{ x: 1.5, items: [] }}
    mut s := 0.0
    for i in n {{
        mut a := ints
        if i >= n / 2 {{ a = floats }}
        s = s + a.bump(i % 5)
    }}
    return s
}}
func kept(n) {{
    let acc := Acc {{ x: 1.0, items: [] }}
    let shared := [1, 2, 3]
    mut last := []
    for i in n {{
        let mine := [i]
        last = acc.keep(mine, shared, "text" + to_string(i))
    }}
    return to_string(last) + " " + to_string(shared)
}}
func widen(n) {{
    let acc := Acc {{ x: 0.0, items: [] }}
    mut t := 0
    for i in n {{ t = t + acc.wide(i) }}
    return t
}}
func careful(a, n) {{
    mut s := 0.0
    for i in n {{
        try {{ s = s + a.pick(i % 3) }} except e {{ s = s - 1.0 }}
    }}
    return s
}}
print(run(20000))
print(mixed(20000))
print(kept(20000))
print(bumps(20000))
print(widen(3000))
print(careful(Acc {{ x: 0.5, items: [1.0, 2.0] }}, 20000))
let ints := Acc {{ x: 3, items: [4, 5] }}
print(ints.step(2).x)
print(run(10) + careful(ints, 20000))
func late(a, n) {{
    mut s := 0.0
    for i in n {{
        mut j := i % 3
        if i == 4999 {{ j = 7 }}
        s = s + a.pick(j)
    }}
    return s
}}
print(late(Acc {{ x: 0.25, items: [1.0, 2.0, 3.0] }}, 3))
print(late(Acc {{ x: 0.25, items: [1.0, 2.0, 3.0] }}, 5000))
"#
    )
}

/// The native and guard-failure counts of method `name`.
fn method_stats(protos: &[std::rc::Rc<ruff_core::bytecode::Proto>], name: &str) -> (u64, u64) {
    let p = protos.iter().find_map(|p| find(p, name)).unwrap_or_else(|| panic!("no method {name}"));
    (p.jit.stats.native_calls.get(), p.jit.stats.bails[bail::GUARD as usize].get())
}

#[test]
fn frameless_method_calls_behave_as_the_vm() {
    let source = program();
    let (vm, _, _) = run_source(&source, JitMode::Off, 0);
    assert!(vm.contains("Index out of bounds") || vm.contains("index"), "unexpected VM output: {vm}");
    for (mode, stress) in [(JitMode::Auto, 0), (JitMode::Auto, 3), (JitMode::Auto, 17), (JitMode::Eager, 0)] {
        let (jit, _, protos) = run_source(&source, mode, stress);
        assert_eq!(jit, vm, "{mode:?} stress {stress} differs from the VM");
        if (mode, stress) != (JitMode::Auto, 0) {
            continue;
        }
        // The hot methods ran without frames, and `bump` left to the VM when
        // its field was a float.
        let (bump_calls, bump_guards) = method_stats(&protos, "Acc.bump");
        assert!(bump_calls > 1_000, "Acc.bump ran frameless {bump_calls} times");
        assert!(bump_guards >= 100, "Acc.bump left to the VM {bump_guards} times");
        for name in ["Acc.step", "Acc.pick", "Acc.keep", "Other.step"] {
            let (calls, _) = method_stats(&protos, name);
            assert!(calls > 500, "{name} ran frameless {calls} times");
        }
        // Too wide for the room callers keep: every call is a VM frame.
        assert_eq!(method_stats(&protos, "Acc.wide").0, 0, "Acc.wide ran frameless");
    }
}

/// A call with another number of arguments than the method takes is the
/// VM's call, with its error, even once the instruction's cache holds the
/// method and the method has frameless code: the cache keeps no entry for it
/// (an entry ran the method with a missing argument).
#[test]
fn a_method_called_with_the_wrong_count_raises_the_vms_error() {
    let source = r#"
struct V {
    x
    func add(a, b) {
        return x + a + b
    }
}
func go(v, k) {
    mut t := 0
    for i in 2000 {
        t = t + v.add(i, k)
    }
    try {
        t = t + v.add(1)
    } except e {
        print(e.message)
    }
    return t
}
let v := V { x: 1 }
print(go(v, 2))
print(go(v, 3))
print(v.add(1, 2, 3))
"#;
    agrees_with_vm(source, "V.add expects 2 arguments, got 1\n2007000\n", 3, |_, _| {});
}
