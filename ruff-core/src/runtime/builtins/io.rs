//! I/O and process builtins (§8.1): printing, reading a line from stdin, program
//! arguments and exit. Files are in `fs`; timers in `time`.

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
    Builtin::new("input", Arity::Range(0, 1), input),
    Builtin::new("args", Arity::Exact(0), args),
    Builtin::new("exit", Arity::Range(0, 1), exit),
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

/// Writes the prompt, flushes stdout so it shows before the program blocks, then
/// reads one line without its ending (`""` at end of input).
fn input(vm: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    if let Some(prompt) = args.first() {
        let mut text = String::new();
        write_display(&mut text, prompt, 0);
        vm.write_out(&text)?;
    }
    vm.flush();
    let mut line = String::new();
    if std::io::stdin().read_line(&mut line).is_err() {
        return Ok(Value::str(""));
    }
    if line.ends_with('\n') {
        line.pop();
        if line.ends_with('\r') {
            line.pop();
        }
    }
    Ok(Value::str(line))
}
