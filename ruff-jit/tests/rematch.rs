//! A function whose call entry keeps refusing its arguments (the program has
//! moved on to calling it with other kinds) is compiled again for the kinds
//! now at hand, at most twice (`vm::native::REMATCH_AFTER`), with the reason
//! in its statistics; a compiled caller that calls the first variant directly
//! keeps doing so, and the output never changes.

mod counted;

use counted::{agrees_with_vm, find};
use ruff_core::runtime::tier::recompile;

const PROGRAM: &str = r#"
func f(a, b) {
    return a + b + a
}
func g(x) {
    return f(x, 1)
}
mut ints := 0
for i in 2000 {
    ints = ints + f(i, 2) + g(i)
}
mut floats := 0.0
for i in 5000 {
    floats = floats + f(1.5, 0.25)
}
mut s := ""
for i in 300 {
    s = f("a", "b")
}
ints = ints + g(7)
print(ints)
print(floats)
print(s)
"#;

#[test]
fn a_call_entry_refusing_calls_in_a_row_is_compiled_again_for_the_new_kinds() {
    agrees_with_vm(PROGRAM, "16250\naba", 3, |mode, protos| {
        let f = protos.iter().find_map(|p| find(p, "f")).expect("f");
        let s = &f.jit.stats;
        // Ints, then floats (recompiled), then strings (recompiled again;
        // the third kinds would need a third, so those calls stay refused).
        assert_eq!(s.recompiles.get(), 2, "{mode:?}");
        assert_eq!(s.recompile_reasons[recompile::CALLS].get(), 2, "{mode:?}");
        assert_eq!(s.recompile_reasons[recompile::GUARDS].get(), 0, "{mode:?}");
        // The 5,000 calls with floats ran natively (5 instructions each),
        // not in the VM after refusing.
        let native = s.native_insns.get();
        assert!(native > 25_000, "{mode:?}: f ran {native} instructions natively");
        assert!(s.mismatches.get() < 400, "{mode:?}: {} refused", s.mismatches.get());
    });
}
