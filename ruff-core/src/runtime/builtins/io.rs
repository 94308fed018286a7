//! I/O and process builtins: printing, arguments, exit, timers.

use super::{Arity, Builtin};
use crate::runtime::error::{fail, RuntimeError};
use crate::runtime::format::write_display;
use crate::runtime::value::Value;
use crate::runtime::vm::Vm;

/// The io library.
pub static TABLE: &[Builtin] = &[
    Builtin::new("print", Arity::Any, print),
    Builtin::new("println", Arity::Any, print),
    Builtin::new("eprint", Arity::Any, eprint),
    Builtin::new("args", Arity::Exact(0), args),
    Builtin::new("exit", Arity::Range(0, 1), exit),
    Builtin::new("performance_now", Arity::Exact(0), performance_now),
];

fn line(args: &[Value]) -> String {
    let mut s = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        write_display(&mut s, a, 0);
    }
    s.push('\n');
    s
}

fn print(vm: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let text = line(args);
    vm.write_out(&text)?;
    Ok(Value::Null)
}

fn eprint(vm: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let text = line(args);
    vm.write_err(&text);
    Ok(Value::Null)
}

fn args(vm: &mut Vm, _: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::array(vm.program_args().iter().map(|a| Value::str(a.clone())).collect()))
}

fn exit(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    match args.first() {
        None => Err(RuntimeError::exit(0)),
        Some(Value::Int(c)) => Err(RuntimeError::exit(*c as i32)),
        Some(Value::Float(c)) => Err(RuntimeError::exit(*c as i32)),
        Some(_) => fail("exit() requires an integer exit code"),
    }
}

fn performance_now(vm: &mut Vm, _: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::Float(vm.clock().elapsed().as_secs_f64() * 1000.0))
}
