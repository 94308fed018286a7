//! The boxed entries the VM calls compiled functions through: `trampoline`'s
//! Rust entry for units whose arguments fit its registers, a Cranelift wrapper
//! for the rest. Each must hand every argument to the direct entry in the
//! register that entry reads, whatever the order of ints, floats, bools and
//! nulls, and box every kind of result. These tests compile functions of many
//! shapes and call their entries the way the VM does.

use std::rc::Rc;

use ruff_core::api::Program;
use ruff_core::bytecode::Proto;
use ruff_core::runtime::tier::{status, JitCtx, NativeCode, Tier};
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

/// Calls `code` as the VM does; returns the status and the result.
fn call(code: NativeCode, args: &[Value]) -> (u32, Value) {
    let globals: Vec<Value> = Vec::new();
    let mut ctx = JitCtx { globals: globals.as_ptr(), depth_limit: 1000, ..JitCtx::default() };
    let mut out = Value::Null;
    // SAFETY: `code` was compiled for a function of `args.len()` parameters; the
    // context has no globals, which the test functions do not use.
    let st = unsafe { (code.entry)(&mut ctx, args.as_ptr(), &mut out, code.data) };
    (st, out)
}

/// Compiles `f` of `shape` returning `ret`, calls it with the expected
/// arguments, then with one argument of another kind; returns whether the
/// entry is the shared trampoline (no per-unit code).
fn check(shape: &str, ret: char) -> bool {
    let text = source(shape, ret);
    let program = Program::compile("entries.ruff", &text).unwrap_or_else(|e| panic!("{}\n{text}", e.render()));
    let f = find(program.main(), "f").expect("f");
    let args: Vec<Value> = shape.bytes().enumerate().map(|(i, k)| arg(k, i)).collect();
    let mut jit = Jit::new(JitOptions { verify: true, ..JitOptions::default() });
    let code = jit.compile_call(&f, &args, &[]).unwrap_or_else(|r| panic!("{shape}->{ret}: {}", r.reason));
    assert!(!code.framed, "{shape}->{ret} compiled framed:\n{text}");
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
                    assert_eq!(through, ints <= 4 && floats <= 4, "{shape}: trampoline {through}");
                    if through {
                        trampolined += 1;
                    } else {
                        wrapped += 1;
                    }
                }
            }
        }
    }
    assert!(trampolined > 0 && wrapped > 0);
}

#[test]
fn bools_and_nulls_are_passed_and_returned() {
    for shape in ["b", "n", "bn", "ibfn", "nfbi", "bbbb", "fnfnb", "iiiib", "ffffbn"] {
        for ret in ['i', 'f', 'b', 'n'] {
            check(shape, ret);
        }
    }
}
