//! Struct fields kept in registers through a loop (`framed::emit::promote`).
//!
//! A loop that only reads and assigns the fields of a local's struct keeps
//! them in variables, and writes them back on every way out. Each function
//! below checks one part of that against the VM, in every tier and with
//! deopt stress: the loop's end, `break`, `return`, an error raised in the
//! loop (overflow, `throw`) caught outside it or inside, a struct shared with
//! another variable before the loop (copied, as its first assignment would),
//! a field holding a string before the loop or assigned one in it, a dict or
//! a field added instead of a struct, floats, bools and a field that turns
//! from int to float, nested loops, calls in the assigned values, a method
//! assigning `self`'s fields, two structs in one loop, and loops that must
//! not promote (the struct kept whole, or captured by a closure).

mod counted;

use counted::{agrees_with_vm, proto};
use ruff_core::bytecode::proto::feedback;
use ruff_core::bytecode::{Op, Proto};
use ruff_core::runtime::tier::JitMode;
use std::rc::Rc;

const PROGRAM: &str = r#"
struct Acc { total: int, count: int }
struct F { v: float, on: bool, n: int }
func plain(n) {
    mut a := Acc { total: 0, count: 0 }
    for i in n {
        a.total := a.total + i
        a.count += 1
    }
    return [a.total, a.count, a]
}
func shared(n) {
    mut a := Acc { total: 1, count: 2 }
    let b := a
    for i in n {
        a.total := a.total + i
    }
    return [a, b]
}
func texts(n) {
    mut a := Acc { total: 0, count: 0 }
    if n > 100 { a.count := "text" }
    for i in n {
        a.total := a.total + i
        if i > n - 10 { a.count := i }
    }
    return a
}
func late_text(n) {
    mut a := Acc { total: 0, count: 0 }
    for i in n {
        a.total := a.total + i
        if i == n - 5 { a.count := "late" }
    }
    return a
}
func dicts(n) {
    mut d := {"total": 0}
    for i in n {
        d.total := d.total + i
    }
    return d
}
func added(n) {
    mut a := Acc { total: 0, count: 0 }
    for i in n {
        a.extra := i
        a.total := a.total + 1
    }
    return a
}
func thrown(n) {
    mut a := Acc { total: 0, count: 0 }
    try {
        for i in n {
            a.total := a.total + i
            if i == n - 7 { throw("stop at " + to_string(a.total)) }
        }
    } except e {
        return [e.message, a]
    }
    return a
}
func inner_try(n) {
    mut a := Acc { total: 0, count: 0 }
    for i in n {
        try {
            a.count := a.count + 1
            if i % 1000 == 999 { throw("x") }
            a.total := a.total + i
        } except e {
            a.total := a.total - 1
        }
    }
    return a
}
func broke(n) {
    mut a := Acc { total: 0, count: 0 }
    for i in n {
        if a.total > 1000000 { break }
        a.total := a.total + i
    }
    a.count := 7
    return a
}
func returned(n) {
    mut a := Acc { total: 0, count: 0 }
    for i in n {
        a.total := a.total + i
        if i == n - 3 { return a.total * 2 + a.count }
    }
    return -1
}
func overflow(n) {
    mut a := Acc { total: 1, count: 0 }
    try {
        for i in n {
            a.total := a.total * 3
            a.count += 1
        }
    } except e {
        return [e.message, a]
    }
    return a
}
func floats(n) {
    mut f := F { v: 0.5, on: false, n: 0 }
    for i in n {
        f.v := f.v * 1.0001 + 0.25
        f.on := !f.on
        f.n += 1
    }
    return f
}
func kinds(n) {
    mut a := Acc { total: 0, count: 0 }
    for i in n {
        if i < n / 2 { a.total := a.total + 1 } else { a.total := a.total + 0.5 }
    }
    return a
}
func nested(n) {
    mut a := Acc { total: 0, count: 0 }
    for i in n {
        for j in 10 {
            a.total := a.total + j
        }
        a.count += 1
    }
    return a
}
func closure(n) {
    mut a := Acc { total: 0, count: 0 }
    mut fs := []
    for i in n {
        a.total := a.total + i
        if i % 1000 == 0 { fs = push(fs, func() { return a.total }) }
    }
    return [a, fs[1](), len(fs)]
}
func whole(n) {
    mut a := Acc { total: 0, count: 0 }
    mut keep := []
    for i in n {
        a.total := a.total + i
        if i % 1000 == 0 { keep = push(keep, a) }
    }
    return [a, keep[2]]
}
func called(n) {
    mut a := Acc { total: 0, count: 0 }
    for i in n {
        a.total := a.total + len(to_string(i))
        a.count := a.count + abs(0 - i) % 3
    }
    return a
}
func two(n) {
    mut p := Acc { total: 0, count: 0 }
    mut q := F { v: 1.0, on: true, n: 0 }
    let keep := q
    for i in n {
        p.total := p.total + i
        q.v := q.v * 0.5 + p.total % 7
        q.n += 1
        if i == n - 2 { q.on := "no" }
    }
    return [p, q, keep]
}
struct Counter {
    hits: int
    func run(self, n) {
        for i in n { self.hits := self.hits + i }
        return self.hits
    }
}
for k in 2 {
    print(plain(3000))
    print(shared(3000))
    print(texts(3000))
    print(texts(50))
    print(late_text(3000))
    print(dicts(3000))
    print(added(3000))
    print(thrown(3000))
    print(inner_try(3000))
    print(broke(3000))
    print(returned(3000))
    print(overflow(3000))
    print(floats(3000))
    print(kinds(3000))
    print(nested(3000))
    print(closure(3000))
    print(whole(3000))
    print(called(3000))
    print(two(3000))
    let c := Counter { hits: 5 }
    print([c.run(3000), c])
}
"#;

/// Locals of `name` whose fields compiled loops kept in registers.
fn promoted(protos: &[Rc<Proto>], name: &str) -> u32 {
    proto(protos, name).jit.stats.promoted_locals.get()
}

/// Whether the loop of `name` was found unfit at run time: its back-edge's
/// feedback says so.
fn refused(protos: &[Rc<Proto>], name: &str) -> bool {
    let p = proto(protos, name);
    let back = p.code.iter().rposition(|op| matches!(op, Op::Loop(_))).expect("a loop");
    p.feedback[back].get() & feedback::OTHER != 0
}

#[test]
fn loops_keep_struct_fields_in_registers_and_write_them_back_on_every_way_out() {
    let expect = "[4498500, 3000, Acc { count: 3000, total: 4498500 }]\n\
                  [Acc { count: 2, total: 4498501 }, Acc { count: 2, total: 1 }]\n\
                  Acc { count: 2999, total: 4498500 }\n\
                  Acc { count: 49, total: 1225 }\n\
                  Acc { count: late, total: 4498500 }\n\
                  {\"total\": 4498500}\n\
                  Acc { count: 0, extra: 2999, total: 3000 }\n\
                  [stop at 4480521, Acc { count: 0, total: 4480521 }]\n\
                  Acc { count: 3000, total: 4492500 }\n\
                  Acc { count: 7, total: 1000405 }\n\
                  8985006\n\
                  [Integer overflow: 4052555153018976267 * 3, Acc { count: 39, total: 4052555153018976267 }]\n\
                  F { n: 3000, on: false, v: 875.2713222692961 }\n\
                  Acc { count: 0, total: 2250 }\n\
                  Acc { count: 3000, total: 135000 }\n\
                  [Acc { count: 0, total: 4498500 }, 500500, 3]\n\
                  [Acc { count: 0, total: 4498500 }, Acc { count: 0, total: 2001000 }]\n\
                  Acc { count: 3000, total: 10890 }\n\
                  [Acc { count: 0, total: 4498500 }, F { n: 3000, on: no, v: 7.889763779527559 }, F { n: 0, on: true, v: 1 }]\n\
                  [4498505, Counter { hits: 5 }]\n";
    agrees_with_vm(PROGRAM, expect, 3, |mode, protos| {
        for name in [
            "plain",
            "shared",
            "late_text",
            "added",
            "inner_try",
            "broke",
            "returned",
            "floats",
            "kinds",
            "nested",
            "called",
            "Counter.run",
        ] {
            assert!(promoted(protos, name) > 0, "{mode:?}: {name} kept no field in registers");
            // `added`'s struct lacks `extra` when its loop starts: code compiled
            // before the call (eager) is refused there; auto compiles the loop
            // once the VM has added the field.
            let may_refuse = name == "late_text" || (name == "added" && mode == JitMode::Eager);
            assert!(!refused(protos, name) || may_refuse, "{mode:?}: {name} was refused");
        }
        // A string before the loop and a dict: not promoted when the loop is
        // compiled on entry (the local's value is known then); refused when
        // the loop starts otherwise (eager code compiled before the call),
        // noted, and compiled again without promotion.
        for name in ["texts", "dicts"] {
            match mode {
                JitMode::Eager => assert!(refused(protos, name), "{mode:?}: {name} was not refused"),
                _ => assert_eq!(promoted(protos, name), 0, "{mode:?}: {name} kept fields in registers"),
            }
        }
        // A string assigned in the loop leaves there, and is noted too.
        assert!(refused(protos, "late_text"), "{mode:?}: late_text was not noted");
        // The struct copied whole, or captured by a closure: no promotion.
        for name in ["whole", "closure"] {
            assert_eq!(promoted(protos, name), 0, "{mode:?}: {name} kept fields in registers");
        }
        // Two locals of one loop: both, in each compile.
        let two = promoted(protos, "two");
        assert!(two > 0 && two.is_multiple_of(2), "{mode:?}: {two} of two's locals kept in registers");
        if mode == JitMode::Auto {
            let s = &proto(protos, "plain").jit.stats;
            assert!(s.native_insns.get() > 20_000, "plain ran natively");
            // The array returned after the loop is made by a step, once a call.
            assert!(s.stepped_insns.get() <= 2, "steps in plain's loop: {}", s.stepped_insns.get());
        }
    });
}
