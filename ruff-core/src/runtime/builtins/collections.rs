//! Sets, queues and stacks (§8.9): immutable, insertion-ordered values built and
//! changed only through these builtins, which return new values (an unshared
//! argument is reused). Set membership uses `==` (`runtime::compare::equal`), so
//! `1` and `1.0` are one element. All three print as `<unknown>` (`format`).

use std::collections::VecDeque;
use std::rc::Rc;

use super::{Arity, Builtin};
use crate::runtime::compare::equal;
use crate::runtime::error::{fail, RuntimeError};
use crate::runtime::value::Value;
use crate::runtime::values::Values;
use crate::runtime::vm::Vm;

/// The collections library.
pub static TABLE: &[Builtin] = &[
    Builtin::new("Set", Arity::Range(0, 1), set_new),
    Builtin::new("set_add", Arity::Exact(2), set_add),
    Builtin::new("set_remove", Arity::Exact(2), set_remove),
    Builtin::new("set_has", Arity::Exact(2), set_has),
    Builtin::new("set_union", Arity::Exact(2), set_union),
    Builtin::new("set_intersect", Arity::Exact(2), set_intersect),
    Builtin::new("set_difference", Arity::Exact(2), set_difference),
    Builtin::new("set_to_array", Arity::Exact(1), set_to_array),
    Builtin::new("Queue", Arity::Range(0, 1), queue_new),
    Builtin::new("queue_enqueue", Arity::Exact(2), queue_enqueue),
    Builtin::new("queue_dequeue", Arity::Exact(1), queue_dequeue),
    Builtin::new("queue_peek", Arity::Exact(1), queue_peek),
    Builtin::new("queue_is_empty", Arity::Exact(1), queue_is_empty),
    Builtin::new("queue_size", Arity::Exact(1), queue_size),
    Builtin::new("queue_to_array", Arity::Exact(1), queue_to_array),
    Builtin::new("Stack", Arity::Range(0, 1), stack_new),
    Builtin::new("stack_push", Arity::Exact(2), stack_push),
    Builtin::new("stack_pop", Arity::Exact(1), stack_pop),
    Builtin::new("stack_peek", Arity::Exact(1), stack_peek),
    Builtin::new("stack_is_empty", Arity::Exact(1), stack_is_empty),
    Builtin::new("stack_size", Arity::Exact(1), stack_size),
    Builtin::new("stack_to_array", Arity::Exact(1), stack_to_array),
];

/// The optional array argument of a constructor (empty when absent).
fn initial<'a>(args: &'a [Value], msg: &str) -> Result<&'a [Value], RuntimeError> {
    match args.first() {
        None => Ok(&[]),
        Some(Value::Array(a)) => Ok(a.as_slice()),
        Some(_) => fail(msg),
    }
}

fn dedup(items: &[Value]) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::with_capacity(items.len());
    for v in items {
        if !out.iter().any(|o| equal(o, v)) {
            out.push(v.clone());
        }
    }
    out
}

fn set_arg<'a>(args: &'a [Value], i: usize, name: &str) -> Result<&'a Rc<Values>, RuntimeError> {
    match &args[i] {
        Value::Set(s) => Ok(s),
        _ => fail(format!("{name}() requires a set argument")),
    }
}

/// Takes set argument `i` (validated) for modification.
fn take_set(args: &mut [Value], i: usize) -> Rc<Values> {
    match std::mem::take(&mut args[i]) {
        Value::Set(s) => s,
        _ => unreachable!("take_set on a validated set argument"),
    }
}

fn set_new(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::Set(Rc::new(dedup(initial(args, "Set constructor requires an array argument")?).into())))
}

fn set_add(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    if set_arg(args, 0, "set_add")?.iter().any(|x| equal(x, &args[1])) {
        return Ok(std::mem::take(&mut args[0]));
    }
    let item = std::mem::take(&mut args[1]);
    let mut s = take_set(args, 0);
    Rc::make_mut(&mut s).push(item);
    Ok(Value::Set(s))
}

fn set_remove(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let Some(i) = set_arg(args, 0, "set_remove")?.iter().position(|x| equal(x, &args[1])) else {
        return Ok(std::mem::take(&mut args[0]));
    };
    let mut s = take_set(args, 0);
    Rc::make_mut(&mut s).remove(i);
    Ok(Value::Set(s))
}

fn set_has(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::Bool(set_arg(args, 0, "set_has")?.iter().any(|x| equal(x, &args[1]))))
}

fn set_union(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let a = set_arg(args, 0, "set_union")?;
    let b = set_arg(args, 1, "set_union")?;
    let mut out = a.to_vec();
    for v in b.iter() {
        if !a.iter().any(|x| equal(x, v)) {
            out.push(v.clone());
        }
    }
    Ok(Value::Set(Rc::new(out.into())))
}

fn set_intersect(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let a = set_arg(args, 0, "set_intersect")?;
    let b = set_arg(args, 1, "set_intersect")?;
    Ok(Value::Set(Rc::new(a.iter().filter(|v| b.iter().any(|x| equal(x, v))).cloned().collect())))
}

fn set_difference(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let a = set_arg(args, 0, "set_difference")?;
    let b = set_arg(args, 1, "set_difference")?;
    Ok(Value::Set(Rc::new(a.iter().filter(|v| !b.iter().any(|x| equal(x, v))).cloned().collect())))
}

fn set_to_array(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::Array(set_arg(args, 0, "set_to_array")?.clone()))
}

fn queue_arg<'a>(args: &'a [Value], name: &str) -> Result<&'a Rc<VecDeque<Value>>, RuntimeError> {
    match &args[0] {
        Value::Queue(q) => Ok(q),
        _ => fail(format!("{name}() requires a queue argument")),
    }
}

fn take_queue(args: &mut [Value]) -> Rc<VecDeque<Value>> {
    match std::mem::take(&mut args[0]) {
        Value::Queue(q) => q,
        _ => unreachable!("take_queue on a validated queue argument"),
    }
}

fn queue_new(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let items = initial(args, "Queue constructor requires an array argument")?;
    Ok(Value::Queue(Rc::new(items.iter().cloned().collect())))
}

fn queue_enqueue(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    queue_arg(args, "queue_enqueue")?;
    let item = std::mem::take(&mut args[1]);
    let mut q = take_queue(args);
    Rc::make_mut(&mut q).push_back(item);
    Ok(Value::Queue(q))
}

/// `[queue, front]`, front `null` when empty.
fn queue_dequeue(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    queue_arg(args, "queue_dequeue")?;
    let mut q = take_queue(args);
    let front = if q.is_empty() { Value::Null } else { Rc::make_mut(&mut q).pop_front().unwrap_or_default() };
    Ok(Value::array(vec![Value::Queue(q), front]))
}

fn queue_peek(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(queue_arg(args, "queue_peek")?.front().cloned().unwrap_or_default())
}

fn queue_is_empty(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::Bool(queue_arg(args, "queue_is_empty")?.is_empty()))
}

fn queue_size(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::Int(queue_arg(args, "queue_size")?.len() as i64))
}

fn queue_to_array(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::array(queue_arg(args, "queue_to_array")?.iter().cloned().collect()))
}

fn stack_arg<'a>(args: &'a [Value], name: &str) -> Result<&'a Rc<Values>, RuntimeError> {
    match &args[0] {
        Value::Stack(s) => Ok(s),
        _ => fail(format!("{name}() requires a stack argument")),
    }
}

fn take_stack(args: &mut [Value]) -> Rc<Values> {
    match std::mem::take(&mut args[0]) {
        Value::Stack(s) => s,
        _ => unreachable!("take_stack on a validated stack argument"),
    }
}

fn stack_new(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::Stack(Rc::new(initial(args, "Stack constructor requires an array argument")?.to_vec().into())))
}

fn stack_push(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    stack_arg(args, "stack_push")?;
    let item = std::mem::take(&mut args[1]);
    let mut s = take_stack(args);
    Rc::make_mut(&mut s).push(item);
    Ok(Value::Stack(s))
}

/// `[stack, top]`, top `null` when empty.
fn stack_pop(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    stack_arg(args, "stack_pop")?;
    let mut s = take_stack(args);
    let top = if s.is_empty() { Value::Null } else { Rc::make_mut(&mut s).pop().unwrap_or_default() };
    Ok(Value::array(vec![Value::Stack(s), top]))
}

fn stack_peek(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(stack_arg(args, "stack_peek")?.last().cloned().unwrap_or_default())
}

fn stack_is_empty(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::Bool(stack_arg(args, "stack_is_empty")?.is_empty()))
}

fn stack_size(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::Int(stack_arg(args, "stack_size")?.len() as i64))
}

fn stack_to_array(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::Array(stack_arg(args, "stack_to_array")?.clone()))
}
