//! Reading and writing inside values: `a[i]`, `v.field`, and assignment through a
//! path (`a.b[i].c := v`), which mutates the variable's value in place via
//! copy-on-write.

use std::rc::Rc;

use super::{gstate, Vm};
use crate::bytecode::Var;
use crate::runtime::error::{fail, RuntimeError};
use crate::runtime::object::{Dict, Key};
use crate::runtime::value::Value;

/// Resolves a possibly negative index against a length.
pub(crate) fn position(i: i64, len: usize) -> Option<usize> {
    let idx = if i < 0 { i.checked_add(len as i64)? } else { i };
    (idx >= 0 && (idx as usize) < len).then_some(idx as usize)
}

/// The dict key for an index value.
pub(crate) fn dict_key(k: &Value) -> Result<Key, RuntimeError> {
    match k {
        Value::Str(s) => Ok(Key::from_rc(s)),
        Value::Int(i) => Ok(Key::Int(*i)),
        _ => fail("Invalid index operation"),
    }
}

fn missing_key(k: &Value) -> RuntimeError {
    match k {
        Value::Str(s) => RuntimeError::new(format!("Missing map key: \"{s}\"")),
        other => RuntimeError::new(format!("Missing map key: {}", crate::runtime::format::display(other))),
    }
}

/// `target[index]`.
pub(crate) fn index(target: &Value, idx: &Value) -> Result<Value, RuntimeError> {
    match (target, idx) {
        (Value::Array(a), Value::Int(i)) => match position(*i, a.len()).and_then(|p| a.at(p)) {
            Some(v) => Ok(v),
            None => fail(format!("Index out of bounds: {i}")),
        },
        (Value::Str(s), Value::Int(i)) => {
            if s.is_ascii() {
                return match position(*i, s.len()) {
                    Some(p) => Ok(Value::str(&s[p..p + 1])),
                    None => fail(format!("Index out of bounds: {i}")),
                };
            }
            let n = s.chars().count();
            match position(*i, n) {
                Some(p) => Ok(Value::str(s.chars().nth(p).map(String::from).unwrap_or_default())),
                None => fail(format!("Index out of bounds: {i}")),
            }
        }
        (Value::Dict(d), Value::Str(_) | Value::Int(_)) => {
            d.get(&dict_key(idx)?).cloned().ok_or_else(|| missing_key(idx))
        }
        _ => fail("Invalid index operation"),
    }
}

/// `target.name`.
pub(crate) fn field(target: &Value, name: &str) -> Result<Value, RuntimeError> {
    match target {
        Value::Struct(s) => match s.field(name) {
            Some(v) => Ok(v.clone()),
            None => match s.name.strip_prefix(super::module::NAMESPACE_PREFIX) {
                Some(module) => fail(format!("Symbol '{name}' not found in module '{module}'")),
                None => fail(format!("Field not found: {name}")),
            },
        },
        Value::Dict(d) => Ok(d.get(&Key::from_text(name)).cloned().unwrap_or(Value::Null)),
        _ => fail(format!("Cannot access field or method '{name}' on non-struct value")),
    }
}

/// Field or key of a struct/dict, `null` when absent or not a container
/// (destructuring and field binding in methods).
pub(crate) fn key_or_null(target: &Value, name: &str) -> Value {
    match target {
        Value::Struct(s) => s.field(name).cloned().unwrap_or(Value::Null),
        Value::Dict(d) => d.get(&Key::from_text(name)).cloned().unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

/// The dict without the given keys (`{a, ...rest}`).
pub(crate) fn rest_without(target: &Value, names: &[Rc<str>]) -> Value {
    let mut out = Dict::new();
    if let Value::Dict(d) = target {
        for (k, v) in d.iter() {
            let text = k.to_text();
            if !names.iter().any(|n| **n == *text) {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Dict(Rc::new(out))
}

/// One step of a path: a field name or an index value.
fn step_mut<'a>(cur: &'a mut Value, key: &Value, is_field: bool) -> Result<&'a mut Value, RuntimeError> {
    if is_field {
        let Value::Str(name) = key else { unreachable!("field step without a name") };
        return match cur {
            Value::Struct(s) => {
                let s = Rc::make_mut(s);
                match s.index_of(name) {
                    Some(i) => Ok(&mut s.values[i]),
                    None => fail(format!("Field not found: {name}")),
                }
            }
            Value::Dict(d) => {
                let k = Key::from_rc(name);
                Rc::make_mut(d).get_mut(&k).ok_or_else(|| missing_key(key))
            }
            _ => fail("Cannot set field on non-struct"),
        };
    }
    match (cur, key) {
        (Value::Array(a), Value::Int(i)) => {
            let len = a.len();
            match position(*i, len) {
                Some(p) => Ok(&mut Rc::make_mut(a)[p]),
                None => fail(format!("Index out of bounds: {i}")),
            }
        }
        (Value::Dict(d), Value::Str(_) | Value::Int(_)) => {
            let k = dict_key(key)?;
            Rc::make_mut(d).get_mut(&k).ok_or_else(|| missing_key(key))
        }
        _ => fail("Invalid index assignment"),
    }
}

/// Assigns the last step of a path.
fn assign_last(cur: &mut Value, key: &Value, is_field: bool, v: Value) -> Result<(), RuntimeError> {
    if is_field {
        return match try_assign_field(cur, key, v) {
            Ok(_) => Ok(()),
            Err(_) => fail("Cannot set field on non-struct"),
        };
    }
    if try_assign_index(cur, key, v).is_ok() {
        return Ok(());
    }
    match (cur, key) {
        (Value::Array(_), Value::Int(i)) => fail(format!("Index out of bounds: {i}")),
        _ => fail("Invalid index assignment"),
    }
}

/// `root.name = v`, `key` holding the name: sets a struct's field (adding it
/// when absent) or a dict's entry, and gives the field's position in the
/// struct (`None` for a dict). Anything else changes nothing and gives `v`
/// back.
pub(crate) fn try_assign_field(root: &mut Value, key: &Value, v: Value) -> Result<Option<usize>, Value> {
    let Value::Str(name) = key else { unreachable!("field step without a name") };
    match root {
        Value::Struct(s) => {
            let s = Rc::make_mut(s);
            // An existing field (the usual case) is found by its text, without
            // making a name for it.
            let at = match s.index_of(name) {
                Some(i) => {
                    s.values[i] = v;
                    i
                }
                None => {
                    // Added last.
                    s.set_field(&Rc::from(name.as_str()), v);
                    s.values.len() - 1
                }
            };
            Ok(Some(at))
        }
        Value::Dict(d) => {
            Rc::make_mut(d).insert(Key::from_rc(name), v);
            Ok(None)
        }
        _ => Err(v),
    }
}

/// `root[key] = v` with one key that is not a field, when it cannot fail: an
/// array indexed in range, or a dict keyed by a string or an int (the VM's own
/// assignment). Otherwise changes nothing and gives `v` back.
pub(crate) fn try_assign_index(root: &mut Value, key: &Value, v: Value) -> Result<(), Value> {
    match (root, key) {
        (Value::Array(a), Value::Int(i)) => match position(*i, a.len()) {
            Some(p) => Rc::make_mut(a).set(p, v),
            None => Err(v),
        },
        (Value::Dict(d), Value::Str(_) | Value::Int(_)) => match dict_key(key) {
            Ok(k) => {
                Rc::make_mut(d).insert(k, v);
                Ok(())
            }
            Err(_) => Err(v),
        },
        _ => Err(v),
    }
}

fn set_in(root: &mut Value, keys: &[Value], fields: u32, v: Value) -> Result<(), RuntimeError> {
    let mut cur = root;
    let last = keys.len() - 1;
    for (i, k) in keys[..last].iter().enumerate() {
        cur = step_mut(cur, k, fields & (1 << i) != 0)?;
    }
    assign_last(cur, &keys[last], fields & (1 << last) != 0, v)
}

impl Vm {
    /// `SetPath`: the stack holds N keys then the value.
    pub(crate) fn set_path(&mut self, var: Var, n: usize, fields: u32) -> Result<(), RuntimeError> {
        let v = self.stack.pop().expect("value");
        // One key (`a[i] = v`, `p.x = v`) is the common case: no vector for it.
        let (one, many);
        let keys: &[Value] = if n == 1 {
            one = [self.stack.pop().expect("key")];
            &one
        } else {
            many = self.stack.take_top(n);
            &many
        };
        match var {
            Var::Local(s) => {
                let base = self.frames.last().expect("frame").base;
                set_in(&mut self.stack[base + s as usize], keys, fields, v)
            }
            Var::Capture(i) => {
                let closure = self.frames.last().expect("frame").closure.clone();
                let mut caps = closure.captures.borrow_mut();
                set_in(&mut caps[i as usize], keys, fields, v)
            }
            Var::Global(g) => {
                let g = g as usize;
                let name = &self.global_names[g];
                match self.gstates[g] {
                    gstate::UNDEFINED => fail(format!("Undefined variable: {name}")),
                    gstate::LET => fail(format!("Cannot mutate immutable let binding: {name}")),
                    gstate::CONST => fail(format!("Cannot mutate const binding: {name}")),
                    _ => set_in(&mut self.globals[g], keys, fields, v),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_indexes_count_from_the_end() {
        let a = Value::array(vec![Value::Int(1), Value::Int(2)]);
        assert!(matches!(index(&a, &Value::Int(-1)), Ok(Value::Int(2))));
        assert_eq!(index(&a, &Value::Int(2)).unwrap_err().message, "Index out of bounds: 2");
        assert_eq!(index(&a, &Value::Int(-3)).unwrap_err().message, "Index out of bounds: -3");
    }

    #[test]
    fn missing_keys_quote_strings_only() {
        let d = Value::Dict(Rc::new(Dict::new()));
        assert_eq!(index(&d, &Value::str("zz")).unwrap_err().message, "Missing map key: \"zz\"");
        assert_eq!(index(&d, &Value::Int(0)).unwrap_err().message, "Missing map key: 0");
    }
}
