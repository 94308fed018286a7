//! Time and randomness (§8.10): wall-clock and monotonic timers, `sleep`, and a
//! small xorshift64* generator seeded from the clock. Nothing here is
//! deterministic, so goldens check these only by type.

use std::cell::Cell;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::arg::{arg_array, integer, number};
use super::{Arity, Builtin};
use crate::runtime::error::{fail, RuntimeError};
use crate::runtime::value::Value;
use crate::runtime::vm::Vm;

/// Longest single `sleep`, in milliseconds (one day).
const MAX_SLEEP_MS: f64 = 86_400_000.0;

/// The time library.
pub static TABLE: &[Builtin] = &[
    Builtin::new("now", Arity::Exact(0), now),
    Builtin::new("current_timestamp", Arity::Exact(0), current_timestamp),
    Builtin::new("time", Arity::Exact(0), current_timestamp),
    Builtin::new("performance_now", Arity::Exact(0), performance_now),
    Builtin::new("time_us", Arity::Exact(0), time_us),
    Builtin::new("time_ns", Arity::Exact(0), time_ns),
    Builtin::new("sleep", Arity::Exact(1), sleep),
    Builtin::new("random", Arity::Exact(0), random),
    Builtin::new("random_int", Arity::Exact(2), random_int),
    Builtin::new("random_choice", Arity::Exact(1), random_choice),
];

fn since_epoch() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default()
}

/// Whole seconds, as a float.
fn now(_: &mut Vm, _: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::Float(since_epoch().as_secs() as f64))
}

/// Milliseconds since the Unix epoch.
fn current_timestamp(_: &mut Vm, _: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::Int(since_epoch().as_millis() as i64))
}

/// Milliseconds since the VM's timer started.
fn performance_now(vm: &mut Vm, _: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::Float(vm.clock().elapsed().as_secs_f64() * 1000.0))
}

fn time_us(vm: &mut Vm, _: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::Float(vm.clock().elapsed().as_nanos() as f64 / 1000.0))
}

fn time_ns(vm: &mut Vm, _: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::Float(vm.clock().elapsed().as_nanos() as f64))
}

/// Flushes output first so a program that prints, then sleeps, shows its output.
fn sleep(vm: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let Some(ms) = number(&args[0]) else { return fail("sleep() requires a number of milliseconds") };
    vm.flush();
    if ms > 0.0 {
        std::thread::sleep(Duration::from_secs_f64(ms.min(MAX_SLEEP_MS) / 1000.0));
    }
    Ok(Value::Null)
}

thread_local! {
    static STATE: Cell<u64> = const { Cell::new(0) };
}

/// The next xorshift64* output; the state is seeded from the clock on first use.
fn next_u64() -> u64 {
    STATE.with(|s| {
        let mut x = s.get();
        if x == 0 {
            x = (since_epoch().as_nanos() as u64) | 1;
        }
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        s.set(x);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    })
}

/// Uniform in `[0, 1)` from the top 53 bits.
fn next_f64() -> f64 {
    (next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

fn random(_: &mut Vm, _: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::Float(next_f64()))
}

/// Inclusive on both ends.
fn random_int(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let (Some(lo), Some(hi)) = (integer(&args[0]), integer(&args[1])) else {
        return fail("random_int() requires two integer arguments");
    };
    if lo > hi {
        return fail("random_int() requires min <= max");
    }
    let span = (hi as i128 - lo as i128 + 1) as u128;
    let pick = (next_u64() as u128 % span) as i128;
    Ok(Value::Int((lo as i128 + pick) as i64))
}

fn random_choice(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let a = arg_array(args, 0, "random_choice() requires an array argument")?;
    if a.is_empty() {
        return fail("random_choice() requires a non-empty array");
    }
    Ok(a[(next_u64() % a.len() as u64) as usize].clone())
}
