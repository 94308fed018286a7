//! Heap objects behind [`Value`]: dicts and their keys, struct instances and types,
//! tagged values (Result, Option, enums) and closures. Value semantics come from
//! `Rc::make_mut` at the mutation sites in the VM and builtins.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use super::keymap::KeyMap;
use super::value::Value;
use crate::bytecode::Proto;

/// A dict key. Dict keys are strings in the language; a string that is the canonical
/// decimal form of an i64 is always stored as `Int`, so `d[1]` and `d["1"]` are the
/// same entry and the int fast path changes nothing observable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Key {
    /// A canonical decimal integer key.
    Int(i64),
    /// Any other string key (shares the string value's allocation).
    Str(Rc<String>),
}

impl Key {
    /// Normalises a string key.
    pub fn from_text(s: &str) -> Key {
        match canonical_int(s) {
            Some(i) => Key::Int(i),
            None => Key::Str(Rc::new(s.to_string())),
        }
    }

    /// Normalises a string value's key, sharing its allocation (no copy for the
    /// constant keys of dict literals).
    pub fn from_rc(s: &Rc<String>) -> Key {
        match canonical_int(s) {
            Some(i) => Key::Int(i),
            None => Key::Str(s.clone()),
        }
    }

    /// [`Key::from_rc`] taking the string value's reference.
    pub fn from_owned(s: Rc<String>) -> Key {
        match canonical_int(&s) {
            Some(i) => Key::Int(i),
            None => Key::Str(s),
        }
    }

    /// The key as the language sees it (a string).
    pub fn to_text(&self) -> String {
        match self {
            Key::Int(i) => crate::runtime::format::int_text(*i),
            Key::Str(s) => s.to_string(),
        }
    }

    /// The key as a string value.
    pub fn to_value(&self) -> Value {
        match self {
            Key::Int(i) => Value::str(crate::runtime::format::int_text(*i)),
            Key::Str(s) => Value::Str(s.clone()),
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Int(i) => write!(f, "{i}"),
            Key::Str(s) => f.write_str(s),
        }
    }
}

/// `Some(i)` when `s` is exactly how `i.to_string()` would print.
fn canonical_int(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let digits = b.strip_prefix(b"-").unwrap_or(b);
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if digits[0] == b'0' && (digits.len() > 1 || b.len() != digits.len()) {
        return None;
    }
    s.parse().ok()
}

/// Insertion-ordered map from keys to values.
#[derive(Clone, Debug, Default)]
pub struct Dict {
    map: KeyMap,
}

impl Dict {
    /// An empty dict.
    pub fn new() -> Dict {
        Dict::default()
    }

    /// A dict with room for `n` entries.
    pub fn with_capacity(n: usize) -> Dict {
        Dict { map: KeyMap::with_capacity(n) }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Looks a key up.
    pub fn get(&self, k: &Key) -> Option<&Value> {
        self.map.get(k)
    }

    /// Mutable access to an existing entry.
    pub fn get_mut(&mut self, k: &Key) -> Option<&mut Value> {
        self.map.get_mut(k)
    }

    /// Inserts or replaces (a replaced key keeps its position).
    pub fn insert(&mut self, k: Key, v: Value) {
        self.map.insert(k, v);
    }

    /// Removes a key, keeping the order of the others.
    pub fn remove(&mut self, k: &Key) -> Option<Value> {
        self.map.remove(k)
    }

    /// True when the key is present.
    pub fn contains(&self, k: &Key) -> bool {
        self.map.contains(k)
    }

    /// Entries in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&Key, &Value)> {
        self.map.iter()
    }

    /// Entries sorted by the byte order of their string form (how `print`, `keys`,
    /// `values`, `items` and `to_json` present a dict).
    pub fn sorted(&self) -> Vec<(String, &Value)> {
        let mut v: Vec<(String, &Value)> = self.map.iter().map(|(k, v)| (k.to_text(), v)).collect();
        v.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        v
    }
}

/// A struct type, registered when its declaration executes.
#[derive(Debug)]
pub struct StructType {
    /// The struct name.
    pub name: Rc<str>,
    /// Declared field names (bound as locals in methods without `self`).
    pub fields: Vec<Rc<str>>,
    /// Methods with their names, in declaration order.
    pub methods: Vec<(Rc<str>, Value)>,
}

impl StructType {
    /// The method called `name`.
    pub fn method(&self, name: &str) -> Option<&Value> {
        let by_addr = self.methods.iter().find(|(m, _)| std::ptr::eq(&**m, name));
        by_addr.or_else(|| self.methods.iter().find(|(m, _)| &**m == name)).map(|(_, v)| v)
    }
}

/// A struct instance: its type name and its fields in literal order.
#[derive(Clone, Debug)]
pub struct StructObj {
    /// The struct name as written in the literal.
    pub name: Rc<str>,
    /// The type, when the declaration had executed at creation time.
    pub ty: Option<Rc<StructType>>,
    /// Field names, shared by every instance made by the same literal.
    pub shape: Rc<[Rc<str>]>,
    /// Field values, parallel to `shape`.
    pub values: Vec<Value>,
}

impl StructObj {
    /// The value of a field.
    pub fn field(&self, name: &str) -> Option<&Value> {
        self.index_of(name).map(|i| &self.values[i])
    }

    /// Position of a field.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        // Names the compiler wrote are one shared copy each (`GlobalNames::atom`):
        // look for the same address before comparing text.
        let by_addr = self.shape.iter().position(|f| std::ptr::eq(&**f, name));
        by_addr.or_else(|| self.shape.iter().position(|f| &**f == name))
    }

    /// Sets a field, adding it when absent.
    pub fn set_field(&mut self, name: &Rc<str>, v: Value) {
        match self.index_of(name) {
            Some(i) => self.values[i] = v,
            None => {
                let mut shape: Vec<Rc<str>> = self.shape.to_vec();
                shape.push(name.clone());
                self.shape = shape.into();
                self.values.push(v);
            }
        }
    }

    /// True for the `Error` struct made by `try`/`except`.
    pub fn is_error(&self) -> bool {
        &*self.name == "Error" && self.ty.is_none() && self.field("message").is_some()
    }
}

/// The kind of a tagged value.
#[derive(Clone, Debug, PartialEq)]
pub enum TagKind {
    /// `Ok(v)`.
    Ok,
    /// `Err(v)`.
    Err,
    /// `Some(v)`.
    Some,
    /// `None`.
    None,
    /// `Enum::Variant(...)`.
    Enum { enum_name: Rc<str>, variant: Rc<str> },
}

impl TagKind {
    /// `type()` of a value with this kind.
    pub fn type_name(&self) -> &'static str {
        match self {
            TagKind::Ok | TagKind::Err => "result",
            TagKind::Some | TagKind::None => "option",
            TagKind::Enum { .. } => "tagged",
        }
    }
}

/// A tagged value: kind plus payloads (one for Ok/Err/Some, none for None).
#[derive(Clone, Debug)]
pub struct Tagged {
    /// Which tag.
    pub kind: TagKind,
    /// The payloads.
    pub payload: Vec<Value>,
}

/// A function value: its prototype plus its private copies of captured variables.
#[derive(Debug)]
pub struct Closure {
    /// The compiled function.
    pub proto: Rc<Proto>,
    /// Captured copies (§4.3: by value at creation, reassignable by the closure).
    pub captures: RefCell<Vec<Value>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_canonical_decimal_strings_become_int_keys() {
        assert_eq!(Key::from_text("12"), Key::Int(12));
        assert_eq!(Key::from_text("-3"), Key::Int(-3));
        assert_eq!(Key::from_text("0"), Key::Int(0));
        assert!(matches!(Key::from_text("012"), Key::Str(_)));
        assert!(matches!(Key::from_text("-0"), Key::Str(_)));
        assert!(matches!(Key::from_text("+1"), Key::Str(_)));
        assert!(matches!(Key::from_text("99999999999999999999"), Key::Str(_)));
        assert_eq!(Key::from_text("-9223372036854775808"), Key::Int(i64::MIN));
    }

    #[test]
    fn sorted_uses_byte_order_of_the_string_form() {
        let mut d = Dict::new();
        for k in ["a", "9", "B", "10"] {
            d.insert(Key::from_text(k), Value::Null);
        }
        let keys: Vec<String> = d.sorted().into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["10", "9", "B", "a"]);
    }
}
