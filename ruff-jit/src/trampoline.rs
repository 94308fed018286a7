//! The `NativeEntry` of most call units, written once in Rust: it checks the
//! unit's global assumptions and its arguments' tags, unboxes the arguments,
//! calls the unit's direct entry (with its call budget) and boxes the result,
//! reading what differs from unit to unit (the direct entry's address, the
//! argument kinds, the guards) from its [`Trampoline`], the entry's `data`.
//!
//! It does what `wrapper` builds with Cranelift for each unit, without a second
//! function to compile: fib compiled in 881 µs instead of 1,070, tak in 1,746
//! instead of 1,859 (medians of 5 alternating runs, README).
//!
//! Calling the direct entry from Rust needs a Rust function type with the same
//! machine-level signature. On x86-64 System V (the only target where this is
//! used; others get the Cranelift wrapper), integer arguments take rdi, rsi,
//! rdx, rcx, r8, r9 in order and floats take xmm0–xmm7 in order, each class
//! counted on its own, so `(ctx, budget, ints..., floats...)` passes every value
//! in the register that Cranelift's `(ctx, budget, args...)` expects, whatever
//! the interleaving of ints and floats, as long as all fit in registers. The
//! direct entry returns (value, status): two integers come back in rax and
//! rdx, a float and an integer in xmm0 and rax, which is how the C ABI returns
//! the `#[repr(C)]` structs [`IntPair`] and [`FloatPair`]. A bool travels as
//! an `i8` in an integer register: Cranelift ignores the upper bits of an
//! argument and leaves those of a result undefined (masked off here). So
//! there is one Rust caller per count of integer and float arguments and per
//! class of result, generated below; units with more arguments than that, and
//! every unit on other targets, use the Cranelift wrapper.

use std::ffi::c_void;

use cranelift_codegen::isa::CallConv;
use ruff_core::runtime::tier::{bail, status, JitCtx};
use ruff_core::runtime::value::{Value, PAYLOAD_OFFSET, TAG_OFFSET, VALUE_SIZE};

use crate::analyze::{GlobalGuard, Kind};
use crate::translate::tag_of;

/// Integer arguments after the context and the call budget (6 registers in all).
const MAX_INTS: usize = 4;
/// Float arguments (Rust callers generated for up to this many).
const MAX_FLOATS: usize = 4;

/// What the trampoline needs to know about a unit.
pub struct Trampoline {
    direct: *const u8,
    call: Caller,
    params: Box<[Param]>,
    ret: Kind,
    guards: Box<[GlobalGuard]>,
}

/// How one argument is checked and passed.
#[derive(Clone, Copy)]
struct Param {
    tag: u8,
    kind: Kind,
}

/// Calls a direct entry with the arguments gathered by class; returns the
/// result's bits and the status.
type Caller = unsafe fn(*const u8, *mut JitCtx, u64, &[i64; MAX_INTS], &[f64; MAX_FLOATS]) -> (u64, u64);

/// A direct entry's (int-like result, status) in rax and rdx.
#[repr(C)]
struct IntPair(u64, u64);

/// A direct entry's (float result, status) in xmm0 and rax.
#[repr(C)]
struct FloatPair(f64, u64);

trait Pair {
    fn bits(self) -> (u64, u64);
}

impl Pair for IntPair {
    fn bits(self) -> (u64, u64) {
        (self.0, self.1)
    }
}

impl Pair for FloatPair {
    fn bits(self) -> (u64, u64) {
        (self.0.to_bits(), self.1)
    }
}

macro_rules! int_arg {
    ($i:tt) => {
        i64
    };
}

macro_rules! float_arg {
    ($i:tt) => {
        f64
    };
}

/// A caller passing `ints[i]` for each listed `i`, then `floats[f]`.
macro_rules! caller {
    ($ret:ty; [$($i:tt)*] [$($f:tt)*]) => {{
        #[allow(unused_variables)]
        unsafe fn call(
            direct: *const u8,
            ctx: *mut JitCtx,
            budget: u64,
            ints: &[i64; MAX_INTS],
            floats: &[f64; MAX_FLOATS],
        ) -> (u64, u64) {
            type Direct = unsafe extern "C" fn(*mut JitCtx, u64 $(, int_arg!($i))* $(, float_arg!($f))*) -> $ret;
            // SAFETY: `direct` is a finalized direct entry whose arguments fill
            // the same registers as `Direct`'s (module notes).
            let f = unsafe { std::mem::transmute::<*const u8, Direct>(direct) };
            // SAFETY: as above; the direct entry reads `ctx` and its arguments.
            unsafe { f(ctx, budget $(, ints[$i])* $(, floats[$f])*) }.bits()
        }
        call as Caller
    }};
}

/// Callers with these integer arguments, for 0 to `MAX_FLOATS` floats.
macro_rules! row {
    ($ret:ty; $($i:tt)*) => {
        [
            caller!($ret; [$($i)*] []),
            caller!($ret; [$($i)*] [0]),
            caller!($ret; [$($i)*] [0 1]),
            caller!($ret; [$($i)*] [0 1 2]),
            caller!($ret; [$($i)*] [0 1 2 3]),
        ]
    };
}

/// Callers by count of integer, then float, arguments.
macro_rules! table {
    ($ret:ty) => {
        [row!($ret;), row!($ret; 0), row!($ret; 0 1), row!($ret; 0 1 2), row!($ret; 0 1 2 3)]
    };
}

static INT_CALLERS: [[Caller; MAX_FLOATS + 1]; MAX_INTS + 1] = table!(IntPair);
static FLOAT_CALLERS: [[Caller; MAX_FLOATS + 1]; MAX_INTS + 1] = table!(FloatPair);

impl Trampoline {
    /// The trampoline of a direct entry at `direct` taking `params` and
    /// returning `ret`, or `None` when it cannot call it (another calling
    /// convention, or arguments beyond the registers it knows).
    pub fn new(
        direct: *const u8,
        params: &[Kind],
        ret: Kind,
        guards: &[GlobalGuard],
        cc: CallConv,
    ) -> Option<Trampoline> {
        if !cfg!(target_arch = "x86_64") || cc != CallConv::SystemV {
            return None;
        }
        let floats = params.iter().filter(|k| **k == Kind::Float).count();
        let ints = params.len() - floats;
        if params.iter().any(|k| !matches!(k, Kind::Null | Kind::Bool | Kind::Int | Kind::Float))
            || !matches!(ret, Kind::Null | Kind::Bool | Kind::Int | Kind::Float | Kind::Bottom)
        {
            return None;
        }
        let table = if ret == Kind::Float { &FLOAT_CALLERS } else { &INT_CALLERS };
        let call = *table.get(ints)?.get(floats)?;
        let params = params.iter().map(|&kind| Param { tag: tag_of(kind), kind }).collect();
        Some(Trampoline { direct, call, params, ret, guards: guards.into() })
    }

    /// The `data` of [`enter`].
    pub fn data(&self) -> *const c_void {
        (self as *const Trampoline).cast()
    }
}

/// The `NativeEntry` of units with a [`Trampoline`] (`data`).
///
/// # Safety
/// `data` is a live `Trampoline`; `ctx` is the VM's context with its globals
/// refreshed; `values` holds the unit's arguments; `out` may be written.
pub unsafe extern "C" fn enter(ctx: *mut JitCtx, values: *const Value, out: *mut Value, data: *const c_void) -> u32 {
    // SAFETY: the caller's contract.
    let t = unsafe { &*data.cast::<Trampoline>() };
    if !t.guards.is_empty() {
        // SAFETY: `ctx` is valid (the caller's contract).
        let globals = unsafe { (*ctx).globals }.cast::<u8>();
        for g in t.guards.iter() {
            // SAFETY: the guards name globals that existed at compile time, and
            // globals are never removed; a function's payload is a pointer,
            // read only once the tag says the global holds a function.
            let stale = unsafe {
                let v = globals.add(g.global as usize * VALUE_SIZE);
                v.add(TAG_OFFSET).read() != g.tag
                    || g.closure.is_some_and(|c| v.add(PAYLOAD_OFFSET).cast::<usize>().read_unaligned() != c)
            };
            if stale {
                // SAFETY: as above.
                unsafe { (*ctx).bail = bail::GUARD };
                return status::BAILED;
            }
        }
    }
    let mut ints = [0i64; MAX_INTS];
    let mut floats = [0f64; MAX_FLOATS];
    let (mut ni, mut nf) = (0, 0);
    for (i, p) in t.params.iter().enumerate() {
        // SAFETY: `values` holds one value per parameter.
        let v = unsafe { values.cast::<u8>().add(i * VALUE_SIZE) };
        // SAFETY: the tag byte is always initialised.
        if unsafe { v.add(TAG_OFFSET).read() } != p.tag {
            return status::MISMATCH;
        }
        // SAFETY: the tag says which payload the value has.
        let bits = unsafe {
            match p.kind {
                Kind::Int | Kind::Float => v.add(PAYLOAD_OFFSET).cast::<u64>().read_unaligned(),
                Kind::Bool => u64::from(v.add(PAYLOAD_OFFSET).read()),
                _ => 0,
            }
        };
        if p.kind == Kind::Float {
            if let Some(slot) = floats.get_mut(nf) {
                *slot = f64::from_bits(bits);
            }
            nf += 1;
        } else {
            if let Some(slot) = ints.get_mut(ni) {
                *slot = bits as i64;
            }
            ni += 1;
        }
    }
    // The call budget (`translate::entry_budget`).
    // SAFETY: `ctx` is valid (the caller's contract).
    let budget = unsafe { (*ctx).depth_limit };
    // SAFETY: `call` was chosen for these counts of arguments and this result.
    let (r, flag) = unsafe { (t.call)(t.direct, ctx, budget, &ints, &floats) };
    if flag != 0 {
        return status::BAILED;
    }
    let payload = match t.ret {
        Kind::Bool => r & 0xff,
        Kind::Int | Kind::Float => r,
        _ => 0,
    };
    // SAFETY: `out` may be written (caller's contract).
    unsafe { store(out, tag_of(t.ret), payload) };
    status::DONE
}

/// Writes a scalar value as one 16-byte store: the VM reads the value back
/// whole at once, and a value stored as two parts misses store-to-load
/// forwarding (as `scalar::store_result` explains for Cranelift's side).
unsafe fn store(out: *mut Value, tag: u8, payload: u64) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE2 is part of x86-64; `out` is 16 writable bytes.
    unsafe {
        use std::arch::x86_64::{__m128i, _mm_set_epi64x, _mm_storeu_si128};
        _mm_storeu_si128(out.cast::<__m128i>(), _mm_set_epi64x(payload as i64, i64::from(tag)));
    }
    #[cfg(not(target_arch = "x86_64"))]
    // SAFETY: as above.
    unsafe {
        let p = out.cast::<u8>();
        p.add(TAG_OFFSET).write(tag);
        p.add(PAYLOAD_OFFSET).cast::<u64>().write_unaligned(payload);
    }
}
