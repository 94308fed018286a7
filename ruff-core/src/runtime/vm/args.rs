//! Moving a builtin's arguments off the operand stack. A call with up to
//! `INLINE` arguments copies them bit for bit into a fixed buffer (no heap, no
//! per-element iterator); longer calls use a `Vec`. The buffer owns the values
//! and drops whatever the builtin left in it.

use std::mem::MaybeUninit;

use crate::runtime::value::Value;

const INLINE: usize = 4;

pub(crate) enum ArgBuf {
    Inline { len: usize, vals: [MaybeUninit<Value>; INLINE] },
    Heap(Vec<Value>),
}

impl ArgBuf {
    /// Moves `stack[from..]` into a new buffer, shortening the stack to `from`.
    #[inline]
    pub(crate) fn take(stack: &mut Vec<Value>, from: usize) -> ArgBuf {
        let len = stack.len() - from;
        if len > INLINE {
            return ArgBuf::Heap(stack.split_off(from));
        }
        let mut vals = [const { MaybeUninit::uninit() }; INLINE];
        // SAFETY: `from..from+len` are initialised values of the stack; after the
        // copy the stack forgets them (set_len), so each has exactly one owner.
        unsafe {
            std::ptr::copy_nonoverlapping(stack.as_ptr().add(from), vals.as_mut_ptr().cast::<Value>(), len);
            stack.set_len(from);
        }
        ArgBuf::Inline { len, vals }
    }

    #[inline]
    pub(crate) fn as_mut_slice(&mut self) -> &mut [Value] {
        match self {
            // SAFETY: the first `len` elements are initialised (see `take`).
            ArgBuf::Inline { len, vals } => unsafe { std::slice::from_raw_parts_mut(vals.as_mut_ptr().cast(), *len) },
            ArgBuf::Heap(v) => v,
        }
    }
}

impl Drop for ArgBuf {
    fn drop(&mut self) {
        if let ArgBuf::Inline { len, vals } = self {
            // SAFETY: the first `len` elements are initialised and owned here.
            unsafe {
                std::ptr::drop_in_place(std::ptr::slice_from_raw_parts_mut(vals.as_mut_ptr().cast::<Value>(), *len))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    #[test]
    fn moves_and_drops_every_argument_once() {
        let shared: Rc<String> = Rc::new("x".into());
        for n in 0..7 {
            let mut stack = vec![Value::Int(7)];
            stack.extend((0..n).map(|_| Value::Str(shared.clone())));
            let mut buf = ArgBuf::take(&mut stack, 1);
            assert_eq!(stack.len(), 1);
            assert_eq!(buf.as_mut_slice().len(), n);
            assert_eq!(Rc::strong_count(&shared), n + 1);
            // A builtin may take an argument out; the buffer drops the rest.
            if let Some(first) = buf.as_mut_slice().first_mut() {
                drop(std::mem::take(first));
            }
            drop(buf);
            assert_eq!(Rc::strong_count(&shared), 1, "{n} arguments");
        }
    }
}
