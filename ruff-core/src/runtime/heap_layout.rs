//! Where compiled code finds a heap value's reference count, an array's
//! elements and a struct's shape and field values. `Rc` and `Vec` promise no
//! field order, so the layout is measured at run time on real values rather
//! than assumed: compiled code works on these fields directly only when the
//! probe recognised every one of them, and calls helpers otherwise.

use std::rc::Rc;
use std::sync::OnceLock;

use super::object::{Closure, StructObj, StructType};
use super::value::{Value, TAG_NATIVE};
use super::values::Values;

/// Offsets from the address a heap value's payload holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeapLayout {
    /// The strong reference count (a `usize`).
    pub strong: i32,
    /// The weak reference count (a `usize`; 1 while no `Weak` exists, which is
    /// what `Rc::make_mut` requires to change a value in place).
    pub weak: i32,
    /// An array's element pointer.
    pub array_ptr: i32,
    /// An array's length.
    pub array_len: i32,
    /// An array's capacity.
    pub array_cap: i32,
    /// An array's flag byte saying whether an element may be a counted
    /// reference (`Values::counted`): compiled code that stores one sets it.
    pub array_counted: i32,
    /// An array's byte saying its elements are plain ints or bools (`Values`'s
    /// compact form: the elements' tag, 0 for boxed values), whose pointer,
    /// length and capacity are the next three (ints) or the three after
    /// (bools).
    pub array_compact: i32,
    /// A compact array's `i64` element pointer (ints).
    pub ints_ptr: i32,
    /// A compact array's length (ints; 0 for any other array).
    pub ints_len: i32,
    /// A compact array's capacity (ints).
    pub ints_cap: i32,
    /// A compact array's `u8` element pointer (bools, 0 or 1 each).
    pub bools_ptr: i32,
    /// A compact array's length (bools; 0 for any other array).
    pub bools_len: i32,
    /// A compact array's capacity (bools).
    pub bools_cap: i32,
    /// A struct's shape: the two words of its `Rc<[Rc<str>]>` (see
    /// [`FieldCache`]).
    pub struct_shape: i32,
    /// The one of those two words that holds the shape's pointer. A cache
    /// keeps the shape it remembers alive, and one allocation is one slice of
    /// one length, so a struct has that shape exactly when this word is the
    /// cache's.
    pub struct_shape_ptr: i32,
    /// A struct's field values: their `Vec`'s element pointer.
    pub struct_values: i32,
    /// A struct's count of field values: their `Vec`'s length.
    pub struct_values_len: i32,
    /// A struct's type: the word of its `Option<Rc<StructType>>`, 0 for none
    /// and otherwise what [`type_bits`] gives for that type.
    pub struct_ty: i32,
    /// A closure's captured values: their `Vec`'s element pointer (from the
    /// address [`closure_bits`] gives), when the probe found it (without it,
    /// pure code does not read captured values; the rest works as before).
    pub closure_captures: Option<i32>,
    /// A closure's function: the word of its `Rc<Proto>` ([`proto_bits`]),
    /// from the address [`closure_bits`] gives; found where `closure_captures`
    /// is (the same `Rc` placement), `None` where that is not.
    pub closure_proto: Option<i32>,
}

/// The word a value holding closure `c` stores as its payload (what compiled
/// code finds in `JitCtx::closure`).
pub fn closure_bits(c: &Rc<Closure>) -> u64 {
    const _: () = assert!(std::mem::size_of::<Rc<Closure>>() == 8);
    // SAFETY: an `Rc` of a sized type is one initialised pointer.
    unsafe { std::mem::transmute_copy::<Rc<Closure>, u64>(c) }
}

/// The word a struct of type `t` keeps for it (see [`HeapLayout::struct_ty`]).
pub fn type_bits(t: &Rc<StructType>) -> u64 {
    const _: () = assert!(std::mem::size_of::<Option<Rc<StructType>>>() == 8);
    // SAFETY: an `Rc` of a sized type is one initialised pointer.
    unsafe { std::mem::transmute_copy::<Rc<StructType>, u64>(t) }
}

/// The word a closure of function `p` keeps for it (see
/// [`HeapLayout::closure_proto`]).
pub fn proto_bits(p: &Rc<crate::bytecode::Proto>) -> u64 {
    const _: () = assert!(std::mem::size_of::<Rc<crate::bytecode::Proto>>() == 8);
    // SAFETY: an `Rc` of a sized type is one initialised pointer.
    unsafe { std::mem::transmute_copy::<Rc<crate::bytecode::Proto>, u64>(p) }
}

/// What one field-reading instruction of compiled code last found: the shape
/// of the struct it read (both words of the `Rc<[Rc<str>]>`, as they are;
/// compiled code compares the pointer word, [`HeapLayout::struct_shape_ptr`])
/// and the field's position in it. Structs made by literals with the same
/// fields share their shape, so the next read of a struct of that shape loads
/// the value at that position without looking the name up.
/// Starts empty (no shape's pointer is zero). The cache
/// holds a reference to the shape it remembers, so that no other shape can be
/// made at that address while it does.
#[repr(C)]
#[derive(Debug, Default)]
pub struct FieldCache {
    shape: [u64; 2],
    index: u64,
    keep: Option<Rc<[Rc<str>]>>,
}

impl FieldCache {
    /// Offset of the shape words, for compiled code.
    pub const SHAPE: i32 = std::mem::offset_of!(FieldCache, shape) as i32;
    /// Offset of the field position, for compiled code.
    pub const INDEX: i32 = std::mem::offset_of!(FieldCache, index) as i32;

    /// Remembers that field `index` of structs shaped like `s` is the one read.
    pub fn fill(&mut self, s: &StructObj, index: usize) {
        self.shape = shape_words(s);
        self.index = index as u64;
        self.keep = Some(s.shape.clone());
    }
}

/// The two words of a struct's shape pointer, as stored.
fn shape_words(s: &StructObj) -> [u64; 2] {
    rc_words(&s.shape)
}

/// The two words of a shape's `Rc`, as a struct made with it stores them.
fn rc_words(shape: &Rc<[Rc<str>]>) -> [u64; 2] {
    const _: () = assert!(std::mem::size_of::<Rc<[Rc<str>]>>() == 16);
    // SAFETY: an `Rc<[T]>` is two initialised words (pointer and length).
    unsafe { std::ptr::read(shape as *const Rc<[Rc<str>]> as *const [u64; 2]) }
}

impl HeapLayout {
    /// The word a struct made with `shape` holds at
    /// [`HeapLayout::struct_shape_ptr`] (compiled code compares it with a
    /// struct's to know its shape).
    pub fn shape_ptr_word(&self, shape: &Rc<[Rc<str>]>) -> u64 {
        rc_words(shape)[((self.struct_shape_ptr - self.struct_shape) / 8) as usize]
    }
}

/// True for tags whose payload is a counted reference: every heap kind except
/// builtins, which are numbered below the others (see `TAG_NATIVE`).
pub const fn counted(tag: u8) -> bool {
    tag > TAG_NATIVE
}

/// The layout of this build, or `None` when the probe did not recognise it.
pub fn heap_layout() -> Option<HeapLayout> {
    static LAYOUT: OnceLock<Option<HeapLayout>> = OnceLock::new();
    *LAYOUT.get_or_init(probe)
}

/// Reads `n` words from `at`.
///
/// # Safety
/// `at..at + 8n` lies inside one live allocation.
unsafe fn words(at: usize, n: usize) -> Vec<usize> {
    (0..n).map(|i| unsafe { read_at(at, i) }).collect()
}

/// # Safety
/// As for [`words`].
unsafe fn read_at(at: usize, i: usize) -> usize {
    unsafe { std::ptr::read((at as *const usize).add(i)) }
}

fn probe() -> Option<HeapLayout> {
    if std::mem::size_of::<Vec<Value>>() != 24 || std::mem::size_of::<usize>() != 8 {
        return None;
    }
    let mut elems = Vec::with_capacity(7);
    elems.extend([Value::Int(1), Value::Int(2), Value::Int(3)]);
    let rc = Rc::new(Values::from(elems));
    let value = Value::Array(rc.clone());
    let base = value.payload_bits()? as usize;
    let data = Rc::as_ptr(&rc) as usize;
    let data_off = data.checked_sub(base).filter(|o| o % 8 == 0 && *o <= 64)?;
    // SAFETY: `base..data + 24` is the live allocation behind `rc` (its counts,
    // then the `Vec`), and nothing mutates it while we read.
    let before = unsafe { words(base, data_off / 8) };
    let extra = rc.clone();
    let after = unsafe { words(base, data_off / 8) };
    drop(extra);
    let weak_ref = Rc::downgrade(&rc);
    let with_weak = unsafe { words(base, data_off / 8) };
    drop(weak_ref);
    let strong = (0..before.len()).find(|&i| before[i] == 2 && after[i] == 3)?;
    let weak = (0..before.len()).find(|&i| i != strong && before[i] == 1 && with_weak[i] == 2)?;
    // SAFETY: `data..data + 24` is the boxed buffer's `Vec`, at the start of
    // the `repr(C)` `Values`.
    let [ptr, len, cap] = vec_fields(unsafe { words(data, 3) }, rc.as_ptr() as usize)?;
    drop(value);
    let (struct_shape, struct_shape_ptr, struct_values, struct_values_len, struct_ty) = probe_struct(ptr * 8, len * 8)?;
    let [ints_ptr, ints_len, ints_cap] =
        probe_compact(vec![1i64, 2, 3], Values::from_ints, Values::INTS_OFFSET, crate::runtime::value::TAG_INT)?;
    let [bools_ptr, bools_len, bools_cap] =
        probe_compact(vec![1u8, 0, 1], Values::from_bools, Values::BOOLS_OFFSET, crate::runtime::value::TAG_BOOL)?;
    // A closure's `Rc` puts it where it puts a `Values`, when they are aligned alike.
    let closure_captures = (std::mem::align_of::<Closure>() == std::mem::align_of::<Values>())
        .then(probe_captures)
        .flatten()
        .map(|at| (data_off + std::mem::offset_of!(Closure, captures) + at) as i32);
    let closure_proto = closure_captures.map(|_| (data_off + std::mem::offset_of!(Closure, proto)) as i32);
    Some(HeapLayout {
        strong: (strong * 8) as i32,
        weak: (weak * 8) as i32,
        array_ptr: (data_off + ptr * 8) as i32,
        array_len: (data_off + len * 8) as i32,
        array_cap: (data_off + cap * 8) as i32,
        array_counted: data_off as i32 + Values::COUNTED_OFFSET,
        array_compact: data_off as i32 + Values::COMPACT_OFFSET,
        ints_ptr: (data_off + ints_ptr) as i32,
        ints_len: (data_off + ints_len) as i32,
        ints_cap: (data_off + ints_cap) as i32,
        bools_ptr: (data_off + bools_ptr) as i32,
        bools_len: (data_off + bools_len) as i32,
        bools_cap: (data_off + bools_cap) as i32,
        struct_shape,
        struct_shape_ptr,
        struct_values,
        struct_values_len,
        struct_ty,
        closure_captures,
        closure_proto,
    })
}

/// Where a `RefCell<Vec<Value>>` (a closure's captures) keeps its element
/// pointer: the one word of a real one that holds it.
fn probe_captures() -> Option<usize> {
    let mut elems = Vec::with_capacity(7);
    elems.extend([Value::Int(1), Value::Int(2), Value::Int(3)]);
    let ptr = elems.as_ptr() as usize;
    let cell = std::cell::RefCell::new(elems);
    let n = std::mem::size_of_val(&cell) / 8;
    // SAFETY: the words lie inside the live `cell`.
    let fields = unsafe { words(&cell as *const _ as usize, n) };
    let hits: Vec<usize> = (0..n).filter(|&i| fields[i] == ptr).collect();
    (hits.len() == 1).then(|| hits[0] * 8)
}

/// Which of a `Vec`'s three words (`fields`) are its pointer (`ptr`), its
/// length (3) and its capacity (7), each found exactly once.
fn vec_fields(fields: Vec<usize>, ptr: usize) -> Option<[usize; 3]> {
    let find = |want: usize| {
        let hits: Vec<usize> = (0..3).filter(|&i| fields[i] == want).collect();
        (hits.len() == 1).then(|| hits[0])
    };
    Some([find(ptr)?, find(3)?, find(7)?])
}

/// The offsets from the start of a `Values` of a compact buffer's element
/// pointer, length and capacity, for the vector at `offset` that `make`
/// fills with `three` elements, checked on a real one (whose compact byte
/// must read `tag`, and a boxed one's 0).
fn probe_compact<T>(three: Vec<T>, make: fn(Vec<T>) -> Values, offset: i32, tag: u8) -> Option<[usize; 3]> {
    let mut elems = Vec::with_capacity(7);
    elems.extend(three);
    let ptr = elems.as_ptr() as usize;
    let v = make(elems);
    let at = &v as *const Values as usize;
    let boxed = Values::from(vec![Value::Int(1)]);
    // SAFETY: both reads lie inside the live `Values` structs.
    let (fields, compact, not) = unsafe {
        let flag = |p: usize| *((p + Values::COMPACT_OFFSET as usize) as *const u8);
        (words(at + offset as usize, 3), flag(at), flag(&boxed as *const Values as usize))
    };
    if (compact, not) != (tag, 0) {
        return None;
    }
    let found = vec_fields(fields, ptr)?;
    Some(found.map(|i| offset as usize + 8 * i))
}

/// The offsets of a struct's shape words, of its values' element pointer and
/// length (`vec_ptr`, `vec_len`: where a `Vec` keeps them) and of its type's
/// word, checked on a real struct (of a real type, whose word must be the
/// pointer [`type_bits`] gives, and on one without, whose word must be 0).
fn probe_struct(vec_ptr: usize, vec_len: usize) -> Option<(i32, i32, i32, i32, i32)> {
    let names: Rc<[Rc<str>]> = vec![Rc::from("a"), Rc::from("b")].into();
    let ty = Rc::new(StructType { name: Rc::from("Probe"), fields: names.to_vec(), methods: Vec::new() });
    let make = |ty: Option<Rc<StructType>>| {
        Rc::new(StructObj {
            name: Rc::from("Probe"),
            ty,
            shape: names.clone(),
            values: vec![Value::Int(1), Value::Int(2)],
        })
    };
    let (obj, untyped) = (make(Some(ty.clone())), make(None));
    let value = Value::Struct(obj.clone());
    let base = value.payload_bits()? as usize;
    let data_off = (Rc::as_ptr(&obj) as usize).checked_sub(base).filter(|o| *o <= 64)?;
    let shape = data_off + std::mem::offset_of!(StructObj, shape);
    let values = data_off + std::mem::offset_of!(StructObj, values) + vec_ptr;
    let values_len = data_off + std::mem::offset_of!(StructObj, values) + vec_len;
    let typed = data_off + std::mem::offset_of!(StructObj, ty);
    let other = Value::Struct(untyped.clone()).payload_bits()? as usize;
    // SAFETY: the offsets lie inside the live `Rc` allocations of `obj` and
    // `untyped` (laid out alike).
    let (found_shape, found_values, found_len, found_ty, none) = unsafe {
        (
            words(base + shape, 2),
            read_at(base + values, 0),
            read_at(base + values_len, 0),
            read_at(base + typed, 0),
            read_at(other + typed, 0),
        )
    };
    // The length word holds 2; the pointer word, an address, cannot.
    let len_word = (0..2).find(|&w| found_shape[w] == names.len())?;
    let ptr_word = 1 - len_word;
    let ok = found_shape == shape_words(&obj).map(|w| w as usize)
        && found_shape[ptr_word] != names.len()
        && found_values == obj.values.as_ptr() as usize
        && found_len == obj.values.len()
        && found_ty as u64 == type_bits(&ty)
        && none == 0;
    ok.then_some((shape as i32, (shape + 8 * ptr_word) as i32, values as i32, values_len as i32, typed as i32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_finds_counts_and_array_fields_that_work() {
        let l = heap_layout().expect("layout recognised on this platform");
        let mut elems = Vec::with_capacity(5);
        elems.extend([Value::Int(10), Value::Int(20)]);
        let arr = Rc::new(Values::from(elems));
        let v = Value::Array(arr.clone());
        let weak = Rc::downgrade(&arr);
        let base = v.payload_bits().unwrap() as usize;
        // SAFETY: offsets from the probe, on a live array.
        unsafe {
            assert_eq!(read_at(base + l.strong as usize, 0), Rc::strong_count(&arr));
            assert_eq!(read_at(base + l.weak as usize, 0), Rc::weak_count(&arr) + 1);
            assert_eq!(read_at(base + l.array_len as usize, 0), 2);
            assert_eq!(read_at(base + l.array_cap as usize, 0), 5);
            assert_eq!(read_at(base + l.array_ptr as usize, 0), arr.as_ptr() as usize);
            assert_eq!(*((base + l.array_counted as usize) as *const u8), 0, "ints only");
            assert_eq!(*((base + l.array_compact as usize) as *const u8), 0, "boxed");
        }
        drop(weak);
        use crate::runtime::value::{TAG_BOOL, TAG_INT};
        compact_form(&[10i64, 20], 5, Values::from_ints, TAG_INT, [l.ints_ptr, l.ints_len, l.ints_cap], l.bools_len);
        compact_form(
            &[1u8, 0, 1],
            6,
            Values::from_bools,
            TAG_BOOL,
            [l.bools_ptr, l.bools_len, l.bools_cap],
            l.ints_len,
        );
        let strs = Value::array(vec![Value::Int(1), Value::str("s")]);
        let base = strs.payload_bits().unwrap() as usize;
        // SAFETY: as above.
        assert_eq!(unsafe { *((base + l.array_counted as usize) as *const u8) }, 1, "holds a string");
    }

    /// Checks one compact form's probed offsets on a real array that `make`
    /// fills with `elems` (capacity `cap`): its compact byte reads `tag`, the
    /// form's pointer, length and capacity (`at`) are the vector's, its
    /// second element is where the pointer says, and the other compact
    /// form's length (`other_len`) reads 0.
    fn compact_form<T: Copy + PartialEq + std::fmt::Debug>(
        elems: &[T],
        cap: usize,
        make: fn(Vec<T>) -> Values,
        tag: u8,
        at: [i32; 3],
        other_len: i32,
    ) {
        let l = heap_layout().expect("layout recognised on this platform");
        let mut v = Vec::with_capacity(cap);
        v.extend_from_slice(elems);
        let ptr = v.as_ptr() as usize;
        let arr = Value::Array(Rc::new(make(v)));
        let base = arr.payload_bits().unwrap() as usize;
        let [ptr_at, len_at, cap_at] = at;
        // SAFETY: offsets from the probe, on a live array.
        unsafe {
            assert_eq!(*((base + l.array_compact as usize) as *const u8), tag, "compact");
            assert_eq!(read_at(base + len_at as usize, 0), elems.len());
            assert_eq!(read_at(base + cap_at as usize, 0), cap);
            assert_eq!(read_at(base + ptr_at as usize, 0), ptr);
            assert_eq!(*(ptr as *const T).add(1), elems[1]);
            assert_eq!(read_at(base + other_len as usize, 0), 0, "the other compact form is empty");
        }
    }

    #[test]
    fn the_probe_finds_a_closures_captured_values() {
        let l = heap_layout().expect("layout recognised on this platform");
        let program = crate::api::Program::compile("probe.ruff", "func f() { return 1 }").expect("compiles");
        let proto = program.main().protos[0].clone();
        let captures = vec![Value::Int(7), Value::Float(2.5), Value::str("s")];
        let c = Rc::new(Closure { proto, captures: std::cell::RefCell::new(captures) });
        let bits = closure_bits(&c);
        assert_eq!(Some(bits), Value::Func(c.clone()).payload_bits(), "the payload of a value holding it");
        // SAFETY: the offset from the probe, on a live closure.
        let at = l.closure_captures.expect("captured values found on this platform");
        let elems = unsafe { read_at(bits as usize + at as usize, 0) } as *const Value;
        let seen = unsafe { std::slice::from_raw_parts(elems, 3) };
        assert!(matches!(seen, [Value::Int(7), Value::Float(f), Value::Str(_)] if *f == 2.5), "{seen:?}");
        c.captures.borrow_mut()[0] = Value::Int(8);
        assert!(matches!(unsafe { &*elems }, Value::Int(8)), "assigned in place");
        let at = l.closure_proto.expect("function found on this platform");
        // SAFETY: as above.
        let word = unsafe { read_at(bits as usize + at as usize, 0) } as u64;
        assert_eq!(word, proto_bits(&c.proto), "the closure's function");
    }

    #[test]
    fn the_probe_finds_a_structs_shape_and_values() {
        let l = heap_layout().expect("layout recognised on this platform");
        let shape: Rc<[Rc<str>]> = vec![Rc::from("x"), Rc::from("y")].into();
        let obj =
            Rc::new(StructObj { name: Rc::from("P"), ty: None, shape, values: vec![Value::Int(3), Value::Int(4)] });
        let v = Value::Struct(obj.clone());
        let base = v.payload_bits().unwrap() as usize;
        let mut cache = FieldCache::default();
        cache.fill(&obj, 1);
        // SAFETY: offsets from the probe, on a live struct.
        unsafe {
            assert_eq!(words(base + l.struct_shape as usize, 2), cache.shape.map(|w| w as usize));
            let ptr_word = (l.struct_shape_ptr - l.struct_shape) as usize / 8;
            assert!(ptr_word < 2, "one of the shape's two words");
            // The other word is the length; this one is where the slice lives
            // (at or below its first element).
            assert_eq!(cache.shape[1 - ptr_word], 2, "the length word");
            let ptr = read_at(base + l.struct_shape_ptr as usize, 0);
            assert_eq!(ptr as u64, l.shape_ptr_word(&obj.shape), "the word a literal of the shape compares");
            let first = obj.shape.as_ptr() as usize;
            assert!(ptr <= first && first - ptr <= 64, "the pointer word: {ptr:#x} for elements at {first:#x}");
            assert_eq!(read_at(base + l.struct_values as usize, 0), obj.values.as_ptr() as usize);
            assert_eq!(read_at(base + l.struct_values_len as usize, 0), 2, "the values' length");
            assert_eq!(read_at(base + l.struct_ty as usize, 0), 0, "made before its type");
        }
        assert_eq!(cache.index, 1);
        let ty = Rc::new(StructType { name: Rc::from("P"), fields: obj.shape.to_vec(), methods: Vec::new() });
        let typed = Value::Struct(Rc::new(StructObj { ty: Some(ty.clone()), ..(*obj).clone() }));
        let base = typed.payload_bits().unwrap() as usize;
        // SAFETY: as above.
        assert_eq!(unsafe { read_at(base + l.struct_ty as usize, 0) } as u64, type_bits(&ty), "its type");
    }
}
