//! Where compiled code finds a heap value's reference count and an array's
//! elements. `Rc` and `Vec` promise no field order, so the layout is measured at
//! run time on real values rather than assumed: compiled code works on these
//! fields directly only when the probe recognised every one of them, and calls
//! helpers otherwise.

use std::rc::Rc;
use std::sync::OnceLock;

use super::value::{Value, TAG_NATIVE, TAG_STR};

/// Offsets from the address a heap value's payload holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeapLayout {
    /// The strong reference count (a `usize`).
    pub strong: i32,
    /// An array's element pointer.
    pub array_ptr: i32,
    /// An array's length.
    pub array_len: i32,
}

/// True for tags whose payload is a counted reference: every heap kind except
/// builtins.
pub fn counted(tag: u8) -> bool {
    tag >= TAG_STR && tag != TAG_NATIVE
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
    let rc = Rc::new(elems);
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
    let strong = (0..before.len()).find(|&i| before[i] == 2 && after[i] == 3)?;
    let fields = unsafe { words(data, 3) };
    let find = |want: usize| {
        let hits: Vec<usize> = (0..3).filter(|&i| fields[i] == want).collect();
        (hits.len() == 1).then(|| hits[0])
    };
    let ptr = find(rc.as_ptr() as usize)?;
    let len = find(3)?;
    find(7)?;
    drop(value);
    Some(HeapLayout {
        strong: (strong * 8) as i32,
        array_ptr: (data_off + ptr * 8) as i32,
        array_len: (data_off + len * 8) as i32,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_finds_counts_and_array_fields_that_work() {
        let l = heap_layout().expect("layout recognised on this platform");
        let arr = Rc::new(vec![Value::Int(10), Value::Int(20)]);
        let v = Value::Array(arr.clone());
        let base = v.payload_bits().unwrap() as usize;
        // SAFETY: offsets from the probe, on a live array.
        unsafe {
            assert_eq!(read_at(base + l.strong as usize, 0), Rc::strong_count(&arr));
            assert_eq!(read_at(base + l.array_len as usize, 0), 2);
            assert_eq!(read_at(base + l.array_ptr as usize, 0), arr.as_ptr() as usize);
        }
        assert!(counted(TAG_STR) && !counted(TAG_NATIVE) && !counted(super::super::value::TAG_INT));
    }
}
