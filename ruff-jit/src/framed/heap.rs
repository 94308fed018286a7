//! Heap values handled inline by framed code, with the field offsets that
//! `ruff_core::runtime::heap_layout` measured: copying a value (one more strong
//! reference), releasing one (one less; the helper runs the destructor when it
//! was the last), and reading an array element by int index. Anything else (a
//! last reference, a negative or out-of-range index, a non-array) goes to the
//! slow path the caller provides.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, Block, FuncRef, InstBuilder, Value};
use cranelift_frontend::FunctionBuilder;
use ruff_core::runtime::builtins::Builtin;
use ruff_core::runtime::heap_layout::{FieldCache, HeapLayout};
use ruff_core::runtime::value::{
    PAYLOAD_OFFSET, TAG_ARRAY, TAG_NATIVE, TAG_NULL, TAG_OFFSET, TAG_STR, TAG_STRUCT, VALUE_SIZE,
};

use crate::scalar::flags;

/// `counted(tag)` as an `i8` 0/1 (see `heap_layout::counted`).
fn counted(b: &mut FunctionBuilder<'_>, tag: Value) -> Value {
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
fn write(b: &mut FunctionBuilder<'_>, dst: Value, (tag, payload): (Value, Value)) {
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
    let dec = b.create_block();
    let last = b.create_block();
    let shared = b.create_block();
    let done = b.create_block();
    b.set_cold_block(last);
    b.ins().brif(c, dec, &[], done, &[]);
    b.switch_to_block(dec);
    let ptr = b.ins().load(types::I64, flags(), v, PAYLOAD_OFFSET as i32);
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
    b.switch_to_block(done);
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
    let c = b.ins().iconst(types::I64, cache as *const FieldCache as i64);
    let mut differ = None;
    for w in 0..2 {
        let have = b.ins().load(types::I64, flags(), obj, l.struct_shape + 8 * w);
        let want = b.ins().load(types::I64, flags(), c, FieldCache::SHAPE + 8 * w);
        let x = b.ins().bxor(have, want);
        differ = Some(match differ {
            Some(d) => b.ins().bor(d, x),
            None => x,
        });
    }
    let hit = b.create_block();
    b.ins().brif(differ.expect("two words"), slow, &[], hit, &[]);
    b.switch_to_block(hit);
    let index = b.ins().load(types::I64, flags(), c, FieldCache::INDEX);
    let values = b.ins().load(types::I64, flags(), obj, l.struct_values);
    nth(b, values, index)
}

/// The tag and payload of value `index` of the values starting at `values`.
fn nth(b: &mut FunctionBuilder<'_>, values: Value, index: Value) -> (Value, Value) {
    let el = value_at(b, values, index);
    parts(b, el)
}

/// The address of value `index` of the values starting at `values`.
fn value_at(b: &mut FunctionBuilder<'_>, values: Value, index: Value) -> Value {
    let off = b.ins().imul_imm_s(index, VALUE_SIZE as i64);
    b.ins().iadd(values, off)
}

/// Where the call `var = push(var, item)` leaves its operands: the variable (a
/// local, or a global whose binding is `mut`), and the callee, array and item on
/// the operand stack.
pub struct AppendAt {
    pub var: Value,
    pub callee: Value,
    pub array: Value,
    pub item: Value,
}

/// That call done in place, as the VM does it (`vm::call::appends_in_place`,
/// then `Rc::make_mut` and `Vec::push`), when the callee is an appending
/// builtin, the operand is the array the variable holds and no other reference
/// to it exists (strong count 2, the variable's and the operand's) and it has
/// room. The item moves into the array, the variable is left null and the array is the
/// call's result at the callee's position: the VM's state after CALL_UPDATE.
/// `slow` (changing nothing) otherwise.
pub fn append_in_place(b: &mut FunctionBuilder<'_>, l: HeapLayout, at: &AppendAt, slow: Block) {
    appending_builtin(b, at.callee, slow);
    let arr = payload_if(b, at.array, TAG_ARRAY, slow);
    // The compiler emits CALL_UPDATE only with the variable itself as the first
    // argument, so the variable's object is the operand's; checked anyway, as it is
    // what makes the count of 2 mean "no other reference".
    let ltag = b.ins().load(types::I8, flags(), at.var, TAG_OFFSET as i32);
    let lptr = b.ins().load(types::I64, flags(), at.var, PAYLOAD_OFFSET as i32);
    let other_tag = b.ins().icmp_imm_s(IntCC::NotEqual, ltag, TAG_ARRAY as i64);
    let other_ptr = b.ins().icmp(IntCC::NotEqual, lptr, arr);
    let other = b.ins().bor(other_tag, other_ptr);
    let same = b.create_block();
    b.ins().brif(other, slow, &[], same, &[]);
    b.switch_to_block(same);
    let len = room(b, l, arr, 2, slow);
    let item = Item { parts: parts(b, at.item), may_count: true };
    put_last(b, l, arr, len, item);
    let one = b.ins().iconst(types::I64, 1);
    b.ins().store(flags(), one, arr, l.strong);
    let null = b.ins().iconst(types::I8, TAG_NULL as i64);
    b.ins().store(flags(), null, at.var, TAG_OFFSET as i32);
    let array = b.ins().iconst(types::I8, TAG_ARRAY as i64);
    write(b, at.callee, (array, arr));
}

/// The array the value at `local` holds and its length, in a new block reached
/// only when `builtin` holds an appending builtin and the array is the
/// local's alone (strong count 1) with room for one more element: where the
/// VM's CALL_UPDATE, which empties the local first, appends in place. `slow`
/// (changing nothing) otherwise.
pub fn unshared_append(
    b: &mut FunctionBuilder<'_>,
    l: HeapLayout,
    builtin: Value,
    local: Value,
    slow: Block,
) -> (Value, Value) {
    appending_builtin(b, builtin, slow);
    let arr = payload_if(b, local, TAG_ARRAY, slow);
    let len = room(b, l, arr, 1, slow);
    (arr, len)
}

/// Continues in a new block when the value at `at` is a builtin marked
/// `appends`; `slow` otherwise.
fn appending_builtin(b: &mut FunctionBuilder<'_>, at: Value, slow: Block) {
    let f = payload_if(b, at, TAG_NATIVE, slow);
    let appends = b.ins().load(types::I8, flags(), f, Builtin::APPENDS_OFFSET);
    let is_append = b.create_block();
    b.ins().brif(appends, is_append, &[], slow, &[]);
    b.switch_to_block(is_append);
}

/// The length of the array `arr`, in a new block reached only when its strong
/// count is `strong`, it has no weak reference (what `Rc::make_mut` needs to
/// change it in place) and it has room for one more element; `slow` otherwise.
fn room(b: &mut FunctionBuilder<'_>, l: HeapLayout, arr: Value, strong: i64, slow: Block) -> Value {
    let len = b.ins().load(types::I64, flags(), arr, l.array_len);
    let cap = b.ins().load(types::I64, flags(), arr, l.array_cap);
    let full = b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, len, cap);
    refuse_shared_or(b, l, arr, strong, full, slow);
    len
}

/// Continues in a new block when `arr`'s strong count is `strong`, it has no
/// weak reference and `also` (an `i8` condition) is false; `slow` otherwise.
fn refuse_shared_or(b: &mut FunctionBuilder<'_>, l: HeapLayout, arr: Value, strong: i64, also: Value, slow: Block) {
    let s = b.ins().load(types::I64, flags(), arr, l.strong);
    let w = b.ins().load(types::I64, flags(), arr, l.weak);
    let s_off = b.ins().bxor_imm_s(s, strong);
    let w_off = b.ins().bxor_imm_s(w, 1);
    let counts_off = b.ins().bor(s_off, w_off);
    let shared = b.ins().icmp_imm_s(IntCC::NotEqual, counts_off, 0);
    let refuse = b.ins().bor(shared, also);
    let fits = b.create_block();
    b.ins().brif(refuse, slow, &[], fits, &[]);
    b.switch_to_block(fits);
}

/// `local[index] = value` as the VM does it when it cannot fail (`Rc::make_mut`
/// of an unshared array, an index in range), for an element that holds no
/// reference (nothing to release): reached only when `local` holds an array
/// that is its own alone, `0 <= index < len` and the element's kind is not
/// counted; `slow` (changing nothing) otherwise. `value` moves into the array.
pub fn set_element(b: &mut FunctionBuilder<'_>, l: HeapLayout, local: Value, index: Value, value: Item, slow: Block) {
    let arr = payload_if(b, local, TAG_ARRAY, slow);
    let len = b.ins().load(types::I64, flags(), arr, l.array_len);
    // Unsigned: a negative index (counted from the end) is the VM's to place.
    let outside = b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, index, len);
    refuse_shared_or(b, l, arr, 1, outside, slow);
    let elems = b.ins().load(types::I64, flags(), arr, l.array_ptr);
    let el = value_at(b, elems, index);
    let old = b.ins().load(types::I8, flags(), el, TAG_OFFSET as i32);
    let holds = counted(b, old);
    let plain = b.create_block();
    b.ins().brif(holds, slow, &[], plain, &[]);
    b.switch_to_block(plain);
    store_element(b, l, arr, el, value);
}

/// A value (tag and payload) about to be stored into an array, and whether it
/// may be a counted reference (not known to be a scalar).
#[derive(Clone, Copy)]
pub struct Item {
    pub parts: (Value, Value),
    pub may_count: bool,
}

/// Writes `item` at `el`, an element of array `arr`, and when it may be
/// counted, sets the array's flag (`Values::counted`) if it is.
fn store_element(b: &mut FunctionBuilder<'_>, l: HeapLayout, arr: Value, el: Value, item: Item) {
    write(b, el, item.parts);
    if item.may_count {
        let c = counted(b, item.parts.0);
        let was = b.ins().load(types::I8, flags(), arr, l.array_counted);
        let now = b.ins().bor(was, c);
        b.ins().store(flags(), now, arr, l.array_counted);
    }
}

/// Writes `item` (a reference the array now owns) after the `len` elements
/// of `arr`, which has room for it, and counts it.
pub fn put_last(b: &mut FunctionBuilder<'_>, l: HeapLayout, arr: Value, len: Value, item: Item) {
    let elems = b.ins().load(types::I64, flags(), arr, l.array_ptr);
    let el = value_at(b, elems, len);
    store_element(b, l, arr, el, item);
    let len1 = b.ins().iadd_imm_s(len, 1);
    b.ins().store(flags(), len1, arr, l.array_len);
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

/// The tag and payload of element `index` of the array at `at`, in a new block
/// reached only when `at` holds an array and `0 <= index < len`; `slow`
/// (changing nothing) otherwise, the negative indexes included.
pub fn element(b: &mut FunctionBuilder<'_>, l: HeapLayout, at: Value, index: Value, slow: Block) -> (Value, Value) {
    let arr = payload_if(b, at, TAG_ARRAY, slow);
    let len = b.ins().load(types::I64, flags(), arr, l.array_len);
    // Unsigned: a negative index is out of range here (the slow path handles
    // counting from the end).
    let inside = b.ins().icmp(IntCC::UnsignedLessThan, index, len);
    let fast = b.create_block();
    b.ins().brif(inside, fast, &[], slow, &[]);
    b.switch_to_block(fast);
    let elems = b.ins().load(types::I64, flags(), arr, l.array_ptr);
    nth(b, elems, index)
}
