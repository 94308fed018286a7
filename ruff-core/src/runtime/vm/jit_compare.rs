//! Tests framed native code makes through a helper: equality with `null`
//! (`ruff-jit`'s `framed::emit::nulls`) and the `case` of an enum variant.
//!
//! Equality with `null`:
//! `s == null` and `s != null` on a struct `s` ask its type's `op_eq` /
//! `op_ne` when the type has one; otherwise the answer is "not null". Each
//! such instruction of compiled code has a [`PlainTypeCache`]: the last
//! struct type it met that has neither method, which compiled code compares
//! with the struct's type itself. [`ruff_jit_plain_struct`] answers for
//! other types, and remembers the type when it has neither.

use std::rc::Rc;

use super::Vm;
use crate::bytecode::Const;
use crate::runtime::heap_layout::type_bits;
use crate::runtime::object::{StructType, TagKind};
use crate::runtime::tier::JitCtx;
use crate::runtime::value::Value;

/// A struct type known to have neither `op_eq` nor `op_ne` (see the module
/// documentation). It holds the type, so that no other type can be made at
/// its address while compiled code compares with it; a type never changes
/// once declared (declaring the name again makes a new one).
#[repr(C)]
#[derive(Debug, Default)]
pub struct PlainTypeCache {
    /// The held type's word ([`type_bits`]); 0 while empty.
    ty: u64,
    held: Option<Rc<StructType>>,
}

impl PlainTypeCache {
    /// Offset of the word compiled code reads.
    pub const TY: i32 = std::mem::offset_of!(PlainTypeCache, ty) as i32;
}

/// Whether the struct at `value` compares with `null` structurally: its type
/// (the one it was made with, or else the one its name has now, as the VM
/// finds it) has neither `op_eq` nor `op_ne`. Remembers a type it was made
/// with in `cache`. Returns 1 for plain, 0 when the VM must run the
/// comparison (or `value` is not a struct).
///
/// # Safety
/// `ctx` is the context of a framed entry that is running; `value` points at
/// an initialised value of its frame and `cache` at the instruction's live
/// cache.
pub unsafe extern "C" fn ruff_jit_plain_struct(
    ctx: *mut JitCtx,
    value: *const Value,
    cache: *mut PlainTypeCache,
) -> u32 {
    // SAFETY: as documented; nothing else refers to the VM during the call.
    let (vm, value, cache) = unsafe { (&*((*ctx).vm as *const Vm), &*value, &mut *cache) };
    let Value::Struct(s) = value else { return 0 };
    let Some(ty) = s.ty.as_ref().or_else(|| vm.structs.get(&s.name)) else { return 1 };
    if ty.method("op_eq").is_some() || ty.method("op_ne").is_some() {
        return 0;
    }
    if let Some(own) = &s.ty {
        cache.ty = type_bits(own);
        cache.held = Some(own.clone());
    }
    1
}

/// MATCH_ENUM with variant constant `variant` on the value at `at`, as the VM
/// runs it (`iter::match_enum`): when the value is that variant of that enum,
/// it is replaced by its payload (its first, or `null`) and the result is 1;
/// otherwise it is released (its position is dead) and the result is 0.
///
/// # Safety
/// `at` is an initialised value of a running frame, which the instruction
/// consumes; `variant` is the instruction's live `Const::Variant`.
pub unsafe extern "C" fn ruff_jit_match_enum(at: *mut Value, variant: *const Const) -> u32 {
    // SAFETY: as documented.
    let (slot, variant) = unsafe { (&mut *at, &*variant) };
    let Const::Variant { enum_name, variant } = variant else { unreachable!("MATCH_ENUM without a variant") };
    let payload = match slot {
        Value::Tagged(t) => match &t.kind {
            TagKind::Enum { enum_name: e, variant: v } if e == enum_name && v == variant => {
                Some(t.payload.first().cloned().unwrap_or(Value::Null))
            }
            _ => None,
        },
        _ => None,
    };
    let hit = payload.is_some();
    Value::assign(slot, payload.unwrap_or(Value::Null));
    u32::from(hit)
}
