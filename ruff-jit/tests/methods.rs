//! Method calls from framed code find the receiver's method through the call
//! instruction's cache (`MethodCache`): receivers of several struct types at one
//! call, a type declared again with other methods, structs made before their
//! type was declared, function-valued fields, dict entries, errors raised in
//! and around the method and recursion all behave as in the VM. A float local
//! added to a method's result is speculated on, not stepped.

mod counted;

use counted::{agrees_with_vm, stats_of};
use ruff_core::runtime::tier::JitMode;

const SOURCE: &str = r#"
struct P {
    x: int
    func get(k) { return x * k }
    func down(self, k) {
        if k == 0 { return 0 }
        return self.down(k - 1) + 1
    }
}
struct Q {
    x: int
    func get(k) { return x + k }
    func half(k) { return k * 0.5 }
}
struct R {
    get: int
}
let early := Later { v: 5 }
struct Later {
    v: int
    func get(k) { return v - k }
}
func work(items, n) {
    mut t := 0
    for i in n {
        let it := items[i % len(items)]
        t = t + it.get(i)
    }
    return t
}
func plain(p, n) {
    mut t := 0
    for i in n { t = t + p.get(i) + p.down(3) }
    return t
}
func halves(q, n) {
    mut d := 0.0
    for i in n { d = d + q.half(i) }
    return d
}
print(halves(Q { x: 0 }, 3000))
let items := [P { x: 2 }, Q { x: 3 }, R { get: func(k) { return k * 10 } }, {"get": func(k) { return -k }}, early]
print(plain(P { x: 7 }, 3000))
print(work(items, 3000))
try { print(P { x: 1 }.down(100000)) } except e { print(e.message) }
struct P {
    x: int
    func get(k) { return x - 1000 * k }
    func down(self, k) { return -k }
}
print(work([P { x: 1 }, items[0]], 3000))
print(plain(P { x: 7 }, 3000))
try { print(work([P { x: 1 }, "text"], 3000)) } except e { print(e.message) }
try { print(work([Q { x: 1 }, R { get: 3 }], 3000)) } except e { print(e.message) }
func wrong(p) { return p.get() }
try { print(wrong(Q { x: 1 })) } except e { print(e.message) }
"#;

#[test]
fn method_calls_find_each_receivers_method() {
    agrees_with_vm(SOURCE, "Maximum VM call stack depth", 2, |mode, protos| {
        let (native, _, stepped) = stats_of(protos, "plain");
        assert!(native > 20_000, "{mode:?}: plain did not run natively ({native} native instructions)");
        // Both methods of a single-type receiver come from the cache: only the
        // calls made before it was filled, and none per iteration, are steps
        // (eager code, compiled before the VM saw an int, steps its additions).
        assert!(mode == JitMode::Eager || stepped < 100, "{mode:?}: {stepped} method calls of plain were VM steps");
        // A float local added to a call's result: speculated on the VM's
        // feedback that it saw floats there, not stepped.
        let (_, _, stepped) = stats_of(protos, "halves");
        assert!(mode == JitMode::Eager || stepped < 100, "{mode:?}: {stepped} additions of halves were VM steps");
        let (native, _, _) = stats_of(protos, "work");
        assert!(native > 20_000, "{mode:?}: work did not run natively ({native} native instructions)");
    });
}
