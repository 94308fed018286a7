//! `Values`: the element buffer of arrays, sets and stacks.
//!
//! Two representations behind one interface:
//!
//! - **compact**: a buffer that has only ever held ints keeps them as plain
//!   `i64`s, 8 bytes each instead of a 16-byte `Value`. An array of a million
//!   ints built by `push` touches 8 MiB instead of 16 (a C program building
//!   and summing one took 12.9 ms with 16-byte elements, 7.4 ms with 8-byte
//!   ones; medians of 21 runs). In Ruff the gain is smaller, as the rest of
//!   the work is a larger share: README, "Memory". A buffer that has only
//!   ever held bools keeps them as bytes, 0 and 1, one each (a sieve's flags:
//!   2M of them take 2 MiB instead of 16, and fit in the cache).
//! - **boxed**: a `Vec<Value>`, for everything else.
//!
//! Every buffer starts compact when it starts empty, and the kind of its
//! first element (an int or a bool) is then the kind of all (an emptied
//! compact buffer takes the kind of what comes next). It is widened
//! to boxed values once and for good, the first time anything of another
//! kind is stored or anything asks for the elements as a `Vec<Value>`
//! (`Deref`, `DerefMut`).
//! The methods of [`Values`] itself (`len`, `push`, `pop`, [`Values::at`],
//! [`Values::set`]) work on either without widening; the VM's element read
//! and append, and compiled code's inline ones, use only those.
//!
//! A boxed buffer drops and copies its elements without running `Value`'s drop
//! or clone glue on scalars, and it remembers whether it may hold a counted
//! reference at all ([`Values::counted`]): while it holds none, dropping it
//! frees the memory without reading the elements and copying it is one
//! `memcpy`.

use std::cell::{Cell, UnsafeCell};
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::ptr;

use super::heap_layout::counted;
use super::value::{Value, TAG_BOOL, TAG_INT, TAG_OFFSET};

/// Elements of an array, set or stack; a `Vec<Value>` to every reader, kept as
/// plain ints (or bytes for bools) while it holds nothing else (see the
/// module's documentation).
///
/// `repr(C)` so that compiled code finds the flags at fixed offsets
/// ([`Values::COUNTED_OFFSET`], [`Values::COMPACT_OFFSET`]); the three
/// vectors' own fields are found by the probe in `heap_layout`.
///
/// # The one rule that makes the interior mutability sound
///
/// `Deref` widens a compact buffer through `&self`. That writes the vectors,
/// so no reference into any of them may be alive at the time. It holds because a
/// buffer is compact only from its creation until its first widening, never
/// again: while it is compact no `&Vec<Value>` of it can exist (every one comes
/// from `Deref`, which widens first), and no reference to the ints or bools
/// ever leaves a method of this type.
#[repr(C)]
pub struct Values {
    /// The elements while the buffer is boxed; empty while it is compact.
    /// All but one of the three vectors are always empty, so the buffer's
    /// length is the sum of theirs (compiled code's inline `len` reads it so,
    /// with no branch on the form; `one_vector_is_always_empty` checks it).
    vec: UnsafeCell<Vec<Value>>,
    /// The elements while the buffer is compact with ints; empty otherwise.
    ints: UnsafeCell<Vec<i64>>,
    /// The elements while the buffer is compact with bools, as 0 and 1;
    /// empty otherwise.
    bools: UnsafeCell<Vec<u8>>,
    /// False only while no element is a counted reference. Every way in keeps
    /// it so: a fresh buffer scans its elements once, [`Values::push`] and
    /// [`Values::set`] look at the one they store, compiled code's in-place
    /// appends and element stores set it for a counted value, and any other
    /// mutable access (`DerefMut`) sets it, since it could store anything.
    /// Always false while compact.
    counted: bool,
    /// While the buffer is compact, the tag of every element: [`TAG_INT`]
    /// (kept in `ints`) or [`TAG_BOOL`] (kept in `bools`); 0 once it is
    /// boxed, for good (see the module's documentation).
    compact: Cell<u8>,
}

/// True when dropping or cloning `v` touches a reference count.
pub(crate) fn is_counted(v: &Value) -> bool {
    // SAFETY: `Value` is `repr(C, u8)`: its first byte is the tag.
    counted(unsafe { *(v as *const Value as *const u8).add(TAG_OFFSET) })
}

/// Stores `v` over `dst`, dropping the old value only when it holds a counted
/// reference. `Value`'s drop glue is a call the compiler does not inline (8
/// instructions and the call for an int), and what a builtin's loop overwrites
/// (a callback's last result, an accumulator) is mostly a scalar.
#[inline(always)]
pub(crate) fn overwrite(dst: &mut Value, v: Value) {
    if is_counted(dst) {
        *dst = v;
    } else {
        // SAFETY: the old value holds no reference, so there is nothing to
        // release; `dst` is valid for writes.
        unsafe { std::ptr::write(dst, v) }
    }
}

/// Drops `v`, through `Value`'s drop glue only when it holds a counted
/// reference (see [`overwrite`]).
#[inline(always)]
pub(crate) fn discard(v: Value) {
    if is_counted(&v) {
        drop(v);
    } else {
        std::mem::forget(v);
    }
}

impl Values {
    /// Offset of the flag that says whether an element may be counted (a
    /// byte, 0 or 1) from the start of a `Values`.
    pub const COUNTED_OFFSET: i32 = std::mem::offset_of!(Values, counted) as i32;
    /// Offset of the byte that says the buffer is compact (the tag of its
    /// elements, [`TAG_INT`] or [`TAG_BOOL`]) or boxed (0).
    pub const COMPACT_OFFSET: i32 = std::mem::offset_of!(Values, compact) as i32;
    /// Offset of the `Vec<i64>` that holds a compact buffer's ints.
    pub const INTS_OFFSET: i32 = std::mem::offset_of!(Values, ints) as i32;
    /// Offset of the `Vec<u8>` that holds a compact buffer's bools.
    pub const BOOLS_OFFSET: i32 = std::mem::offset_of!(Values, bools) as i32;

    /// No elements (compact).
    pub const fn new() -> Values {
        Values::from_ints(Vec::new())
    }

    /// A compact buffer of these ints.
    pub const fn from_ints(ints: Vec<i64>) -> Values {
        Values::of(Vec::new(), ints, Vec::new(), false, TAG_INT)
    }

    /// A compact buffer of these bools (each 0 or 1).
    pub fn from_bools(bools: Vec<u8>) -> Values {
        debug_assert!(bools.iter().all(|&b| b <= 1), "bools are 0 or 1");
        Values::of(Vec::new(), Vec::new(), bools, false, TAG_BOOL)
    }

    /// A boxed buffer of these elements; `counted` as for the flag.
    const fn boxed(vec: Vec<Value>, counted: bool) -> Values {
        Values::of(vec, Vec::new(), Vec::new(), counted, 0)
    }

    /// A buffer of these fields (all but one vector empty).
    const fn of(vec: Vec<Value>, ints: Vec<i64>, bools: Vec<u8>, counted: bool, tag: u8) -> Values {
        Values {
            vec: UnsafeCell::new(vec),
            ints: UnsafeCell::new(ints),
            bools: UnsafeCell::new(bools),
            counted,
            compact: Cell::new(tag),
        }
    }

    /// The elements as a plain vector.
    pub fn into_vec(mut self) -> Vec<Value> {
        self.widen_mut();
        std::mem::take(self.vec.get_mut())
    }

    /// False only when no element is a counted reference (true may also mean
    /// that a mutable access could have stored one).
    pub fn counted(&self) -> bool {
        self.counted
    }

    /// True while the elements are kept as plain ints (or bytes for bools).
    pub fn is_compact(&self) -> bool {
        self.compact.get() != 0
    }

    /// The number of elements.
    #[inline]
    pub fn len(&self) -> usize {
        match self.compact.get() {
            TAG_INT => self.ints().len(),
            TAG_BOOL => self.bools().len(),
            // SAFETY: as in `ints`.
            _ => unsafe { (&*self.vec.get()).len() },
        }
    }

    /// The ints of a compact buffer (empty otherwise), for a use that ends
    /// before this method's caller returns: no reference to them may leave
    /// this type (the rule on the type).
    #[inline]
    fn ints(&self) -> &Vec<i64> {
        // SAFETY: a shared reference, made while no `&mut` to the vector is
        // alive: the methods that take `&mut self` (`push`, `pop`, `set`,
        // `widen_mut`, ...) exclude this `&self` call, and `widen`, the one
        // that writes through `&self`, calls nothing out while it does.
        unsafe { &*self.ints.get() }
    }

    /// The bools of a compact buffer (empty otherwise), under the rule of
    /// [`Values::ints`].
    #[inline]
    fn bools(&self) -> &Vec<u8> {
        // SAFETY: as in `ints`.
        unsafe { &*self.bools.get() }
    }

    /// True when there is no element.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A copy of element `i`, or `None` past the end.
    #[inline]
    pub fn at(&self, i: usize) -> Option<Value> {
        match self.compact.get() {
            TAG_INT => return self.ints().get(i).map(|&x| Value::Int(x)),
            TAG_BOOL => return self.bools().get(i).map(|&b| Value::Bool(b != 0)),
            _ => {}
        }
        Some(match self.deref().get(i)? {
            Value::Int(x) => Value::Int(*x),
            other => other.clone(),
        })
    }

    /// Replaces element `i` (which exists) by `v`; gives `v` back when `i` is
    /// past the end.
    #[inline]
    pub fn set(&mut self, i: usize, v: Value) -> Result<(), Value> {
        if i >= self.len() {
            return Err(v);
        }
        match (self.compact.get(), &v) {
            (TAG_INT, Value::Int(x)) => self.ints.get_mut()[i] = *x,
            (TAG_BOOL, Value::Bool(b)) => self.bools.get_mut()[i] = u8::from(*b),
            _ => {
                self.widen_mut();
                self.counted |= is_counted(&v);
                self.vec.get_mut()[i] = v;
            }
        }
        Ok(())
    }

    /// Appends `v`, noting whether it is a counted reference.
    #[inline]
    pub fn push(&mut self, v: Value) {
        match (self.compact.get(), &v) {
            (TAG_INT, Value::Int(x)) => return self.ints.get_mut().push(*x),
            (TAG_BOOL, Value::Bool(b)) => return self.bools.get_mut().push(u8::from(*b)),
            (0, _) => {}
            (_, Value::Int(_) | Value::Bool(_)) if self.is_empty() => {
                // An empty buffer takes the kind of its first element.
                self.compact.set(if matches!(v, Value::Int(_)) { TAG_INT } else { TAG_BOOL });
                return self.push(v);
            }
            _ => self.widen_mut(),
        }
        self.counted |= is_counted(&v);
        self.vec.get_mut().push(v);
    }

    /// Removes and returns the last element.
    #[inline]
    pub fn pop(&mut self) -> Option<Value> {
        match self.compact.get() {
            TAG_INT => self.ints.get_mut().pop().map(Value::Int),
            TAG_BOOL => self.bools.get_mut().pop().map(|b| Value::Bool(b != 0)),
            _ => self.vec.get_mut().pop(),
        }
    }

    /// Makes a compact buffer boxed, through a shared reference.
    #[cold]
    #[inline(never)]
    fn widen(&self) {
        // SAFETY: the buffer is compact, so no reference into either vector is
        // alive (the rule on the type); nothing here calls out.
        unsafe { widen_into(&mut *self.ints.get(), &mut *self.bools.get(), &mut *self.vec.get()) };
        self.compact.set(0);
    }

    /// Makes a compact buffer boxed.
    fn widen_mut(&mut self) {
        if self.is_compact() {
            widen_into(self.ints.get_mut(), self.bools.get_mut(), self.vec.get_mut());
            self.compact.set(0);
        }
    }
}

/// Moves the elements of a compact buffer (its ints or its bools, the other
/// vector empty), as values, into its empty `vec`.
fn widen_into(ints: &mut Vec<i64>, bools: &mut Vec<u8>, vec: &mut Vec<Value>) {
    debug_assert!(vec.is_empty(), "a compact buffer's boxed vector is empty");
    debug_assert!(ints.is_empty() || bools.is_empty(), "one compact vector is empty");
    // The same capacity, so that widening half-way through a run of pushes
    // does not change when the buffer grows next; allocated before the
    // elements are taken, so that nothing is lost if it cannot be.
    let mut out = Vec::with_capacity(ints.capacity().max(bools.capacity()));
    out.extend(std::mem::take(ints).into_iter().map(Value::Int));
    out.extend(std::mem::take(bools).into_iter().map(|b| Value::Bool(b != 0)));
    *vec = out;
}

impl Default for Values {
    fn default() -> Values {
        Values::new()
    }
}

impl fmt::Debug for Values {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        for i in 0..self.len() {
            list.entry(&self.at(i).expect("in range"));
        }
        list.finish()
    }
}

impl Deref for Values {
    type Target = Vec<Value>;
    #[inline]
    fn deref(&self) -> &Vec<Value> {
        if self.is_compact() {
            self.widen();
        }
        // SAFETY: boxed now, so the only `&mut` to `vec` ever made through a
        // shared reference (`widen`) is behind us; see the rule on the type.
        unsafe { &*self.vec.get() }
    }
}

impl DerefMut for Values {
    fn deref_mut(&mut self) -> &mut Vec<Value> {
        self.widen_mut();
        self.counted = true;
        self.vec.get_mut()
    }
}

impl From<Vec<Value>> for Values {
    fn from(vec: Vec<Value>) -> Values {
        if vec.is_empty() {
            return Values::new();
        }
        let counted = vec.iter().any(is_counted);
        Values::boxed(vec, counted)
    }
}

impl FromIterator<Value> for Values {
    fn from_iter<I: IntoIterator<Item = Value>>(it: I) -> Values {
        Values::from(it.into_iter().collect::<Vec<Value>>())
    }
}

impl Clone for Values {
    fn clone(&self) -> Values {
        match self.compact.get() {
            TAG_INT => return Values::from_ints(self.ints().clone()),
            TAG_BOOL => return Values::from_bools(self.bools().clone()),
            _ => {}
        }
        let this = self.deref();
        let n = this.len();
        let mut out: Vec<Value> = Vec::with_capacity(n);
        let (src, dst) = (this.as_ptr(), out.as_mut_ptr());
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
        Values::boxed(out, self.counted)
    }
}

impl Drop for Values {
    fn drop(&mut self) {
        let counted = self.counted;
        let vec = self.vec.get_mut();
        let n = vec.len();
        let p = vec.as_mut_ptr();
        // SAFETY: the vector forgets its elements first, so each is dropped once,
        // here; scalars need no drop at all, and with the flag clear every
        // element is a scalar or a builtin. (A compact buffer's `vec` is empty;
        // its ints or bools need no drop.)
        unsafe {
            vec.set_len(0);
            if counted {
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

    /// The sum of the two vectors' lengths, as compiled code reads it.
    fn both_lengths(v: &Values) -> usize {
        // SAFETY: no reference into either vector is alive here.
        unsafe { (*v.vec.get()).len() + (*v.ints.get()).len() + (*v.bools.get()).len() }
    }

    #[test]
    fn one_vector_is_always_empty() {
        let mut v = Values::new();
        for i in 0..5 {
            v.push(Value::Int(i));
            assert_eq!(both_lengths(&v), v.len());
        }
        v.pop();
        assert_eq!(both_lengths(&v), 4);
        // Widened by a value of another kind, then by a reader of the vector.
        v.push(Value::str("s"));
        assert_eq!((both_lengths(&v), v.len()), (5, 5));
        let mut w = Values::new();
        w.push(Value::Bool(true));
        assert_eq!(w.iter().count(), 1);
        w.push(Value::Bool(false));
        assert_eq!((both_lengths(&w), w.len()), (2, 2));
        let b = Values::from(vec![Value::Int(1), Value::Null]);
        assert_eq!((both_lengths(&b), b.len()), (2, 2));
        let c = b.clone();
        assert_eq!((both_lengths(&c), c.len()), (2, 2));
    }

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
        assert_eq!(format!("{:?}", &**c), format!("{:?}", &**v));
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
        assert_eq!(format!("{:?}", &**c), format!("{:?}", &**v));
        drop(v);
        assert_eq!(Rc::strong_count(&s), 2);
        let back = c.into_vec();
        assert_eq!(Rc::strong_count(&s), 2, "into_vec hands the elements over");
        drop(back);
        assert_eq!(Rc::strong_count(&s), 1);
        let Value::Array(a) = inner else { unreachable!() };
        assert_eq!(Rc::strong_count(&a), 1, "the nested array was released by both");
    }

    #[test]
    fn ints_stay_compact_until_something_else_is_stored_or_the_vector_is_asked_for() {
        let mut v = Values::default();
        assert!(v.is_compact(), "an empty buffer starts compact");
        for i in 0..10 {
            v.push(Value::Int(i * 3));
        }
        assert!(v.is_compact());
        assert_eq!((v.len(), v.is_empty()), (10, false));
        assert_eq!(format!("{:?}", v.at(4)), "Some(Int(12))");
        assert!(v.at(10).is_none());
        assert!(v.set(2, Value::Int(-1)).is_ok());
        assert!(matches!(v.set(10, Value::Int(0)), Err(Value::Int(0))));
        assert_eq!(format!("{:?}", v.pop()), "Some(Int(27))");
        let c = v.clone();
        assert!(c.is_compact() && v.is_compact() && !v.counted());
        let shown = format!("{v:?}");
        assert_eq!(shown, "[Int(0), Int(3), Int(-1), Int(9), Int(12), Int(15), Int(18), Int(21), Int(24)]");
        // Reading the elements as a vector widens, keeping them and their order.
        assert_eq!(v.iter().count(), 9);
        assert!(!v.is_compact() && !v.counted());
        assert_eq!(format!("{:?}", &**v), shown);
        assert_eq!(format!("{c:?}"), shown, "the copy is unchanged");
        // Storing anything but an int widens too.
        let mut s = c.clone();
        assert!(s.set(0, Value::str("a")).is_ok());
        assert!(!s.is_compact() && s.counted());
        assert_eq!(format!("{:?}", s.at(0)), format!("{:?}", Some(Value::str("a"))));
        let mut f = c.clone();
        f.push(Value::Float(0.5));
        assert!(!f.is_compact() && !f.counted());
        assert_eq!(
            (f.len(), format!("{:?}", f.at(8)), format!("{:?}", f.at(9))),
            (10, "Some(Int(24))".into(), "Some(Float(0.5))".into())
        );
        let mut m = c.clone();
        m[1] = Value::Int(7);
        assert!(!m.is_compact(), "any mutable access widens");
        assert_eq!(format!("{:?}", m.at(1)), "Some(Int(7))");
        assert_eq!(c.clone().into_vec().len(), 9);
        assert!(Values::from(Vec::new()).is_compact());
        assert!(!Values::from(vec![Value::Int(1)]).is_compact(), "a vector of values stays as it is");
        let mut empty = Values::from_ints(vec![4]);
        assert_eq!(format!("{:?}", (empty.pop(), empty.pop())), "(Some(Int(4)), None)");
    }

    #[test]
    fn bools_stay_compact_like_ints_and_keep_their_kind() {
        let mut v = Values::default();
        for i in 0..6 {
            v.push(Value::Bool(i % 3 == 0));
        }
        assert!(v.is_compact() && !v.counted(), "the first element, a bool, sets the kind");
        // SAFETY: no reference into either vector is alive here.
        let kept = unsafe { ((*v.bools.get()).clone(), (*v.ints.get()).len()) };
        assert_eq!(kept, (vec![1, 0, 0, 1, 0, 0], 0), "a byte each, in the bools' vector");
        assert_eq!(format!("{:?}", (v.at(0), v.at(1), v.at(6))), "(Some(Bool(true)), Some(Bool(false)), None)");
        assert!(v.set(1, Value::Bool(true)).is_ok() && v.is_compact());
        assert_eq!(format!("{:?}", v.pop()), "Some(Bool(false))");
        let c = v.clone();
        assert!(c.is_compact());
        let shown = "[Bool(true), Bool(true), Bool(false), Bool(true), Bool(false)]";
        assert_eq!(format!("{c:?}"), shown);
        // An int is another kind: stored or pushed, it widens, the bools kept.
        let mut s = c.clone();
        assert!(s.set(2, Value::Int(1)).is_ok());
        assert!(!s.is_compact());
        assert_eq!(format!("{s:?}"), "[Bool(true), Bool(true), Int(1), Bool(true), Bool(false)]");
        let mut p = c.clone();
        p.push(Value::Int(0));
        assert!(!p.is_compact() && p.len() == 6);
        assert_eq!(format!("{:?}", (p.at(4), p.at(5))), "(Some(Bool(false)), Some(Int(0)))");
        // Reading the elements as a vector widens them as bools.
        assert_eq!(format!("{:?}", &**v), shown);
        assert!(!v.is_compact());
        // Emptied, a buffer takes the kind of what comes next.
        let mut e = Values::default();
        e.push(Value::Bool(false));
        assert_eq!(format!("{:?}", e.pop()), "Some(Bool(false))");
        e.push(Value::Int(5));
        assert!(e.is_compact());
        assert_eq!(format!("{e:?}"), "[Int(5)]");
        assert_eq!(both_lengths(&e), 1);
        assert_eq!(format!("{:?}", e.pop()), "Some(Int(5))");
        e.push(Value::Bool(true));
        assert_eq!((format!("{e:?}"), both_lengths(&e)), ("[Bool(true)]".into(), 1), "and back");
        assert!(e.set(0, Value::Int(5)).is_ok() && !e.is_compact(), "a set of another kind widens");
        assert_eq!(format!("{e:?}"), "[Int(5)]");
        let mut e = Values::default();
        e.push(Value::Int(5));
        // And an int buffer does not take a bool.
        e.push(Value::Bool(true));
        assert!(!e.is_compact());
        assert_eq!(format!("{e:?}"), "[Int(5), Bool(true)]");
    }
}
