//! Arrays that have only held bools keep them as bytes, 0 and 1
//! (`Values`'s compact form, as ints are kept as plain words), and native code
//! reads, appends and stores them in that form. Bools from the frame (read from a boxed array, a
//! dict, a local holding a heap value) have only their first payload byte
//! set, and must compile and be stored as 0 and 1; anything of another kind
//! stored or appended widens the array; a shared array is copied on write.
//! Every tier must print what the VM prints.

mod counted;

use counted::{agrees_with_vm, stats_of};
use ruff_core::runtime::tier::JitMode;

const PROGRAM: &str = r#"
func flags(n) {
    mut f := []
    for i in n { f = push(f, i % 3 != 0) }
    return f
}
func sieve(n) {
    mut f := []
    for i in (n + 1) { f = push(f, true) }
    f[0] = false
    f[1] = false
    mut i := 2
    while i * i <= n {
        if f[i] {
            mut j := i * i
            while j <= n {
                f[j] = false
                j = j + i
            }
        }
        i = i + 1
    }
    mut count := 0
    for k in (n + 1) {
        if f[k] { count = count + 1 }
    }
    return count
}
func reads(f) {
    mut t := 0
    for i in len(f) {
        if f[i] { t = t + 1 }
        if !f[-1 - i] { t = t + 10 }
        if f[i] == true { t = t + 100 }
    }
    for x in f {
        if x { t = t + 1000 }
    }
    return t
}
func copied(n) {
    mut f := flags(n)
    let shared := f
    for i in n { f[i] = !f[i] }
    return [reads(f), reads(shared), f[0], shared[0]]
}
func from_memory(n) {
    let mixed := [1, true, "s", false, null]
    let d := {"yes": true, "no": false}
    mut f := []
    for i in n {
        f = push(f, mixed[1 + (i % 2) * 2])
        f = push(f, d["yes"])
        f[i] = d["no"]
    }
    return [reads(f), f[0], f[n], f[2 * n - 1]]
}
func from_local(n, src) {
    mut f := []
    for i in n {
        let x := src[i % len(src)]
        f = push(f, x)
    }
    mut t := 0
    for i in len(f) {
        if f[i] == true { t = t + 1 }
    }
    return [t, f[0], f[1], len(f)]
}
func widened(n) {
    mut a := flags(n)
    a = push(a, 1)
    mut b := flags(n)
    b[3] = 0
    mut c := flags(n)
    c[2] = null
    mut e := flags(n)
    e = push(e, "x")
    mut g := []
    for i in n { g = push(g, i) }
    g = push(g, true)
    mut h := []
    for i in n { h = push(h, i) }
    h[1] = false
    mut k := flags(n)
    k[4] = 2.5
    k = push(k, 0.5)
    mut q := flags(2)
    q = pop(pop(q)[0])[0]
    for i in n { q = push(q, i) }
    q[1] = true
    return [a[n], a[n - 1], b[3], b[2], c[2], c[1], e[n], e[0], g[n], g[n - 1], h[1], h[2], len(a), k[4], k[3], k[n], q[0], q[1], q[2], len(q)]
}
func fails(f, i) {
    try {
        return f[i]
    } except e {
        return e.message
    }
}
for round in 3 {
    print(sieve(5000), reads(flags(3000)), copied(2000), from_memory(1500), widened(1000))
    print(from_local(2000, [true, false, false]), from_local(10, [false, 1]))
    let f := flags(7)
    mut p := flags(4)
    let last := pop(p)
    print(f, fails(f, 7), fails(f, -8), f[-7], last, p, len(f), flags(3) == [false, true, true], type(f[1]))
}
"#;

#[test]
fn compact_bool_arrays_agree_with_the_vm() {
    let expect = "[false, true, true, false, true, true, false] Index out of bounds";
    agrees_with_vm(PROGRAM, expect, 3, |mode, protos| {
        if mode == JitMode::Auto {
            // (`reads`'s `for x in f`, a loop of its own, steps the VM for
            // the elements of an array, whatever their form.)
            for (f, times) in [("flags", 4), ("sieve", 4), ("reads", 2), ("from_memory", 1), ("from_local", 1)] {
                let (native, vm, _) = stats_of(protos, f);
                assert!(native > times * vm, "{f} ran {native} instructions natively, {vm} in the VM");
            }
        }
    });
    let (vm, _, _) = counted::run_source(PROGRAM, JitMode::Off, 0);
    assert!(vm.contains("669 "), "the sieve of 5000 finds 669 primes:\n{vm}");
}
