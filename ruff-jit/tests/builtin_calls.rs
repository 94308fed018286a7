//! Calls of builtins from framed code (`ruff_jit_call_builtin`): the builtin
//! is called on its arguments where they lie, not by a step, and `len` of an
//! array (of ints, of other values, a temporary one) in a loop is read
//! inline while the callee is still `len`. Results,
//! arguments a builtin takes (`push` as a plain call leaves the array it was
//! given as it was), errors caught in the same function and uncaught with
//! their location and call stack, a wrong argument count, a builtin that
//! calls back (`map`, by the step) and a global rebound from a builtin to a
//! Ruff function and to another builtin must all print what the VM prints,
//! and a loop made of builtin calls must run without a step.

mod counted;

use counted::{agrees_with_vm, stats_of};

const PROGRAM: &str = r#"
func spin(a, n) {
    mut s := 0
    mut i := 0
    while i < len(a) * n {
        s = s + len(to_string(i)) + len(a) % (i + 1)
        i = i + 1
    }
    return s
}
func odd(x) {
    mut out := ""
    try {
        out = to_string(len(x))
        out = out + ":" + to_string(get(x, "k", 7))
    } except err {
        out = out + "!" + err.message
    }
    return out
}
func counts(a) {
    let b := push(a, len(a))
    return to_string(len(a)) + "/" + to_string(len(b)) + " " + to_string(b[len(b) - 1])
}
func doubled(a, f) {
    mut t := 0
    for k in 3 {
        t = t + len(map(a, f)) * k + a[k % 2]
    }
    return t
}
mut size := len
func measure(x) {
    return size(x)
}
func sizes(xs) {
    mut t := 0
    for x in xs {
        try {
            t = t + len(x) + len([x, x]) + size(x)
        } except err {
            t = t + 1000
        }
    }
    return t
}
func deep(x) {
    return len(x)
}
func outer(x) {
    return deep(x) + 1
}
print(spin([1, 2, 3], 4000))
mut tally := {}
for r in 300 {
    for x in [[1, 2], {"k": 3}, "abc", 5, null, {"j": 1}, ["x", "y", "z"], [1.5]] {
        let o := odd(x)
        tally[o] = get(tally, o, 0) + 1
    }
}
for k in keys(tally) {
    print(k + " x" + to_string(tally[k]))
}
mut last := ""
for r in 1200 {
    last = counts([1, 2, 3])
}
print(last)
mut m := 0
for r in 1200 {
    m = m + doubled([r, 1], func(x) { return x * 2 })
}
print(m)
let things := [[1, 2], "abc", ["x", "y"], {"k": 1}, 5, [1.5, 2.5], [[1], [2], [3]]]
mut lens := 0
mut total := 0
for r in 2400 {
    if r == 1200 {
        size = func(x) { return 100 }
    }
    if r == 1800 {
        size = to_string
    }
    let s := measure([1, 2])
    if r < 1800 {
        lens = lens + s
    } else {
        lens = lens + len(s)
    }
    total = total + sizes(things)
}
print(lens)
print(total)
mut fine := 0
for r in 1200 {
    try {
        fine = fine + outer([r]) + outer("x" + to_string(r))
        if r % 400 == 399 {
            fine = fine + outer(r)
        }
    } except err {
        print(to_string(r) + " " + err.message)
    }
}
print(fine)
try {
    print(len([1], 2))
} except err {
    print(err.message)
}
print(outer(7))
"#;

#[test]
fn builtin_calls_agree_with_the_vm_and_run_without_steps() {
    agrees_with_vm(PROGRAM, "len() requires", 3, |mode, protos| {
        let (native, vm, stepped) = stats_of(protos, "spin");
        assert_eq!(stepped, 0, "{mode:?}: spin stepped {stepped} instructions");
        assert!(native > 200_000 && vm * 4 < native, "{mode:?}: spin ran {native} natively, {vm} in the VM");
        // `map` calls back: the step calls it, each time.
        let (_, _, stepped) = stats_of(protos, "doubled");
        assert!(stepped >= 1000, "{mode:?}: doubled stepped {stepped} instructions");
    });
}

/// `a + b` that the plan leaves to the VM (`ruff_jit_join`): two strings are
/// joined without a step, and anything else (a struct's `op_add`, an error)
/// is the step's, with the VM's results and errors.
#[test]
fn joins_agree_with_the_vm_and_skip_the_step() {
    let source = r#"
struct Money {
    cents
    func op_add(o) { return Money { cents: cents + o.cents } }
}
func label(xs) {
    mut out := ""
    for x in xs {
        out = "[" + x + "]" + out
    }
    return out
}
func mixed(xs) {
    mut total := xs[0]
    for x in xs {
        try {
            total = x + total
        } except err {
            print(err.message)
        }
    }
    return total
}
mut n := 0
for r in 1500 {
    n = n + len(label(["a", "bc", to_string(r)]))
}
print(n)
print(mixed(["s", "t", "u"]))
print(mixed([Money { cents: 5 }, Money { cents: 7 }]).cents)
for r in 1200 {
    mixed(["x", "y"])
}
print(mixed(["s", 3, "u"]))
"#;
    agrees_with_vm(source, "Invalid binary operation", 3, |mode, protos| {
        // Its `for` steps (preparing the array, and in eager mode more): at
        // most 3 instructions a call; its nine joins a call are not steps.
        let (native, _, stepped) = stats_of(protos, "label");
        assert!(stepped <= 4_500, "{mode:?}: label stepped {stepped} instructions");
        assert!(native > 20_000, "{mode:?}: label ran {native} natively");
    });
}
