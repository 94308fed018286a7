//! Framed code keeps scalars it pushes on the operand stack in registers until
//! something may read the frame (`framed::emit::lazy`). Every way out must
//! write them first: an overflow in the middle of an expression (caught, then
//! the loop goes on), a guard that fails on an array element of another kind
//! with scalars pushed after it, an error the VM raises there, the exits of the
//! stress mode at the start of a loop body that begins with the loop's value
//! still pending, branches into blocks that other jumps reach, a branch that
//! can only go to the next instruction (`??` on a null), and results of
//! every scalar kind returned from registers.

mod counted;

use counted::{agrees_with_vm, stats_of};

const PROGRAM: &str = r#"
func pick(a, b) {
    if b { return a }
    return 0 - a
}
func opt(a, x, o) { return a * 2 + (x ?? o?) }
func half(x) { return x * 0.5 + 1 }
func small(x) { return x * 2 < 7 }
func run(arr, n) {
    mut t := 0
    mut f := 0.0
    mut msg := ""
    mut big := 3037000000
    for i in n {
        let j := i % 4
        t = t + arr[j] * (i + 1) - (i - j) * 2
        f = f + (i * 1.5 - j) * (j + 0.5)
        if i % 1000 == 999 {
            try { t = t - (i + (big + i) * (big + i)) } except e { msg = e.message }
        }
        t = t + pick(i * 2, (i > 5 && j < 3) || i == 7)
        t = t + opt(j, null, Some(i)) + opt(1, j, Some(3))
        f = f + half(i)
        if small(j) { t = t + 1 }
    }
    return to_string(t) + " " + to_string(f) + " " + msg
}
print(run([1, 2, 3, 4], 6000))
print(run([1, 2.5, 3, 4], 6000))
print(run([1, 2, "x", 4], 3))
"#;

#[test]
fn pending_operands_reach_the_frame_on_every_way_out() {
    agrees_with_vm(PROGRAM, "Invalid binary operation: string * int", 3, |mode, protos| {
        let (native, _, _) = stats_of(protos, "run");
        assert!(native > 10_000, "{mode:?}: run ran {native} instructions natively");
    });
}
