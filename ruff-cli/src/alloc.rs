//! The `ruff` binary's global allocator: mimalloc for everything, except large
//! blocks, which get mappings of their own so that growing one is `mremap`.
//!
//! Why: a Ruff array or dict that keeps growing (`xs = push(xs, v)` a million
//! times) doubles its buffer again and again. Through mimalloc each doubling takes
//! fresh memory, which the kernel must zero on first touch, and copies the old
//! contents into it; the memory touched adds up to twice the final size. With the
//! buffer in its own mapping, `mremap` moves the old pages instead (no copy, no
//! zeroing) and only the new half is fresh. glibc's allocator does the same for
//! blocks above its mmap threshold.
//!
//! Which blocks: those of at least [`LARGE`] bytes with an alignment a page
//! gives. The rule depends only on the layout, which Rust hands back unchanged on
//! `dealloc` and `realloc`, so every block is freed by the allocator that made it.
//! Freed mappings are kept in a small cache and reused, so a program that makes
//! and drops large arrays in a loop does not pay for fresh pages each time
//! (zeroed requests take fresh mappings, which the kernel zeroes lazily).
//!
//! Huge pages: large mappings ask for them (`MADV_HUGEPAGE`), since a growing
//! array or dict touches all of its buffer. mimalloc's own heap does not ask
//! (its `no_thp` feature, set in Cargo.toml): if it did, a fresh 2 MiB page
//! would be zeroed whole even when a compile or a short program uses a few KiB
//! of it. (With the kernel's THP mode at `always`, the kernel gives it huge
//! pages anyway.) README, "Memory", has the figures.
//!
//! Linux only (`mremap`); other systems use mimalloc alone.

use std::alloc::{GlobalAlloc, Layout};
use std::ptr;
use std::sync::Mutex;

use libmimalloc_sys as ffi;
use mimalloc::MiMalloc;

/// Blocks of this size or more get their own mapping (1 MiB measured the same on
/// array_sum and hash_map, and wastes more: mappings are whole huge pages).
const LARGE: usize = 2 << 20;
/// Mappings are whole multiples of this (the size of a transparent huge page):
/// Linux places anonymous mappings of such lengths on huge-page boundaries
/// where it can, and none of a mapping's huge pages is then partly unused.
const GRAIN: usize = 2 << 20;
/// Freed mappings kept for reuse: at most this many, of at most this many bytes
/// (memory a program freed stays resident up to this much).
const CACHE_SLOTS: usize = 4;
const CACHE_BYTES: usize = 64 << 20;
/// The largest alignment a fresh mapping always has.
const PAGE: usize = 4096;

pub struct RuffAlloc;

/// Freed mappings: (address, length).
static CACHE: Mutex<[(usize, usize); CACHE_SLOTS]> = Mutex::new([(0, 0); CACHE_SLOTS]);

fn is_large(size: usize, align: usize) -> bool {
    size >= LARGE && align <= PAGE
}

/// Whether every mimalloc block has this alignment: blocks are whole words
/// at word-aligned addresses. Such requests call `mi_malloc` itself rather
/// than `mi_malloc_aligned` (which is all `MiMalloc` calls). The aligned
/// entry serves a request from the page's free list only while that list has
/// blocks; when it is empty, a size that is not a power of two is
/// over-allocated from the next size class up, which leaves the empty list
/// as it was, so every later request of that size takes the slow way too
/// (a third of the allocator's instructions in a loop that makes and drops
/// a struct per iteration, counted with callgrind). `mi_malloc` refills the
/// list from the blocks freed since.
fn word_aligned(align: usize) -> bool {
    align <= std::mem::size_of::<usize>()
}

fn mapping_len(size: usize) -> usize {
    size.div_ceil(GRAIN) * GRAIN
}

/// A cached mapping of exactly `len` bytes, or else the smallest larger one cut
/// down to `len`.
fn from_cache(len: usize) -> Option<*mut u8> {
    let mut cache = CACHE.lock().ok()?;
    let best = (0..CACHE_SLOTS).filter(|&i| cache[i].1 >= len).min_by_key(|&i| cache[i].1)?;
    let (addr, have) = std::mem::take(&mut cache[best]);
    drop(cache);
    let p = addr as *mut u8;
    if have > len {
        // Shrinking in place never moves the mapping.
        // SAFETY: `p` is a mapping of `have` bytes that nothing else refers to.
        let q = unsafe { libc::mremap(p.cast(), have, len, 0) };
        if q == libc::MAP_FAILED {
            // SAFETY: as above; the mapping is dropped instead of reused.
            unsafe { libc::munmap(p.cast(), have) };
            return None;
        }
    }
    Some(p)
}

/// Keeps a freed mapping for reuse, or unmaps it when the cache is full.
fn release(p: *mut u8, len: usize) {
    if let Ok(mut cache) = CACHE.lock() {
        let held: usize = cache.iter().map(|c| c.1).sum();
        if held + len <= CACHE_BYTES {
            if let Some(slot) = cache.iter_mut().find(|c| c.1 == 0) {
                *slot = (p as usize, len);
                return;
            }
        }
    }
    // SAFETY: `p` is a mapping of `len` bytes made here and no longer in use.
    unsafe { libc::munmap(p.cast(), len) };
}

/// A new mapping of `len` bytes (zeroed), or null.
fn map(len: usize) -> *mut u8 {
    // SAFETY: an anonymous private mapping at an address the kernel chooses.
    let p = unsafe {
        libc::mmap(
            ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return ptr::null_mut();
    }
    // Huge pages where the system allows them on request ("madvise" mode): one
    // fault per 2 MiB instead of per 4 KiB. Failure only means small pages.
    // SAFETY: `p` is the mapping just made.
    unsafe { libc::madvise(p, len, libc::MADV_HUGEPAGE) };
    p.cast()
}

fn large_alloc(size: usize) -> *mut u8 {
    let len = mapping_len(size);
    from_cache(len).unwrap_or_else(|| map(len))
}

unsafe impl GlobalAlloc for RuffAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if is_large(layout.size(), layout.align()) {
            return large_alloc(layout.size());
        }
        if word_aligned(layout.align()) {
            // SAFETY: any size; the block is word-aligned (see `word_aligned`).
            return unsafe { ffi::mi_malloc(layout.size()) }.cast();
        }
        // SAFETY: the caller's contract is MiMalloc's.
        unsafe { MiMalloc.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if is_large(layout.size(), layout.align()) {
            // A fresh mapping: zero already, page by page as it is touched (a
            // reused one would have to be cleared in full up front).
            return map(mapping_len(layout.size()));
        }
        if word_aligned(layout.align()) {
            // SAFETY: as in `alloc`.
            return unsafe { ffi::mi_zalloc(layout.size()) }.cast();
        }
        // SAFETY: the caller's contract is MiMalloc's.
        unsafe { MiMalloc.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        if is_large(layout.size(), layout.align()) {
            release(p, mapping_len(layout.size()));
            return;
        }
        // SAFETY: `p` came from MiMalloc with this layout (the rule above).
        unsafe { MiMalloc.dealloc(p, layout) }
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let align = layout.align();
        match (is_large(layout.size(), align), is_large(new_size, align)) {
            (false, false) if word_aligned(align) => {
                // SAFETY: `p` came from mimalloc; the new block is word-aligned.
                unsafe { ffi::mi_realloc(p.cast(), new_size) }.cast()
            }
            (false, false) => {
                // SAFETY: `p` came from MiMalloc with this layout.
                unsafe { MiMalloc.realloc(p, layout, new_size) }
            }
            (true, true) => {
                let (old, new) = (mapping_len(layout.size()), mapping_len(new_size));
                if old == new {
                    return p;
                }
                // SAFETY: `p` is a mapping of `old` bytes; the kernel moves its
                // pages if it cannot grow in place.
                let q = unsafe { libc::mremap(p.cast(), old, new, libc::MREMAP_MAYMOVE) };
                if q == libc::MAP_FAILED {
                    ptr::null_mut()
                } else {
                    q.cast()
                }
            }
            _ => {
                // Crossing the threshold: a block from the other allocator.
                // SAFETY: `new_size` is non-zero and the alignment is the block's.
                let q = unsafe { self.alloc(Layout::from_size_align_unchecked(new_size, align)) };
                if !q.is_null() {
                    // SAFETY: both blocks hold at least the smaller size, and differ.
                    unsafe {
                        ptr::copy_nonoverlapping(p, q, layout.size().min(new_size));
                        self.dealloc(p, layout);
                    }
                }
                q
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(size: usize) -> Layout {
        Layout::from_size_align(size, 8).unwrap()
    }

    #[test]
    fn a_vector_keeps_its_contents_while_growing_past_the_threshold_and_shrinking_back() {
        // This test binary's global allocator is `RuffAlloc` (main.rs).
        let mut v: Vec<u64> = Vec::new();
        for i in 0..3_000_000u64 {
            v.push(i * 7);
        }
        assert!(v.capacity() * 8 >= 4 * LARGE, "grew through several mremaps");
        assert!(v.iter().enumerate().all(|(i, &x)| x == i as u64 * 7));
        v.truncate(1000);
        v.shrink_to_fit();
        assert!(v.capacity() * 8 < LARGE, "back in mimalloc");
        assert!(v.iter().enumerate().all(|(i, &x)| x == i as u64 * 7));
    }

    #[test]
    fn reused_mappings_are_cut_to_size_and_zeroed_requests_are_zero() {
        let a = RuffAlloc;
        unsafe {
            let big = a.alloc(layout(3 * LARGE));
            assert!(!big.is_null());
            ptr::write_bytes(big, 0xAB, 3 * LARGE);
            a.dealloc(big, layout(3 * LARGE));
            // Reuses a cached mapping (this one or another test's), cut down.
            let r = a.alloc(layout(LARGE + 1));
            assert!(!r.is_null());
            ptr::write_bytes(r, 1, LARGE + 1);
            // A zeroed request is zero even with dirty mappings in the cache.
            a.dealloc(r, layout(LARGE + 1));
            let z = a.alloc_zeroed(layout(LARGE + 1));
            assert!(!z.is_null());
            assert!(std::slice::from_raw_parts(z, LARGE + 1).iter().all(|&b| b == 0));
            ptr::write_bytes(z, 1, LARGE + 1);
            // Down across the threshold and back up: the contents travel along.
            let s = a.realloc(z, layout(LARGE + 1), 100);
            assert!(std::slice::from_raw_parts(s, 100).iter().all(|&b| b == 1));
            let g = a.realloc(s, layout(100), 2 * LARGE);
            assert!(std::slice::from_raw_parts(g, 100).iter().all(|&b| b == 1));
            a.dealloc(g, layout(2 * LARGE));
        }
    }

    #[test]
    fn small_blocks_keep_their_alignment_contents_and_zeroes_on_either_path() {
        let a = RuffAlloc;
        // Sizes that are not powers of two, made and freed in turns so that
        // pages' free lists run empty and refill (where the aligned entry
        // over-allocates); alignments 1 to 8 take `mi_malloc`, 16 to 64 the
        // aligned entry.
        for align in [1, 2, 4, 8, 16, 32, 64] {
            for size in [1, 7, 24, 40, 56, 72, 200, 1000] {
                let l = Layout::from_size_align(size, align).unwrap();
                let mut held = Vec::new();
                unsafe {
                    for round in 0..300usize {
                        let p = if round % 2 == 0 { a.alloc(l) } else { a.alloc_zeroed(l) };
                        assert!(!p.is_null());
                        assert_eq!(p as usize % align, 0, "size {size} align {align}");
                        if round % 2 == 1 {
                            assert!(std::slice::from_raw_parts(p, size).iter().all(|&b| b == 0));
                        }
                        ptr::write_bytes(p, round as u8, size);
                        held.push((p, round as u8));
                        if held.len() > 40 {
                            let (q, byte) = held.swap_remove(round % 41);
                            assert!(std::slice::from_raw_parts(q, size).iter().all(|&b| b == byte));
                            a.dealloc(q, l);
                        }
                    }
                    for (p, byte) in held {
                        let g = a.realloc(p, l, size * 3);
                        assert_eq!(g as usize % align, 0, "realloc of size {size} align {align}");
                        assert!(std::slice::from_raw_parts(g, size).iter().all(|&b| b == byte));
                        a.dealloc(g, Layout::from_size_align(size * 3, align).unwrap());
                    }
                }
            }
        }
    }

    #[test]
    fn threads_share_the_cache_safely() {
        let workers: Vec<_> = (0..4u64)
            .map(|t| {
                std::thread::spawn(move || {
                    for round in 0..20u64 {
                        let v: Vec<u64> = (0..(LARGE as u64 / 8 + round * 1000)).map(|i| i ^ t).collect();
                        assert_eq!(v[v.len() - 1], (v.len() as u64 - 1) ^ t);
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
    }
}
