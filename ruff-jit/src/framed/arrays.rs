//! Arrays handled inline by framed code, in any of their three forms (see
//! `ruff_core::runtime::values`): an element read by int index, an append in
//! place and an element store, each branching on the array's compact byte.
//! A compact array's elements are plain payloads of the kind the compact byte
//! names (it is their tag: ints, 8 bytes each, or bools, one byte each, 0 or
//! 1; what is read from one is of that kind, and only that kind is stored
//! into one); a boxed array's are values. Anything else (a shared array, a full one, an
//! index out of range, a value of another kind stored into a compact array,
//! which widens it) goes to the slow path the caller provides, changing
//! nothing.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, Block, InstBuilder, MemFlagsData, Value};
use cranelift_frontend::FunctionBuilder;
use ruff_core::runtime::builtins::Builtin;
use ruff_core::runtime::heap_layout::HeapLayout;
use ruff_core::runtime::value::{PAYLOAD_OFFSET, TAG_ARRAY, TAG_BOOL, TAG_INT, TAG_NATIVE, TAG_NULL, TAG_OFFSET};

use super::heap::{counted, held_or, or_slow, parts, payload_if, retain, value_at, write, Count};
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

/// One of an array's three forms (see `Values`): the block that goes on for
/// it, where its elements' pointer, length and capacity are, and for a compact
/// form its elements' tag.
#[derive(Clone, Copy)]
struct Form {
    block: Block,
    ptr: i32,
    len: i32,
    cap: i32,
    compact: Option<u8>,
}

impl Form {
    /// The address of element `index`, its elements starting at `elems`:
    /// 8 bytes each for ints, 1 for bools, a value's size for boxed values.
    fn at(self, b: &mut FunctionBuilder<'_>, elems: Value, index: Value) -> Value {
        match self.compact {
            Some(TAG_BOOL) => b.ins().iadd(elems, index),
            Some(_) => {
                let off = b.ins().ishl_imm_u(index, 3);
                b.ins().iadd(elems, off)
            }
            None => value_at(b, elems, index),
        }
    }

    /// The tag and payload of the element at `el`.
    fn read(self, b: &mut FunctionBuilder<'_>, el: Value) -> (Value, Value) {
        let Some(tag) = self.compact else { return parts(b, el) };
        let t = b.ins().iconst(types::I8, tag as i64);
        let payload = if tag == TAG_BOOL {
            b.ins().uload8(types::I64, flags(), el, 0)
        } else {
            b.ins().load(types::I64, flags(), el, 0)
        };
        (t, payload)
    }

    /// Writes the payload of a value of this compact form's kind at `el`: a
    /// bool's low byte (read from the frame, the rest of its word may be
    /// anything), an int's word.
    fn write_compact(self, b: &mut FunctionBuilder<'_>, el: Value, payload: Value) {
        if self.compact == Some(TAG_BOOL) {
            // The payload of whatever the code stores: a float's, whose tag
            // never lets this run (the kind is checked), is still stored as
            // an int's to be valid IR.
            let ty = b.func.dfg.value_type(payload);
            if ty == types::I8 {
                b.ins().store(flags(), payload, el, 0);
            } else {
                let word =
                    if ty.is_float() { b.ins().bitcast(ty.as_int(), MemFlagsData::new(), payload) } else { payload };
                b.ins().istore8(flags(), word, el, 0);
            }
        } else {
            b.ins().store(flags(), payload, el, 0);
        }
    }
}

/// The three forms of the array `arr`, ints, bools and boxed; the current
/// block ends in the branches between them, on the compact byte (the compact
/// elements' tag). Branches, not `select`s: with the offsets picked by
/// `select`, every address depended on the compact byte, and array_sum's build
/// and sum loops ran 34% and 21% slower than with a branch, which is always
/// predicted. Ints come first, one compare and branch as before bools had a
/// form of their own.
fn forms(b: &mut FunctionBuilder<'_>, l: HeapLayout, arr: Value) -> [Form; 3] {
    let compact = b.ins().load(types::I8, flags(), arr, l.array_compact);
    let [ints, not_ints, bools, boxed] = [(); 4].map(|_| b.create_block());
    let is_ints = b.ins().icmp_imm_s(IntCC::Equal, compact, TAG_INT as i64);
    b.ins().brif(is_ints, ints, &[], not_ints, &[]);
    b.switch_to_block(not_ints);
    b.ins().brif(compact, bools, &[], boxed, &[]);
    [
        Form { block: ints, ptr: l.ints_ptr, len: l.ints_len, cap: l.ints_cap, compact: Some(TAG_INT) },
        Form { block: bools, ptr: l.bools_ptr, len: l.bools_len, cap: l.bools_cap, compact: Some(TAG_BOOL) },
        Form { block: boxed, ptr: l.array_ptr, len: l.array_len, cap: l.array_cap, compact: None },
    ]
}

/// The tag and payload of element `index` of the array at `at`, in a new block
/// reached only when `at` holds an array and `0 <= index < len`; `slow`
/// (changing nothing) otherwise, the negative indexes included.
pub fn element(b: &mut FunctionBuilder<'_>, l: HeapLayout, at: Value, index: Value, slow: Block) -> (Value, Value) {
    let join = b.create_block();
    let tag = b.append_block_param(join, types::I8);
    let payload = b.append_block_param(join, types::I64);
    each_form(b, l, at, index, slow, |b, _, (t, p)| {
        b.ins().jump(join, &[t.into(), p.into()]);
    });
    b.switch_to_block(join);
    (tag, payload)
}

/// Element `index` of the array at `at` when it is an int, in a new block: as
/// [`element`], with `not_int` (changing nothing) for an element of another
/// kind. A compact array's elements are all of the kind its compact byte
/// says: the bools' form goes to `not_int` with no check.
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
    each_form(b, l, at, index, slow, |b, form, (t, p)| match form.compact {
        Some(TAG_INT) => {
            b.ins().jump(join, &[p.into()]);
        }
        Some(_) => {
            b.ins().jump(not_int, &[]);
        }
        None => {
            let is_int = b.ins().icmp_imm_s(IntCC::Equal, t, TAG_INT as i64);
            b.ins().brif(is_int, join, &[p.into()], not_int, &[]);
        }
    });
    b.switch_to_block(join);
    payload
}

/// Branches on the form of the array at `at` and, in each form's block once
/// `0 <= index < len` is checked (`slow` otherwise, as for anything but an
/// array), calls `read` with the form and the element's tag and payload;
/// `read` ends the block.
fn each_form(
    b: &mut FunctionBuilder<'_>,
    l: HeapLayout,
    at: Value,
    index: Value,
    slow: Block,
    mut read: impl FnMut(&mut FunctionBuilder<'_>, Form, (Value, Value)),
) {
    let arr = payload_if(b, at, TAG_ARRAY, slow);
    for form in forms(b, l, arr) {
        b.switch_to_block(form.block);
        let len = b.ins().load(types::I64, flags(), arr, form.len);
        // Unsigned: a negative index is out of range here (the slow path
        // handles counting from the end).
        let inside = b.ins().icmp(IntCC::UnsignedLessThan, index, len);
        let fast = b.create_block();
        b.ins().brif(inside, fast, &[], slow, &[]);
        b.switch_to_block(fast);
        let elems = b.ins().load(types::I64, flags(), arr, form.ptr);
        let el = form.at(b, elems, index);
        let parts = form.read(b, el);
        read(b, form, parts);
    }
}

/// The length of the array whose `Rc` pointer is `arr`: the sum of its three
/// vectors' lengths, as all but one of them are always empty (see `Values`),
/// with no branch on its form.
pub fn length(b: &mut FunctionBuilder<'_>, l: HeapLayout, arr: Value) -> Value {
    let ints = b.ins().load(types::I64, flags(), arr, l.ints_len);
    let bools = b.ins().load(types::I64, flags(), arr, l.bools_len);
    let boxed = b.ins().load(types::I64, flags(), arr, l.array_len);
    let compact = b.ins().iadd(ints, bools);
    b.ins().iadd(compact, boxed)
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
    let done = b.create_block();
    let (tag, payload) = item.parts;
    for form in forms(b, l, arr) {
        b.switch_to_block(form.block);
        let len = b.ins().load(types::I64, flags(), arr, form.len);
        let cap = b.ins().load(types::I64, flags(), arr, form.cap);
        let full = b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, len, cap);
        match form.compact {
            Some(kind) => {
                let at = CompactStore { arr, strong, past: full, index: len };
                at.write(b, l, form, kind, item.parts, slow);
            }
            None => {
                held_or(b, l, arr, Count::Exactly(strong), Some(full), slow);
                if item.new_ref {
                    retain(b, l, tag, payload);
                }
                let elems = b.ins().load(types::I64, flags(), arr, form.ptr);
                let el = form.at(b, elems, len);
                store_element(b, l, arr, el, item);
            }
        }
        let len1 = b.ins().iadd_imm_s(len, 1);
        b.ins().store(flags(), len1, arr, form.len);
        b.ins().jump(done, &[]);
    }
    b.switch_to_block(done);
}

/// Where an append or a store writes into a compact array `arr`: at `index`,
/// when `past` (the end reached, the index outside) is false and the strong
/// count is `strong`.
struct CompactStore {
    arr: Value,
    strong: i64,
    past: Value,
    index: Value,
}

impl CompactStore {
    /// Writes the value of these parts in `form` (whose elements' tag is
    /// `kind`), once the checks of [`append`] and [`set_element`] pass;
    /// `slow` otherwise.
    fn write(
        &self,
        b: &mut FunctionBuilder<'_>,
        l: HeapLayout,
        form: Form,
        kind: u8,
        parts: (Value, Value),
        slow: Block,
    ) {
        or_slow(b, self.past, slow);
        let other = other_kind(b, parts.0, kind);
        held_or(b, l, self.arr, Count::Exactly(self.strong), other, slow);
        let elems = b.ins().load(types::I64, flags(), self.arr, form.ptr);
        let el = form.at(b, elems, self.index);
        form.write_compact(b, el, parts.1);
    }
}

/// Whether `tag` is not `kind`, a compact form's elements' tag: `None` when
/// `tag` is that constant (an item the code pushes is often an int), so that
/// no check is made.
fn other_kind(b: &mut FunctionBuilder<'_>, tag: Value, kind: u8) -> Option<Value> {
    match const_of(b, tag) {
        Some(t) if t == kind as i64 => None,
        _ => Some(b.ins().icmp_imm_s(IntCC::NotEqual, tag, kind as i64)),
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
    let done = b.create_block();
    for form in forms(b, l, arr) {
        b.switch_to_block(form.block);
        let len = b.ins().load(types::I64, flags(), arr, form.len);
        // Unsigned: a negative index (counted from the end) is the VM's to place.
        let outside = b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, index, len);
        match form.compact {
            Some(kind) => {
                let at = CompactStore { arr, strong: 1, past: outside, index };
                at.write(b, l, form, kind, value.parts, slow);
            }
            None => {
                held_or(b, l, arr, Count::Exactly(1), Some(outside), slow);
                let elems = b.ins().load(types::I64, flags(), arr, form.ptr);
                let el = form.at(b, elems, index);
                let old = b.ins().load(types::I8, flags(), el, TAG_OFFSET as i32);
                let holds = counted(b, old);
                let plain = b.create_block();
                b.ins().brif(holds, slow, &[], plain, &[]);
                b.switch_to_block(plain);
                store_element(b, l, arr, el, value);
            }
        }
        b.ins().jump(done, &[]);
    }
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
