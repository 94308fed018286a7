//! `try` and `match` on enum variants in framed code, without steps:
//! TRY_BEGIN and TRY_END push and pop the VM's handler record through
//! helpers (`vm::jit_try`), and MATCH_ENUM tests the value through one
//! (`ruff_jit_match_enum`), which also leaves a variant's payload. Errors
//! raised in native code, in a callee, in a nested `try` and in a handler,
//! a `return` and a `break` from inside a `try`, and an uncaught error at the
//! end must all print what the VM prints, in every tier and under deopt
//! stress; `area` (a `match`) runs as a frameless call.

mod counted;

use counted::{agrees_with_vm, find, stats_of};

const PROGRAM: &str = r#"
enum Shape { Circle, Square, Tri }
func area(kind, s) {
    match kind {
        case Shape::Circle(r): { return 3.0 * r * r + s }
        case Shape::Square: { return s * s }
        default: { return s * s / 2.0 }
    }
}
func risky(a, i) {
    return a[i % 4] * 1000000000000
}
func early(n) {
    for i in n {
        try {
            if i == 3 { return i }
        } except e {
            return -1
        }
    }
    return n
}
func run(n) {
    let kinds := [Shape::Circle(2.0), Shape::Square, Shape::Tri]
    let a := [1, 2, 3]
    mut t := 0.0
    mut errs := 0
    mut msgs := {}
    for i in n {
        t = t + area(kinds[i % 3], (i % 10) * 1.0)
        try {
            try {
                if i % 1000 == 0 { throw("bad " + to_string(i % 3)) }
                t = t + risky(a, i) / 1000000000000
            } except inner {
                msgs[inner.message] = get(msgs, inner.message, 0) + 1
                if i % 2000 == 0 { throw("again") }
            }
            if i == n - 3 { break }
        } except e {
            errs = errs + 1
            msgs[e.message] = get(msgs, e.message, 0) + 1
        }
        t = t + early(5)
    }
    return to_string(t) + " " + to_string(errs) + " " + to_string(msgs)
}
print(run(10))
print(run(30000))
print(run(700))
try {
    print(risky([9223372036854775807], 0))
} except e {
    print("caught " + e.message + " " + to_string(e.stack))
}
print(area(Shape::Circle(1.5), 2.0))
risky([1, 2, 3], 7)
"#;

#[test]
fn handlers_and_enum_cases_agree_with_the_vm_without_steps() {
    agrees_with_vm(PROGRAM, "caught Integer overflow", 3, |mode, protos| {
        // Eager code has no feedback from the VM, so `3.0 * r * r` on the
        // payload steps there: the counts are those of auto.
        if mode != ruff_core::runtime::tier::JitMode::Auto {
            return;
        }
        for name in ["area", "early", "run"] {
            let (native, _, stepped) = stats_of(protos, name);
            assert!(native > 100_000, "{mode:?}: {name} ran {native} instructions natively");
            assert!(stepped < 100, "{mode:?}: {name} stepped {stepped} instructions");
        }
        let area = protos.iter().find_map(|p| find(p, "area")).expect("area");
        let frameless = area.jit.stats.native_calls.get();
        assert!(frameless > 10_000, "{mode:?}: area ran frameless {frameless} times");
    });
}
