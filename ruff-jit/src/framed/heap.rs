//! Heap values handled inline by framed code, with the field offsets that
//! `ruff_core::runtime::heap_layout` measured: copying a value (one more strong
//! reference), releasing one (one less; the helper runs the destructor when it
//! was the last) and reading a struct's field; `arrays` builds on these for
//! arrays. Anything else (a last reference, a struct of another shape) goes to
//! the slow path the caller provides.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, Block, FuncRef, InstBuilder, Value};
use cranelift_frontend::FunctionBuilder;
use ruff_core::runtime::heap_layout::{FieldCache, HeapLayout};
use ruff_core::runtime::value::{PAYLOAD_OFFSET, TAG_NATIVE, TAG_OFFSET, TAG_STR, TAG_STRUCT, VALUE_SIZE};

use crate::scalar::flags;

/// `counted(tag)` as an `i8` 0/1 (see `heap_layout::counted`).
pub(super) fn counted(b: &mut FunctionBuilder<'_>, tag: Value) -> Value {
    b.ins().icmp_imm_s(IntCC::UnsignedGreaterThan, tag, TAG_NATIVE as i64)
}

/// Adds a strong reference to the object at `ptr` when `tag` is counted.
pub fn retain(b: &mut FunctionBuilder<'_>, l: HeapLayout, tag: Value, ptr: Value) {
    let c = counted(b, tag);
    let inc = b.create_block();
    let done = b.create_block();
    b.ins().brif(c, inc, &[], done, &[]);
    b.switch_to_block(inc);
    let s = b.ins().load(types::I64, flags(), ptr, l.strong);
    let s1 = b.ins().iadd_imm_s(s, 1);
    b.ins().store(flags(), s1, ptr, l.strong);
    b.ins().jump(done, &[]);
    b.switch_to_block(done);
}

/// The payload word of `v` (for a heap kind, its `Rc` pointer as the value
/// stores it). `v` is dropped afterwards: the caller keeps the object alive.
pub fn payload_bits(v: &ruff_core::runtime::value::Value) -> i64 {
    // SAFETY: every value has an initialised 8-byte payload at PAYLOAD_OFFSET
    // (the layout contract of `runtime::value`).
    unsafe { (v as *const _ as *const u8).add(PAYLOAD_OFFSET).cast::<i64>().read_unaligned() }
}

/// Writes a new reference to the string whose `Rc` pointer is `rc` at the dead
/// position `dst`.
pub fn new_string_ref(b: &mut FunctionBuilder<'_>, l: HeapLayout, dst: Value, rc: i64) {
    let tag = b.ins().iconst(types::I8, TAG_STR as i64);
    let ptr = b.ins().iconst(types::I64, rc);
    let s = b.ins().load(types::I64, flags(), ptr, l.strong);
    let s1 = b.ins().iadd_imm_s(s, 1);
    b.ins().store(flags(), s1, ptr, l.strong);
    write(b, dst, (tag, ptr));
}

/// Writes a value's tag and payload at `dst`.
pub(super) fn write(b: &mut FunctionBuilder<'_>, dst: Value, (tag, payload): (Value, Value)) {
    b.ins().store(flags(), tag, dst, TAG_OFFSET as i32);
    b.ins().store(flags(), payload, dst, PAYLOAD_OFFSET as i32);
}

/// The tag and payload of the value at `at`.
pub fn parts(b: &mut FunctionBuilder<'_>, at: Value) -> (Value, Value) {
    let tag = b.ins().load(types::I8, flags(), at, TAG_OFFSET as i32);
    let payload = b.ins().load(types::I64, flags(), at, PAYLOAD_OFFSET as i32);
    (tag, payload)
}

/// Copies the value at `src` into the dead position `dst`.
pub fn clone_value(b: &mut FunctionBuilder<'_>, l: HeapLayout, dst: Value, src: Value) {
    let part = parts(b, src);
    new_ref_into(b, l, dst, part);
}

/// Releases the value at `v` (the position is dead afterwards); `drop` is the
/// `ruff_jit_drop` helper, called for a last reference.
pub fn drop_value(b: &mut FunctionBuilder<'_>, l: HeapLayout, drop: FuncRef, v: Value) {
    let tag = b.ins().load(types::I8, flags(), v, TAG_OFFSET as i32);
    let c = counted(b, tag);
    // Made in this order, `done` last: creating `done` first (as
    // `release_object`'s callers do) changed where the cold block went, and
    // matmul ran 1.6% more instructions (callgrind).
    let dec = b.create_block();
    let last = b.create_block();
    let shared = b.create_block();
    let done = b.create_block();
    b.set_cold_block(last);
    b.ins().brif(c, dec, &[], done, &[]);
    b.switch_to_block(dec);
    let ptr = b.ins().load(types::I64, flags(), v, PAYLOAD_OFFSET as i32);
    release_in(b, l, drop, v, ptr, (last, shared, done));
    b.switch_to_block(done);
}

/// Releases the value at `v`, known to be a counted reference to the object
/// at `ptr` (the position is dead afterwards), as [`drop_value`] does; then
/// continues at `done` (the current block is ended).
pub fn release_object(b: &mut FunctionBuilder<'_>, l: HeapLayout, drop: FuncRef, v: Value, ptr: Value, done: Block) {
    let last = b.create_block();
    let shared = b.create_block();
    b.set_cold_block(last);
    release_in(b, l, drop, v, ptr, (last, shared, done));
}

/// [`release_object`] with its blocks made: the last reference's (cold), a
/// shared one's, and where both go.
fn release_in(
    b: &mut FunctionBuilder<'_>,
    l: HeapLayout,
    drop: FuncRef,
    v: Value,
    ptr: Value,
    blocks: (Block, Block, Block),
) {
    let (last, shared, done) = blocks;
    let s = b.ins().load(types::I64, flags(), ptr, l.strong);
    let is_last = b.ins().icmp_imm_s(IntCC::Equal, s, 1);
    b.ins().brif(is_last, last, &[], shared, &[]);
    b.switch_to_block(shared);
    let s1 = b.ins().iadd_imm_s(s, -1);
    b.ins().store(flags(), s1, ptr, l.strong);
    b.ins().jump(done, &[]);
    b.switch_to_block(last);
    b.ins().call(drop, &[v]);
    b.ins().jump(done, &[]);
}

/// Replaces the container at `target` (an array, a struct) by one of its
/// values, `part` (tag and payload, from [`element`] or [`field`]): the part's
/// new reference comes first, as releasing the container may free it.
pub fn replace_with_part(
    b: &mut FunctionBuilder<'_>,
    l: HeapLayout,
    drop: FuncRef,
    target: Value,
    part: (Value, Value),
) {
    retain(b, l, part.0, part.1);
    drop_value(b, l, drop, target);
    write(b, target, part);
}

/// Writes a new reference to `part` (tag and payload of a value its container
/// keeps, from [`element`] or [`field`]) at `dst`, which holds nothing: a read
/// in place, the container staying where it is.
pub fn new_ref_into(b: &mut FunctionBuilder<'_>, l: HeapLayout, dst: Value, part: (Value, Value)) {
    retain(b, l, part.0, part.1);
    write(b, dst, part);
}

/// The tag and payload of the field `cache` remembers (see `FieldCache`), in a
/// new block reached only when `at` holds a struct of the shape it remembers;
/// `slow` (changing nothing) otherwise.
pub fn field(b: &mut FunctionBuilder<'_>, l: HeapLayout, at: Value, cache: &FieldCache, slow: Block) -> (Value, Value) {
    let obj = payload_if(b, at, TAG_STRUCT, slow);
    struct_field(b, l, obj, cache, slow)
}

/// As [`field`], for the struct at `obj` (a pointer to it, known to be one).
pub fn struct_field(
    b: &mut FunctionBuilder<'_>,
    l: HeapLayout,
    obj: Value,
    cache: &FieldCache,
    slow: Block,
) -> (Value, Value) {
    let el = field_of(b, l, obj, cache, slow);
    parts(b, el)
}

/// `local.name = value` as the VM does it when it cannot fail, for a field
/// that holds no reference (nothing to release): reached only when `local`
/// holds a struct that is its own alone, of the shape `cache` remembers, whose
/// field there is not counted; `slow` (changing nothing) otherwise. The value
/// at `value` moves into the struct.
pub fn set_field(
    b: &mut FunctionBuilder<'_>,
    l: HeapLayout,
    local: Value,
    cache: &FieldCache,
    value: Value,
    slow: Block,
) {
    let obj = payload_if(b, local, TAG_STRUCT, slow);
    let el = field_of(b, l, obj, cache, slow);
    let old = b.ins().load(types::I8, flags(), el, TAG_OFFSET as i32);
    let holds = counted(b, old);
    held_or(b, l, obj, Count::Exactly(1), Some(holds), slow);
    let part = parts(b, value);
    write(b, el, part);
}

/// The address of the field `cache` remembers in the struct at `obj`, in a
/// new block reached only when the struct has the shape it remembers; `slow`
/// otherwise.
fn field_of(b: &mut FunctionBuilder<'_>, l: HeapLayout, obj: Value, cache: &FieldCache, slow: Block) -> Value {
    let c = b.ins().iconst(types::I64, cache as *const FieldCache as i64);
    // The shapes' pointer words alone tell them apart (`struct_shape_ptr`).
    let ptr_word = l.struct_shape_ptr - l.struct_shape;
    let have = b.ins().load(types::I64, flags(), obj, l.struct_shape_ptr);
    let want = b.ins().load(types::I64, flags(), c, FieldCache::SHAPE + ptr_word);
    let differ = b.ins().icmp(IntCC::NotEqual, have, want);
    let hit = b.create_block();
    b.ins().brif(differ, slow, &[], hit, &[]);
    b.switch_to_block(hit);
    let index = b.ins().load(types::I64, flags(), c, FieldCache::INDEX);
    let values = b.ins().load(types::I64, flags(), obj, l.struct_values);
    value_at(b, values, index)
}

/// The address of value `index` of the values starting at `values`.
pub(super) fn value_at(b: &mut FunctionBuilder<'_>, values: Value, index: Value) -> Value {
    let off = b.ins().imul_imm_s(index, VALUE_SIZE as i64);
    b.ins().iadd(values, off)
}

/// The payload of the value at `at`, in a new block reached only when its tag
/// is `want`; `slow` otherwise.
pub fn payload_if(b: &mut FunctionBuilder<'_>, at: Value, want: u8, slow: Block) -> Value {
    let tag = b.ins().load(types::I8, flags(), at, TAG_OFFSET as i32);
    let other = b.ins().icmp_imm_s(IntCC::NotEqual, tag, want as i64);
    let fits = b.create_block();
    b.ins().brif(other, slow, &[], fits, &[]);
    b.switch_to_block(fits);
    b.ins().load(types::I64, flags(), at, PAYLOAD_OFFSET as i32)
}

/// The strong count an object must have: a constant, or one the code
/// computed.
#[derive(Clone, Copy)]
pub enum Count {
    Exactly(i64),
    Computed(Value),
}

/// Continues in a new block when the object at `obj` (an array, a struct) has
/// strong count `strong`, it has no weak reference and `also` (an `i8`
/// condition, when there is one) is false; `slow` otherwise.
/// Three branches, each a compare with its jump, rather than one on the
/// conditions or'ed together, which took 13 instructions in array_sum's
/// append (each condition set into a register, or'ed and tested).
pub fn held_or(
    b: &mut FunctionBuilder<'_>,
    l: HeapLayout,
    obj: Value,
    strong: Count,
    also: Option<Value>,
    slow: Block,
) {
    let s = b.ins().load(types::I64, flags(), obj, l.strong);
    let other_strong = match strong {
        Count::Exactly(n) => b.ins().icmp_imm_s(IntCC::NotEqual, s, n),
        Count::Computed(n) => b.ins().icmp(IntCC::NotEqual, s, n),
    };
    no_weak_and_not(b, l, obj, other_strong, also, slow);
}

/// The rest of [`held_or`] after the strong count's compare (`other`).
fn no_weak_and_not(
    b: &mut FunctionBuilder<'_>,
    l: HeapLayout,
    obj: Value,
    other: Value,
    also: Option<Value>,
    slow: Block,
) {
    or_slow(b, other, slow);
    let w = b.ins().load(types::I64, flags(), obj, l.weak);
    let weak = b.ins().icmp_imm_s(IntCC::NotEqual, w, 1);
    or_slow(b, weak, slow);
    if let Some(also) = also {
        or_slow(b, also, slow);
    }
}

/// Goes to `slow` when `cond` (an `i8` condition) holds; continues in a new
/// block. Checks are a compare and a branch each: or'ed into one branch, each
/// condition takes a `set` and an `or` more (x86-64; the sieve's marking
/// store went from 31 to 29 instructions, a struct literal written in place
/// lost about 5).
pub fn or_slow(b: &mut FunctionBuilder<'_>, cond: Value, slow: Block) {
    let next = b.create_block();
    b.ins().brif(cond, slow, &[], next, &[]);
    b.switch_to_block(next);
}
