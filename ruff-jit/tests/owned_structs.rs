//! Locals whose struct a loop keeps as its own (`framed::emit::owned`): a
//! literal written over such a local's struct in place skips the checks
//! that it can take it once they have passed, until anything could have
//! taken another reference to it, and field reads in the loop take the
//! values it wrote last. Each function below takes one way that must bring
//! the checks back, so that a literal written in place over a struct
//! something else holds, or a field read from a stale variable, would
//! change its output:
//!
//! - `nested`: the loop entered again after `keep = v` outside it;
//! - `escapes`: a method call run in line made by the helper (a receiver of
//!   another type) whose method keeps the borrowed argument;
//! - `mixed`: the method's result stored by the VM's call (an argument of
//!   another kind), its literal's fields then floats;
//! - `aliased`: a loop that shares the local's struct is not one that owns it;
//! - `picks`: nor is one that passes it to a method returning that argument;
//! - `kept`: the struct shared after the loop, then a literal of the same
//!   method written there (not the loop's store).

mod counted;

use counted::{agrees_in_every_mode, inlined};

const PROGRAM: &str = r#"
struct P {
    x: int,
    y: int

    func take(self, o) {
        return self.x + o.x * 2 + o.y
    }

    func plus(self, k) {
        return P { x: self.x + k, y: self.y - 1 }
    }

    func pick(self, o) {
        if self.x > o.x {
            return self
        }
        return o
    }
}

struct Q {
    x: int

    func take(self, o) {
        keepers = push(keepers, o)
        return self.x
    }
}

mut keepers := []

func nested(n) {
    mut v := P { x: 0, y: 0 }
    mut keep := v
    mut total := 0
    for r in 4 {
        keep = v
        for i in n {
            v = P { x: i + r, y: r }
            total = total + v.x % 7
        }
        total = total + keep.x * 3 + keep.y
    }
    return [total, keep, v]
}

func escapes(n) {
    mut s := P { x: 1, y: 1 }
    mut total := 0
    for i in n {
        v := P { x: i, y: i % 5 }
        s = P { x: 1, y: i % 3 }
        if i == 4000 || i == 4500 {
            s = Q { x: 9 }
        }
        total = total + s.take(v)
    }
    return total
}

func mixed(n) {
    mut acc := P { x: 0, y: 0 }
    mut total := 0.0
    for i in n {
        mut k := i % 3
        if i > 3000 && i % 100 == 0 {
            k = 0.5
        }
        acc = acc.plus(k)
        total = total + acc.x + acc.y
    }
    return [total, acc]
}

func aliased(n) {
    mut v := P { x: 0, y: 0 }
    mut keep := v
    mut total := 0
    for i in n {
        v = P { x: i, y: 1 }
        if i % 1000 == 999 {
            keep = v
        }
        total = total + v.x + keep.x
    }
    return [total, keep, v]
}

func picks(n) {
    mut best := P { x: 0, y: 0 }
    mut t := 0
    for i in n {
        v := P { x: i % 100, y: i }
        best = best.pick(v)
        t = t + best.x + best.y
    }
    return [t, best]
}

func kept(n) {
    mut acc := P { x: 0, y: 0 }
    mut t := 0
    for i in n {
        acc = acc.plus(1)
        t = t + acc.x
    }
    let all := [acc]
    acc = acc.plus(5)
    return [t, all, acc]
}

mut t := 0
for c in 1500 {
    t = t + nested(3)[0]
}
print(t)
print(nested(3000))
print(escapes(6000))
print(keepers)
print(mixed(6000))
print(aliased(6000))
print(picks(5000))
print(kept(5000))
"#;

#[test]
fn literals_written_over_a_loops_own_struct_agree_with_the_vm() {
    let expect = "90000\n\
                  [63003, P { x: 3001, y: 2 }, P { x: 3002, y: 3 }]\n\
                  35995016\n\
                  [P { x: 4000, y: 0 }, P { x: 4500, y: 0 }]\n\
                  [-26750, P { x: 5984.5, y: -6000 }]\n\
                  [32997999, P { x: 5999, y: 1 }, P { x: 5999, y: 1 }]\n\
                  [12745000, P { x: 99, y: 4999 }]\n\
                  [12502500, [P { x: 5000, y: -5000 }], P { x: 5005, y: -5001 }]\n";
    agrees_in_every_mode(PROGRAM, expect, |protos| {
        for name in ["escapes", "mixed"] {
            assert!(inlined(protos, name) > 0, "{name} ran no method in line");
        }
    });
}
