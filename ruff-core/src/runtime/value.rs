//! The runtime value and its layout contract with compiled code.
//!
//! `Value` is a `#[repr(C, u8)]` enum: a one-byte tag at offset [`TAG_OFFSET`] and an
//! 8-byte payload at offset [`PAYLOAD_OFFSET`], 16 bytes in all. Scalars (`Int`,
//! `Float`, `Bool`) live in the payload unboxed; every heap kind is one thin `Rc`
//! pointer. The JIT reads and writes values through these constants only, so the
//! layout is checked by a test below. Collections have value semantics implemented
//! by copy-on-write: mutation goes through `Rc::make_mut`, which copies only when the
//! value is shared.
//!
//! Display and debug rendering live in `runtime::format`; equality and ordering in
//! `runtime::compare`.

use std::collections::VecDeque;
use std::rc::Rc;

use super::builtins::Builtin;
use super::object::{Closure, Dict, StructObj, Tagged};
use super::values::Values;

/// Offset of the tag byte inside a `Value`.
pub const TAG_OFFSET: usize = 0;
/// Offset of the 8-byte payload (i64, f64 bits, bool byte or pointer).
pub const PAYLOAD_OFFSET: usize = 8;
const _: () = assert!(cfg!(target_endian = "little"), "the value layout assumes little-endian payloads");

/// Size of a `Value` in bytes.
pub const VALUE_SIZE: usize = 16;

/// Tag of `Value::Null`.
pub const TAG_NULL: u8 = 0;
/// Tag of `Value::Bool` (payload byte 0 or 1).
pub const TAG_BOOL: u8 = 1;
/// Tag of `Value::Int` (payload i64).
pub const TAG_INT: u8 = 2;
/// Tag of `Value::Float` (payload f64).
pub const TAG_FLOAT: u8 = 3;
/// Tag of `Value::Native` (a `&'static` builtin: the one heap kind without a
/// reference count). Every tag above it is a counted reference and none at or
/// below it is (see `heap_layout::counted`): compiled code tells the two apart
/// with one comparison.
pub const TAG_NATIVE: u8 = 4;
/// Tag of `Value::Str`.
pub const TAG_STR: u8 = 5;
/// Tag of `Value::Array`.
pub const TAG_ARRAY: u8 = 6;
/// Tag of `Value::Dict`.
pub const TAG_DICT: u8 = 7;
/// Tag of `Value::Struct`.
pub const TAG_STRUCT: u8 = 8;
/// Tag of `Value::Func`.
pub const TAG_FUNC: u8 = 10;

/// A Ruff value.
#[repr(C, u8)]
#[derive(Clone, Debug, Default)]
pub enum Value {
    /// `null`.
    #[default]
    Null = TAG_NULL,
    /// `true` / `false`.
    Bool(bool) = TAG_BOOL,
    /// Checked 64-bit integer.
    Int(i64) = TAG_INT,
    /// IEEE double.
    Float(f64) = TAG_FLOAT,
    /// Builtin function.
    Native(&'static Builtin) = TAG_NATIVE,
    /// Immutable-by-value Unicode text (copy-on-write).
    Str(Rc<String>) = TAG_STR,
    /// Array (copy-on-write).
    Array(Rc<Values>) = TAG_ARRAY,
    /// Insertion-ordered dict (copy-on-write).
    Dict(Rc<Dict>) = TAG_DICT,
    /// Struct instance (copy-on-write).
    Struct(Rc<StructObj>) = TAG_STRUCT,
    /// `Ok`/`Err`/`Some`/`None` and user enum values.
    Tagged(Rc<Tagged>) = 9,
    /// User function or closure.
    Func(Rc<Closure>) = TAG_FUNC,
    /// Set (insertion-ordered, elements unique by `==`).
    Set(Rc<Values>) = 11,
    /// FIFO queue.
    Queue(Rc<VecDeque<Value>>) = 12,
    /// LIFO stack (top = last element).
    Stack(Rc<Values>) = 13,
}

impl Value {
    /// A string value.
    pub fn str(s: impl Into<String>) -> Value {
        Value::Str(Rc::new(s.into()))
    }

    /// An array value.
    pub fn array(v: Vec<Value>) -> Value {
        Value::Array(Rc::new(v.into()))
    }

    /// The name `type()` returns (§5.1).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "string",
            Value::Array(_) => "array",
            Value::Dict(_) => "dict",
            Value::Struct(_) => "struct",
            Value::Tagged(t) => t.kind.type_name(),
            Value::Func(_) | Value::Native(_) => "function",
            Value::Set(_) => "set",
            Value::Queue(_) => "queue",
            Value::Stack(_) => "stack",
        }
    }

    /// The type word used in `Invalid binary operation: LT OP RT` (§5.3).
    pub fn op_type_name(&self) -> &'static str {
        match self {
            Value::Native(_) => "native_function",
            Value::Func(_) => "value",
            Value::Struct(s) if s.is_error() => "error",
            other => other.type_name(),
        }
    }

    /// Truthiness (§5.2).
    pub fn truthy(&self) -> bool {
        match self {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::Array(a) => !a.is_empty(),
            Value::Dict(d) => !d.is_empty(),
            _ => true,
        }
    }

    /// True for `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// True when the value owns heap memory (drop glue has work to do): every
    /// kind except null, bool, int and float.
    #[inline(always)]
    pub fn owns_heap(&self) -> bool {
        !matches!(self, Value::Null | Value::Bool(_) | Value::Int(_) | Value::Float(_))
    }

    /// Overwrites `*slot` with `v`, moving `v` as tag byte + payload word (see
    /// [`copy_split`]); drop glue runs only when the old value owns something.
    /// This is the VM's hottest store.
    #[inline(always)]
    pub fn assign(slot: &mut Value, v: Value) {
        let v = std::mem::ManuallyDrop::new(v);
        // SAFETY: ownership moves from `v`, which is never dropped.
        unsafe { Value::assign_from(slot, &*v) }
    }

    /// Overwrites `*slot` with an int, writing the tag and the payload in place
    /// (assigning a `Value` built in a temporary copies it as a 16-byte block,
    /// which stalls store forwarding; see [`copy_split`]).
    #[inline(always)]
    pub fn put_int(slot: &mut Value, i: i64) {
        Value::put_scalar(slot, TAG_INT, i as u64)
    }

    /// [`Value::put_int`] for a float.
    #[inline(always)]
    pub fn put_float(slot: &mut Value, f: f64) {
        Value::put_scalar(slot, TAG_FLOAT, f.to_bits())
    }

    /// [`Value::put_int`] for a bool (payload word 0 or 1; its first byte is the
    /// bool).
    #[inline(always)]
    pub fn put_bool(slot: &mut Value, b: bool) {
        Value::put_scalar(slot, TAG_BOOL, b as u64)
    }

    /// Writes a scalar's tag and payload word in place (little-endian only, as
    /// the whole value layout contract).
    #[inline(always)]
    fn put_scalar(slot: &mut Value, tag: u8, payload: u64) {
        Value::clear_heap(slot);
        // SAFETY: the old value owns nothing now; `tag` is a scalar tag whose
        // payload `payload` encodes (little-endian: a bool's byte comes first).
        unsafe {
            let p = slot as *mut Value as *mut u8;
            p.add(TAG_OFFSET).write(tag);
            p.add(PAYLOAD_OFFSET).cast::<u64>().write(payload);
        }
    }

    /// Drops what `*slot` owns, leaving it `Null`, when it owns anything.
    #[inline(always)]
    fn clear_heap(slot: &mut Value) {
        if slot.owns_heap() {
            *slot = Value::Null;
        }
    }

    /// `std::mem::take`, reading the value as tag byte + payload word (see
    /// [`copy_split`]).
    #[inline(always)]
    pub fn take_split(slot: &mut Value) -> Value {
        let mut out = std::mem::MaybeUninit::<Value>::uninit();
        // SAFETY: `slot` is initialised; its value moves to `out`, and `slot` is
        // overwritten with `Null` without dropping the moved value.
        unsafe {
            copy_split(slot, out.as_mut_ptr());
            std::ptr::write(slot as *mut Value as *mut u8, TAG_NULL);
            out.assume_init()
        }
    }

    /// Like [`Value::assign`], taking the value from `*v` bit for bit.
    ///
    /// # Safety
    /// Ownership of `*v` passes to `slot`: the caller never uses or drops `*v`
    /// again.
    #[inline(always)]
    pub unsafe fn assign_from(slot: &mut Value, v: *const Value) {
        if slot.owns_heap() {
            // SAFETY: the old value is dropped exactly once and overwritten below.
            unsafe { std::ptr::drop_in_place(slot as *mut Value) };
        }
        // SAFETY: `v` is initialised and `slot` writable (caller's contract).
        unsafe { copy_split(v, slot) }
    }

    /// The 8 payload bytes as stored, for variants whose payload fills them (for a
    /// heap value, the address compiled code sees; the JIT guards on it). `None`
    /// for `Null` and `Bool`, whose payload bytes are partly padding.
    pub fn payload_bits(&self) -> Option<u64> {
        if matches!(self, Value::Null | Value::Bool(_)) {
            return None;
        }
        // SAFETY: every other variant has an initialised 8-byte payload at
        // PAYLOAD_OFFSET within the 16-byte value.
        Some(unsafe { std::ptr::read_unaligned((self as *const Value as *const u8).add(PAYLOAD_OFFSET) as *const u64) })
    }
}

/// Drops the value at `v` in place, running the destructor only for the kinds
/// that hold a reference (the destructor's call is most of the cost of dropping
/// a scalar).
///
/// # Safety
/// `v` points to an initialised value that nothing else drops.
#[inline(always)]
pub(crate) unsafe fn release(v: *mut Value) {
    let tag = unsafe { v.cast::<u8>().add(TAG_OFFSET).read() };
    if super::heap_layout::counted(tag) {
        unsafe { std::ptr::drop_in_place(v) }
    }
}

/// Copies a value from `src` to `dst` as its tag byte and its payload word,
/// never as one 16-byte block: values are mostly built piecewise (a tag store and
/// a payload store), and a 16-byte load of a value stored piecewise a few cycles
/// earlier misses store-to-load forwarding (perf showed it as the hottest
/// instruction of the dispatch loop and of builtin calls).
///
/// # Safety
/// `src` points to an initialised value, `dst` to writable room for one; the
/// caller decides which of the two owns it afterwards.
#[inline(always)]
pub(crate) unsafe fn copy_split(src: *const Value, dst: *mut Value) {
    let (s, d) = (src.cast::<u8>(), dst.cast::<u8>());
    unsafe {
        d.add(TAG_OFFSET).write(s.add(TAG_OFFSET).read());
        let payload = s.add(PAYLOAD_OFFSET).cast::<std::mem::MaybeUninit<u64>>().read();
        d.add(PAYLOAD_OFFSET).cast::<std::mem::MaybeUninit<u64>>().write(payload);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag_of(v: &Value) -> u8 {
        // SAFETY: reading the first byte of a repr(C, u8) enum is its discriminant.
        unsafe { *(v as *const Value as *const u8).add(TAG_OFFSET) }
    }

    fn payload_of(v: &Value) -> u64 {
        // SAFETY: the payload of every variant starts at PAYLOAD_OFFSET and is 8 bytes
        // for Int and Float.
        unsafe { *((v as *const Value as *const u8).add(PAYLOAD_OFFSET) as *const u64) }
    }

    #[test]
    fn layout_matches_the_documented_contract() {
        assert_eq!(std::mem::size_of::<Value>(), VALUE_SIZE);
        assert_eq!(tag_of(&Value::Null), TAG_NULL);
        assert_eq!(tag_of(&Value::Bool(true)), TAG_BOOL);
        assert_eq!(tag_of(&Value::Int(-5)), TAG_INT);
        assert_eq!(payload_of(&Value::Int(-5)) as i64, -5);
        assert_eq!(tag_of(&Value::Float(2.5)), TAG_FLOAT);
        assert_eq!(f64::from_bits(payload_of(&Value::Float(2.5))), 2.5);
        assert_eq!(tag_of(&Value::str("a")), TAG_STR);
        assert_eq!(tag_of(&Value::array(vec![])), TAG_ARRAY);
    }

    /// Compiled code takes a reference count only for tags above `TAG_NATIVE`:
    /// that must be exactly the values holding an `Rc`.
    #[test]
    fn counted_tags_are_exactly_the_reference_counted_kinds() {
        use crate::runtime::heap_layout::counted;
        let push = crate::runtime::builtins::lookup("push").expect("push is a builtin");
        for v in [Value::Null, Value::Bool(true), Value::Int(1), Value::Float(1.5), Value::Native(push)] {
            assert!(!counted(tag_of(&v)), "{v:?} is not counted");
        }
        let counted_values = [
            Value::str("a"),
            Value::array(vec![]),
            Value::Dict(Rc::new(crate::runtime::object::Dict::new())),
            Value::Set(Rc::new(Values::new())),
            Value::Queue(Rc::new(VecDeque::new())),
            Value::Stack(Rc::new(Values::new())),
        ];
        for v in counted_values {
            assert!(counted(tag_of(&v)), "{v:?} is counted");
        }
        assert_eq!(tag_of(&Value::Native(push)), TAG_NATIVE);
    }

    #[test]
    fn truthiness_follows_the_reference() {
        assert!(!Value::Int(0).truthy());
        assert!(!Value::str("").truthy());
        assert!(Value::str("0").truthy());
        assert!(!Value::array(vec![]).truthy());
        assert!(Value::array(vec![Value::Int(0)]).truthy());
        assert!(!Value::Float(0.0).truthy());
    }
}
