//! The table behind a dict: an insertion-ordered hash map from [`Key`] to
//! [`Value`], split the way CPython's dicts are: entries sit in a dense vector
//! in insertion order, and a separate power-of-two array of 4-byte slots says
//! where each key's entry is.
//!
//! A table of 2^b slots holds fewer than 2^b entries, so a slot keeps an
//! entry's position plus one (0 is an empty slot) in its low b bits, and in the
//! other 32 - b bits a tag: bits of the key's mixed hash. A probe compares keys
//! only when the tags agree. A slot whose position bits are 0 and tag bits all
//! ones is a tombstone: a removed entry's slot, which lookups step over and
//! inserts reuse.
//!
//! Where a key's probe starts and where it goes next are two different hashes
//! ([`Hashes`]). An int starts at its own value (folded, so that its high bits
//! count too): consecutive keys fill consecutive slots, so building or reading a
//! dict in key order walks its slot array in order instead of at random, and a
//! table grows by re-placing its entries, in order, with sequential writes.
//! Every later probe follows CPython's recurrence, `j = 5j + 1 + perturb` with
//! `perturb` shifted right by 5 each time, but starting from a fully mixed
//! hash, so keys that collide at the start (multiples of a large power of two
//! share their low bits) go their separate ways from the second probe on. Once
//! `perturb` is 0 the recurrence visits every slot, so a probe always ends at
//! an empty slot (the load stays at most 3/4).
//!
//! The table before this one probed linearly from a mixed hash, which scatters
//! consecutive keys over the whole slot array: reading back a dict of 100k
//! keys took twice as long (README, "Dicts"). The one before that was
//! `indexmap` with FxHash, which stores each entry's hash (40-byte entries
//! against 32) and grows by reading those hashes from entries scattered in
//! memory.
//!
//! Removal keeps the order of the other entries (as the language requires): the
//! entry is taken out of the vector, its slot becomes a tombstone, and the
//! slots of later entries are renumbered: O(entries after it), or one sweep of
//! the slot array when that is cheaper, like indexmap's `shift_remove`. A table
//! whose live entries and tombstones reach the load limit is rebuilt without
//! tombstones: at the same size when live entries are fewer than half the
//! load limit (3/8 of the slots), else larger ([`GROW_4X_BELOW`]).

use std::hash::BuildHasher;

use rustc_hash::FxBuildHasher;

use super::object::Key;
use super::value::Value;
use super::values::is_counted;

/// Multiplier of Fibonacci hashing (2^64 / golden ratio, odd).
const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;
/// Slots in the first table a map allocates.
const MIN_SLOTS: usize = 8;
/// The largest table: 2^31 slots (beyond that the tag would have no bits; the
/// entries alone would need over 50 GB).
const MAX_BITS: u32 = 31;
/// A table of fewer slots than this grows to four times its size, a larger one
/// to twice (CPython's dicts also grow by more than twice while small). Each
/// growth re-places every entry, and a dict built up from empty passes through
/// every size on the way: growing 4× while under 256 KiB of slots halves those
/// re-placements, for at most 256 KiB of slots more (32,768 slots grow to
/// 131,072 instead of 65,536; the entries' vector reserves room to match, which
/// costs no memory until it is used). hash_map (100k int keys):
/// 11.4 → 10.1 ms, 10k keys 2.63 → 2.42 ms, 1M unchanged (medians of 21
/// alternating runs).
const GROW_4X_BELOW: usize = 1 << 16;
/// Bits `perturb` loses at each probe (CPython's `PERTURB_SHIFT`).
const PERTURB_SHIFT: u32 = 5;

/// Second multiplier of the int mix (murmur3's fmix64 constant, odd).
const MIX: u64 = 0xFF51_AFD7_ED55_8CCD;

/// A key's two hashes: `home`'s low bits pick the first slot probed; `mixed`
/// gives the tag and drives every later probe.
#[derive(Clone, Copy)]
struct Hashes {
    home: u64,
    mixed: u64,
}

/// xor-shift, multiply, xor-shift, multiply: each step a bijection, so
/// distinct inputs keep distinct outputs, and every output bit depends on
/// every input bit.
#[inline(always)]
fn mix(mut x: u64) -> u64 {
    x ^= x >> 32;
    x = x.wrapping_mul(GOLDEN);
    x ^= x >> 29;
    x.wrapping_mul(MIX)
}

/// The hashes of a key (see the module notes). The unit test
/// `regularly_spaced_int_keys_spread` checks the probe lengths of keys at
/// regular steps, including Fibonacci numbers and powers of two.
#[inline(always)]
fn hashes(k: &Key) -> Hashes {
    match k {
        Key::Int(i) => {
            let x = *i as u64;
            Hashes { home: x ^ (x >> 32), mixed: mix(x) }
        }
        Key::Str(s) => {
            let m = mix(FxBuildHasher.hash_one(s.as_str()));
            Hashes { home: m, mixed: m }
        }
    }
}

/// An insertion-ordered map from keys to values (see the module notes).
#[derive(Debug, Default)]
pub struct KeyMap {
    entries: Vec<(Key, Value)>,
    /// Empty (no allocation) until the first insert; else 2^bits slots.
    slots: Vec<u32>,
    bits: u32,
    /// Tombstones among the slots.
    tombs: usize,
    /// False only while no entry owns a reference: int keys, and values that
    /// are scalars or builtins. Then dropping the map reads no entry and a copy
    /// copies the entries in bulk (as for arrays, `Values::counted`). `insert` looks at
    /// what it stores; `get_mut` sets it, since the caller could store anything.
    counted: bool,
}

/// True when the entry `(k, v)` owns a reference (dropping it is not free).
fn owns(k: &Key, v: &Value) -> bool {
    matches!(k, Key::Str(_)) || is_counted(v)
}

impl Clone for KeyMap {
    fn clone(&self) -> KeyMap {
        let entries = if self.counted {
            self.entries.clone()
        } else {
            let n = self.entries.len();
            let mut out: Vec<(Key, Value)> = Vec::with_capacity(n);
            // SAFETY: no entry owns anything (the flag is clear), so a bitwise
            // copy of each is an entry of its own; `out` has room for `n`.
            unsafe {
                std::ptr::copy_nonoverlapping(self.entries.as_ptr(), out.as_mut_ptr(), n);
                out.set_len(n);
            }
            out
        };
        KeyMap { entries, slots: self.slots.clone(), bits: self.bits, tombs: self.tombs, counted: self.counted }
    }
}

impl Drop for KeyMap {
    fn drop(&mut self) {
        if !self.counted {
            // SAFETY: no entry owns anything, so forgetting them all before the
            // vector frees its buffer leaks nothing.
            unsafe { self.entries.set_len(0) };
        }
    }
}

/// The slots a probe for a key visits, in order (endless: the caller stops at
/// an empty slot, which every table has).
struct Probe {
    at: usize,
    perturb: u64,
    mask: usize,
}

impl Probe {
    #[inline(always)]
    fn advance(&mut self) {
        self.perturb >>= PERTURB_SHIFT;
        self.at = (self.at.wrapping_mul(5).wrapping_add(1).wrapping_add(self.perturb as usize)) & self.mask;
    }
}

impl KeyMap {
    /// A map with room for `n` entries before it grows.
    pub fn with_capacity(n: usize) -> KeyMap {
        let mut m = KeyMap::default();
        if n > 0 {
            m.resize(slots_for(n));
            m.entries.reserve_exact(n);
        }
        m
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The first slot a key with hashes `h` probes.
    #[inline(always)]
    fn probe(&self, h: Hashes) -> Probe {
        let mask = self.slots.len() - 1;
        Probe { at: h.home as usize & mask, perturb: h.mixed, mask }
    }

    /// The tag of a key with hashes `h`.
    #[inline(always)]
    fn tag(&self, h: Hashes) -> u32 {
        (h.mixed >> 32) as u32 & self.tag_mask()
    }

    #[inline(always)]
    fn tag_mask(&self) -> u32 {
        u32::MAX >> self.bits
    }

    /// The value of a tombstone slot: no position, every tag bit set.
    #[inline(always)]
    fn tomb(&self) -> u32 {
        self.tag_mask() << self.bits
    }

    /// Where `k` is: `Ok(position)` when present, else `Err(slot)`, the slot
    /// where it would go (the first tombstone on its probe, else the empty slot
    /// that ended it; `Err(0)` before the first allocation).
    #[inline(always)]
    fn find(&self, k: &Key, h: Hashes) -> Result<usize, usize> {
        if self.slots.is_empty() {
            return Err(0);
        }
        let pos_mask = self.slots.len() - 1;
        let tag = self.tag(h);
        let mut free = None;
        let mut p = self.probe(h);
        loop {
            let s = self.slots[p.at];
            if s == 0 {
                return Err(free.unwrap_or(p.at));
            }
            let pos = s as usize & pos_mask;
            if pos == 0 {
                free = free.or(Some(p.at));
            } else if s >> self.bits == tag && self.entries[pos - 1].0 == *k {
                return Ok(pos - 1);
            }
            p.advance();
        }
    }

    /// Looks a key up.
    #[inline]
    pub fn get(&self, k: &Key) -> Option<&Value> {
        let i = self.find(k, hashes(k)).ok()?;
        Some(&self.entries[i].1)
    }

    /// Mutable access to an existing entry.
    #[inline]
    pub fn get_mut(&mut self, k: &Key) -> Option<&mut Value> {
        self.counted = true;
        let i = self.find(k, hashes(k)).ok()?;
        Some(&mut self.entries[i].1)
    }

    /// True when the key is present.
    #[inline]
    pub fn contains(&self, k: &Key) -> bool {
        self.find(k, hashes(k)).is_ok()
    }

    /// Inserts or replaces (a replaced key keeps its position).
    pub fn insert(&mut self, k: Key, v: Value) {
        self.counted |= owns(&k, &v);
        let h = hashes(&k);
        let slot = match self.find(&k, h) {
            Ok(i) => {
                self.entries[i].1 = v;
                return;
            }
            Err(b) if !self.slots.is_empty() && self.slots[b] != 0 => {
                // A tombstone: reused, so the load does not change.
                self.tombs -= 1;
                b
            }
            Err(_) if self.entries.len() + self.tombs >= max_entries(self.slots.len()) => {
                self.rebuild();
                // The entries vector grows here, to the new table's full load,
                // rather than by its own doublings in between.
                let room = max_entries(self.slots.len()) - self.entries.len();
                self.entries.reserve_exact(room);
                self.find(&k, h).expect_err("absent key")
            }
            Err(b) => b,
        };
        // Below max_entries, so the position fits in the low `bits` bits.
        let pos = self.entries.len() as u32 + 1;
        self.entries.push((k, v));
        self.slots[slot] = self.tag(h) << self.bits | pos;
    }

    /// The slot holding entry `pos`, whose key has hashes `h`.
    fn slot_of(&self, pos: usize, h: Hashes) -> usize {
        let mask = self.slots.len() - 1;
        let mut p = self.probe(h);
        loop {
            let s = self.slots[p.at];
            assert!(s != 0, "entry {pos} has no slot");
            if s as usize & mask == pos + 1 {
                return p.at;
            }
            p.advance();
        }
    }

    /// Removes a key, keeping the order of the others.
    pub fn remove(&mut self, k: &Key) -> Option<Value> {
        let h = hashes(k);
        let i = self.find(k, h).ok()?;
        let mask = self.slots.len() - 1;
        let b = self.slot_of(i, h);
        self.slots[b] = self.tomb();
        self.tombs += 1;
        // Entries after i move down one place: renumber their slots, finding
        // each by its key when there are few of them, else by one sweep of the
        // slot array (one lookup costs about a cache line, 16 slots, of sweep).
        let later = self.entries.len() - 1 - i;
        if later > 0 && later * 16 < self.slots.len() {
            for p in i + 1..self.entries.len() {
                let b = self.slot_of(p, hashes(&self.entries[p].0));
                self.slots[b] -= 1;
            }
        } else if later > 0 {
            for s in &mut self.slots {
                if *s as usize & mask > i + 1 {
                    *s -= 1;
                }
            }
        }
        let v = self.entries.remove(i).1;
        if self.entries.is_empty() {
            self.slots.fill(0);
            self.tombs = 0;
        }
        Some(v)
    }

    /// Entries in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&Key, &Value)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// Makes room for one more entry: a larger table ([`GROW_4X_BELOW`]), or
    /// one of the same size when its live entries are fewer than half the load
    /// limit.
    fn rebuild(&mut self) {
        let n = self.slots.len();
        self.resize(match n {
            0 => MIN_SLOTS,
            _ if self.entries.len() < max_entries(n) / 2 => n,
            _ if n < GROW_4X_BELOW => n * 4,
            _ => n * 2,
        });
    }

    /// Replaces the slots by `n` (a power of two) slots holding every entry
    /// and no tombstone.
    fn resize(&mut self, n: usize) {
        debug_assert!(n.is_power_of_two() && n >= MIN_SLOTS);
        let bits = n.trailing_zeros();
        assert!(bits <= MAX_BITS, "a dict cannot hold more than {} entries", max_entries(1 << MAX_BITS));
        self.slots = vec![0; n];
        self.bits = bits;
        self.tombs = 0;
        for pos in 0..self.entries.len() {
            let h = hashes(&self.entries[pos].0);
            let mut p = self.probe(h);
            while self.slots[p.at] != 0 {
                p.advance();
            }
            self.slots[p.at] = self.tag(h) << bits | (pos as u32 + 1);
        }
    }
}

/// Entries a table of `slots` slots holds before it grows (load 3/4).
fn max_entries(slots: usize) -> usize {
    slots / 4 * 3
}

/// The smallest table that holds `n` entries.
fn slots_for(n: usize) -> usize {
    let mut s = MIN_SLOTS;
    while max_entries(s) < n {
        s *= 2;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    /// A map with the same operations done the slow, obvious way.
    #[derive(Default)]
    struct Model(Vec<(Key, i64)>);

    impl Model {
        fn insert(&mut self, k: Key, v: i64) {
            match self.0.iter_mut().find(|(x, _)| *x == k) {
                Some(e) => e.1 = v,
                None => self.0.push((k, v)),
            }
        }
        fn remove(&mut self, k: &Key) -> Option<i64> {
            let i = self.0.iter().position(|(x, _)| x == k)?;
            Some(self.0.remove(i).1)
        }
        fn get(&self, k: &Key) -> Option<i64> {
            self.0.iter().find(|(x, _)| x == k).map(|e| e.1)
        }
    }

    fn int(v: &Value) -> i64 {
        match v {
            Value::Int(i) => *i,
            other => panic!("not an int: {other:?}"),
        }
    }

    fn same(m: &KeyMap, model: &Model) {
        assert_eq!(m.len(), model.0.len());
        let got: Vec<(Key, i64)> = m.iter().map(|(k, v)| (k.clone(), int(v))).collect();
        assert_eq!(got, model.0);
        for (k, v) in &model.0 {
            assert_eq!(m.get(k).map(int), Some(*v), "{k:?}");
        }
    }

    /// A small deterministic generator (Knuth's MMIX linear congruential
    /// constants; the high half is the well-mixed part).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            self.0 >> 32
        }
    }

    /// Keys drawn from a few families: small ints, multiples of large powers of
    /// two (which share low bits), extreme ints and strings.
    fn key(r: &mut Rng) -> Key {
        let x = r.next();
        match x % 4 {
            0 => Key::Int((x >> 8) as i64 % 300),
            1 => Key::Int((((x >> 8) % 64) as i64) << (20 + (x >> 20) % 40)),
            2 => Key::Int([i64::MIN, i64::MAX, -1, 0][((x >> 8) % 4) as usize]),
            _ => Key::Str(Rc::new(format!("k{}", (x >> 8) % 200))),
        }
    }

    /// Mean number of slots a lookup of a present key reads.
    fn mean_probes(m: &KeyMap) -> f64 {
        let mask = m.slots.len() - 1;
        let mut total = 0;
        for (pos, (k, _)) in m.entries.iter().enumerate() {
            let mut p = m.probe(hashes(k));
            total += 1;
            while m.slots[p.at] as usize & mask != pos + 1 {
                p.advance();
                total += 1;
            }
        }
        total as f64 / m.len() as f64
    }

    #[test]
    fn regularly_spaced_int_keys_spread() {
        // At load 3/4 a random hash gives 2.5 probes on average. Steps: all up
        // to 300, Fibonacci numbers near the table size, powers of two.
        let n = max_entries(1 << 14) as i64;
        let specials = [2584, 3864, 10946, 46368, 75025, 121393, 1 << 5, 1 << 20, 1 << 40, 1 << 41, 3 << 31];
        for d in (1..=300).chain(specials) {
            // Built at that size (growing skips it: 8192 slots grow to 32768).
            let mut m = KeyMap::with_capacity(n as usize);
            for i in 0..n {
                m.insert(Key::Int(i.wrapping_mul(d)), Value::Null);
            }
            assert_eq!(m.slots.len(), 1 << 14);
            let p = mean_probes(&m);
            assert!(p < 4.0, "step {d}: {p:.1} probes per lookup");
        }
        let mut m = KeyMap::with_capacity(n as usize);
        for i in 0..n {
            m.insert(Key::Str(Rc::new(format!("key{i}"))), Value::Null);
        }
        assert_eq!(m.slots.len(), 1 << 14);
        assert!(mean_probes(&m) < 4.0);
    }

    #[test]
    fn removals_near_the_end_and_the_front_renumber_every_later_entry() {
        for from_front in [false, true] {
            let mut m = KeyMap::default();
            let mut model = Model::default();
            for i in 0..2000 {
                m.insert(Key::Int(i * 3), Value::Int(i));
                model.insert(Key::Int(i * 3), i);
            }
            for r in 0..600 {
                let len = model.0.len();
                let at = if from_front { r % 7 } else { len - 2 - r % 5 };
                let k = model.0[at].0.clone();
                assert_eq!(m.remove(&k).as_ref().map(int), model.remove(&k));
            }
            same(&m, &model);
        }
    }

    #[test]
    fn random_operations_agree_with_a_model() {
        for seed in 1..=20u64 {
            let mut r = Rng(seed.wrapping_mul(0x2545_F491_4F6C_DD1D));
            let mut m = if seed % 2 == 0 { KeyMap::with_capacity(seed as usize * 7) } else { KeyMap::default() };
            let mut model = Model::default();
            for step in 0..3000 {
                let k = key(&mut r);
                match r.next() % 10 {
                    0..=5 => {
                        let v = (r.next() % 1000) as i64;
                        m.insert(k.clone(), Value::Int(v));
                        model.insert(k, v);
                    }
                    6 | 7 => assert_eq!(m.remove(&k).as_ref().map(int), model.remove(&k)),
                    8 => assert_eq!(m.contains(&k), model.get(&k).is_some()),
                    _ => {
                        if let Some(v) = m.get_mut(&k) {
                            *v = Value::Int(int(v) + 1);
                        }
                        if let Some(e) = model.0.iter_mut().find(|(x, _)| *x == k) {
                            e.1 += 1;
                        }
                    }
                }
                if step % 97 == 0 {
                    same(&m, &model);
                }
            }
            same(&m, &model);
        }
    }

    #[test]
    fn grows_through_many_sizes_and_keeps_insertion_order() {
        let mut m = KeyMap::default();
        let n = 100_000i64;
        for i in 0..n {
            m.insert(Key::Int(i * 7919 % n), Value::Int(i));
        }
        assert_eq!(m.len(), n as usize);
        for i in 0..n {
            assert_eq!(m.get(&Key::Int(i * 7919 % n)).map(int), Some(i));
        }
        assert!(m.get(&Key::Int(n)).is_none());
        let order: Vec<i64> = m.iter().map(|(_, v)| int(v)).collect();
        assert_eq!(order, (0..n).collect::<Vec<_>>());
    }

    #[test]
    fn removing_every_key_leaves_an_empty_usable_map() {
        let mut m = KeyMap::default();
        for i in 0..500 {
            m.insert(Key::Int(i << 40), Value::Int(i));
        }
        for i in (0..500).rev().step_by(2).chain((0..500).step_by(2)) {
            assert_eq!(m.remove(&Key::Int(i << 40)).as_ref().map(int), Some(i));
        }
        assert!(m.is_empty());
        assert!(m.slots.iter().all(|&s| s == 0));
        m.insert(Key::Int(3), Value::Int(9));
        assert_eq!(m.get(&Key::Int(3)).map(int), Some(9));
    }

    #[test]
    fn maps_of_scalars_copy_and_drop_without_touching_counts_and_others_count() {
        let text = Rc::new("v".to_string());
        let mut plain = KeyMap::default();
        for i in 0..1000 {
            plain.insert(Key::Int(i), Value::Int(i * 2));
        }
        plain.insert(Key::Int(5), Value::Float(0.5));
        assert!(!plain.counted);
        let copy = plain.clone();
        assert!(!copy.counted);
        assert_eq!(copy.get(&Key::Int(5)).map(|v| v.type_name()), Some("float"));
        assert_eq!(copy.get(&Key::Int(999)).map(int), Some(1998));
        drop(plain);
        let mut m = copy.clone();
        m.insert(Key::Int(1), Value::Str(text.clone()));
        assert!(m.counted, "a string value");
        let m2 = m.clone();
        assert_eq!(Rc::strong_count(&text), 3);
        drop(m);
        drop(m2);
        assert_eq!(Rc::strong_count(&text), 1);
        let mut k = KeyMap::default();
        k.insert(Key::Str(text.clone()), Value::Int(1));
        assert!(k.counted, "a string key");
        drop(k);
        assert_eq!(Rc::strong_count(&text), 1);
        let mut g = copy;
        if let Some(v) = g.get_mut(&Key::Int(3)) {
            *v = Value::Str(text.clone());
        }
        assert!(g.counted, "get_mut may have stored anything");
        drop(g);
        assert_eq!(Rc::strong_count(&text), 1);
    }

    #[test]
    fn small_tables_grow_four_times_over_and_large_ones_twice() {
        let mut m = KeyMap::default();
        let mut sizes = vec![];
        for i in 0..max_entries(1 << 18) as i64 {
            m.insert(Key::Int(i), Value::Int(i));
            if sizes.last() != Some(&m.slots.len()) {
                sizes.push(m.slots.len());
            }
        }
        assert_eq!(sizes, [8, 32, 128, 512, 2048, 8192, 32768, 131072, 262144]);
    }

    #[test]
    fn churn_through_tombstones_keeps_the_table_small() {
        // Insert-remove cycles leave tombstones; the table is rebuilt at its
        // own size when they fill it, never grown for them.
        let mut m = KeyMap::default();
        for i in 0..5 {
            m.insert(Key::Int(i), Value::Int(i));
        }
        assert_eq!(m.slots.len(), 8);
        for i in 5..100_000 {
            m.insert(Key::Int(i), Value::Int(i));
            assert_eq!(m.remove(&Key::Int(i - 5)).as_ref().map(int), Some(i - 5));
            assert!(m.tombs + m.len() <= max_entries(m.slots.len()));
        }
        assert_eq!(m.slots.len(), 32, "one growth (5 of 6 is more than half full), then rebuilds");
        let keys: Vec<Key> = m.iter().map(|(k, _)| k.clone()).collect();
        assert_eq!(keys, (99_995..100_000).map(Key::Int).collect::<Vec<_>>());
        for i in 99_995..100_000 {
            assert_eq!(m.get(&Key::Int(i)).map(int), Some(i));
        }
        assert!(m.get(&Key::Int(99_994)).is_none());
    }

    #[test]
    fn consecutive_int_keys_take_consecutive_slots() {
        let mut m = KeyMap::default();
        for i in 0..10_000 {
            m.insert(Key::Int(i), Value::Int(i));
        }
        let mask = m.slots.len() - 1;
        for i in 0..10_000usize {
            assert_eq!(m.slots[i] as usize & mask, i + 1, "key {i}");
        }
        assert_eq!(mean_probes(&m), 1.0);
    }

    #[test]
    fn a_clone_is_independent() {
        let mut a = KeyMap::default();
        a.insert(Key::Int(1), Value::Int(1));
        let mut b = a.clone();
        b.insert(Key::Int(2), Value::Int(2));
        b.remove(&Key::Int(1));
        assert_eq!(a.len(), 1);
        assert_eq!(a.get(&Key::Int(1)).map(int), Some(1));
        assert_eq!(b.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(), [Key::Int(2)]);
    }

    #[test]
    fn with_capacity_does_not_grow_before_its_capacity() {
        let mut m = KeyMap::with_capacity(1000);
        let slots = m.slots.len();
        for i in 0..1000 {
            m.insert(Key::Int(i), Value::Null);
        }
        assert_eq!(m.slots.len(), slots);
        assert!(KeyMap::with_capacity(0).slots.is_empty());
    }
}
