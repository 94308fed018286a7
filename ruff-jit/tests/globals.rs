//! Assignments to globals in framed code.
//!
//! A store to a `mut` global moves the value in place, releasing the old one,
//! and `g = g + x` adds ints (overflow raised by the VM) or floats (an int
//! addend converted) in place; strings, a global that changes kind half-way and
//! any other binding (a `let`, a `const`) are the VM's, with its results and
//! errors, from inside a compiled loop. Top-level loops and functions that
//! update a global therefore run without a VM step per assignment.

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
        let (_, _, main_steps) = stats_of(protos, "<main>");
        // The top level steps once per iteration in three loops: the
        // `to_string` calls, the array literals and the string `+=` (3,000
        // each, all after the first loop got hot). Its stores and int or float
        // additions to globals (another 18,000) are not steps.
        assert!(mode == JitMode::Eager || main_steps < 9_500, "{mode:?}: {main_steps} steps at the top level");
    });
}
