//! Assignments to globals in framed code.
//!
//! A store to a `mut` global moves the value in place, releasing the old one,
//! and `g = g + x` adds ints (overflow raised by the VM) or floats (an int
//! addend converted) in place; strings, a global that changes kind half-way and
//! any other binding (a `let`, a `const`) are the VM's, with its results and
//! errors, from inside a compiled loop. `g = push(g, x)` on a `mut` global
//! appends in place like the same on a local (a shared array is copied first,
//! a non-array is the VM's error). Top-level loops and functions that update a
//! global therefore run without a VM step per assignment, and a top-level loop
//! is weighed by its own instructions, not by the run-once code after it.

mod counted;

use counted::{agrees_with_vm, stats_of};
use ruff_core::runtime::tier::JitMode;

const SOURCE: &str = r#"
mut total := 0
for i in 5000 {
    total = total + i % 7
}
print(total)
mut s := ""
for i in 3000 {
    s = to_string(i)
}
print(s)
mut xs := []
for i in 3000 {
    xs = [i, i + 1]
}
print(xs)
func bump() {
    for i in 3000 {
        total = total + 1
    }
}
bump()
print(total)
mut f := 0.5
for i in 3000 {
    f = f + 0.25
}
print(f)
mut fi := 1.5
for i in 3000 {
    fi = fi + i
}
print(fi)
mut text := ""
for i in 3000 {
    text = text + "ab"
}
print(len(text))
mut big := 9223372036854775000
try {
    for i in 3000 {
        big = big + 1
    }
} except e {
    print(e.message)
}
print(big)
mut mixed := 1
for i in 3000 {
    if i == 1500 {
        mixed = 0.5
    }
    mixed = mixed + 1
}
print(mixed)
mut built := []
for i in 3000 {
    built = push(built, i % 7)
}
print(len(built))
mut alias := []
mut shared := []
for i in 3000 {
    shared = push(shared, i)
    if i == 1000 {
        alias = shared
    }
}
print(len(alias))
print(len(shared))
mut notarr := 5
try {
    for i in 3000 {
        if i == 2900 {
            notarr = push(notarr, i)
        }
    }
} except e {
    print(e.message)
}
let frozen := [1]
try {
    for i in 3000 {
        if i == 2999 {
            frozen = push(frozen, 2)
        }
    }
} except e {
    print(e.message)
}
print(frozen)
let fixed := 1
mut n := 0
try {
    for i in 3000 {
        n = n + 1
        if i == 2500 {
            fixed = 2
        }
    }
} except e {
    print(e.message)
}
print(n)
print(fixed)
"#;

#[test]
fn stores_to_mut_globals_run_natively_and_others_raise_the_vms_error() {
    agrees_with_vm(SOURCE, "Cannot reassign immutable let binding: fixed", 3, |mode, protos| {
        let (native, _, stepped) = stats_of(protos, "bump");
        assert!(native > 4_000, "{mode:?}: bump ran {native} instructions natively");
        // Eager code, compiled before the VM saw an int, steps its additions;
        // under auto, neither they nor the stores are steps.
        assert!(mode == JitMode::Eager || stepped < 100, "{mode:?}: {stepped} of bump's instructions were VM steps");
        let (main_native, _, main_steps) = stats_of(protos, "<main>");
        assert!(main_native > 100_000, "{mode:?}: the top level ran {main_native} instructions natively");
        // The top level steps once per iteration in three loops: the
        // `to_string` calls, the array literals and the string `+=` (3,000
        // each, all after the first loop got hot). Its stores, int or float
        // additions and appends to globals (another 27,000) are not steps.
        assert!(mode == JitMode::Eager || main_steps < 9_500, "{mode:?}: {main_steps} steps at the top level");
    });
}

/// A top-level loop followed by code that is mostly calls (steps) runs
/// natively: the loop is weighed by its own instructions.
const LOOP_THEN_CALLS: &str = r#"
mut xs := []
for i in 5000 {
    xs = push(xs, i % 10)
}
print(to_string(len(xs)) + " " + to_string(xs[0]) + " " + to_string(xs[4999]))
print(type(xs))
print(len(to_string(xs)) > 0)
print(to_string(1) + to_string(2) + to_string(3))
print(to_string(len(xs)) + to_string(len(xs)))
print(type(1) + type(2.5) + type("s"))
"#;

#[test]
fn a_top_level_loop_is_weighed_by_its_own_instructions() {
    agrees_with_vm(LOOP_THEN_CALLS, "5000 0 9", 3, |mode, protos| {
        let (native, _, _) = stats_of(protos, "<main>");
        assert!(native > 20_000, "{mode:?}: the top level ran {native} instructions natively");
    });
}
