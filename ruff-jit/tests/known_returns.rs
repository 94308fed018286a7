//! What a method run in line makes known of the local its result is stored
//! in (`framed::emit::known::Returned`): after `acc = acc.add(v)`, where
//! `add` returns a literal written over `acc`'s struct in place, the
//! literal's scalar fields are known, so `acc.x` and the inlined `acc.dot(v)`
//! read no memory. Every other way to the store defines them from the struct
//! the local then holds, and leaves to the VM when that struct is not of the
//! literal's shape with fields of those kinds.
//!
//! Each function below takes one of those ways, and reads the known fields
//! so that a wrong value would change its output: the literal in place
//! (`fold`); made by the helper, the old struct being shared (`aliased`);
//! another `return` of the method, its receiver (`stepping`); the VM finishing
//! the method after a field turned float (`turns_float`); and the call by
//! the helper for a receiver of another type, whose struct has the field
//! read at another position (`other_type`).

mod counted;

use counted::{agrees_in_every_mode, inlined, noted, proto};

const PROGRAM: &str = r#"
struct V {
    x: int,
    y: int

    func add(self, o) {
        return V { x: self.x + o.x, y: self.y + o.y }
    }

    func dot(self, o) {
        return self.x * o.x + self.y * o.y
    }

    func step(self, d) {
        if d == 0 {
            return self
        }
        return V { x: self.x + d, y: self.y - d }
    }
}

struct U {
    x: int,
    y: int

    func add(self, o) {
        return U { x: self.x + o.x, y: (self.y * 3 + o.y) % 1000 }
    }

    func dot(self, o) {
        return self.x * o.x - self.y
    }
}

struct W {
    z: int,
    x: int

    func add(self, o) {
        return W { z: self.z + 1, x: self.x - o.x }
    }

    func dot(self, o) {
        return self.x + self.z
    }
}

func fold(n) {
    mut acc := V { x: 0, y: 0 }
    mut total := 0
    for i in n {
        v := V { x: i, y: i % 7 }
        acc = acc.add(v)
        total = total + acc.dot(v) % 1000 + acc.x % 10
    }
    return [total, acc]
}

func aliased(n) {
    mut acc := V { x: 1, y: 2 }
    mut total := 0
    mut keep := acc
    for i in n {
        keep = acc
        acc = acc.add(V { x: i % 5, y: 1 })
        total = total + acc.x + acc.y - keep.y
    }
    return [total, acc, keep]
}

func stepping(n) {
    mut p := V { x: 3, y: 4 }
    mut total := 0
    for i in n {
        p = p.step(i % 3)
        total = total + p.x * 2 - p.y
    }
    return [total, p]
}

func turns_float(n) {
    mut acc := V { x: 0, y: 0 }
    mut total := 0.0
    for i in n {
        mut v := V { x: i % 9, y: 1 }
        if i > 3000 && i % 50 == 0 {
            v = V { x: 0.5, y: 0.25 }
        }
        acc = acc.add(v)
        total = total + acc.x * 2 + acc.y
    }
    return [total, acc]
}

func other_type(n) {
    mut acc := U { x: 0, y: 0 }
    mut total := 0
    for i in n {
        if i == 4000 {
            acc = W { z: 6, x: 5 }
        }
        v := U { x: i % 4, y: 2 }
        acc = acc.add(v)
        total = total + acc.x + acc.dot(v)
    }
    return [total, acc]
}

print(fold(5000))
print(aliased(5000))
print(stepping(5000))
print(turns_float(6000))
print(other_type(5000))
"#;

#[test]
fn fields_known_after_an_inlined_literal_return_agree_with_the_vm() {
    let expect = "[2498750, V { x: 12497500, y: 14995 }]\n\
                  [25005000, V { x: 10001, y: 5002 }, V { x: 9997, y: 5001 }]\n\
                  [37507498, V { x: 5002, y: -4995 }]\n\
                  [161256807, V { x: 23786.5, y: 5955.75 }]\n\
                  [27066500, W { x: -1495, z: 1006 }]\n";
    agrees_in_every_mode(PROGRAM, expect, |protos| {
        for name in ["fold", "aliased", "stepping", "turns_float", "other_type"] {
            assert!(inlined(protos, name) > 0, "{name} ran no method in line");
        }
        // Nothing left to the VM where the struct was always the literal's.
        for name in ["fold", "aliased", "stepping"] {
            assert!(!noted(protos, name), "{name} noted a call");
        }
        // A struct of another shape after the store left to the VM and was
        // noted; so many times that the loop's code was dropped.
        assert!(noted(protos, "other_type"), "other_type's call was not noted");
        let s = &proto(protos, "other_type").jit.stats;
        assert!(s.recompiles.get() > 0, "other_type's code was not dropped");
    });
}
