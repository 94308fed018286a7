//! The boxed entries the VM calls compiled functions through: `trampoline`'s
//! Rust entry for units whose arguments fit its registers, a Cranelift wrapper
//! for the rest. Each must hand every argument to the direct entry in the
//! register that entry reads, whatever the order of ints, floats, bools and
//! nulls, and box every kind of result. These tests compile functions of many
//! shapes and call their entries the way the VM does.

use std::cell::RefCell;
use std::rc::Rc;

use ruff_core::api::Program;
use ruff_core::bytecode::{Op, Proto};
use ruff_core::runtime::object::Closure;
use ruff_core::runtime::tier::{bail, status, JitCtx, NativeCode, Tier};
use ruff_core::runtime::value::Value;
use ruff_jit::{Jit, JitOptions};

/// A parameter's kind, as a letter of a shape: `i`nt, `f`loat, `b`ool, `n`ull.
fn arg(kind: u8, i: usize) -> Value {
    match kind {
        b'i' => Value::Int(3 + 7 * i as i64 - 1_000_000_000_000 * (i as i64 % 2)),
        b'f' => Value::Float(0.5 + i as f64 * 1.25),
        b'b' => Value::Bool(i.is_multiple_of(2)),
        _ => Value::Null,
    }
}

/// Ruff source for the literal of `arg(kind, i)`.
fn literal(kind: u8, i: usize) -> String {
    match arg(kind, i) {
        Value::Int(v) => v.to_string(),
        Value::Float(v) => format!("{v:?}"),
        Value::Bool(v) => v.to_string(),
        _ => "null".to_string(),
    }
}

/// A function `f` over parameters of `shape` that checks each one against the
/// value the test passes, and returns (for `ret`): 42 or -1, 4.25 or -1.5,
/// the check itself, or null.
fn source(shape: &str, ret: char) -> String {
    let params: Vec<String> = (0..shape.len()).map(|i| format!("p{i}")).collect();
    let mut body = String::from("    mut ok := true\n");
    for (i, k) in shape.bytes().enumerate() {
        body += &format!("    if p{i} != {} {{ ok = false }}\n", literal(k, i));
    }
    body += match ret {
        'i' => "    if ok { return 42 }\n    return -1\n",
        'f' => "    if ok { return 4.25 }\n    return -1.5\n",
        'b' => "    return ok\n",
        _ => "    return null\n",
    };
    format!("func f({}) {{\n{body}}}\nprint(f)\n", params.join(", "))
}

fn find(p: &Rc<Proto>, name: &str) -> Option<Rc<Proto>> {
    if &*p.name == name {
        return Some(p.clone());
    }
    p.protos.iter().find_map(|c| find(c, name))
}

/// Whether this target has the trampoline (else every unit has a wrapper).
const TRAMPOLINE: bool = cfg!(all(target_arch = "x86_64", not(windows)));

/// Calls `code` as the VM does, allowing `depth_limit` native calls; returns
/// the status, the result and the bail-out reason.
fn call_limited(code: NativeCode, args: &[Value], globals: &[Value], depth_limit: u64) -> (u32, Value, u64) {
    let mut ctx = JitCtx { globals: globals.as_ptr(), depth_limit, ..JitCtx::default() };
    let mut out = Value::Null;
    // SAFETY: `code` was compiled for a function of `args.len()` parameters,
    // with these globals.
    let st = unsafe { (code.entry)(&mut ctx, args.as_ptr(), &mut out, code.data) };
    (st, out, ctx.bail)
}

fn call(code: NativeCode, args: &[Value]) -> (u32, Value) {
    let (st, out, _) = call_limited(code, args, &[], 1000);
    (st, out)
}

/// Compiles function `name` of `text` for `args`; the globals that its loads
/// of globals name hold the function itself (for recursion), as the VM's
/// would.
fn compile(text: &str, name: &str, args: &[Value]) -> (NativeCode, Vec<Value>) {
    let program = Program::compile("entries.ruff", text).unwrap_or_else(|e| panic!("{}\n{text}", e.render()));
    let f = find(program.main(), name).expect("function");
    let mut globals = Vec::new();
    for op in &f.code {
        if let Op::LoadGlobal(g) = *op {
            globals.resize(globals.len().max(g as usize + 1), Value::Null);
            let closure = Closure { proto: f.clone(), captures: RefCell::new(Vec::new()) };
            globals[g as usize] = Value::Func(Rc::new(closure));
        }
    }
    let mut jit = Jit::new(JitOptions { verify: true, ..JitOptions::default() });
    let code = jit.compile_call(&f, args, &[], &globals).unwrap_or_else(|r| panic!("{}", r.reason));
    assert!(!code.framed, "compiled framed:\n{text}");
    // The tier owns the code and its trampoline tables: keep it.
    std::mem::forget(jit);
    (code, globals)
}

/// Compiles `f` of `shape` returning `ret`, calls it with the expected
/// arguments, then with one argument of another kind; returns whether the
/// entry is the shared trampoline (no per-unit code).
fn check(shape: &str, ret: char) -> bool {
    let text = source(shape, ret);
    let args: Vec<Value> = shape.bytes().enumerate().map(|(i, k)| arg(k, i)).collect();
    let (code, _) = compile(&text, "f", &args);
    let (st, out) = call(code, &args);
    assert_eq!(st, status::DONE, "{shape}->{ret}");
    let want = match ret {
        'i' => Value::Int(42),
        'f' => Value::Float(4.25),
        'b' => Value::Bool(true),
        _ => Value::Null,
    };
    assert!(format!("{out:?}") == format!("{want:?}"), "{shape}->{ret}: got {out:?}, want {want:?}\n{text}");
    if let Some(k) = shape.bytes().next() {
        let mut other = args.clone();
        other[0] = arg(if k == b'i' { b'f' } else { b'i' }, 0);
        let (st, _) = call(code, &other);
        assert_eq!(st, status::MISMATCH, "{shape}->{ret} with another kind");
    }
    !code.data.is_null()
}

#[test]
fn every_mix_of_int_and_float_arguments_reaches_its_register() {
    let mut trampolined = 0;
    let mut wrapped = 0;
    for ints in 0..=5usize {
        for floats in 0..=5usize {
            // Interleaved (i f i f ...), and all floats first.
            let mut mixed = String::new();
            for i in 0..ints.max(floats) {
                if i < ints {
                    mixed.push('i');
                }
                if i < floats {
                    mixed.push('f');
                }
            }
            let floats_first = "f".repeat(floats) + &"i".repeat(ints);
            for shape in [mixed, floats_first] {
                for ret in ['i', 'f'] {
                    let through = check(&shape, ret);
                    assert_eq!(through, TRAMPOLINE && ints <= 4 && floats <= 4, "{shape}: trampoline {through}");
                    if through {
                        trampolined += 1;
                    } else {
                        wrapped += 1;
                    }
                }
            }
        }
    }
    assert!(wrapped > 0 && (trampolined > 0) == TRAMPOLINE);
}

#[test]
fn bools_and_nulls_are_passed_and_returned() {
    for shape in ["b", "n", "bn", "ibfn", "nfbi", "bbbb", "fnfnb", "iiiib", "ffffbn"] {
        for ret in ['i', 'f', 'b', 'n'] {
            check(shape, ret);
        }
    }
}

/// The recursion limit through either kind of entry: with `limit` native calls
/// allowed, `down(n)` (n + 1 calls, most of them inlined copies) never runs
/// past it, bailing out for the VM to raise the error. Its unit holds three
/// levels of copies (two inlined bodies, then the quick return
/// `if n < 1 { return ... }`), so the unit is entered every third call down
/// where the quick return does not end the recursion, and an entry whose
/// limit leaves no room for all three levels bails out too, for the VM to
/// make those last calls itself.
#[test]
fn the_call_budget_stops_recursion_at_the_limit() {
    const COPY_LEVELS: i64 = 3;
    let five = "func down(n, a, b, c, d) {\n    if n < 1 { return a + b + c + d }\n    return 1 + down(n - 1, a, b, c, d)\n}\n";
    let one = "func down(n) {\n    if n < 1 { return 0 }\n    return 1 + down(n - 1)\n}\n";
    for (text, extra) in [(one, 0), (five, 4)] {
        let shape = |n: i64| -> Vec<Value> {
            std::iter::once(n).chain(std::iter::repeat_n(0, extra)).map(Value::Int).collect()
        };
        let (code, globals) = compile(text, "down", &shape(3));
        assert_eq!(code.data.is_null(), !TRAMPOLINE || extra > 0, "{text}");
        for n in 0..7 {
            for limit in 0..13 {
                let (st, out, why) = call_limited(code, &shape(n), &globals, limit);
                let mut entered = (0..=n).step_by(COPY_LEVELS as usize).filter(|&d| d == 0 || n - d >= 1);
                let native = entered.all(|d| limit as i64 - d > COPY_LEVELS);
                assert!(!native || n < limit as i64, "n={n} limit={limit}");
                if native {
                    assert_eq!(
                        (st, format!("{out:?}")),
                        (status::DONE, format!("{:?}", Value::Int(n))),
                        "n={n} limit={limit}"
                    );
                } else {
                    assert_eq!((st, why), (status::BAILED, bail::DEPTH), "n={n} limit={limit}");
                }
            }
        }
    }
}
