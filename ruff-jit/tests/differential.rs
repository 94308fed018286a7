//! Differential testing: random valid programs (int and float arithmetic near the
//! overflow bounds, division by zero, loops, recursion, calls between functions,
//! try/except around errors, arrays built with `push` and read by index (also out
//! of range and from the end) in compiled functions, dicts and strings, closures
//! capturing ints or floats, a closure assigning its captured variable, a closure
//! passed to a function that calls it in a loop, map/reduce with closures,
//! struct fields read in a method and in a loop, holding ints or floats,
//! structs made, changed and dropped in a loop with methods returning new ones
//! (a struct type declared again half-way), and arrays of bools, now and then
//! widened by an int)
//! must give byte-identical output and exit status under the VM alone and under
//! the JIT (eager, auto, and eager with deopt stress).
//!
//! `RUFF_DIFF_SEED` picks the seed (default fixed), `RUFF_DIFF_PROGRAMS` the count
//! (default 1000). A failing program is printed with its seed.

mod common;

use std::fmt::Write as _;

use ruff_core::api::Program;
use ruff_core::runtime::tier::JitMode;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
}

const INTS: [&str; 12] = [
    "0",
    "1",
    "2",
    "3",
    "7",
    "-1",
    "-5",
    "1000003",
    "4611686018427387904",
    "9223372036854775806",
    "-9223372036854775807",
    "3037000499",
];
const FLOATS: [&str; 6] = ["0.5", "1.5", "-2.25", "0.0", "123456789012345678901234.5", "3.0"];

struct Gen {
    rng: Rng,
    floats: bool,
}

impl Gen {
    fn atom(&mut self, vars: &[String]) -> String {
        match self.rng.below(10) {
            0..=4 if !vars.is_empty() => vars[self.rng.below(vars.len() as u64) as usize].clone(),
            5 | 6 if self.floats => self.rng.pick(&FLOATS).to_string(),
            _ => self.rng.pick(&INTS).to_string(),
        }
    }

    fn expr(&mut self, vars: &[String], depth: u32, calls: &[(String, usize)]) -> String {
        if depth == 0 || self.rng.below(3) == 0 {
            return self.atom(vars);
        }
        match self.rng.below(8) {
            0 if !calls.is_empty() => {
                let (name, arity) = &calls[self.rng.below(calls.len() as u64) as usize];
                let args: Vec<String> = (0..*arity).map(|_| self.expr(vars, depth - 1, &[])).collect();
                format!("{name}({})", args.join(", "))
            }
            1 => format!("-({})", self.expr(vars, depth - 1, calls)),
            _ => {
                let op = self.rng.pick(&["+", "-", "*", "/", "%", "+", "-", "*"]);
                format!("({} {op} {})", self.expr(vars, depth - 1, calls), self.expr(vars, depth - 1, calls))
            }
        }
    }

    fn cond(&mut self, vars: &[String], calls: &[(String, usize)]) -> String {
        let op = self.rng.pick(&["<", "<=", ">", ">=", "==", "!="]);
        format!("{} {op} {}", self.expr(vars, 2, calls), self.expr(vars, 1, calls))
    }

    fn block(&mut self, vars: &mut Vec<String>, depth: u32, calls: &[(String, usize)], out: &mut String, ind: &str) {
        let n = 1 + self.rng.below(4);
        for _ in 0..n {
            match self.rng.below(8) {
                0 | 1 if !vars.is_empty() => {
                    let v = vars[self.rng.below(vars.len() as u64) as usize].clone();
                    let e = self.expr(vars, 3, calls);
                    let _ = writeln!(out, "{ind}{v} = {e}");
                }
                2 if depth > 0 => {
                    let c = self.cond(vars, calls);
                    let _ = writeln!(out, "{ind}if {c} {{");
                    self.block(vars, depth - 1, calls, out, &format!("{ind}    "));
                    let _ = writeln!(out, "{ind}}} else {{");
                    self.block(vars, depth - 1, calls, out, &format!("{ind}    "));
                    let _ = writeln!(out, "{ind}}}");
                }
                3 if depth > 0 => {
                    let i = format!("i{}", vars.len());
                    let count = self.rng.below(40);
                    let _ = writeln!(out, "{ind}for {i} in {count} {{");
                    vars.push(i);
                    self.block(vars, depth - 1, calls, out, &format!("{ind}    "));
                    vars.pop();
                    let _ = writeln!(out, "{ind}}}");
                }
                5 if depth > 0 && !vars.is_empty() => {
                    // An array built by `push`, summed by index (framed code:
                    // `for j in len(a)`, `a[j]`) and indexed by an arbitrary int
                    // (negative, out of range).
                    let n = vars.len();
                    let (a, j) = (format!("a{n}"), format!("j{n}"));
                    let v = vars[self.rng.below(n as u64) as usize].clone();
                    let count = self.rng.below(30);
                    vars.push(j.clone());
                    let e = self.expr(vars, 2, calls);
                    vars.pop();
                    let idx = self.expr(vars, 1, calls);
                    let _ = writeln!(out, "{ind}mut {a} := []");
                    let _ = writeln!(out, "{ind}for {j} in {count} {{ {a} = push({a}, {e}) }}");
                    let _ = writeln!(out, "{ind}for {j} in len({a}) {{ {v} = {v} + {a}[{j}] }}");
                    let _ = writeln!(out, "{ind}if len({a}) > 0 {{ {v} = {v} - {a}[({idx}) % 40] }}");
                }
                7 if depth > 0 && !vars.is_empty() => {
                    // Bools built by `push` (a compact array), tested and
                    // replaced by index, and now and then an int stored
                    // among them (which widens the array).
                    let n = vars.len();
                    let (f, j) = (format!("b{n}"), format!("j{n}"));
                    let v = vars[self.rng.below(n as u64) as usize].clone();
                    let count = self.rng.below(30);
                    vars.push(j.clone());
                    let (made, next) = (self.cond(vars, calls), self.cond(vars, calls));
                    vars.pop();
                    let _ = writeln!(out, "{ind}mut {f} := []");
                    let _ = writeln!(out, "{ind}for {j} in {count} {{ {f} = push({f}, {made}) }}");
                    let _ = writeln!(out, "{ind}for {j} in len({f}) {{");
                    let _ = writeln!(out, "{ind}    if {f}[{j}] {{ {v} = {v} + 1 }}");
                    let _ = writeln!(out, "{ind}    {f}[{j}] = {next}");
                    let _ = writeln!(out, "{ind}}}");
                    if self.rng.below(3) == 0 {
                        let _ = writeln!(out, "{ind}if len({f}) > 1 {{ {f}[1] = {v} }}");
                        let _ = writeln!(out, "{ind}for {j} in len({f}) {{ if {f}[{j}] == true {{ {v} = {v} - 1 }} }}");
                    }
                }
                4 if depth > 0 && !vars.is_empty() => {
                    let c = self.cond(vars, calls);
                    let e = self.expr(vars, 2, calls);
                    let _ = writeln!(out, "{ind}if {c} {{ return {e} }}");
                }
                _ => {
                    let v = format!("v{}", vars.len());
                    let e = self.expr(vars, 2, calls);
                    let _ = writeln!(out, "{ind}mut {v} := {e}");
                    vars.push(v);
                }
            }
        }
    }

    fn program(&mut self) -> String {
        let mut src = String::new();
        let mut calls: Vec<(String, usize)> = Vec::new();
        let nfuncs = 1 + self.rng.below(3);
        for f in 0..nfuncs {
            let arity = 1 + self.rng.below(3) as usize;
            let name = format!("f{f}");
            let params: Vec<String> = (0..arity).map(|i| format!("p{i}")).collect();
            let _ = writeln!(src, "func {name}({}) {{", params.join(", "));
            let mut vars = params.clone();
            self.block(&mut vars, 2, &calls, &mut src, "    ");
            let e = self.expr(&vars, 2, &calls);
            let _ = writeln!(src, "    return {e}\n}}");
            calls.push((name, arity));
        }
        // A recursive function (bounded depth).
        let _ = writeln!(
            src,
            "func rec(n, acc) {{\n    if n <= 0 {{ return acc }}\n    return rec(n - 1, {})\n}}",
            self.expr(&["acc".to_string(), "n".to_string()], 2, &[])
        );
        calls.push(("rec".to_string(), 2));
        // Closures: one whose captured value is an argument of its maker (an
        // int or a float, so closures of one function differ in kind), one
        // that keeps a running value in its captured variable, and a function
        // calling the closure it is given in a loop.
        let (x, k, s, a, b) = (["x", "k"], ["s", "x"], "s", "a", "b");
        let vars = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        let _ = writeln!(src, "func adder(k) {{\n    return func(x) {{ return {} }}\n}}", self.expr(&vars(&x), 2, &[]));
        let _ = writeln!(
            src,
            "func keeper(c) {{\n    mut {s} := c\n    return func(x) {{\n        {s} = {}\n        return {s}\n    }}\n}}",
            self.expr(&vars(&k), 2, &[])
        );
        src.push_str("func apply(f, m) {\n    mut t := 0\n    for i in m { t = t + f(i) }\n    return t\n}\n");
        let _ = writeln!(src, "let kept := keeper({})", self.atom(&[]));
        // A struct with a method (its fields bound as locals), and a function
        // reading the fields of what it is given, a struct or now and then a
        // dict: the fields hold ints or floats as the values of `k` make them,
        // so reads speculated on one kind meet the other.
        let method = self.expr(&vars(&["a", "b", "k"]), 2, &[]);
        let _ = writeln!(src, "struct Pt {{\n    a: int,\n    b: float\n    func m(k) {{ return {method} }}\n}}");
        let body = self.expr(&vars(&["p.a", "p.b", "i"]), 2, &[]);
        let _ = writeln!(
            src,
            "func use_pt(p, n) {{\n    mut t := 0\n    for i in n {{ t = t + {body} }}\n    return t\n}}"
        );
        self.churn(&mut src);
        self.tally(&mut src);
        // VM-only values mixed in.
        src.push_str("mut log := []\nmut seen := {}\nmut text := \"\"\n");
        let reps = [1, 3, 1200][self.rng.below(3) as usize];
        let _ = writeln!(src, "mut total := 0\nfor k in {reps} {{");
        for (name, arity) in calls.clone() {
            let args: Vec<String> =
                (0..arity)
                    .map(|i| {
                        if i == 0 && name == "rec" {
                            "k % 50".to_string()
                        } else {
                            self.expr(&["k".to_string()], 2, &[])
                        }
                    })
                    .collect();
            let call = format!("{name}({})", args.join(", "));
            let _ = writeln!(
                src,
                "    try {{\n        let r := {call}\n        if k % 97 == 0 {{ log = push(log, r) }}\n        \
                 seen[to_string(k % 5)] = r\n        text = text + \"{}\"\n    }} except e {{\n        \
                 if k % 97 == 0 {{ print(\"error: \" + e.message) }}\n    }}",
                &name[..1]
            );
        }
        let made = self.expr(&["k".to_string()], 2, &[]);
        let arg = self.expr(&["k".to_string()], 1, &[]);
        let fold = self.expr(&vars(&[a, b]), 2, &[]);
        let _ = writeln!(
            src,
            "    try {{\n        let add := adder({made})\n        let r := apply(add, k % 25) + kept({arg}) + \
             reduce(map([k, 2, 3], add), 0, func({a}, {b}) {{ return {fold} }})\n        \
             if k % 97 == 0 {{ log = push(log, r) }}\n        seen[\"c\" + to_string(k % 3)] = r\n    \
             }} except e {{\n        if k % 97 == 0 {{ print(\"error: \" + e.message) }}\n    }}"
        );
        let (fa, fb) = (self.expr(&["k".to_string()], 1, &[]), self.expr(&["k".to_string()], 1, &[]));
        let _ = writeln!(
            src,
            "    try {{\n        let p := Pt {{ a: {fa}, b: {fb} }}\n        mut q := p\n        \
             if k % 7 == 3 {{ q = {{\"a\": {fb}, \"b\": 0.5}} }}\n        let r := use_pt(q, k % 20) + p.m(k)\n        \
             if k % 97 == 0 {{ log = push(log, r) }}\n        seen[\"p\" + to_string(k % 3)] = r\n    \
             }} except e {{\n        if k % 97 == 0 {{ print(\"error: \" + e.message) }}\n    }}"
        );
        // The struct loops, each called with a seed made of `k`.
        for (f, n, key) in [("churn", 30, "s"), ("tally", 40, "t")] {
            let seed = self.expr(&["k".to_string()], 1, &[]);
            let _ = writeln!(
                src,
                "    try {{\n        let r := {f}(k % {n}, {seed})\n        if k % 97 == 0 {{ log = push(log, r) }}\n        \
                 seen[\"{key}\" + to_string(k % 3)] = r\n    }} except e {{\n        \
                 if k % 97 == 0 {{ print(\"error: \" + e.message) }}\n    }}"
            );
        }
        src.push_str("}\n");
        if self.rng.below(2) == 0 {
            // The struct declared again: literals and method calls compiled
            // for the old type meet the new one.
            let (plus, dot) = (self.mild(&vars(&["self.y", "o.x"])), self.mild(&vars(&["self.x", "o.y"])));
            let _ = writeln!(
                src,
                "struct V2 {{\n    x: int,\n    y: int\n    func plus(self, o) {{ return V2 {{ x: {plus}, y: o.y }} }}\n    \
                 func dot(self, o) {{ return {dot} }}\n}}"
            );
            src.push_str("try { print(churn(25, 3)) } except e { print(\"error: \" + e.message) }\n");
        }
        src.push_str("print(log)\nprint(seen)\nprint(len(text))\n");
        src
    }

    /// An expression that rarely raises: small constants, `+ - *`, kept small
    /// by a remainder; one in eight is a full [`Gen::expr`] (errors included).
    fn mild(&mut self, vars: &[String]) -> String {
        if self.rng.below(8) == 0 {
            return self.expr(vars, 2, &[]);
        }
        let atom = |g: &mut Gen| match g.rng.below(6) {
            0..=2 => vars[g.rng.below(vars.len() as u64) as usize].clone(),
            3 if g.floats => g.rng.pick(&["0.5", "1.5"]).to_string(),
            _ => (1 + g.rng.below(9)).to_string(),
        };
        let (a, b, c) = (atom(self), atom(self), atom(self));
        let (p, q) = (self.rng.pick(&["+", "-", "*"]), self.rng.pick(&["+", "-", "*"]));
        format!("(({a} {p} {b}) {q} {c}) % 1009")
    }

    /// Structs made and dropped in a loop (kept objects reused by literals),
    /// methods returning new structs, fields assigned, a second type of the
    /// same shape, a field holding a string, structs kept in an array (shared,
    /// so not reused, the method's result too), a literal's local whose
    /// field is assigned between reads, and now and then a struct of the
    /// other type where a method is called (an error).
    fn churn(&mut self, src: &mut String) {
        let vars = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        let plus = [self.mild(&vars(&["self.x", "o.x"])), self.mild(&vars(&["self.y", "o.y"]))];
        let dot = self.mild(&vars(&["self.x", "self.y", "o.x", "o.y"]));
        let _ = writeln!(
            src,
            "struct V2 {{\n    x: int,\n    y: int\n    func plus(self, o) {{ return V2 {{ x: {}, y: {} }} }}\n    \
             func dot(self, o) {{ return {dot} }}\n}}\nstruct W2 {{ x: int, y: int }}\nstruct Tag {{ n: int, s: string }}",
            plus[0], plus[1]
        );
        let made = [self.mild(&vars(&["i", "seed"])), self.mild(&vars(&["i"]))];
        let set = self.mild(&vars(&["acc.x", "i"]));
        let reset = self.mild(&vars(&["u.y", "i"]));
        let other = self.mild(&vars(&["i", "seed"]));
        let switch = self.rng.below(40) + 3;
        let _ = writeln!(
            src,
            "func churn(n, seed) {{\n    mut acc := V2 {{ x: seed, y: 1 }}\n    mut t := 0\n    mut held := []\n    mut kept := []\n    \
             for i in n {{\n        let v := V2 {{ x: {}, y: {} }}\n        let w := W2 {{ x: i, y: {other} }}\n        \
             let g := Tag {{ n: i, s: \"t\" + to_string(i % 4) }}\n        mut u := V2 {{ x: i, y: seed }}\n        \
             acc = acc.plus(v)\n        t = t + u.dot(v) % 1000\n        \
             u.x := {reset}\n        t = t + u.dot(v) % 1000 + u.x\n        acc.x := {set}\n        acc.y += 1\n        if i % 7 == 3 {{ kept = push(kept, acc) }}\n        \
             t = t + acc.dot(v) % 1000 + u.dot(acc) % 1000 + w.x + len(g.s) + g.n\n        \
             if i % 5 == 2 {{ held = push(held, v) }}\n        if i % 6 == 1 {{ held = push(held, g) }}\n        \
             if i % {switch} == {} {{ acc = W2 {{ x: acc.y, y: acc.x }} }}\n    }}\n    \
             for k in kept {{ t = t + k.x - k.y }}\n    return t + acc.x + acc.y + len(held)\n}}",
            made[0],
            made[1],
            switch - 1
        );
    }
}

impl Gen {
    /// A local struct whose fields a loop reads and assigns (fields the JIT
    /// keeps in registers): ints, floats and now and then a string, null or
    /// a field added; the struct shared with another variable first, or a
    /// dict in its place; the loop left by `break`, an error or a `throw`.
    fn tally(&mut self, src: &mut String) {
        let vars = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        let p = self.mild(&vars(&["a.p", "i", "seed"]));
        let q = self.mild(&vars(&["a.p", "i"]));
        let f = self.mild(&vars(&["i", "a.p"]));
        let (k1, k2) = (self.rng.below(7) + 2, self.rng.below(13) + 3);
        let start = match self.rng.below(6) {
            0 => "let keep := a\n    ",
            1 => "if seed % 3 == 0 { a.q := \"s\" }\n    ",
            2 => "if seed % 4 == 1 { a = {\"p\": 1, \"q\": 2, \"f\": 0.5} }\n    ",
            _ => "",
        };
        let odd = self.rng.pick(&[
            "break",
            "continue",
            "a.q := \"t\" + to_string(i)",
            "throw(\"at \" + to_string(a.p))",
            "a.p := null",
            "a.extra := i",
            "a.f := i > 3",
        ]);
        let _ = writeln!(
            src,
            "struct Acc {{ p: int, q: int, f: float }}\nfunc tally(n, seed) {{\n    mut a := Acc {{ p: seed, q: 0, f: 0.5 }}\n    \
             {start}for i in n {{\n        a.p := {p}\n        a.q += {q}\n        \
             if i % {k1} == 1 {{ a.f := a.f * 0.5 + {f} }}\n        if i % {k2} == {} {{ {odd} }}\n    }}\n    \
             return [a.p, a.q, a.f, a]\n}}",
            k2 - 1
        );
    }
}

fn run(program: &Program, jit: JitMode, stress: u64) -> String {
    common::run_in_tier(program, jit, stress, 256 << 20)
}

#[test]
fn random_programs_agree_between_vm_and_jit() {
    let seed: u64 = std::env::var("RUFF_DIFF_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed_1234);
    let count: usize = std::env::var("RUFF_DIFF_PROGRAMS").ok().and_then(|s| s.parse().ok()).unwrap_or(1000);
    let handle = std::thread::Builder::new()
        .stack_size(512 << 20)
        .spawn(move || {
            let mut failures = Vec::new();
            let mut compiled = 0usize;
            // Method calls run in line in auto mode (`framed::emit::inline`).
            let mut inlined = 0usize;
            for i in 0..count {
                let s = seed.wrapping_add(i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
                let mut g = Gen { rng: Rng(s), floats: i % 3 == 0 };
                let src = g.program();
                let program = match Program::compile("diff.ruff", &src) {
                    Ok(p) => p,
                    Err(f) => panic!("generator made an invalid program (seed {s}):\n{src}\n{}", f.render()),
                };
                let reference = run(&program, JitMode::Off, 0);
                for (jit, stress) in [(JitMode::Eager, 0), (JitMode::Auto, 0), (JitMode::Eager, 4)] {
                    let got = run(&program, jit, stress);
                    if jit == JitMode::Auto {
                        let protos = &program.main().protos;
                        inlined += protos.iter().map(|p| p.jit.stats.inlined_calls.get() as usize).sum::<usize>();
                    }
                    if got != reference {
                        failures.push(format!(
                            "seed {s} under {jit:?} (stress {stress}):\n{src}\n--- vm\n{reference}\n--- jit\n{got}"
                        ));
                    }
                }
                compiled += program.main().protos.iter().filter(|p| p.jit.stats.compiles.get() > 0).count();
            }
            (failures, compiled, inlined)
        })
        .expect("thread");
    let (failures, compiled, inlined) = handle.join().expect("no panic");
    println!(
        "{count} random programs compared (seed {seed}); {compiled} functions compiled in the last mode; \
         {inlined} method calls inlined in auto mode"
    );
    assert!(compiled > 0, "the JIT compiled nothing: the test would prove nothing");
    assert!(count < 100 || inlined > 0, "no method call was inlined: the struct loops would not test it");
    assert!(failures.is_empty(), "{} mismatches; first:\n{}", failures.len(), failures[0]);
}
