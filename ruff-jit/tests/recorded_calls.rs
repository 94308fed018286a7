//! Calls of framed code that is not frameless from framed code: the call site
//! pushes the callee's frame record itself (`framed::emit::recorded`) and
//! helpers return from the call (`ruff_jit_call_done`) or finish it when the
//! code left to the VM, raised or refused its arguments (`ruff_jit_call_left`).
//! Everything here must print what the VM prints, in every tier and under
//! deopt stress:
//!
//! - `make` and `check` build and walk binary trees, recursing twice a call;
//! - `risky` throws at the bottom of its recursion, and a `try` some levels up
//!   catches it, so the error unwinds through records pushed by native code;
//! - `guarded` returns from inside a `try` at every level (its handler record
//!   goes when its frame does);
//! - `walk` is compiled for an int accumulator and then called with a float,
//!   which its own recursive calls pass on: its entry refuses them;
//! - `broken` fails at the bottom, uncaught, and the call stack lists every
//!   level;
//! - `down` recurses past a small depth limit (the VM's error, caught, then
//!   uncaught) and, with a large one, 100,000 levels deep;
//! - methods that call themselves on other receivers (`CALL_METHOD` of the
//!   method's own name) do the same, with the method closure's reference
//!   counted for the record: `Node.sum` recurses on a tree of nodes,
//!   `Node.count` and `Node.depth` meet `Leaf`'s frameless methods of the
//!   same names (a throw in one caught by a `try` in the other), and
//!   `Node.bad` fails at the bottom and is called once with an argument too
//!   many;
//! - `even` and `odd` call each other (a callee not known when the caller is
//!   compiled, whose code may be frameless or not): a throw at the bottom of
//!   a list caught some levels up, a float accumulator their entries refuse,
//!   and an error at the bottom, uncaught.

mod counted;

use counted::{agrees_with_vm, find};
use ruff_core::api::{Options, Program};
use ruff_core::runtime::tier::JitMode;
use ruff_jit::{Jit, JitOptions};

const TREES: &str = r#"
struct Node {
    left
    right
}
func make(d) {
    if d == 0 {
        return Node { left: null, right: null }
    }
    return Node { left: make(d - 1), right: make(d - 1) }
}
func check(n) {
    if n.left == null {
        return 1
    }
    return 1 + check(n.left) + check(n.right)
}
func risky(n, d) {
    if d == 0 {
        throw("deep " + to_string(n.left == null))
    }
    if d % 3 == 0 {
        try {
            return risky(n.left, d - 1) + 1
        } except e {
            return d * 100
        }
    }
    return risky(n.left, d - 1) + 1
}
func guarded(n, d) {
    try {
        if d == 0 {
            return n.left == null
        }
        return guarded(n.left, d - 1)
    } except e {
        return e.message
    }
}
func walk(n, acc) {
    if n.left == null {
        return acc
    }
    return walk(n.left, acc + 1)
}
func broken(n, d) {
    if d == 0 {
        return n.left.left.nothing
    }
    return broken(n.left, d - 1)
}
let t := make(6)
mut s := 0
for i in 400 {
    s = s + check(t) + risky(t, 5) + walk(t, i)
    if guarded(t, 6) != true {
        print("guarded")
    }
}
print(s)
print(walk(t, 0.5))
print(guarded(t, 7))
for i in 300 {
    s = s + risky(t, 4 + i % 2) + check(make(i % 4))
}
print(s)
print(broken(t, 5))
"#;

#[test]
fn recursive_framed_calls_agree_with_the_vm_and_push_their_own_records() {
    agrees_with_vm(TREES, "5 at broken", 3, |mode, protos| {
        // Each call that the call site ran itself counts as the callee's
        // native call (the VM's calls count apart).
        let check = protos.iter().find_map(|p| find(p, "check")).expect("check");
        let native = check.jit.stats.native_calls.get();
        assert!(native > 40_000, "{mode:?}: check ran {native} calls natively");
    });
}

const METHODS: &str = r#"
struct Leaf {
    v
    func count() {
        return 1
    }
    func depth(d) {
        if d > 3 {
            throw("leaf too deep " + to_string(d))
        }
        return d
    }
}
struct Node {
    left
    right
    func count() {
        return 1 + left.count() + right.count()
    }
    func depth(d) {
        try {
            return left.depth(d + 1) + right.depth(d + 1)
        } except e {
            return -100
        }
    }
    func sum(acc) {
        if left == null {
            return acc
        }
        return left.sum(acc + 1) + right.sum(acc)
    }
    func bad(d) {
        if d == 0 {
            return left.missing
        }
        return left.bad(d - 1)
    }
}
func make(d) {
    if d == 0 {
        return Leaf { v: 1 }
    }
    return Node { left: make(d - 1), right: make(d - 1) }
}
func plain(d) {
    if d == 0 {
        return Node { left: null, right: null }
    }
    return Node { left: plain(d - 1), right: plain(d - 1) }
}
let t := make(6)
let p := plain(5)
mut s := 0
for i in 300 {
    s = s + t.count() + make(3).depth(0) + p.sum(i)
}
print(s)
print(make(4).depth(0))
print(p.sum(0.5))
try {
    print(p.count())
} except e {
    print(e.message)
}
try {
    print(t.count(1))
} except e {
    print(e.message)
}
print(p.bad(4))
"#;

#[test]
fn recursive_methods_agree_with_the_vm_and_push_their_own_records() {
    agrees_with_vm(METHODS, "4 at Node.bad", 3, |mode, protos| {
        let sum = protos.iter().find_map(|p| find(p, "Node.sum")).expect("Node.sum");
        let native = sum.jit.stats.native_calls.get();
        assert!(native > 15_000, "{mode:?}: Node.sum ran {native} calls natively");
    });
}

const MUTUAL: &str = r#"
struct Cell {
    v
    next
}
func list(n) {
    mut c := null
    for i in n {
        c = Cell { v: i, next: c }
    }
    return c
}
func even(c, k) {
    if c == null {
        return k
    }
    if c.v < 4 && k > 1000000 {
        throw("big " + to_string(k))
    }
    return odd(c.next, k + c.v)
}
func odd(c, k) {
    if c == null {
        return k
    }
    if c.v % 5 == 0 {
        try {
            return even(c.next, k * 2)
        } except e {
            return c.v
        }
    }
    return even(c.next, k - c.v)
}
func lost(c, n) {
    if n == 0 {
        return c.v.next
    }
    return found(c.next, n - 1)
}
func found(c, n) {
    return lost(c, n) + 1
}
let c := list(30)
mut s := 0
for i in 1000 {
    s = s + even(c, i) + odd(c, i * 2000)
}
print(s)
print(even(c, 0.5))
print(odd(c, 2000000))
print(found(c, 6))
"#;

#[test]
fn functions_calling_each_other_agree_with_the_vm_and_push_their_own_records() {
    agrees_with_vm(MUTUAL, "at lost", 3, |mode, protos| {
        // `even`'s call of `odd` names a global that holds no native code
        // when `even` is compiled: the site checks both kinds of entry.
        let odd = protos.iter().find_map(|p| find(p, "odd")).expect("odd");
        let native = odd.jit.stats.native_calls.get();
        assert!(native > 10_000, "{mode:?}: odd ran {native} calls natively");
    });
}

const DEEP: &str = r#"
struct Box {
    v
}
func down(b, n) {
    if n == 0 {
        return b.v
    }
    return down(b, n - 1) + 1
}
let b := Box { v: 1 }
mut s := 0
for i in 2000 {
    s = s + down(b, 20)
}
print(s)
try {
    print(down(b, 5000))
} except e {
    print(e.message)
}
print(down(b, 400))
print(down(b, 100000))
"#;

/// Runs `DEEP` with the depth limit `max_depth`; returns its exit status,
/// output and errors.
fn run_deep(jit: JitMode, stress: u64, max_depth: usize) -> String {
    let program = Program::compile("deep.ruff", DEEP).expect("compiles");
    let options = Options { jit, max_depth, ..Options::default() };
    let tier = match jit {
        JitMode::Off => None,
        _ => Some(Box::new(Jit::new(JitOptions { verify: true, stress, ..JitOptions::default() }))
            as Box<dyn ruff_core::runtime::tier::Tier>),
    };
    let run = program.run_captured(&options, tier);
    format!("{}|{}|{}", run.outcome.exit_code, run.stdout, run.stderr)
}

#[test]
fn recursion_through_pushed_records_stops_at_the_vms_depth_limit() {
    for max_depth in [300, 1_000_000] {
        let vm = run_deep(JitMode::Off, 0, max_depth);
        if max_depth == 300 {
            assert!(
                vm.starts_with("4|42000\nMaximum VM call stack depth of 300 exceeded while calling down\n"),
                "{vm}"
            );
        } else {
            assert!(vm.starts_with("0|42000\n5001\n401\n100001\n"), "{vm}");
        }
        for (mode, stress) in [(JitMode::Auto, 0), (JitMode::Eager, 0), (JitMode::Eager, 3)] {
            assert_eq!(run_deep(mode, stress, max_depth), vm, "{mode:?} stress {stress}, limit {max_depth}");
        }
    }
}
