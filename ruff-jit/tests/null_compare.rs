//! `x == null` and `x != null` in framed code (`framed::emit::nulls`): a tag
//! test for every heap value, except a struct whose type has `op_eq` or
//! `op_ne`, which the VM asks, as it does; a struct made before its type was
//! declared takes the type its name has now. Every form (a value, a branch,
//! `null` on either side) must print what the VM prints, and a linked list
//! walked with `p != null` must run without the VM.

mod counted;

use counted::{agrees_with_vm, stats_of};

const PROGRAM: &str = r#"
let early := Late { v: 1 }
struct Node {
    next
}
struct Late {
    v
    func op_eq(o) { return v == 1 }
}
struct Weird {
    v
    func op_eq(o) { return v > 2 }
    func op_ne(o) { return v }
}
func walk(n) {
    mut c := 0
    mut p := n
    while p != null {
        c = c + 1
        p = p.next
    }
    return c
}
func probe(x) {
    let a := x == null
    let b := null == x
    let c := x != null
    mut d := 0
    if x == null { d = d + 1 }
    if null != x { d = d + 10 }
    return to_string(a) + " " + to_string(b) + " " + to_string(c) + " " + to_string(d)
}
mut list := null
for i in 50 {
    list = Node { next: list }
}
mut total := 0
for i in 300 {
    total = total + walk(list)
}
print(total)
let things := ["s", [1], {"k": 1}, null, Node { next: null }, 3, 2.5, true, early, Weird { v: 1 }, Weird { v: 5 }]
mut seen := {}
for r in 200 {
    for t in things {
        let p := probe(t)
        seen[p] = get(seen, p, 0) + 1
    }
}
for k in keys(seen) {
    print(k + " x" + to_string(seen[k]))
}
"#;

#[test]
fn comparisons_with_null_agree_with_the_vm_and_a_walk_runs_natively() {
    agrees_with_vm(PROGRAM, "15000", 3, |mode, protos| {
        let (native, vm, stepped) = stats_of(protos, "walk");
        assert_eq!(stepped, 0, "{mode:?}: walk stepped {stepped} instructions");
        assert!(native > 100_000 && vm * 4 < native, "{mode:?}: walk ran {native} natively, {vm} in the VM");
    });
}
