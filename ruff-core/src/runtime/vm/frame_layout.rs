//! Where compiled code finds the VM's frame records and the length and
//! capacity of its value stack, to push and pop a callee's frame record itself
//! (`jit_calls`: calls of framed code from framed code). `Vec` promises no
//! field order, so its words are told apart on a real empty vector of each kind
//! (pointer, length 0, capacity 7); `Frame` and `Vm` are this crate's own, so
//! their field offsets are plain `offset_of!`.

use std::sync::OnceLock;

use super::{stack::Stack, Frame, Vm};
use crate::runtime::value::Value;

/// Offsets from a `Vm`'s address (`JitCtx::vm`), and of a frame record's
/// fields from its address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VmLayout {
    /// The value stack's length (values, a `usize`).
    pub stack_len: i32,
    /// The value stack's capacity (values).
    pub stack_cap: i32,
    /// The frame records' element pointer.
    pub frames_ptr: i32,
    /// Their number.
    pub frames_len: i32,
    /// Their capacity.
    pub frames_cap: i32,
    /// Bytes per frame record.
    pub frame_size: i32,
    /// A record's function: its `Rc<Closure>`, the word a function value
    /// keeps as its payload.
    pub frame_closure: i32,
    /// A record's next instruction (a `usize`).
    pub frame_pc: i32,
    /// A record's base: the stack index of its slot 0 (a `usize`).
    pub frame_base: i32,
    /// A record's return position: the stack index of its callee (a `usize`).
    pub frame_ret: i32,
    /// Native stack the VM keeps free above `JitCtx::stack_limit` before it
    /// enters native code (which compiled code entering framed code checks
    /// as the VM does).
    pub entry_margin: u64,
}

/// The layout of this build, or `None` when a `Vec`'s words could not be told
/// apart (compiled code then calls framed functions through the helper).
pub fn vm_layout() -> Option<VmLayout> {
    static LAYOUT: OnceLock<Option<VmLayout>> = OnceLock::new();
    *LAYOUT.get_or_init(probe)
}

/// Which of an empty `Vec<T>` of capacity 7's three words are its pointer, its
/// length and its capacity (in bytes from its start), each found exactly once.
fn vec_words<T>() -> Option<[usize; 3]> {
    if std::mem::size_of::<Vec<T>>() != 24 || std::mem::size_of::<T>() == 0 {
        return None;
    }
    let v: Vec<T> = Vec::with_capacity(7);
    // SAFETY: a `Vec` is three initialised words, read here without moving it.
    let words = unsafe { std::ptr::read(&v as *const Vec<T> as *const [usize; 3]) };
    let find = |want: usize| {
        let hits: Vec<usize> = (0..3).filter(|&i| words[i] == want).collect();
        (hits.len() == 1).then(|| hits[0] * 8)
    };
    Some([find(v.as_ptr() as usize)?, find(0)?, find(v.capacity())?])
}

fn probe() -> Option<VmLayout> {
    let [_, stack_len, stack_cap] = vec_words::<Value>()?;
    let [frames_ptr, frames_len, frames_cap] = vec_words::<Frame>()?;
    let (stack, frames) = (std::mem::offset_of!(Vm, stack) + Stack::VEC_OFFSET, std::mem::offset_of!(Vm, frames));
    let at = |o: usize| i32::try_from(o).ok();
    Some(VmLayout {
        stack_len: at(stack + stack_len)?,
        stack_cap: at(stack + stack_cap)?,
        frames_ptr: at(frames + frames_ptr)?,
        frames_len: at(frames + frames_len)?,
        frames_cap: at(frames + frames_cap)?,
        frame_size: at(std::mem::size_of::<Frame>())?,
        frame_closure: at(std::mem::offset_of!(Frame, closure))?,
        frame_pc: at(std::mem::offset_of!(Frame, pc))?,
        frame_base: at(std::mem::offset_of!(Frame, base))?,
        frame_ret: at(std::mem::offset_of!(Frame, ret))?,
        entry_margin: super::native::STACK_MARGIN as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::vm::VmOptions;

    /// Reads the `usize` at `off` bytes from `base`.
    ///
    /// # Safety
    /// The word lies inside one live value.
    unsafe fn word(base: usize, off: i32) -> usize {
        unsafe { std::ptr::read((base + off as usize) as *const usize) }
    }

    #[test]
    fn the_offsets_read_a_real_vms_stack_and_frames() {
        let l = vm_layout().expect("layout recognised on this platform");
        let mut vm = Vm::new(Box::new(std::io::sink()), Vec::new(), VmOptions::default());
        for i in 0..5 {
            vm.stack.push(Value::Int(i));
        }
        let at = &vm as *const Vm as usize;
        // SAFETY: every offset lies inside the live `vm`; the frame records'
        // words are read only while the vector holds them.
        unsafe {
            assert_eq!(word(at, l.stack_len), vm.stack.len());
            assert_eq!(word(at, l.stack_cap), vm.stack.capacity());
            assert_eq!(word(at, l.frames_ptr), vm.frames.as_ptr() as usize);
            assert_eq!(word(at, l.frames_len), vm.frames.len());
            assert_eq!(word(at, l.frames_cap), vm.frames.capacity());
        }
        let program = crate::api::Program::compile("t", "let x := 1\n").expect("compiles");
        let proto = program.main().clone();
        let closure = std::rc::Rc::new(crate::runtime::object::Closure { proto, captures: Default::default() });
        vm.frames.push(Frame { closure: closure.clone(), pc: 11, base: 22, ret: 33 });
        let rec = vm.frames.as_ptr() as usize;
        // SAFETY: the record is live in the vector.
        unsafe {
            assert_eq!(word(at, l.frames_len), 1);
            assert_eq!(word(rec, l.frame_closure) as u64, crate::runtime::heap_layout::closure_bits(&closure));
            assert_eq!((word(rec, l.frame_pc), word(rec, l.frame_base), word(rec, l.frame_ret)), (11, 22, 33));
        }
        assert_eq!(l.frame_size as usize, std::mem::size_of::<Frame>());
    }
}
