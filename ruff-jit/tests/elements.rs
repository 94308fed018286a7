//! `local[i]` feeding int arithmetic or an int comparison (`t = t + a[i]`,
//! `k > a[i]`): framed code keeps an int element in a register for the next
//! instruction instead of writing it to the operand stack and reading it back
//! with a check. Elements of other kinds leave to the VM at that instruction,
//! where its own check would have left. These programs mix compact and boxed
//! arrays, floats, strings, negative and out-of-range indexes, and require the
//! VM's output in every tier.

mod counted;

use counted::{agrees_with_vm, stats_of};
use ruff_core::runtime::tier::JitMode;

const PROGRAM: &str = r#"
func sum(arr) {
    mut t := 0
    for i in len(arr) { t = t + arr[i] }
    return t
}
func above(arr, k) {
    mut c := 0
    for i in len(arr) {
        if k > arr[i] { c = c + 1 }
    }
    return c
}
func last(arr) {
    mut t := 0
    let j := -1
    for i in 3000 { t = t + arr[j] }
    return t
}
func third(arr) {
    mut t := 0
    for i in 3000 { t = t + arr[2] }
    return t
}
mut ints := []
for i in 3000 { ints = push(ints, i) }
mut boxed := ["x"]
for i in 3000 { boxed = push(boxed, i * 2) }
boxed[0] = 7
mut floats := [1, 2, 0.5, 3]
mut words := [1, "two", 3]
mut out := []
for r in 400 {
    out = [sum(ints), sum(boxed), above(ints, 1000), above(boxed, 1000), last(ints), third(boxed)]
}
print(out)
print(sum(floats), above(floats, 2), last(floats), last([1, 2.5]))
try {
    print(sum(words))
} except e {
    print("error:", e)
}
print(sum([]), above([], 1))
try {
    print(third([1, 2]))
} except e {
    print("error:", e)
}
"#;

#[test]
fn int_elements_feed_arithmetic_like_the_vms() {
    agrees_with_vm(PROGRAM, "[4498500, 8997007, 1000, 501, 8997000, 6000]", 3, |mode, protos| {
        if mode == JitMode::Auto {
            for f in ["sum", "above", "last", "third"] {
                let (native, vm, stepped) = stats_of(protos, f);
                assert!(native > 1_000 && stepped == 0, "{f}: {native} native, {vm} in the VM, {stepped} stepped");
            }
        }
    });
}
