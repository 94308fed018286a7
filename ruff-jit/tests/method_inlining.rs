//! Struct methods run in line by their callers' framed code
//! (`framed::emit::inline`).
//!
//! A `CALL_METHOD` whose receiver had one struct type in the VM runs that
//! type's leaf method in line, behind a check of the type. Each function
//! below checks one way through that against the VM, in every tier and with
//! deopt stress: methods returning ints, structs, the receiver itself or an
//! argument; a branch in the method; a guard failing inside the inlined code
//! (a field that turns float), which the VM finishes, noted so that the
//! recompiled caller calls the method instead; an overflow raised inside it,
//! caught by the caller or reported with the method's frame in the trace; a
//! receiver of another type once compiled (a site the VM saw with one); and sites that must not inline (a
//! method that calls, a site the VM saw with two types).

mod counted;

use counted::{agrees_in_every_mode, inlined, noted, proto};

const PROGRAM: &str = r#"
struct P {
    x: int,
    y: int

    func scale(self, k) {
        return self.x * k + self.y
    }

    func bigger(self, other) {
        if self.x > other.x {
            return self
        }
        return other
    }

    func moved(self, dx) {
        return P { x: self.x + dx, y: self.y }
    }

    func weigh(self, k) {
        return self.x * k + self.y
    }

    func twice(self) {
        return self.scale(2) + self.scale(3)
    }
}

struct Q {
    x: int

    func scale(self, k) {
        return self.x - k
    }
}

func walk(n) {
    mut total := 0
    mut best := P { x: 0, y: 0 }
    mut p := P { x: 1, y: 2 }
    for i in n {
        q := P { x: i % 13, y: i }
        total = total + q.scale(3)
        best = best.bigger(q)
        p = p.moved(1)
    }
    return [total, best, p]
}

func caught(n) {
    mut total := 0
    mut errors := 0
    for i in n {
        q := P { x: i, y: i % 7 }
        try {
            total = total + q.scale(4611686018427387904 * (i / 4000))
        } except e {
            errors = errors + 1
            if errors < 3 { print(e) }
        }
    }
    return [total, errors]
}

func other_type(n) {
    mut total := 0
    mut s := P { x: 1, y: 1 }
    mut kept := P { x: 2, y: 3 }
    for i in n {
        if i == 4000 {
            s = Q { x: 7 }
            kept = s
        }
        let k := i % 3
        total = total + s.scale(k)
    }
    return [total, s, kept]
}

func two_types(n) {
    mut total := 0
    for i in n {
        mut s := P { x: i, y: 1 }
        if i % 2 == 1 {
            s = Q { x: i }
        }
        total = total + s.scale(2)
    }
    return total
}

func calling(n) {
    mut total := 0
    for i in n {
        total = total + P { x: i, y: 2 }.twice()
    }
    return total
}

func turns_float(n) {
    mut total := 0.0
    for i in n {
        mut q := P { x: i, y: 1 }
        if i > 3000 && i % 40 == 0 {
            q = P { x: 0.5, y: 2.5 }
        }
        total = total + q.weigh(2)
    }
    return total
}

func overflows(n) {
    mut t := 0
    for i in n {
        q := P { x: 10, y: 1 }
        t = t + q.scale(i - 4000)
        if i == 4000 {
            t = t + q.scale(4611686018427387904)
        }
    }
    return t
}

print(walk(5000))
print(caught(4500))
print(other_type(5000))
print(two_types(5000))
print(calling(5000))
print(turns_float(12000))
print(turns_float(6000))
print(overflows(5000))
"#;

#[test]
fn inlined_methods_agree_with_the_vm_through_guards_errors_and_other_types() {
    let expect = "[12587440, P { x: 12, y: 4991 }, P { x: 5001, y: 2 }]\n\
                  Error { line: 0, message: Integer overflow: 4000 * 4611686018427387904, stack: [caught, P.scale] }\n\
                  Error { line: 0, message: Integer overflow: 4001 * 4611686018427387904, stack: [caught, P.scale] }\n\
                  [11994, 500]\n\
                  [13999, Q { x: 7 }, Q { x: 7 }]\n\
                  18742500\n\
                  62507500\n\
                  140640560\n\
                  35334185\n";
    let vm = agrees_in_every_mode(PROGRAM, expect, |protos| {
        for name in ["walk", "caught", "other_type", "turns_float", "overflows"] {
            assert!(inlined(protos, name) > 0, "{name} ran no method in line");
        }
        assert_eq!(inlined(protos, "walk"), 3, "walk's three methods");
        // Seen with two types in the VM, or a method that calls: called.
        for name in ["two_types", "calling"] {
            assert_eq!(inlined(protos, name), 0, "{name} ran a method in line");
        }
        // A field turned float inside the inlined method: the VM finished
        // those calls and noted it, and the code compiled for the second
        // call (the first call's loop ran on in the first code) calls the
        // method instead.
        assert!(noted(protos, "turns_float"), "turns_float's failed guards were not noted");
        let s = &proto(protos, "turns_float").jit.stats;
        assert!(s.recompiles.get() > 0 && s.compiles.get() > 1, "turns_float was not compiled again");
        assert_eq!(inlined(protos, "turns_float"), 1, "turns_float's recompile ran the method in line");
        // Overflows raised inside inlined code are errors, not failed guards.
        assert!(!noted(protos, "caught"), "an error was noted as a failed guard");
        // The inlined instructions count as the method's native ones.
        let scale = &proto(protos, "P.scale").jit.stats;
        assert!(scale.native_insns.get() > 10_000, "P.scale ran {} natively", scale.native_insns.get());
    });
    assert!(vm.contains("Integer overflow: 10 * 4611686018427387904"), "no overflow: {vm}");
    assert!(vm.contains("0 at P.scale") && vm.contains("1 at overflows"), "trace without the method: {vm}");
}
