//! A function the VM calls through its pure call entry many times (here,
//! `map` calling it back) gets an entry compiled for it in place of the
//! shared trampoline (`tier::HOT_ENTRIES`). The new entry must refuse and
//! bail out exactly as the trampoline did: arguments of another kind, a
//! global it reads rebound to another kind, and an overflow the VM then
//! raises (caught); and it must pass on the calls the recursion limit leaves.

mod counted;

use counted::{agrees_with_vm, find};
use ruff_core::runtime::tier::HOT_ENTRIES;

const PROGRAM: &str = r#"
mut scale := 3
func h(x) {
    return x * scale + 1
}
func down(n) {
    if n == 0 { return 0 }
    return down(n - 1) + 1
}
let xs := range(12000)
mut total := 0
for y in map(xs, h) {
    total = total + y
}
print(total)
print(map([1.5, 2.5], h))
print(map([7, 8], h))
scale = 0.5
print(map([7, 8], h))
scale = 3
try {
    print(h(4611686018427387904))
} except e {
    print("caught: " + to_string(e))
}
print(h(5))
let threes := map(xs, func(v) { return 3 })
mut deep := 0
for d in map(threes, down) {
    deep = deep + d
}
print(deep)
print(map([2, 3000], down))
"#;

#[test]
fn a_function_entered_often_gets_an_entry_of_its_own_that_refuses_and_bails_as_before() {
    agrees_with_vm(PROGRAM, "[2, 3000]", 3, |mode, protos| {
        for name in ["h", "down"] {
            let f = protos.iter().find_map(|p| find(p, name)).unwrap_or_else(|| panic!("no {name}"));
            assert_eq!(f.jit.vm_entries.get(), HOT_ENTRIES, "{mode:?}: {name} entered from the VM");
            let code = f.jit.call.get().unwrap_or_else(|| panic!("{mode:?}: {name} has no call entry"));
            // Trampoline entries carry their table in `data`; compiled entries none.
            assert!(code.data.is_null(), "{mode:?}: {name} still enters through the trampoline");
        }
        let h = protos.iter().find_map(|p| find(p, "h")).expect("h");
        assert!(h.jit.stats.mismatches.get() >= 2, "{mode:?}: the floats were refused");
    });
}
