//! Captured variables read and written by framed code (closures that keep
//! state): LOAD_CAPTURE copies the running closure's value inline (a new
//! reference for a counted one) and STORE_CAPTURE moves the operand over it,
//! releasing the old value. These programs keep ints, floats, strings and
//! arrays in captured variables, switch one variable between scalars and
//! counted values, give several closures of one function different values,
//! call another closure with captured values between reads (which reuses the
//! context's closure word), and overflow an int held in one; every tier must
//! print what the VM prints.

mod counted;

use counted::{agrees_with_vm, stats_of};
use ruff_core::runtime::tier::JitMode;

const PROGRAM: &str = r##"
func counter(start) {
    mut c := start
    return func() {
        c = c + 1
        return c
    }
}
func make_adder(k) {
    return func(x) { return x + k }
}
func logger(prefix) {
    mut lines := []
    mut last := prefix
    return func(msg) {
        let add3 := make_adder(3)
        let n := add3(len(lines))
        lines = push(lines, prefix + msg)
        last = to_string(last) + "!"
        if len(lines) % 500 == 0 {
            last = len(lines)
        }
        return [n, len(lines), last]
    }
}
func swapper() {
    mut v := "start"
    return func(i) {
        let old := v
        if i % 3 == 0 {
            v = i
        } else if i % 3 == 1 {
            v = [i, "x"]
        } else {
            v = to_string(i) + "s"
        }
        return old
    }
}
let a := counter(0)
let b := counter(1000)
let f := counter(0.5)
mut t := 0
mut tf := 0.0
for i in 3000 {
    t = t + a() + b()
    tf = tf + f()
}
print(t, tf, a(), b())
let log := logger("> ")
let log2 := logger("# ")
mut r := []
for i in 2000 {
    r = log("m" + to_string(i))
    log2("z")
}
print(r, log2("end"))
let s := swapper()
mut olds := []
for i in 3000 {
    let o := s(i)
    if i > 2990 {
        olds = push(olds, o)
    }
}
print(olds)
let big := counter(9223372036854775000)
try {
    for i in 3000 {
        big()
    }
} except e {
    print("error:", e)
}
"##;

#[test]
fn captured_variables_read_and_written_natively_like_the_vm() {
    let expect = "12003000 4503000 3001 4001\n[2002, 2000, 2000] [2003, 2001, 2000!]";
    agrees_with_vm(PROGRAM, expect, 3, |mode, protos| {
        if mode == JitMode::Auto {
            // The counters' closure ran natively (its float closure's additions
            // are steps: the code was compiled for ints).
            let (native, vm, _) = stats_of(protos, "<lambda>");
            assert!(native > 40_000, "counter: {native} native, {vm} in the VM");
        }
    });
}
