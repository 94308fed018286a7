//! Structs in framed code.
//!
//! Struct literals are made by a helper, from values native code holds in
//! registers (mirrored in the frame) or in memory, with the type declared when
//! the literal runs. Float arithmetic on an int field and a float field converts
//! the int (two int fields keep int arithmetic). Method calls from framed code find the receiver's method through the call
//! instruction's cache (`MethodCache`): receivers of several struct types at one
//! call, a type declared again with other methods, structs made before their
//! type was declared, function-valued fields, dict entries, errors raised in
//! and around the method and recursion all behave as in the VM. A float local
//! added to a method's result is speculated on, not stepped.

mod counted;

use counted::{agrees_with_vm, stats_of};
use ruff_core::runtime::tier::{bail, JitMode};

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

/// Function `name` ran more than `min_native` instructions natively and (but in eager mode, compiled before the VM
/// saw any value, which steps its arithmetic) handed at most a few instructions
/// to the VM, those run before a cache was filled.
fn few_steps(mode: JitMode, protos: &[std::rc::Rc<ruff_core::bytecode::Proto>], name: &str, min_native: u64) {
    let (native, _, stepped) = stats_of(protos, name);
    assert!(native > min_native, "{mode:?}: {name} did not run natively ({native} native instructions)");
    assert!(mode == JitMode::Eager || stepped < 100, "{mode:?}: {stepped} instructions of {name} were VM steps");
}

#[test]
fn method_calls_find_each_receivers_method() {
    agrees_with_vm(SOURCE, "Maximum VM call stack depth", 2, |mode, protos| {
        // Both methods of a single-type receiver come from the cache: only the
        // calls made before it was filled, and none per iteration, are steps
        // (eager code, compiled before the VM saw an int, steps its additions).
        few_steps(mode, protos, "plain", 20_000);
        // A float local added to a call's result: speculated on the VM's
        // feedback that it saw floats there, not stepped.
        few_steps(mode, protos, "halves", 5_000);
        let (native, _, _) = stats_of(protos, "work");
        assert!(native > 20_000, "{mode:?}: work did not run natively ({native} native instructions)");
    });
}

const LITERALS: &str = r#"
struct S {
    a: int,
    b: float
    func sum() { return a + b }
}
func make(n, label) {
    mut out := []
    mut t := 0.0
    for i in n {
        let s := S { a: i * 3, b: i * 0.5 }
        let w := W { s: s, label: label, flag: i % 2 == 0, none: null }
        t = t + s.sum() + w.s.a
        if i == n - 1 { out = push(out, w) }
    }
    return to_string(t) + " " + to_string(out[0])
}
struct M {
    a: int,
    b: int
    func prod() { return a * b }
}
func prods(ms, n) {
    mut out := ""
    for i in n { out = to_string(ms[i % len(ms)].prod()) }
    return out
}
print(prods([M { a: 2, b: 0.5 }, M { a: 1.5, b: 2 }], 3000))
print(prods([M { a: 2, b: 0.5 }, M { a: 3037000499, b: 3037000499 }], 3002))
let early := Unknown { x: 1 }
print(make(3000, "w"))
struct W {
    s: int,
    label: string
    func show() { return label }
}
print(make(3000, "v"))
struct S {
    a: int,
    b: float
    func sum() { return a - b }
}
print(make(3000, "u"))
print(early, type(early))
try { print(early.sum()) } except e { print(e.message) }
"#;

#[test]
fn struct_literals_are_made_natively_with_the_type_declared_now() {
    agrees_with_vm(LITERALS, "Field not found: sum", 2, |mode, protos| {
        // The literals are never steps.
        few_steps(mode, protos, "make", 20_000);
        // `a + b` on an int field and a float field: the float speculation
        // converts the int instead of leaving to the VM every time.
        let sum = protos.iter().find_map(|p| counted::find(p, "S.sum")).expect("S.sum");
        let (why, guards) = (sum.jit.stats.rejection.borrow().clone(), sum.jit.stats.bails[bail::GUARD as usize].get());
        assert!(why.is_none() && guards < 10, "{mode:?}: S.sum left native code {guards} times: {why:?}");
    });
}

const FIELD_KINDS: &str = r#"
struct V {
    x: float,
    y: float
    func dot(o) { return x * o.x + y * o.y }
}
struct W {
    y: float,
    x: float
}
struct I { n: int }
func total(vs, o, n) {
    mut t := 0.0
    for i in n { t = t + vs[i % len(vs)].dot(o) }
    return t
}
func scaled(ps, n) {
    mut t := 0.0
    for i in n {
        let p := ps[i % len(ps)]
        t = t + p.x * 2.0 + p.y
    }
    return t
}
func count(ps, n) {
    mut t := 0
    for i in n { t = t + ps[i % len(ps)].n * 3 }
    return t
}
let a := V { x: 1.5, y: 2.0 }
let o := V { x: 0.5, y: 0.25 }
print(total([a], o, 3000))
print(total([a, V { x: 2, y: 1.0 }], o, 3000))
print(total([a], W { y: 4.0, x: 8.0 }, 3000))
try { print(total([a], W { y: 1.0, x: "s" }, 3000)) } except e { print(e.message) }
print(total([a, V { x: "s", y: 1.0 }], o, 1))
print(scaled([V { x: 1.0, y: 0.5 }], 3000))
print(scaled([V { x: 1.0, y: 0.5 }, {"x": 2.5, "y": 1.0}], 3000))
print(scaled([W { y: 1.0, x: 3 }, V { x: 1.0, y: 0.5 }], 3000))
try { print(scaled([V { x: 1.0, y: 0.5 }, {"x": "a", "y": 1.0}], 3000)) } except e { print(e.message) }
print(count([I { n: 3 }, I { n: 5 }], 3000))
try { print(count([I { n: 3 }, I { n: 4000000000000000000 }], 3000)) } except e { print(e.message) }
print(count([I { n: 3 }, I { n: 2.5 }], 3000))
print(count([I { n: 3 }, {"n": 7}], 3000))
try { print(count([I { n: 3 }, W { y: 1.0, x: 2.0 }], 3000)) } except e { print(e.message) }
"#;

/// Field reads whose values the VM only ever saw as floats (or ints) are
/// speculated to stay so, unboxed into the arithmetic; a value of another
/// kind, found inline (a struct of the cached shape) or by the helper (another
/// shape, a dict), leaves to the VM with its exact result or error, and the
/// function is compiled again without that guess instead of leaving every time.
#[test]
fn field_reads_speculated_as_numbers_agree_with_the_vm() {
    agrees_with_vm(FIELD_KINDS, "Field not found: n", 3, |mode, protos| {
        for (name, min_native) in [("V.dot", 50_000), ("scaled", 50_000), ("count", 30_000)] {
            let (native, _, _) = stats_of(protos, name);
            assert!(native > min_native, "{mode:?}: {name} ran {native} instructions natively");
        }
        if mode != JitMode::Auto {
            return;
        }
        // In `auto` the VM's feedback is there to speculate on: the guesses
        // fail when the kinds change, then no more than a recompile needs
        // (`scaled` finds an int field of another shape every other
        // iteration, through the helper).
        for name in ["V.dot", "scaled", "count"] {
            let f = protos.iter().find_map(|p| counted::find(p, name)).expect(name);
            let guards = f.jit.stats.bails[bail::GUARD as usize].get();
            assert!(guards > 0, "{name}: no failed guess");
            assert!(guards < 400, "{name} left native code {guards} times");
        }
    });
}

/// What the VM notes at a field read, for the speculation above: the kinds of
/// the values it read.
#[test]
fn the_vm_notes_the_kinds_of_the_fields_it_reads() {
    use ruff_core::bytecode::{proto::feedback, Op};
    let source = "struct P { a: float, b: int, c: string }\nfunc f(p) { return [p.a, p.b, p.c] }\nfor i in 3 { f(P { a: 1.5, b: i, c: \"s\" }) }\nf({\"a\": 2.5, \"b\": 2, \"c\": [1]})\n";
    let (_, _, protos) = counted::run_source(source, JitMode::Off, 0);
    let f = protos.iter().find_map(|p| counted::find(p, "f")).expect("f");
    let seen: Vec<u8> =
        (0..f.code.len()).filter(|&pc| matches!(f.code[pc], Op::Field(_))).map(|pc| f.feedback[pc].get()).collect();
    assert_eq!(seen, [feedback::FLOAT, feedback::INT, feedback::STR | feedback::OTHER]);
}

/// Structs whose last reference native code drops are kept and reused by the
/// next literal of the same shape (`struct_pool` in ruff-core). A reused
/// object must be the new struct in every way: the type declared when the
/// literal runs (also after a redeclaration, and none before the first), its
/// own values (strings, arrays and structs of the old one released), and no
/// effect on structs still held elsewhere.
const REUSED: &str = r#"
let early := Box { v: -1, tag: "early", inner: null }
struct Inner { n: int }
func churn(n, label) {
    mut kept := []
    mut last := Box { v: 0, tag: label, inner: Inner { n: 0 } }
    mut t := 0
    for i in n {
        let b := Box { v: i, tag: label + to_string(i % 3), inner: Inner { n: i * 2 } }
        t = t + b.v + b.inner.n + len(b.tag)
        if i % 500 == 7 {
            kept = push(kept, b)
        }
        mut c := b
        c.v := i + 1
        c.extra := [i, label]
        t = t + c.v + len(c.extra)
        last = b
    }
    return to_string(t) + " " + to_string(kept) + " " + to_string(last) + " " + type(last) + " " + to_string(early)
}
func describe(n) {
    mut out := ""
    mut total := 0
    for i in n {
        let b := Box { v: i, tag: "d", inner: null }
        out = b.show()
        total = total + len(out)
    }
    return out + " " + to_string(total)
}
print(churn(3000, "a"))
struct Box {
    v: int,
    tag: string,
    inner: int
    func show() { return "first " + to_string(v) }
}
print(churn(3000, "b"))
print(describe(3000))
struct Box {
    v: int,
    tag: string,
    inner: int
    func show() { return "second " + tag + to_string(v) }
}
print(describe(3000))
print(early, type(early))
"#;

#[test]
fn reused_struct_objects_are_new_structs() {
    agrees_with_vm(REUSED, "second d2999", 3, |mode, protos| {
        // `churn`'s field assignments are steps; its literals are not.
        let (native, _, _) = stats_of(protos, "churn");
        assert!(native > 20_000, "{mode:?}: churn did not run natively ({native} native instructions)");
        few_steps(mode, protos, "describe", 5_000);
    });
}

/// Field assignment to a local (`p.x := v`, `p.x += v`: SET_PATH with one
/// field key) is not a VM step: inline on an unshared struct of the shape the
/// instruction's cache remembers where the field holds no reference, by a
/// helper on other structs (a field holding a string, a field added by the
/// assignment, a struct shared with another variable, which is copied first,
/// structs of two shapes with the field at different positions) and on a
/// dict. Anything else is the VM's step, which raises its error.
const FIELD_SETS: &str = r#"
struct Acc { total: int, count: int, note: string }
func run(n) {
    mut a := Acc { total: 0, count: 0, note: "" }
    mut d := {"k": 0}
    mut shared := a
    for i in n {
        a.total := a.total + i
        a.count += 1
        a.note := "at " + to_string(i % 5)
        d.k := d.k + 2
        if i % 1000 == 0 {
            shared = a
            a.extra := i
        }
    }
    return to_string(a) + " " + to_string(d) + " " + to_string(shared)
}
func wrong(x, n) {
    mut v := x
    mut t := 0
    for i in n {
        v.f := i
        t = t + 1
    }
    return t
}
struct P2 { a: int, b: int }
struct Q2 { b: int, a: int }
func flip(n) {
    mut t := 0
    for i in n {
        mut p := P2 { a: 1, b: 2 }
        if i % 2 == 0 { p = Q2 { b: 5, a: 3 } }
        p.b := p.b + i
        p.a += 1
        t = t + p.a * 1000000 + p.b
    }
    return t
}
print(run(5000))
print(flip(5000))
try { print(wrong(5, 3000)) } except e { print(e.message) }
try { print(wrong([1, 2], 3000)) } except e { print(e.message) }
print(wrong(Acc { total: 1, count: 2, note: "n" }, 3000))
"#;

#[test]
fn field_assignments_are_not_steps() {
    agrees_with_vm(FIELD_SETS, "Cannot set field on non-struct", 3, |mode, protos| {
        few_steps(mode, protos, "run", 40_000);
        few_steps(mode, protos, "flip", 20_000);
    });
}

/// Literals of two struct types with the same fields share one shape, so a
/// kept object of one is reused for a literal of the other: its name and type
/// must be the new literal's.
const SAME_FIELDS: &str = r#"
struct Kitten { name: string, age: int
    func speak() { return name + " says meow" } }
struct Dog { name: string, age: int
    func speak() { return name + " barks" } }
func run(n) {
    mut out := 0
    mut last := ""
    for i in n {
        if i % 3 == 0 {
            let c := Kitten { name: "c", age: i }
            last = c.speak() + " " + to_string(c)
        } else {
            let d := Dog { name: "d", age: i }
            last = d.speak() + " " + to_string(d)
        }
        out = out + len(last)
    }
    return to_string(out) + " " + last
}
print(run(3000))
"#;

#[test]
fn a_reused_object_takes_the_literals_name_and_type() {
    agrees_with_vm(SAME_FIELDS, "d barks Dog", 3, |mode, protos| {
        few_steps(mode, protos, "run", 20_000);
    });
}

/// Compiled code takes the latest kept object for a struct literal itself
/// (`framed::emit::literals`) only when it has the literal's shape and name
/// and the type the literal's name has now. Each part of that is what keeps
/// one of these right: `names` makes `U` and `V` (never declared: no type,
/// one shape) alternately, dropping each just before the next; `types` drops
/// an object made by the same literal before `T` was declared again, which
/// the next literal must not take as it is; `gens` runs the same literals
/// again after `G` is declared again, with objects of the old `G` kept.
const KEPT_LITERALS: &str = r#"
struct T { a: int
    func w() { return "one" } }
func mk(i) { return T { a: i } }
mut old := mk(0)
struct T { a: int
    func w() { return "two" } }
func pick(i) {
    if i % 2 == 0 { return U { a: i } }
    return V { a: i }
}
func types(n) {
    mut ones := 0
    mut t := mk(0)
    for i in n {
        t = null
        if i == n - 100 {
            t = old
            old = null
            t = null
        }
        t = mk(i)
        if t.w() == "one" { ones = ones + 1 }
    }
    return to_string(ones) + " " + to_string(t) + " " + type(t)
}
func names(n) {
    mut wrong := 0
    mut u := pick(0)
    for i in n {
        u = null
        u = pick(i)
        if (i % 2 == 0) != (to_string(u)[0] == "U") { wrong = wrong + 1 }
    }
    return to_string(wrong) + " " + to_string(u)
}
print(types(20000))
print(names(20000))
func gen_mk(i) { return G { a: i } }
struct G { a: int
    func w() { return "g1" } }
func gens(n) {
    mut t := gen_mk(0)
    print("start " + t.w())
    mut spare := gen_mk(0)
    mut firsts := 0
    for i in n {
        t = null
        t = gen_mk(i)
        if t.w() == "g1" { firsts = firsts + 1 }
    }
    spare = null
    return to_string(firsts) + " " + t.w()
}
print(gens(20000))
struct G { a: int
    func w() { return "g2" } }
print(gens(20000))
"#;

#[test]
fn literals_take_kept_objects_only_of_their_name_and_type() {
    agrees_with_vm(KEPT_LITERALS, "0 V { a: 19999 }\nstart g1\n20000 g1\nstart g2\n0 g2", 3, |mode, protos| {
        // The literals' functions ran natively, nearly every call.
        for (name, min) in [("pick", 100_000), ("mk", 50_000), ("gen_mk", 100_000)] {
            few_steps(mode, protos, name, min);
        }
    });
}

/// `v = P { ... }` over the last reference to a struct of the literal's shape
/// and type: the values are written over the old ones in place
/// (`literal_into_local`), and only then. Each function meets one case where
/// the old struct must not be reused: still held in an array (`shared`), the
/// same type with its fields in another order (`orders`: another shape), a
/// declared type of the same shape (`types`), undeclared names of one shape
/// (`names`: no type to tell them apart), and the type declared again with
/// other methods half-way (`declared`). Each part fails without its check.
/// (`texts` has a string field: a struct whose fields own something is not
/// written over. Without that check the old strings leak, which the output
/// does not show; valgrind on this test shows them lost.)
const IN_PLACE: &str = r#"
struct U { x: int, y: int  func m(self) { return self.x - self.y } }
struct V { x: int, y: int  func m(self) { return self.x + self.y } }
struct T { s: string, k: int }
func shared(n) {
    mut held := []
    mut v := U { x: 0, y: 0 }
    for i in n {
        v = U { x: i, y: 2 * i }
        if i % 1000 == 7 { held = push(held, v) }
    }
    return [v, held]
}
func orders(n) {
    mut v := U { x: 0, y: 0 }
    mut t := 0
    for i in n {
        if i % 2 == 0 { v = U { x: i, y: 1 } } else { v = U { y: i, x: 1 } }
        t = t + v.x * 3 + v.y
    }
    return [t, v]
}
func types(n) {
    mut v := U { x: 0, y: 0 }
    mut t := 0
    for i in n {
        if i % 3 == 0 { v = V { x: i, y: 1 } } else { v = U { x: i, y: 1 } }
        t = t + v.m()
    }
    return [t, v]
}
func names(n) {
    mut v := A { p: 0, q: 0 }
    mut s := ""
    for i in n {
        if i % 3 == 0 { v = B { p: i, q: 1 } } else { v = A { p: i, q: 1 } }
        if i % 500 == 0 { s = s + to_string(v) }
    }
    return s
}
func texts(n) {
    mut v := T { s: "", k: 0 }
    for i in n {
        v = T { s: "at " + to_string(i), k: i }
    }
    return v
}
func declared(n) {
    mut v := null
    mut out := []
    for r in 2 {
        if r == 1 {
            struct G { x: int  func m(self) { return "new " + to_string(self.x) } }
        } else {
            struct G { x: int  func m(self) { return "old " + to_string(self.x) } }
        }
        for i in n {
            v = G { x: i }
            if i % 1000 == 0 { out = push(out, v.m()) }
        }
    }
    return out
}
for r in 2 {
    print(shared(3000))
    print(orders(3000))
    print(types(3000))
    print(names(2000))
    print(texts(3000))
    print(declared(3000))
}
"#;

#[test]
fn literals_are_written_over_a_local_only_where_nothing_else_can_tell() {
    let expect = "[U { x: 2999, y: 5998 }, [U { x: 7, y: 14 }, U { x: 1007, y: 2014 }, U { x: 2007, y: 4014 }]]\n\
                  [9001500, U { x: 1, y: 2999 }]\n[4497500, U { x: 2999, y: 1 }]\n\
                  B { p: 0, q: 1 }A { p: 500, q: 1 }A { p: 1000, q: 1 }B { p: 1500, q: 1 }\n\
                  T { k: 2999, s: at 2999 }\n[old 0, old 1000, old 2000, new 0, new 1000, new 2000]\n";
    agrees_with_vm(IN_PLACE, expect, 3, |mode, protos| {
        for (name, min) in
            [("shared", 5_000), ("orders", 5_000), ("types", 5_000), ("texts", 5_000), ("declared", 5_000)]
        {
            few_steps(mode, protos, name, min);
        }
    });
}
