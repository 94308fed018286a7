//! The operand and slot stack. A `Vec<Value>` whose `push` and `pop` move a value
//! as its tag byte and its 8-byte payload, never as one 16-byte block: values are
//! mostly built piecewise (a tag store and a payload store), and a 16-byte load of
//! a value stored piecewise a few cycles earlier misses store-to-load forwarding,
//! which perf showed as the dispatch loop's hottest instruction. Everything else
//! is the `Vec` (through `Deref`).

use std::mem::{ManuallyDrop, MaybeUninit};
use std::ops::{Deref, DerefMut};

use crate::runtime::value::{copy_split, Value};

#[derive(Debug, Default)]
pub(crate) struct Stack(Vec<Value>);

impl Stack {
    /// Offset of the vector in a `Stack` (see `frame_layout`).
    pub(crate) const VEC_OFFSET: usize = std::mem::offset_of!(Stack, 0);

    pub(crate) fn with_capacity(n: usize) -> Stack {
        Stack(Vec::with_capacity(n))
    }

    #[inline(always)]
    pub(crate) fn push(&mut self, v: Value) {
        if self.0.len() == self.0.capacity() {
            self.0.reserve(1);
        }
        let v = ManuallyDrop::new(v);
        let len = self.0.len();
        // SAFETY: there is room at `len` (reserved above); ownership moves from `v`
        // (never dropped) to the stack.
        unsafe {
            copy_split(&*v, self.0.as_mut_ptr().add(len));
            self.0.set_len(len + 1);
        }
    }

    /// Grows the stack to `len` with nulls (a new frame's locals); the generic
    /// `Vec::resize` is an out-of-line call that clones its fill value.
    #[inline(always)]
    pub(crate) fn grow_nulls(&mut self, len: usize) {
        let old = self.0.len();
        if len <= old {
            return;
        }
        self.0.reserve(len - old);
        // SAFETY: there is room up to `len` (reserved above); each position is
        // written before the length covers it.
        unsafe {
            let p = self.0.as_mut_ptr();
            for i in old..len {
                std::ptr::write(p.add(i), Value::Null);
            }
            self.0.set_len(len);
        }
    }

    #[inline(always)]
    pub(crate) fn pop(&mut self) -> Option<Value> {
        let len = self.0.len().checked_sub(1)?;
        let mut out = MaybeUninit::<Value>::uninit();
        // SAFETY: the value at `len` is initialised; shortening the stack first
        // makes `out` its only owner.
        unsafe {
            self.0.set_len(len);
            copy_split(self.0.as_ptr().add(len), out.as_mut_ptr());
            Some(out.assume_init())
        }
    }
}

impl Stack {
    /// Shortens the stack to `len`, running drop glue only for values that own
    /// something (the out-of-line `drop_in_place` call per scalar slot showed up
    /// at 11% of a recursive benchmark).
    #[inline(always)]
    pub(crate) fn truncate(&mut self, len: usize) {
        while self.0.len() > len {
            let last = self.0.len() - 1;
            // SAFETY: `last` is initialised; the stack forgets it before it is
            // dropped (or, for a scalar, simply abandoned: scalars own nothing).
            unsafe {
                self.0.set_len(last);
                let p = self.0.as_mut_ptr().add(last);
                if (*p).owns_heap() {
                    std::ptr::drop_in_place(p);
                }
            }
        }
    }

    /// Moves the top value down to position `at` (as tag byte + payload word),
    /// dropping everything it passes over: a return delivering its result to the
    /// callee's slot without a Rust temporary.
    #[inline(always)]
    pub(crate) fn return_to(&mut self, at: usize) {
        let top = self.0.len() - 1;
        debug_assert!(at < top);
        // SAFETY: `at < top` are initialised positions. The stack forgets
        // everything above `at` first; the values between are dropped once, and
        // the top value moves to `at`, whose old value was among those dropped.
        unsafe {
            self.0.set_len(at);
            let p = self.0.as_mut_ptr();
            for i in at..top {
                if (*p.add(i)).owns_heap() {
                    std::ptr::drop_in_place(p.add(i));
                }
            }
            copy_split(p.add(top), p.add(at));
            self.0.set_len(at + 1);
        }
    }

    /// Shortens the stack to `at` and moves the value at `src` (outside the
    /// stack) to position `at`, as tag byte + payload word: a return whose
    /// result native code has just stored piecewise.
    ///
    /// # Safety
    /// `src` is an initialised value outside the stack whose ownership passes to
    /// the stack; `at` is below the stack's length.
    #[inline(always)]
    pub(crate) unsafe fn return_from(&mut self, at: usize, src: *const Value) {
        debug_assert!(at < self.0.len());
        self.truncate(at);
        // SAFETY: `at` was below the length, so there is room for it; the caller
        // gives up `src`.
        unsafe {
            copy_split(src, self.0.as_mut_ptr().add(at));
            self.0.set_len(at + 1);
        }
    }

    /// Removes the top `n` values, oldest first.
    pub(crate) fn take_top(&mut self, n: usize) -> Vec<Value> {
        let at = self.0.len() - n;
        self.0.split_off(at)
    }
}

impl Deref for Stack {
    type Target = Vec<Value>;
    fn deref(&self) -> &Vec<Value> {
        &self.0
    }
}

impl DerefMut for Stack {
    fn deref_mut(&mut self) -> &mut Vec<Value> {
        &mut self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    #[test]
    fn push_and_pop_move_every_kind_intact() {
        let s: Rc<String> = Rc::new("x".into());
        let vals = [Value::Null, Value::Bool(true), Value::Int(-5), Value::Float(2.5), Value::Str(s.clone())];
        let mut st = Stack::with_capacity(1);
        for v in vals.iter().cloned() {
            st.push(v);
        }
        assert_eq!(Rc::strong_count(&s), 3);
        let back: Vec<String> = std::iter::from_fn(|| st.pop()).map(|v| format!("{v:?}")).collect();
        assert_eq!(back, ["Str(\"x\")", "Float(2.5)", "Int(-5)", "Bool(true)", "Null"]);
        assert_eq!(Rc::strong_count(&s), 2);
        assert!(st.pop().is_none());
    }
}
