//! Int arithmetic that range facts let pure code run unchecked (`ranges`):
//! after `if n < 2 { return n }`, `n - 1` cannot overflow. A fact that is one
//! off, that outlives a merge of paths, or that holds on the wrong side of a
//! branch would skip a check the VM makes, and an overflow would go unseen. So
//! every function here sits at the edge of what its comparison implies, with
//! arguments on both sides of it, up to `i64::MIN` and `i64::MAX`; every tier
//! must print what the VM prints.

mod counted;

use counted::agrees_with_vm;

const PROGRAM: &str = r##"
let MAX := 9223372036854775807
let MIN := -9223372036854775807 - 1
func below(n) {
    if n < 9223372036854775807 { return n + 1 }
    return n
}
func at_most(n) {
    if n <= 9223372036854775806 { return n + 1 }
    return 0 - 1
}
func at_most_max(n) {
    if n <= 9223372036854775807 { return n + 1 }
    return 0
}
func above(n) {
    if n > -9223372036854775807 - 1 { return n - 1 }
    return n
}
func at_least(n) {
    if n >= -9223372036854775806 { return n - 2 }
    return 7
}
func inverted(n) {
    if n < 2 { return n - 5 }
    return n - 1
}
func merged(n) {
    mut m := n
    if n < 0 { m = 0 }
    return m + 1
}
func after_loop(n) {
    mut i := n
    while i < 10 { i = i + 1000000000000000000 }
    return i + 1
}
func counted(n) {
    mut s := 0
    for i in n { s = s + (i - 1) * 2 }
    return s
}
func equal(n) {
    if n == 4611686018427387904 { return n * 2 }
    if n == 3 { return n * 3074457345618258602 }
    return n - 1
}
func negated(n) {
    if n > -9223372036854775807 - 1 { return -n }
    return -n
}
func product(a, b) {
    if a < 3037000500 {
        if a > -3037000500 {
            if b <= 3037000499 {
                if b > -3037000500 { return a * b }
            }
        }
    }
    return a * b
}
func chained(a, b) {
    if a < b {
        if b < 100 { return a + 9223372036854775707 }
    }
    return a - b
}
func rec(n, k) {
    if n < -9223372036854775806 { return n }
    if k < 1 { return n - 2 }
    return rec(n, k - 1) - rec(n - 0, k - 2) + rec(n, k - 1)
}
let calls := [
    ["below", below], ["at_most", at_most], ["at_most_max", at_most_max],
    ["above", above], ["at_least", at_least], ["inverted", inverted],
    ["merged", merged], ["after_loop", after_loop], ["equal", equal],
    ["negated", negated]
]
let edges := [MAX, MAX - 1, MAX - 2, MIN, MIN + 1, MIN + 2, MIN + 3, 0, 1, 2, 3,
    4611686018427387904, 4611686018427387903, -5]
mut out := []
for round in 150 {
    for c in calls {
        let f := c[1]
        for n in edges {
            try {
                let r := f(n)
                if round == 149 { out = push(out, c[0] + " " + to_string(n) + " = " + to_string(r)) }
            } except e {
                if round == 149 { out = push(out, c[0] + " " + to_string(n) + ": " + e.message) }
            }
        }
    }
    for p in [[3037000499, 3037000499], [-3037000499, 3037000499], [3037000499, 3037000500],
              [-3037000499, -3037000499], [3037000500, 3037000500], [MIN, 1], [MIN, -1]] {
        try {
            let r := product(p[0], p[1])
            if round == 149 { out = push(out, "product " + to_string(p) + " = " + to_string(r)) }
        } except e {
            if round == 149 { out = push(out, "product " + to_string(p) + ": " + e.message) }
        }
    }
    for p in [[99, 100], [98, 99], [MIN, 99], [-101, 99], [-100, 99], [5, 5]] {
        try {
            let r := chained(p[0], p[1])
            if round == 149 { out = push(out, "chained " + to_string(p) + " = " + to_string(r)) }
        } except e {
            if round == 149 { out = push(out, "chained " + to_string(p) + ": " + e.message) }
        }
    }
    for n in [MIN + 2, MIN + 3, MIN + 1, 10] {
        try {
            let r := rec(n, 3)
            if round == 149 { out = push(out, "rec " + to_string(n) + " = " + to_string(r)) }
        } except e {
            if round == 149 { out = push(out, "rec " + to_string(n) + ": " + e.message) }
        }
    }
}
for line in out { print(line) }
print(counted(5), counted(0), counted(-3))
"##;

#[test]
fn facts_skip_only_checks_that_cannot_fail() {
    // A few lines the VM must print (the rest are compared whole).
    let expect = "at_most_max 9223372036854775807: Integer overflow";
    agrees_with_vm(PROGRAM, expect, 3, |_, _| {});
    vm_prints(
        PROGRAM,
        &[
            "below 9223372036854775806 = 9223372036854775807",
            "at_least -9223372036854775806 = -9223372036854775808",
            "rec -9223372036854775806 = -9223372036854775808",
            "equal 4611686018427387904: Integer overflow",
            "product [3037000500, 3037000500]: Integer overflow",
            "chained [98, 99] = 9223372036854775805",
            "rec -9223372036854775805 = -9223372036854775807",
            "merged 9223372036854775807: Integer overflow",
        ],
    );
}

/// The VM's output of `source` has each of `lines` (checked by hand: every
/// tier must print the same, and these keep the VM itself honest).
fn vm_prints(source: &str, lines: &[&str]) {
    let (vm, _, _) = counted::run_source(source, ruff_core::runtime::tier::JitMode::Off, 0);
    for line in lines {
        assert!(vm.contains(line), "the VM did not print {line:?}:\n{vm}");
    }
}

/// Division and remainder by constants (`divconst`): a dividend known not to
/// be negative (a loop counter, a remainder) divides the unsigned way, any
/// other one after a branch on its sign; a remainder's range then skips
/// checks on what is added to it, exactly as far as the divisor allows.
const BY_CONSTANTS: &str = r##"
let MAX := 9223372036854775807
let MIN := -9223372036854775807 - 1
func mix(n) {
    return [n % 1000000007, n / 1000000007, n % 7, n / 7, n % 10, n / -3, n % -1000, n % 8, n / 8, n % 641]
}
func counted(m) {
    mut t := 0
    for i in m { t = (t + i % 1000000007 + i / 7 + i % 8) % 1000000007 }
    return t
}
func fib(steps) {
    mut a := 0
    mut b := 1
    for i in steps {
        let t := b
        b = (a + b) % 1000000007
        a = t
    }
    return b
}
func near(n) {
    // The remainder is at most 999 away from zero: this overflows for a
    // remainder of 999 and not for 998 (and `near_low` for -999, not -998).
    return n % 1000 + 9223372036854774809
}
func near_low(n) {
    return n % 1000 - 9223372036854774810
}
let picks := [0, 1, -1, 6, 7, -7, 8, -8, 998, -998, 999, -999, 1999, -1999, 1000000006, 1000000007, -1000000007, 2000000014, MAX, MIN, MAX - 1, MIN + 1, 4611686018427387904, -4611686018427387904]
mut out := []
for round in 300 {
    for n in picks {
        let r := mix(n)
        if round == 299 { out = push(out, to_string(n) + " " + to_string(r)) }
        for f in [near, near_low] {
            try {
                let v := f(n)
                if round == 299 { out = push(out, "near " + to_string(n) + " = " + to_string(v)) }
            } except e {
                if round == 299 { out = push(out, "near " + to_string(n) + ": " + e.message) }
            }
        }
    }
}
for line in out { print(line) }
print(counted(300000), fib(100000))
"##;

#[test]
fn division_by_constants_agrees_with_the_vm_on_both_signs() {
    agrees_with_vm(BY_CONSTANTS, "near 999: Integer overflow", 3, |_, _| {});
    vm_prints(
        BY_CONSTANTS,
        &[
            "near 998 = 9223372036854775807",
            "near -998 = -9223372036854775808",
            "near 1999: Integer overflow",
            "near -1999: Integer overflow",
            "1000000006 [1000000006, 0, 5, 142857143, 6, -333333335, 6, 6, 125000000, 264]",
            "-1000000007 [0, -1, -6, -142857143, -7, 333333335, -7, -7, -125000000, -265]",
        ],
    );
}

/// Ranges carried around loops (`rangeflow`): a value kept by a remainder
/// stays below the divisor at the loop header, so what is added to it goes
/// unchecked exactly as far as that allows, and a remainder of a sum of two
/// such values is one conditional subtraction. `edge` overflows when `x`
/// is 999 at the loop header and not before, `late` when `z` is (7 × 857
/// is 5999); `pair` runs the quotient and remainder of a
/// sum at both ends of `[0, 2k)`; `walk` enters its loop (by OSR, in `auto`)
/// first with values inside the range its code assumes, then outside it.
const LOOP_CARRIED: &str = r##"
func edge(n) {
    mut x := 0
    mut y := 0
    for i in n {
        y = x + 9223372036854774809
        x = (x + 1) % 1000
    }
    return y
}
func late(n) {
    mut x := 0
    mut y := 0
    mut z := 0
    for i in n {
        y = z + 9223372036854774809
        z = (x * 7) % 1000
        x = x + 1
    }
    return y
}
func pair(n) {
    mut a := 6
    mut b := 6
    mut q := 0
    mut r := 0
    for i in n {
        q = q + (a + b) / 7
        r = r + (a + b) % 7
        let t := b
        b = (a + b + i) % 7
        a = t
    }
    return [q, r, a, b]
}
func walk(start, n) {
    mut a := 0
    mut b := start
    for i in n {
        let t := b
        b = (a + b) % 1000000007
        a = t
    }
    return b
}
func total(start, n) {
    mut s := start
    for i in n { s = s + i }
    return s
}
mut out := []
for round in 150 {
    for n in [998, 999, 1000] {
        try {
            let y := edge(n)
            if round == 149 { out = push(out, "edge " + to_string(n) + " = " + to_string(y)) }
        } except e {
            if round == 149 { out = push(out, "edge " + to_string(n) + ": " + e.message) }
        }
    }
    for n in [858, 859] {
        try {
            let y := late(n)
            if round == 149 { out = push(out, "late " + to_string(n) + " = " + to_string(y)) }
        } except e {
            if round == 149 { out = push(out, "late " + to_string(n) + ": " + e.message) }
        }
    }
    if round == 149 { out = push(out, "pair " + to_string(pair(1000))) }
}
out = push(out, "walk " + to_string(walk(1, 300000)))
out = push(out, "walk " + to_string(walk(-5, 300000)))
out = push(out, "walk " + to_string(walk(1000000006, 300000)))
for start in [0, 9223372036854775807 - 499500, 9223372036854775807 - 499499] {
    try {
        out = push(out, "total " + to_string(total(start, 1000)))
    } except e {
        out = push(out, "total " + to_string(start) + ": " + e.message)
    }
}
for line in out { print(line) }
"##;

#[test]
fn loop_carried_ranges_skip_only_checks_that_cannot_fail() {
    agrees_with_vm(LOOP_CARRIED, "edge 1000: Integer overflow", 3, |mode, protos| {
        if mode != ruff_core::runtime::tier::JitMode::Auto {
            return;
        }
        // `walk`'s loop code assumed ranges that the second call's values
        // are outside: its entries were refused, then it was compiled again
        // assuming nothing, and ran natively.
        let walk = protos.iter().find_map(|p| counted::find(p, "walk")).expect("walk");
        let s = &walk.jit.stats;
        assert!(s.mismatches.get() >= 8, "refused entries: {}", s.mismatches.get());
        assert!(s.recompiles.get() >= 1, "walk was not compiled again");
        let (native, vm, _) = counted::stats_of(protos, "walk");
        assert!(native > 10 * vm, "walk ran {native} instructions natively, {vm} in the VM");
    });
    vm_prints(
        LOOP_CARRIED,
        &[
            "edge 998 = 9223372036854775806",
            "edge 999 = 9223372036854775807",
            "late 858 = 9223372036854775801",
            "late 859: Integer overflow",
            "total 9223372036854775807",
            "total 9223372036854276308: Integer overflow",
        ],
    );
}
