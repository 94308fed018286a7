//! A runaway recursion in a compiled function ends with the VM's error after
//! about the limit's calls. Native code that runs out of depth bails out, and
//! the VM replays the call; it must not enter native code again deeper in
//! that replay (`JitRt::depth_fence`), where every entry would run down to
//! the limit once more (about 1,000 times the limit's calls before).
//! Entries above the failed one (the next element of a `map`), and any
//! once the error unwinds above it, go native again.

mod counted;

use counted::{agrees_with_vm, stats_of};

const PROGRAM: &str = r#"
func down(n) {
    if n == 0 { return 0 }
    return down(n - 1) + 1
}
func leaf(x) {
    return x * 2 + 1
}
func via_vm(n) {
    mut t := 0
    for i in n {
        t = t + leaf(i)
    }
    return t
}
mut s := 0
for i in 3000 {
    s = s + down(3)
}
print(s)
try {
    print(down(150000))
} except e {
    print("too deep")
}
print(via_vm(1500))
try {
    print(map([3, 150000], down))
} except e {
    print("too deep in map")
}
print(map([4, 5, 6], down))
"#;

#[test]
fn a_runaway_recursion_runs_about_the_limit_once() {
    agrees_with_vm(PROGRAM, "too deep in map\n[4, 5, 6]", 3, |mode, protos| {
        let (native, vm, _) = stats_of(protos, "down");
        // Two runaways of 100,000 calls (the limit) at 5 instructions each,
        // the warm-up's 12,000 calls, and slack: far below the hundreds of
        // millions that re-entering native code at every level made.
        assert!(native + vm < 5_000_000, "{mode:?}: down ran {native} native and {vm} VM instructions");
        // The caught error lifted the fence: `leaf`, called from a VM frame
        // one deeper than the failed entry, runs natively once compiled.
        let (leaf, _, _) = stats_of(protos, "leaf");
        assert!(leaf > 0, "{mode:?}: leaf never ran natively after the caught runaway");
    });
}
