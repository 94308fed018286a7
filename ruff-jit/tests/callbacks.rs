//! Builtins calling closures back (`map`, `filter`, `reduce`, `find`, `any`,
//! `all`) through `vm::Callback`, which enters pure native code with the
//! context the call before prepared: closures of one function holding ints or
//! floats, an overflow inside pure code (replayed by the VM, which raises),
//! elements of another kind (the code does not match), a callback that assigns
//! its captured variable (framed), a wrong arity, a non-function, a builtin as
//! the callback, a callback whose code calls another closure with captured
//! values (which overwrites the context's closure word), and recursion through
//! callbacks up to the VM's limit. Every tier must print what the VM prints.

mod counted;

use counted::agrees_with_vm;

const PROGRAM: &str = r##"
func make_adder(k) {
    return func(x) { return x + k }
}
mut xs := []
for i in 3000 { xs = push(xs, i) }
let add3 := make_adder(3)
let addf := make_adder(0.5)
print(len(map(xs, add3)), reduce(map(xs, add3), 0, func(a, b) { return a + b }))
print(reduce(map(xs, addf), 0.0, func(a, b) { return a + b }))
print(len(filter(xs, func(x) { return x % 7 == 0 })), find(xs, func(x) { return x * x > 5000000 }))
print(any(xs, func(x) { return x > 2998 }), all(xs, func(x) { return x >= 0 }))
mut big := []
for i in 3000 { big = push(big, 9223372036854774900 + i % 900) }
try {
    print(len(map(big, func(x) { return x + 200 })))
} except e {
    print("error:", e.message)
}
mut mixed := []
for i in 3000 { if i % 1000 == 999 { mixed = push(mixed, 1.5) } else { mixed = push(mixed, i) } }
print(reduce(map(mixed, add3), 0, func(a, b) { return a + b }))
mut count := 0
print(len(map(xs, func(x) { count = count + 1
    return count })), count)
try {
    print(map(xs, func(a, b) { return a }))
} except e {
    print("error:", e.message)
}
try {
    print(map(xs, 5))
} except e {
    print("error:", e.message)
}
let inner := make_adder(100)
func wrap(k) {
    return func(x) { return inner(x) + k }
}
print(reduce(map(xs, wrap(5)), 0, func(a, b) { return a + b }))
print(map([1, 2, 3], to_string), reduce([1, 2, 3], 10, func(a, b) { return a * b }))
func deep(n) {
    if n == 0 { return 0 }
    return reduce([n], 0, func(a, b) { return deep(n - 1) + b })
}
print(deep(100))
try {
    print(deep(5000))
} except e {
    print("error:", e.message)
}
"##;

/// Recursion through callbacks nests the VM's Rust frames up to its limit of
/// 2,000: the test runs on a stack as large as `ruff run` gives the VM.
#[test]
fn callbacks_from_builtins_behave_as_in_the_vm() {
    let expect = "3000 4507500\n4500000\n429 2237\ntrue true\nerror: Integer overflow: 9223372036854775608 + 200";
    std::thread::Builder::new()
        .stack_size(1 << 30)
        .spawn(move || agrees_with_vm(PROGRAM, expect, 3, |_, _| {}))
        .expect("thread")
        .join()
        .expect("the tiers agree");
}
