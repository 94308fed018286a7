//! Integer `/` and `%` by a constant, as multiplications and shifts.
//!
//! The VM divides with Rust's `/` and `%` on `i64`: the quotient truncates
//! toward zero and the remainder takes the dividend's sign. A hardware divide
//! takes tens of cycles; by a known divisor `d` the same quotient is a
//! multiply-high by a "magic" constant and shifts (Granlund and Montgomery,
//! "Division by Invariant Integers using Multiplication", 1994; the derivation
//! of the magic constant follows Warren, *Hacker's Delight*, chapter 10). The
//! remainder is then `n - q * d`, which cannot overflow because `|q * d| <= |n|`.
//! Divisors 0 and -1 never come here: they can raise, and `Scalar::arith`
//! emits the VM's checks and a hardware divide for them.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, InstBuilder, Value};
use cranelift_frontend::FunctionBuilder;

/// How to divide by one constant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Method {
    /// `d == 1`: the quotient is the dividend, the remainder 0.
    One,
    /// `|d| == 2^k`: a shift, rounding negative dividends toward zero.
    Shift { k: u32, negative: bool },
    /// Anything else: `q = mulhi(n, m)`, corrected by `n`, shifted right by
    /// `s`, plus one when negative (for a positive `d`, when `n` is negative).
    Magic { m: i64, s: u32, fixup: Fixup },
}

/// The correction of the multiply-high in [`Method::Magic`]: `m` is computed as
/// an unsigned value of up to 64 bits; read as an `i64`, its sign may differ
/// from `d`'s, and the high word of the product then needs `n` added back
/// (positive `d`) or taken away (negative `d`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fixup {
    None,
    AddN,
    SubN,
}

/// The method for divisor `d` (`d` is not 0 or -1).
fn method(d: i64) -> Method {
    debug_assert!(d != 0 && d != -1);
    if d == 1 {
        return Method::One;
    }
    let ad = d.unsigned_abs();
    if ad.is_power_of_two() {
        return Method::Shift { k: ad.trailing_zeros(), negative: d < 0 };
    }
    let (m, s) = magic(d);
    let fixup = match (d > 0, m < 0) {
        (true, true) => Fixup::AddN,
        (false, false) => Fixup::SubN,
        _ => Fixup::None,
    };
    Method::Magic { m, s, fixup }
}

/// The magic multiplier and shift for a divisor `d` with `|d| >= 3` that is not a
/// power of two, of either sign. With `ad = |d|` and `anc` the largest dividend
/// magnitude whose remainder by `ad` is `ad - 1` (one more for negative `d`):
/// the smallest `p >= 64` with `2^p > anc * (ad - 2^p mod ad)`; then
/// `m = (2^p + ad - 2^p mod ad) / ad`, negated for negative `d`, and the shift
/// is `p - 64`.
fn magic(d: i64) -> (i64, u32) {
    const TWO63: u64 = 1 << 63;
    let ad = d.unsigned_abs();
    let t = TWO63 + ((d as u64) >> 63);
    let anc = t - 1 - t % ad;
    let mut p = 63u32;
    let (mut q1, mut r1) = (TWO63 / anc, TWO63 % anc);
    let (mut q2, mut r2) = (TWO63 / ad, TWO63 % ad);
    loop {
        p += 1;
        // Doubling q1, r1 (2^p / anc) and q2, r2 (2^p / ad) step by step keeps
        // every value inside 64 bits.
        q1 = q1.wrapping_mul(2);
        r1 = r1.wrapping_mul(2);
        if r1 >= anc {
            q1 = q1.wrapping_add(1);
            r1 = r1.wrapping_sub(anc);
        }
        q2 = q2.wrapping_mul(2);
        r2 = r2.wrapping_mul(2);
        if r2 >= ad {
            q2 = q2.wrapping_add(1);
            r2 = r2.wrapping_sub(ad);
        }
        let delta = ad - r2;
        if !(q1 < delta || (q1 == delta && r1 == 0)) {
            break;
        }
    }
    let m = q2.wrapping_add(1) as i64;
    (if d < 0 { m.wrapping_neg() } else { m }, p - 64)
}

/// The multiplier and shift for dividing dividends in `0 <= n < 2^63` by a
/// positive `d` that is not a power of two, unsigned: `n / d` is
/// `umulhi(n, m) >> s`, with no correction (one bit of the dividend to spare
/// leaves room for the multiplier in 64 bits). With `l = ceil(log2 d)`,
/// `p = 63 + l` and `m = ceil(2^p / d)`, the error `e = m d - 2^p` is below
/// `d <= 2^(p - 63)`, so `n e < 2^p` for every such `n`, and then
/// `n m / 2^p = n / d + n e / (d 2^p)` has the floor of `n / d` (the remainder
/// part `r / d` stays below `(d - 1) / d`, and the error part below `1 / d`).
/// `None` if `m` does not fit in 64 bits (never, for `d < 2^63`: the check is
/// the proof's margin).
fn unsigned_magic(d: i64) -> Option<(u64, u32)> {
    debug_assert!(d >= 3 && !d.unsigned_abs().is_power_of_two());
    let d = d as u128;
    let l = 128 - (d - 1).leading_zeros();
    let p = 63 + l;
    let m = (1u128 << p).div_ceil(d);
    (m >> 64 == 0).then_some((m as u64, p - 64))
}

/// `n / d` (truncating) when `rem` is false, `n % d` when it is; `d` is not 0
/// or -1. `nonneg`: `n` is known not to be negative.
///
/// A positive divisor that needs a magic multiplier divides a non-negative
/// dividend the unsigned way ([`unsigned_magic`]): a multiply-high and a shift,
/// two operations fewer on the dependency chain from `n` to the result than the
/// signed way (fib_iterative's `b = (a + b) % 1000000007`, where the chain is
/// the loop's whole latency). When the dividend is not known to be
/// non-negative, a branch on its sign picks the way, the signed one out of line.
pub fn emit(b: &mut FunctionBuilder<'_>, n: Value, d: i64, rem: bool, nonneg: bool) -> Value {
    let q = match method(d) {
        Method::One if rem => return b.ins().iconst(types::I64, 0),
        Method::One => n,
        Method::Shift { k, negative: false } if nonneg => {
            if rem {
                return b.ins().band_imm_s(n, (1i64 << k) - 1);
            }
            b.ins().sshr_imm_s(n, k as i64)
        }
        Method::Shift { k, negative } => match shift_quotient(b, n, k, negative, rem) {
            Ok(q) => q,
            Err(r) => return r,
        },
        Method::Magic { m, s, fixup } => match (d > 0).then(|| unsigned_magic(d)).flatten() {
            Some((um, us)) if nonneg => unsigned_quotient(b, n, um, us),
            Some((um, us)) => {
                let negative = b.ins().icmp_imm_s(IntCC::SignedLessThan, n, 0);
                let (fast, slow, join) = (b.create_block(), b.create_block(), b.create_block());
                b.append_block_param(join, types::I64);
                b.set_cold_block(slow);
                b.ins().brif(negative, slow, &[], fast, &[]);
                b.seal_block(fast);
                b.seal_block(slow);
                b.switch_to_block(fast);
                let q = unsigned_quotient(b, n, um, us);
                b.ins().jump(join, &[q.into()]);
                b.switch_to_block(slow);
                let q = signed_quotient(b, n, d, m, s, fixup);
                b.ins().jump(join, &[q.into()]);
                b.seal_block(join);
                b.switch_to_block(join);
                b.block_params(join)[0]
            }
            None => signed_quotient(b, n, d, m, s, fixup),
        },
    };
    if !rem {
        return q;
    }
    let qd = b.ins().imul_imm_s(q, d);
    b.ins().isub(n, qd)
}

/// `n / 2^k` (negated for a negative divisor), or, for `rem`, the remainder
/// itself (`Err`).
fn shift_quotient(b: &mut FunctionBuilder<'_>, n: Value, k: u32, negative: bool, rem: bool) -> Result<Value, Value> {
    // Add 2^k - 1 to negative dividends first, so the shift truncates
    // toward zero instead of rounding down.
    let sign = b.ins().sshr_imm_s(n, 63);
    let bias = b.ins().ushr_imm_s(sign, 64 - k as i64);
    let biased = b.ins().iadd(n, bias);
    if rem {
        // `q * d` is `biased` with its low k bits cleared, whichever
        // the sign of `d`.
        let qd = b.ins().band_imm_s(biased, (-1i64) << k);
        return Err(b.ins().isub(n, qd));
    }
    let q = b.ins().sshr_imm_s(biased, k as i64);
    Ok(if negative { b.ins().ineg(q) } else { q })
}

/// The quotient of a non-negative `n` by the divisor of [`unsigned_magic`]'s
/// `(m, s)`.
fn unsigned_quotient(b: &mut FunctionBuilder<'_>, n: Value, m: u64, s: u32) -> Value {
    let mc = b.ins().iconst(types::I64, m as i64);
    let q = b.ins().umulhi(n, mc);
    if s > 0 {
        b.ins().ushr_imm_s(q, s as i64)
    } else {
        q
    }
}

/// The quotient of any `n` by `d`, with [`Method::Magic`]'s `(m, s, fixup)`.
fn signed_quotient(b: &mut FunctionBuilder<'_>, n: Value, d: i64, m: i64, s: u32, fixup: Fixup) -> Value {
    let mc = b.ins().iconst(types::I64, m);
    let mut q = b.ins().smulhi(n, mc);
    q = match fixup {
        Fixup::AddN => b.ins().iadd(q, n),
        Fixup::SubN => b.ins().isub(q, n),
        Fixup::None => q,
    };
    if s > 0 {
        q = b.ins().sshr_imm_s(q, s as i64);
    }
    if d > 0 {
        // q is negative exactly when n is: take the sign from n, which
        // is ready before the multiply ends, off the dependency chain
        // through q (fib_iterative's `b = (a + b) % p`: 7% faster).
        let sign = b.ins().sshr_imm_s(n, 63);
        b.ins().isub(q, sign)
    } else {
        let up = b.ins().ushr_imm_s(q, 63);
        b.ins().iadd(q, up)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the emitted code computes, step for step, in Rust: the quotient and
    /// the remainder.
    fn divide(n: i64, d: i64) -> (i64, i64) {
        let q = match method(d) {
            Method::One => return (n, 0),
            Method::Shift { k, negative } => {
                let bias = (((n >> 63) as u64) >> (64 - k)) as i64;
                let biased = n.wrapping_add(bias);
                let r = n.wrapping_sub(biased & ((-1i64) << k));
                let q = biased >> k;
                return (if negative { q.wrapping_neg() } else { q }, r);
            }
            Method::Magic { m, s, fixup } => {
                let mut q = ((n as i128 * m as i128) >> 64) as i64;
                q = match fixup {
                    Fixup::AddN => q.wrapping_add(n),
                    Fixup::SubN => q.wrapping_sub(n),
                    Fixup::None => q,
                };
                q >>= s;
                if d > 0 {
                    q - (n >> 63)
                } else {
                    q + ((q as u64) >> 63) as i64
                }
            }
        };
        (q, n.wrapping_sub(q.wrapping_mul(d)))
    }

    /// A small deterministic generator (xorshift), so failures reproduce.
    fn numbers(seed: u64, count: usize) -> Vec<i64> {
        let mut x = seed;
        (0..count)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as i64
            })
            .collect()
    }

    fn divisors() -> Vec<i64> {
        let mut ds: Vec<i64> = (-300..=300).filter(|&d| d != 0 && d != -1).collect();
        for k in 1..63 {
            let p = 1i64 << k;
            ds.extend([p, -p, p - 1, p + 1, -(p - 1), -(p + 1)]);
        }
        ds.extend([i64::MAX, i64::MIN, i64::MIN + 1, 1_000_000_007, -1_000_000_007, 86_400, 3_600_000]);
        ds.extend(numbers(99, 2_000));
        ds.extend(numbers(7, 500).into_iter().map(|d| d >> 40));
        ds.retain(|&d| d != 0 && d != -1);
        ds
    }

    fn dividends() -> Vec<i64> {
        let mut ns = vec![0, 1, -1, 2, -2, 7, -7, i64::MAX, i64::MIN, i64::MAX - 1, i64::MIN + 1];
        for k in 1..63 {
            let p = 1i64 << k;
            ns.extend([p, -p, p - 1, -(p - 1), p + 1, -(p + 1)]);
        }
        ns.extend(numbers(12_345, 400));
        ns.extend(numbers(5, 200).into_iter().map(|n| n >> 33));
        ns
    }

    #[test]
    fn quotients_and_remainders_match_rusts_for_every_divisor_tried() {
        let ns = dividends();
        for d in divisors() {
            for &n in &ns {
                let (q, r) = divide(n, d);
                assert_eq!(q, n / d, "{n} / {d} with {:?}", method(d));
                assert_eq!(r, n % d, "{n} % {d} with {:?}", method(d));
            }
        }
    }

    /// What the emitted code computes for a dividend known not to be
    /// negative, or on the branch taken when it is not (`None`: the signed
    /// way, as for any dividend).
    fn divide_nonneg(n: i64, d: i64) -> Option<(i64, i64)> {
        let q = match method(d) {
            Method::Shift { k, negative: false } => return Some((n >> k, n & ((1i64 << k) - 1))),
            Method::Magic { .. } if d > 0 => {
                let (m, s) = unsigned_magic(d)?;
                (((n as u128 * m as u128) >> 64) as u64 >> s) as i64
            }
            _ => return None,
        };
        Some((q, n - q * d))
    }

    #[test]
    fn non_negative_dividends_divide_the_unsigned_way_for_every_divisor_tried() {
        let mut ns: Vec<i64> = dividends().into_iter().map(|n| n & i64::MAX).collect();
        ns.extend(numbers(77, 400).into_iter().map(|n| n & i64::MAX));
        for d in divisors().into_iter().filter(|&d| d > 1) {
            // The edges of the quotients: just below and at multiples of `d`,
            // the largest included.
            let top = i64::MAX / d;
            let mut around = Vec::new();
            for q in [1, 2, 3, top / 2, top - 1, top] {
                if let Some(x) = q.checked_mul(d) {
                    around.extend([x - 1, x, x.saturating_add(1)].into_iter().filter(|&v| v >= 0));
                }
            }
            if matches!(method(d), Method::Magic { .. }) {
                assert!(unsigned_magic(d).is_some(), "{d}: no unsigned multiplier");
            }
            for &n in ns.iter().chain(&around) {
                if let Some((q, r)) = divide_nonneg(n, d) {
                    assert_eq!((q, r), (n / d, n % d), "{n} by {d} the unsigned way");
                }
            }
        }
    }

    #[test]
    fn divisors_get_the_method_their_shape_asks_for() {
        assert_eq!(method(1), Method::One);
        assert_eq!(method(8), Method::Shift { k: 3, negative: false });
        assert_eq!(method(-8), Method::Shift { k: 3, negative: true });
        assert_eq!(method(i64::MIN), Method::Shift { k: 63, negative: true });
        assert!(matches!(method(7), Method::Magic { .. }));
        assert!(matches!(method(-1_000_000_007), Method::Magic { .. }));
    }
}
