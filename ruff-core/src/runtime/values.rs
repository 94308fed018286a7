//! `Values`: the element buffer of arrays, sets and stacks.
//!
//! A `Vec<Value>` that drops and copies its elements without running `Value`'s
//! drop or clone glue on scalars. That glue is one out-of-line call and a jump
//! table per element; for an array of a million ints, dropping it cost about 1 ms
//! (11% of array_sum's run, perf) and copying it on write as much. Here a scalar
//! element costs one tag comparison: only counted references (tags above
//! `TAG_NATIVE`, see `heap_layout::counted`) are dropped or cloned one by one.
//!
//! Better still, a buffer remembers whether it may hold a counted reference at
//! all ([`Values::counted`]). While it holds none (an array of numbers, however
//! it was built), dropping it frees the memory without reading the elements and
//! copying it is one `memcpy`. Dropping a million ints still read all 16 MB to
//! check their tags: about 2 ms of array_sum's ~17 ms kernel on this machine.

use std::ops::{Deref, DerefMut};
use std::ptr;

use super::heap_layout::counted;
use super::value::{Value, TAG_OFFSET};

/// Elements of an array, set or stack; a `Vec<Value>` everywhere but in how it
/// drops and clones.
///
/// `repr(C)` so that compiled code finds the flag at a fixed offset
/// ([`Values::COUNTED_OFFSET`]); the vector's own fields are found by the probe
/// in `heap_layout`.
#[derive(Debug, Default)]
#[repr(C)]
pub struct Values {
    vec: Vec<Value>,
    /// False only while no element is a counted reference. Every way in keeps
    /// it so: a fresh buffer scans its elements once, [`Values::push`] looks at
    /// the one it adds, compiled code's in-place appends and element stores
    /// set it for a counted value, and any other mutable access (`DerefMut`)
    /// sets it, since it could store anything.
    counted: bool,
}

/// True when dropping or cloning `v` touches a reference count.
pub(crate) fn is_counted(v: &Value) -> bool {
    // SAFETY: `Value` is `repr(C, u8)`: its first byte is the tag.
    counted(unsafe { *(v as *const Value as *const u8).add(TAG_OFFSET) })
}

impl Values {
    /// Offset of the flag that says whether an element may be counted (a
    /// byte, 0 or 1) from the start of a `Values`.
    pub const COUNTED_OFFSET: i32 = std::mem::offset_of!(Values, counted) as i32;

    /// No elements.
    pub const fn new() -> Values {
        Values { vec: Vec::new(), counted: false }
    }

    /// The elements as a plain vector.
    pub fn into_vec(mut self) -> Vec<Value> {
        std::mem::take(&mut self.vec)
    }

    /// False only when no element is a counted reference (true may also mean
    /// that a mutable access could have stored one).
    pub fn counted(&self) -> bool {
        self.counted
    }

    /// Appends `v`, noting whether it is a counted reference.
    #[inline]
    pub fn push(&mut self, v: Value) {
        self.counted |= is_counted(&v);
        self.vec.push(v);
    }

    /// Removes and returns the last element.
    #[inline]
    pub fn pop(&mut self) -> Option<Value> {
        self.vec.pop()
    }
}

impl Deref for Values {
    type Target = Vec<Value>;
    fn deref(&self) -> &Vec<Value> {
        &self.vec
    }
}

impl DerefMut for Values {
    fn deref_mut(&mut self) -> &mut Vec<Value> {
        self.counted = true;
        &mut self.vec
    }
}

impl From<Vec<Value>> for Values {
    fn from(vec: Vec<Value>) -> Values {
        let counted = vec.iter().any(is_counted);
        Values { vec, counted }
    }
}

impl FromIterator<Value> for Values {
    fn from_iter<I: IntoIterator<Item = Value>>(it: I) -> Values {
        Values::from(it.into_iter().collect::<Vec<Value>>())
    }
}

impl Clone for Values {
    fn clone(&self) -> Values {
        let n = self.vec.len();
        let mut out: Vec<Value> = Vec::with_capacity(n);
        let (src, dst) = (self.vec.as_ptr(), out.as_mut_ptr());
        // SAFETY: `out` has room for `n` values. The bitwise copy of a scalar (or
        // of a builtin, a `&'static`) is a value of its own; each counted one is
        // overwritten, without dropping the copy, by a real clone (there is none
        // when the flag is clear). `out` owns the elements only once all are
        // written (`set_len` last), so nothing is dropped twice if a clone could
        // ever unwind.
        unsafe {
            ptr::copy_nonoverlapping(src, dst, n);
            if self.counted {
                for i in 0..n {
                    let v = &*src.add(i);
                    if is_counted(v) {
                        ptr::write(dst.add(i), v.clone());
                    }
                }
            }
            out.set_len(n);
        }
        Values { vec: out, counted: self.counted }
    }
}

impl Drop for Values {
    fn drop(&mut self) {
        let n = self.vec.len();
        let p = self.vec.as_mut_ptr();
        // SAFETY: the vector forgets its elements first, so each is dropped once,
        // here; scalars need no drop at all, and with the flag clear every
        // element is a scalar or a builtin.
        unsafe {
            self.vec.set_len(0);
            if self.counted {
                for i in 0..n {
                    if is_counted(&*p.add(i)) {
                        ptr::drop_in_place(p.add(i));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use super::*;

    #[test]
    fn the_flag_is_clear_only_while_no_element_is_counted() {
        let mut v = Values::new();
        for i in 0..100 {
            v.push(Value::Int(i));
        }
        v.push(Value::Float(0.5));
        v.push(Value::Null);
        assert!(!v.counted(), "scalars only");
        assert_eq!(v.pop().map(|x| x.type_name()), Some("null"));
        assert!(!v.counted());
        let c = v.clone();
        assert!(!c.counted());
        assert_eq!(format!("{:?}", c.vec), format!("{:?}", v.vec));
        v.push(Value::str("s"));
        assert!(v.counted(), "a string pushed");
        let mut w: Values = vec![Value::Int(1), Value::Bool(true)].into();
        assert!(!w.counted());
        w[0] = Value::Int(2);
        assert!(w.counted(), "any mutable access may have stored a reference");
        let x: Values = vec![Value::Int(1), Value::array(vec![])].into();
        assert!(x.counted(), "an array element");
        let y: Values = (0..10).map(Value::Int).collect();
        assert!(!y.counted());
    }

    #[test]
    fn clones_share_counted_elements_and_drops_release_them_exactly_once() {
        let s = Rc::new("shared".to_string());
        let inner = Value::array(vec![Value::Int(1)]);
        let v: Values = vec![
            Value::Int(7),
            Value::Str(s.clone()),
            Value::Float(0.5),
            Value::Null,
            inner.clone(),
            Value::Bool(true),
        ]
        .into();
        let c = v.clone();
        assert_eq!(Rc::strong_count(&s), 3);
        assert_eq!(format!("{:?}", c.vec), format!("{:?}", v.vec));
        drop(v);
        assert_eq!(Rc::strong_count(&s), 2);
        let back = c.into_vec();
        assert_eq!(Rc::strong_count(&s), 2, "into_vec hands the elements over");
        drop(back);
        assert_eq!(Rc::strong_count(&s), 1);
        let Value::Array(a) = inner else { unreachable!() };
        assert_eq!(Rc::strong_count(&a), 1, "the nested array was released by both");
    }
}
