//! `Values`: the element buffer of arrays, sets and stacks.
//!
//! A `Vec<Value>` that drops and copies its elements without running `Value`'s
//! drop or clone glue on scalars. That glue is one out-of-line call and a jump
//! table per element; for an array of a million ints, dropping it cost about 1 ms
//! (11% of array_sum's run, perf) and copying it on write as much. Here a scalar
//! element costs one tag comparison: only counted references (tags above
//! `TAG_NATIVE`, see `heap_layout::counted`) are dropped or cloned one by one.

use std::ops::{Deref, DerefMut};
use std::ptr;

use super::heap_layout::counted;
use super::value::{Value, TAG_OFFSET};

/// Elements of an array, set or stack; a `Vec<Value>` everywhere but in how it
/// drops and clones.
#[derive(Debug, Default)]
#[repr(transparent)]
pub struct Values(Vec<Value>);

/// True when dropping or cloning `v` touches a reference count.
fn is_counted(v: &Value) -> bool {
    // SAFETY: `Value` is `repr(C, u8)`: its first byte is the tag.
    counted(unsafe { *(v as *const Value as *const u8).add(TAG_OFFSET) })
}

impl Values {
    /// No elements.
    pub const fn new() -> Values {
        Values(Vec::new())
    }

    /// The elements as a plain vector.
    pub fn into_vec(mut self) -> Vec<Value> {
        std::mem::take(&mut self.0)
    }
}

impl Deref for Values {
    type Target = Vec<Value>;
    fn deref(&self) -> &Vec<Value> {
        &self.0
    }
}

impl DerefMut for Values {
    fn deref_mut(&mut self) -> &mut Vec<Value> {
        &mut self.0
    }
}

impl From<Vec<Value>> for Values {
    fn from(v: Vec<Value>) -> Values {
        Values(v)
    }
}

impl FromIterator<Value> for Values {
    fn from_iter<I: IntoIterator<Item = Value>>(it: I) -> Values {
        Values(it.into_iter().collect())
    }
}

impl Clone for Values {
    fn clone(&self) -> Values {
        let n = self.0.len();
        let mut out: Vec<Value> = Vec::with_capacity(n);
        let (src, dst) = (self.0.as_ptr(), out.as_mut_ptr());
        // SAFETY: `out` has room for `n` values. The bitwise copy of a scalar (or
        // of a builtin, a `&'static`) is a value of its own; each counted one is
        // overwritten, without dropping the copy, by a real clone. `out` owns the
        // elements only once all are written (`set_len` last), so nothing is
        // dropped twice if a clone could ever unwind.
        unsafe {
            ptr::copy_nonoverlapping(src, dst, n);
            for i in 0..n {
                let v = &*src.add(i);
                if is_counted(v) {
                    ptr::write(dst.add(i), v.clone());
                }
            }
            out.set_len(n);
        }
        Values(out)
    }
}

impl Drop for Values {
    fn drop(&mut self) {
        let n = self.0.len();
        let p = self.0.as_mut_ptr();
        // SAFETY: the vector forgets its elements first, so each is dropped once,
        // here; scalars need no drop at all.
        unsafe {
            self.0.set_len(0);
            for i in 0..n {
                if is_counted(&*p.add(i)) {
                    ptr::drop_in_place(p.add(i));
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
        assert_eq!(format!("{:?}", c.0), format!("{:?}", v.0));
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
