//! Arrays handled inline by framed code, in either of their two forms (see
//! `ruff_core::runtime::values`): an element read by int index, an append in
//! place and an element store, each branching on the array's compact byte.
//! A compact array's elements are plain payloads, 8 bytes each, of the kind
//! the compact byte names (it is their tag: ints, or bools as 0 and 1; what
//! is read from one is of that kind, and only that kind is stored into one);
//! a boxed array's are values. Anything else (a shared array, a full one, an
//! index out of range, a value of another kind stored into a compact array,
//! which widens it) goes to the slow path the caller provides, changing
//! nothing.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, Block, InstBuilder, Value};
use cranelift_frontend::FunctionBuilder;
use ruff_core::runtime::builtins::Builtin;
use ruff_core::runtime::heap_layout::HeapLayout;
use ruff_core::runtime::value::{PAYLOAD_OFFSET, TAG_ARRAY, TAG_BOOL, TAG_INT, TAG_NATIVE, TAG_NULL, TAG_OFFSET};

use super::heap::{counted, or_slow, parts, payload_if, retain, unshared_or, value_at, write};
use crate::scalar::{const_of, flags};

/// A value (tag and payload) about to be stored into an array: whether it may
/// be a counted reference (not known to be a scalar), and whether the array
/// takes a new reference to it (it stays where it was read) rather than the
/// one it was given (it moves in).
#[derive(Clone, Copy)]
pub struct Item {
    pub parts: (Value, Value),
    pub may_count: bool,
    pub new_ref: bool,
}

/// The two blocks that go on from here for the array `arr`, compact and
/// boxed (the current block ends in the branch between them), and the
/// compact byte (the compact elements' tag). A branch, not `select`s: with
/// the offsets picked by `select`, every address depended on the compact
/// byte, and array_sum's build and sum loops ran 34% and 21% slower than with
/// this branch, which is always predicted.
fn forms(b: &mut FunctionBuilder<'_>, l: HeapLayout, arr: Value) -> (Block, Block, Value) {
    let compact = b.ins().load(types::I8, flags(), arr, l.array_compact);
    let (ints, boxed) = (b.create_block(), b.create_block());
    b.ins().brif(compact, ints, &[], boxed, &[]);
    (ints, boxed, compact)
}

/// The address of element `index` of a compact array whose elements start at
/// `elems`.
fn int_at(b: &mut FunctionBuilder<'_>, elems: Value, index: Value) -> Value {
    let off = b.ins().ishl_imm_u(index, 3);
    b.ins().iadd(elems, off)
}

/// The tag and payload of element `index` of the array at `at`, in a new block
/// reached only when `at` holds an array and `0 <= index < len`; `slow`
/// (changing nothing) otherwise, the negative indexes included.
pub fn element(b: &mut FunctionBuilder<'_>, l: HeapLayout, at: Value, index: Value, slow: Block) -> (Value, Value) {
    let join = b.create_block();
    let tag = b.append_block_param(join, types::I8);
    let payload = b.append_block_param(join, types::I64);
    each_form(b, l, at, index, slow, |b, el, form| {
        let (t, p) = match form {
            Some(tag) => (tag, b.ins().load(types::I64, flags(), el, 0)),
            None => parts(b, el),
        };
        b.ins().jump(join, &[t.into(), p.into()]);
    });
    b.switch_to_block(join);
    (tag, payload)
}

/// Element `index` of the array at `at` when it is an int, in a new block: as
/// [`element`], with `not_int` (changing nothing) for an element of another
/// kind. A compact array's elements are all of the kind its compact byte
/// says.
pub fn int_element(
    b: &mut FunctionBuilder<'_>,
    l: HeapLayout,
    at: Value,
    index: Value,
    slow: Block,
    not_int: Block,
) -> Value {
    let join = b.create_block();
    let payload = b.append_block_param(join, types::I64);
    each_form(b, l, at, index, slow, |b, el, form| {
        let (t, p) = match form {
            Some(tag) => (tag, b.ins().load(types::I64, flags(), el, 0)),
            None => parts(b, el),
        };
        let is_int = b.ins().icmp_imm_s(IntCC::Equal, t, TAG_INT as i64);
        b.ins().brif(is_int, join, &[p.into()], not_int, &[]);
    });
    b.switch_to_block(join);
    payload
}

/// Branches on the form of the array at `at` and, in each form's block once
/// `0 <= index < len` is checked (`slow` otherwise, as for anything but an
/// array), calls `read` with the element's address and, for the compact form,
/// its elements' tag; `read` ends the block.
fn each_form(
    b: &mut FunctionBuilder<'_>,
    l: HeapLayout,
    at: Value,
    index: Value,
    slow: Block,
    mut read: impl FnMut(&mut FunctionBuilder<'_>, Value, Option<Value>),
) {
    let arr = payload_if(b, at, TAG_ARRAY, slow);
    let (ints, boxed, form) = forms(b, l, arr);
    for (block, len_at, ptr_at) in [(ints, l.ints_len, l.ints_ptr), (boxed, l.array_len, l.array_ptr)] {
        b.switch_to_block(block);
        let len = b.ins().load(types::I64, flags(), arr, len_at);
        // Unsigned: a negative index is out of range here (the slow path
        // handles counting from the end).
        let inside = b.ins().icmp(IntCC::UnsignedLessThan, index, len);
        let fast = b.create_block();
        b.ins().brif(inside, fast, &[], slow, &[]);
        b.switch_to_block(fast);
        let elems = b.ins().load(types::I64, flags(), arr, ptr_at);
        let compact = block == ints;
        let el = if compact { int_at(b, elems, index) } else { value_at(b, elems, index) };
        read(b, el, compact.then_some(form));
    }
}

/// The length of the array whose `Rc` pointer is `arr`: the sum of its two
/// vectors' lengths, as one of them is always empty (see `Values`), with no
/// branch on its form.
pub fn length(b: &mut FunctionBuilder<'_>, l: HeapLayout, arr: Value) -> Value {
    let ints = b.ins().load(types::I64, flags(), arr, l.ints_len);
    let boxed = b.ins().load(types::I64, flags(), arr, l.array_len);
    b.ins().iadd(ints, boxed)
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
/// then `Rc::make_mut` and `Values::push`), when the callee is an appending
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
    let item = Item { parts: parts(b, at.item), may_count: true, new_ref: false };
    append(b, l, arr, 2, item, slow);
    let one = b.ins().iconst(types::I64, 1);
    b.ins().store(flags(), one, arr, l.strong);
    let null = b.ins().iconst(types::I8, TAG_NULL as i64);
    b.ins().store(flags(), null, at.var, TAG_OFFSET as i32);
    let array = b.ins().iconst(types::I8, TAG_ARRAY as i64);
    write(b, at.callee, (array, arr));
}

/// The array the value at `local` holds, in a new block reached only when
/// `builtin` holds an appending builtin and the value is an array: where the
/// VM's CALL_UPDATE, which empties the local first, may append in place
/// ([`append`] checks the rest). `slow` (changing nothing) otherwise.
pub fn appending_to(b: &mut FunctionBuilder<'_>, builtin: Value, local: Value, slow: Block) -> Value {
    appending_builtin(b, builtin, slow);
    payload_if(b, local, TAG_ARRAY, slow)
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

/// Appends `item` to the array `arr` in place, in a new block reached only
/// when the array's strong count is `strong`, it has no weak reference (what
/// `Rc::make_mut` needs to change it in place), it has room for one more
/// element and, when it is compact, the item is of its elements' kind; `slow`
/// (changing nothing) otherwise.
pub fn append(b: &mut FunctionBuilder<'_>, l: HeapLayout, arr: Value, strong: i64, item: Item, slow: Block) {
    let (ints, boxed, form) = forms(b, l, arr);
    let done = b.create_block();
    let (tag, payload) = item.parts;
    b.switch_to_block(ints);
    let len = b.ins().load(types::I64, flags(), arr, l.ints_len);
    let cap = b.ins().load(types::I64, flags(), arr, l.ints_cap);
    let full = b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, len, cap);
    or_slow(b, full, slow);
    let other = other_kind(b, tag, form);
    unshared_or(b, l, arr, strong, other, slow);
    let elems = b.ins().load(types::I64, flags(), arr, l.ints_ptr);
    let el = int_at(b, elems, len);
    let word = compact_payload(b, tag, payload);
    b.ins().store(flags(), word, el, 0);
    let len1 = b.ins().iadd_imm_s(len, 1);
    b.ins().store(flags(), len1, arr, l.ints_len);
    b.ins().jump(done, &[]);

    b.switch_to_block(boxed);
    let len = b.ins().load(types::I64, flags(), arr, l.array_len);
    let cap = b.ins().load(types::I64, flags(), arr, l.array_cap);
    let full = b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, len, cap);
    unshared_or(b, l, arr, strong, full, slow);
    if item.new_ref {
        retain(b, l, tag, payload);
    }
    let elems = b.ins().load(types::I64, flags(), arr, l.array_ptr);
    let el = value_at(b, elems, len);
    store_element(b, l, arr, el, item);
    let len1 = b.ins().iadd_imm_s(len, 1);
    b.ins().store(flags(), len1, arr, l.array_len);
    b.ins().jump(done, &[]);
    b.switch_to_block(done);
}

/// Whether `tag` is not `form`, the compact elements' tag (compared with a
/// constant when `tag` is one: an item the code pushes is often an int).
fn other_kind(b: &mut FunctionBuilder<'_>, tag: Value, form: Value) -> Value {
    match const_of(b, tag) {
        Some(t) => b.ins().icmp_imm_s(IntCC::NotEqual, form, t),
        None => b.ins().icmp(IntCC::NotEqual, tag, form),
    }
}

/// The word a compact array keeps for a value of its kind with these parts.
/// A bool's payload is one byte: read from the frame, the rest of its word
/// may be anything, and is cleared (one built by compiled code, whose tag is
/// a constant, is 0 or 1 already).
fn compact_payload(b: &mut FunctionBuilder<'_>, tag: Value, payload: Value) -> Value {
    match const_of(b, tag) {
        Some(_) => payload,
        None => {
            let is_bool = b.ins().icmp_imm_s(IntCC::Equal, tag, TAG_BOOL as i64);
            let byte = b.ins().band_imm_s(payload, 0xff);
            b.ins().select(is_bool, byte, payload)
        }
    }
}

/// `local[index] = value` as the VM does it when it cannot fail (`Rc::make_mut`
/// of an unshared array, an index in range), for an element that holds no
/// reference (nothing to release): reached only when `local` holds an array
/// that is its own alone, `0 <= index < len`, the element's kind is not
/// counted and, when the array is compact, `value` is of its elements' kind;
/// `slow` (changing nothing) otherwise. `value` moves into the array.
pub fn set_element(b: &mut FunctionBuilder<'_>, l: HeapLayout, local: Value, index: Value, value: Item, slow: Block) {
    let arr = payload_if(b, local, TAG_ARRAY, slow);
    let (ints, boxed, form) = forms(b, l, arr);
    let done = b.create_block();
    let (tag, payload) = value.parts;
    b.switch_to_block(ints);
    let len = b.ins().load(types::I64, flags(), arr, l.ints_len);
    // Unsigned: a negative index (counted from the end) is the VM's to place.
    let outside = b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, index, len);
    or_slow(b, outside, slow);
    let other = other_kind(b, tag, form);
    unshared_or(b, l, arr, 1, other, slow);
    let elems = b.ins().load(types::I64, flags(), arr, l.ints_ptr);
    let el = int_at(b, elems, index);
    let word = compact_payload(b, tag, payload);
    b.ins().store(flags(), word, el, 0);
    b.ins().jump(done, &[]);

    b.switch_to_block(boxed);
    let len = b.ins().load(types::I64, flags(), arr, l.array_len);
    let outside = b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, index, len);
    unshared_or(b, l, arr, 1, outside, slow);
    let elems = b.ins().load(types::I64, flags(), arr, l.array_ptr);
    let el = value_at(b, elems, index);
    let old = b.ins().load(types::I8, flags(), el, TAG_OFFSET as i32);
    let holds = counted(b, old);
    let plain = b.create_block();
    b.ins().brif(holds, slow, &[], plain, &[]);
    b.switch_to_block(plain);
    store_element(b, l, arr, el, value);
    b.ins().jump(done, &[]);
    b.switch_to_block(done);
}

/// Writes `item` at `el`, an element of the boxed array `arr`, and when it may
/// be counted, sets the array's flag (`Values::counted`) if it is.
fn store_element(b: &mut FunctionBuilder<'_>, l: HeapLayout, arr: Value, el: Value, item: Item) {
    write(b, el, item.parts);
    if item.may_count {
        let c = counted(b, item.parts.0);
        let was = b.ins().load(types::I8, flags(), arr, l.array_counted);
        let now = b.ins().bor(was, c);
        b.ins().store(flags(), now, arr, l.array_counted);
    }
}
