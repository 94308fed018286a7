//! Array builtins (§8.3): length, adding and removing elements, slicing,
//! sorting, de-duplication, sums and reshaping (chunk, flatten, zip, windows),
//! and `range`. Every builtin returns a new array; when the VM hands over an
//! unshared array (`arr := push(arr, x)`) it is reused instead of copied.
//! Callback-taking builtins (map, filter, ...) are in `functional`.

use std::cmp::Ordering;
use std::rc::Rc;

use rustc_hash::FxHashSet;

use super::arg::{arg_array, arg_int, byte_at, char_len, integer, take_array};
use super::string::key_of;
use super::{Arity, Builtin};
use crate::runtime::compare::equal;
use crate::runtime::error::{fail, RuntimeError};
use crate::runtime::value::Value;
use crate::runtime::vm::Vm;

/// Largest array `range` will build (a guard against exhausting memory).
const MAX_RANGE: i64 = 1 << 25;

/// The array library.
pub static TABLE: &[Builtin] = &[
    Builtin::new("len", Arity::Exact(1), len).measuring(),
    Builtin::new("push", Arity::Exact(2), push).appending(),
    Builtin::new("append", Arity::Exact(2), push).appending(),
    Builtin::new("pop", Arity::Exact(1), pop),
    Builtin::new("insert", Arity::Exact(3), insert),
    Builtin::new("remove_at", Arity::Exact(2), remove_at),
    Builtin::new("remove", Arity::Exact(2), remove),
    Builtin::new("clear", Arity::Exact(1), clear),
    Builtin::new("concat", Arity::Exact(2), concat),
    Builtin::new("slice", Arity::Exact(3), slice),
    Builtin::new("sort", Arity::Exact(1), sort),
    Builtin::new("reverse", Arity::Exact(1), reverse),
    Builtin::new("unique", Arity::Exact(1), unique),
    Builtin::new("sum", Arity::Exact(1), sum),
    Builtin::new("chunk", Arity::Exact(2), chunk),
    Builtin::new("flatten", Arity::Exact(1), flatten),
    Builtin::new("zip", Arity::Exact(2), zip),
    Builtin::new("enumerate", Arity::Exact(1), enumerate),
    Builtin::new("take", Arity::Exact(2), take),
    Builtin::new("skip", Arity::Exact(2), skip),
    Builtin::new("windows", Arity::Exact(2), windows),
    Builtin::new("range", Arity::Any, range),
];

fn len(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let n = match &args[0] {
        Value::Str(s) => char_len(s),
        Value::Array(a) | Value::Set(a) | Value::Stack(a) => a.len(),
        Value::Dict(d) => d.len(),
        Value::Queue(q) => q.len(),
        _ => return fail("len() requires an array, dict, bytes, set, queue, stack, or string"),
    };
    Ok(Value::Int(n as i64))
}

fn push(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    if !matches!(args[0], Value::Array(_)) {
        return fail("push() requires an array as the first argument");
    }
    let item = std::mem::take(&mut args[1]);
    let Value::Array(mut arr) = std::mem::take(&mut args[0]) else { unreachable!("checked above") };
    Rc::make_mut(&mut arr).push(item);
    Ok(Value::Array(arr))
}

/// `[rest, last]`; `pop([])` is `[[], 0]` (kept from upstream).
fn pop(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    arg_array(args, 0, "pop() requires an array argument")?;
    let mut a = take_array(args, 0);
    let last = a.pop().unwrap_or(Value::Int(0));
    Ok(Value::array(vec![Value::array(a), last]))
}

fn insert(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let n = arg_array(args, 0, "insert() requires an array as the first argument")?.len();
    let i = arg_int(args, 1, "insert() index must be an integer")?;
    if i < 0 || i as usize > n {
        return fail(format!("insert() index {i} out of bounds for array of length {n}"));
    }
    let item = std::mem::take(&mut args[2]);
    let mut a = take_array(args, 0);
    a.insert(i as usize, item);
    Ok(Value::array(a))
}

/// `[rest, removed]`.
fn remove_at(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let n = arg_array(args, 0, "remove_at() requires an array as the first argument")?.len();
    let i = arg_int(args, 1, "remove_at() index must be an integer")?;
    if i < 0 || i as usize >= n {
        return fail(format!("remove_at() index {i} out of bounds for array of length {n}"));
    }
    let mut a = take_array(args, 0);
    let removed = a.remove(i as usize);
    Ok(Value::array(vec![Value::array(a), removed]))
}

/// Arrays: without the first element equal to `v`. Dicts: `[dict, removed]`
/// with `0` for a missing key.
fn remove(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    match &args[0] {
        Value::Array(a) => {
            let Some(i) = a.iter().position(|x| equal(x, &args[1])) else { return Ok(std::mem::take(&mut args[0])) };
            let mut a = take_array(args, 0);
            a.remove(i);
            Ok(Value::array(a))
        }
        Value::Dict(_) => {
            let key = key_of(&args[1]);
            let Value::Dict(mut d) = std::mem::take(&mut args[0]) else { unreachable!("matched above") };
            let removed = match key {
                Some(k) if d.contains(&k) => Rc::make_mut(&mut d).remove(&k).unwrap_or_default(),
                _ => Value::Int(0),
            };
            Ok(Value::array(vec![Value::Dict(d), removed]))
        }
        _ => fail("remove() requires an array or dict as the first argument"),
    }
}

fn clear(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    match &args[0] {
        Value::Array(_) => Ok(Value::array(Vec::new())),
        Value::Dict(_) => Ok(Value::Dict(Default::default())),
        _ => fail("clear() requires an array argument"),
    }
}

fn concat(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let (Value::Array(_), Value::Array(b)) = (&args[0], &args[1]) else {
        return fail("concat() requires two array arguments");
    };
    let b = b.clone();
    let mut a = take_array(args, 0);
    a.extend(b.iter().cloned());
    Ok(Value::array(a))
}

/// Clamps `[start, end)` to `0..n`, negative positions counting from the end.
fn clamp_range(start: i64, end: i64, n: usize) -> (usize, usize) {
    let n = n as i64;
    let fix = |i: i64| if i < 0 { (n + i).max(0) } else { i.min(n) };
    let (s, e) = (fix(start), fix(end));
    (s as usize, e.max(s) as usize)
}

/// Arrays, and strings by character as an extension.
fn slice(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    const MSG: &str = "slice() requires an array and two integer indexes";
    let start = arg_int(args, 1, MSG)?;
    let end = arg_int(args, 2, MSG)?;
    match &args[0] {
        Value::Array(a) => {
            let (s, e) = clamp_range(start, end, a.len());
            Ok(Value::array(a[s..e].to_vec()))
        }
        Value::Str(text) => {
            let (s, e) = clamp_range(start, end, char_len(text));
            Ok(Value::str(&text[byte_at(text, s)..byte_at(text, e)]))
        }
        _ => fail(MSG),
    }
}

/// Sort rank: numbers, then strings, then everything else (which keeps its
/// relative order). A total order, so the standard sort never sees an
/// inconsistent comparator.
fn sort_order(a: &Value, b: &Value) -> Ordering {
    fn rank(v: &Value) -> u8 {
        match v {
            Value::Int(_) | Value::Float(_) => 0,
            Value::Str(_) => 1,
            _ => 2,
        }
    }
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => {
            let key = |v: &Value| match v {
                Value::Int(i) => (*i as f64, *i),
                Value::Float(f) => (*f, integer(v).unwrap_or(0)),
                _ => unreachable!("numbers only"),
            };
            let (ka, kb) = (key(a), key(b));
            ka.0.total_cmp(&kb.0).then(ka.1.cmp(&kb.1))
        }
        (Value::Str(x), Value::Str(y)) => x.as_bytes().cmp(y.as_bytes()),
        _ => rank(a).cmp(&rank(b)),
    }
}

fn sort(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    arg_array(args, 0, "sort() requires an array argument")?;
    let mut a = take_array(args, 0);
    a.sort_by(sort_order);
    Ok(Value::array(a))
}

fn reverse(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    arg_array(args, 0, "reverse() requires an array argument")?;
    let mut a = take_array(args, 0);
    a.reverse();
    Ok(Value::array(a))
}

/// First occurrences by `==` (deep, so `1` and `1.0` are one element). Arrays of
/// only ints or only strings use a hash set instead of the quadratic scan.
fn unique(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let a = arg_array(args, 0, "unique() requires an array argument")?;
    let mut out: Vec<Value> = Vec::new();
    if a.iter().all(|v| matches!(v, Value::Int(_))) {
        let mut seen = FxHashSet::default();
        out.extend(a.iter().filter(|v| matches!(v, Value::Int(i) if seen.insert(*i))).cloned());
    } else if a.iter().all(|v| matches!(v, Value::Str(_))) {
        let mut seen: FxHashSet<&str> = FxHashSet::default();
        out.extend(a.iter().filter(|v| matches!(v, Value::Str(s) if seen.insert(s.as_str()))).cloned());
    } else {
        for v in a.iter() {
            if !out.iter().any(|o| equal(o, v)) {
                out.push(v.clone());
            }
        }
    }
    Ok(Value::array(out))
}

fn sum(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let a = arg_array(args, 0, "sum() requires an array argument")?;
    let mut int: i64 = 0;
    let mut float = 0.0;
    let mut any_float = false;
    for v in a.iter() {
        match v {
            Value::Int(i) => match int.checked_add(*i) {
                Some(s) => int = s,
                None => return fail(format!("Integer overflow: {int} + {i}")),
            },
            Value::Float(f) => {
                float += f;
                any_float = true;
            }
            _ => {}
        }
    }
    Ok(if any_float { Value::Float(int as f64 + float) } else { Value::Int(int) })
}

/// `n <= 0` gives the whole array as one chunk; an empty array has no chunks.
fn chunk(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let a = arg_array(args, 0, "chunk() requires an array and a size")?;
    let n = arg_int(args, 1, "chunk() requires an array and a size")?;
    if a.is_empty() {
        return Ok(Value::array(Vec::new()));
    }
    let size = if n <= 0 { a.len() } else { (n as usize).min(a.len()) };
    Ok(Value::array(a.chunks(size).map(|c| Value::array(c.to_vec())).collect()))
}

fn flatten(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let a = arg_array(args, 0, "flatten() requires an array argument")?;
    let mut out = Vec::with_capacity(a.len());
    for v in a.iter() {
        match v {
            Value::Array(inner) => out.extend(inner.iter().cloned()),
            other => out.push(other.clone()),
        }
    }
    Ok(Value::array(out))
}

fn zip(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let (Value::Array(a), Value::Array(b)) = (&args[0], &args[1]) else {
        return fail("zip() requires two array arguments");
    };
    Ok(Value::array(a.iter().zip(b.iter()).map(|(x, y)| Value::array(vec![x.clone(), y.clone()])).collect()))
}

fn enumerate(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let a = arg_array(args, 0, "enumerate() requires an array argument")?;
    Ok(Value::array(a.iter().enumerate().map(|(i, v)| Value::array(vec![Value::Int(i as i64), v.clone()])).collect()))
}

fn take(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let a = arg_array(args, 0, "take() requires an array and a count")?;
    let n = arg_int(args, 1, "take() requires an array and a count")?.clamp(0, a.len() as i64) as usize;
    Ok(Value::array(a[..n].to_vec()))
}

fn skip(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let a = arg_array(args, 0, "skip() requires an array and a count")?;
    let n = arg_int(args, 1, "skip() requires an array and a count")?.clamp(0, a.len() as i64) as usize;
    Ok(Value::array(a[n..].to_vec()))
}

fn windows(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let a = arg_array(args, 0, "windows() requires an array and a size")?;
    let n = arg_int(args, 1, "windows() requires an array and a size")?;
    if n <= 0 {
        return Ok(Value::array(Vec::new()));
    }
    let n = usize::try_from(n).unwrap_or(usize::MAX);
    Ok(Value::array(a.windows(n).map(|w| Value::array(w.to_vec())).collect()))
}

fn range(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    if args.is_empty() || args.len() > 3 {
        return fail("range() requires 1, 2, or 3 arguments");
    }
    let mut nums = [0i64; 3];
    for (slot, v) in nums.iter_mut().zip(args.iter()) {
        *slot = integer(v).map_or_else(|| fail("range() requires numeric arguments"), Ok)?;
    }
    let (start, stop, step) = match args.len() {
        1 => (0, nums[0], 1),
        2 => (nums[0], nums[1], 1),
        _ => (nums[0], nums[1], nums[2]),
    };
    if step == 0 {
        return fail("range() step cannot be zero");
    }
    let span = if step > 0 { stop as i128 - start as i128 } else { start as i128 - stop as i128 };
    if span <= 0 {
        return Ok(Value::array(Vec::new()));
    }
    let count = (span + step.unsigned_abs() as i128 - 1) / step.unsigned_abs() as i128;
    if count > MAX_RANGE as i128 {
        return fail("range() result is too large");
    }
    let out = (0..count as i64).map(|k| Value::Int(start + k * step)).collect();
    Ok(Value::array(out))
}
