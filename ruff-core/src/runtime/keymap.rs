//! The table behind a dict: an insertion-ordered hash map from [`Key`] to
//! [`Value`], split the way CPython's dicts are: entries sit in a dense vector
//! in insertion order, and a separate power-of-two array of 4-byte slots,
//! probed linearly, says where each key's entry is.
//!
//! A table of 2^b slots holds fewer than 2^b entries, so a slot keeps an
//! entry's position plus one (0 is an empty slot) in its low b bits, and in the
//! other 32 - b bits a tag: the hash bits just below those that pick the
//! bucket. A probe compares keys only when the tags agree.
//!
//! Growing the table re-places every entry from the entries vector, in order,
//! hashing its key again (cheap for int keys; for string keys it is a second
//! hash of each key on average). Nothing else is stored per entry.
//!
//! Its predecessor was `indexmap` with FxHash. Inside `ruff run`, inserting n
//! int keys into an empty dict then reading them back (medians of 5 runs on a
//! noisy host, ms): at 100k, insert 10.3 -> 7.4 and read 3.9 -> 3.4; at 200k,
//! 32.0 -> 18.2 and 17.2 -> 9.7. The reasons: indexmap stores each entry's hash
//! (40-byte entries against 32) and, when growing, reads those hashes from
//! entries scattered in memory. A first version of this table with 8-byte slots
//! (32 bits of hash each, so that growing never hashed again) inserted as fast
//! but read slower than indexmap at 100k and 200k: its slot array was twice as
//! large, out of the L2 cache. With 4-byte slots and load at most 3/4, the slot
//! array is never larger than indexmap's 9 bytes per bucket at load 7/8.
//!
//! Removal keeps the order of the other entries (as the language requires): the
//! entry is taken out of the vector, its slot is freed by backward-shift
//! deletion (no tombstones), and the slots of later entries are renumbered:
//! O(entries after it), or one sweep of the slot array when that is cheaper,
//! like indexmap's `shift_remove`.

use std::hash::BuildHasher;

use rustc_hash::FxBuildHasher;

use super::object::Key;
use super::value::Value;

/// Multiplier of Fibonacci hashing (2^64 / golden ratio, odd).
const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;
/// Slots in the first table a map allocates.
const MIN_SLOTS: usize = 8;
/// The largest table: 2^31 slots (beyond that the tag would have no bits; the
/// entries alone would need over 50 GB).
const MAX_BITS: u32 = 31;

/// Second multiplier of the int mix (murmur3's fmix64 constant, odd).
const MIX: u64 = 0xFF51_AFD7_ED55_8CCD;

/// The hash of a key: its top bits pick the bucket, the next ones the tag.
///
/// An int goes through xor-shift, multiply, xor-shift, multiply. One multiply
/// alone is not enough under linear probing: keys at a regular step `d` whose
/// `d * GOLDEN` is close to a multiple of 2^64 (Fibonacci numbers, and about 300
/// of the steps up to 4096) land in neighbouring buckets and form runs hundreds
/// of slots long (`d[i * 121393] = i` for 200k keys took 6 s instead of 75 ms).
/// Each step is a bijection, so distinct ints still have distinct hashes; the
/// unit test `regularly_spaced_int_keys_spread` checks the probe lengths.
#[inline(always)]
fn hash(k: &Key) -> u64 {
    match k {
        Key::Int(i) => {
            let mut x = *i as u64;
            x ^= x >> 32;
            x = x.wrapping_mul(GOLDEN);
            x ^= x >> 29;
            x.wrapping_mul(MIX)
        }
        Key::Str(s) => FxBuildHasher.hash_one(s.as_str()).wrapping_mul(GOLDEN),
    }
}

/// An insertion-ordered map from keys to values (see the module notes).
#[derive(Clone, Debug, Default)]
pub struct KeyMap {
    entries: Vec<(Key, Value)>,
    /// Empty (no allocation) until the first insert; else 2^bits slots.
    slots: Vec<u32>,
    bits: u32,
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

    /// The bucket of hash `h` and its tag.
    #[inline(always)]
    fn place(&self, h: u64) -> (usize, u32) {
        let top = (h >> 32) as u32;
        let bucket = (top as u64 >> (32 - self.bits)) as usize;
        (bucket, top & self.tag_mask())
    }

    #[inline(always)]
    fn tag_mask(&self) -> u32 {
        u32::MAX >> self.bits
    }

    /// Where `k` is: `Ok(position)` when present, else `Err(slot)`, the empty
    /// slot where it would go (`Err(0)` before the first allocation).
    #[inline(always)]
    fn find(&self, k: &Key, h: u64) -> Result<usize, usize> {
        if self.slots.is_empty() {
            return Err(0);
        }
        let mask = self.slots.len() - 1;
        let (mut b, tag) = self.place(h);
        loop {
            let s = self.slots[b];
            if s == 0 {
                return Err(b);
            }
            if s >> self.bits == tag {
                let i = (s as usize & mask) - 1;
                if self.entries[i].0 == *k {
                    return Ok(i);
                }
            }
            b = (b + 1) & mask;
        }
    }

    /// Looks a key up.
    #[inline]
    pub fn get(&self, k: &Key) -> Option<&Value> {
        let i = self.find(k, hash(k)).ok()?;
        Some(&self.entries[i].1)
    }

    /// Mutable access to an existing entry.
    #[inline]
    pub fn get_mut(&mut self, k: &Key) -> Option<&mut Value> {
        let i = self.find(k, hash(k)).ok()?;
        Some(&mut self.entries[i].1)
    }

    /// True when the key is present.
    #[inline]
    pub fn contains(&self, k: &Key) -> bool {
        self.find(k, hash(k)).is_ok()
    }

    /// Inserts or replaces (a replaced key keeps its position).
    pub fn insert(&mut self, k: Key, v: Value) {
        let h = hash(&k);
        let slot = match self.find(&k, h) {
            Ok(i) => {
                self.entries[i].1 = v;
                return;
            }
            Err(_) if self.entries.len() >= max_entries(self.slots.len()) => {
                self.resize(if self.slots.is_empty() { MIN_SLOTS } else { self.slots.len() * 2 });
                // The entries vector grows here, to the new table's full load,
                // rather than by its own doublings in between.
                let room = max_entries(self.slots.len()) - self.entries.len();
                self.entries.reserve_exact(room);
                self.find(&k, h).expect_err("absent key")
            }
            Err(b) => b,
        };
        let (_, tag) = self.place(h);
        // Below max_entries, so the position fits in the low `bits` bits.
        let pos = self.entries.len() as u32 + 1;
        self.entries.push((k, v));
        self.slots[slot] = tag << self.bits | pos;
    }

    /// The slot holding entry `pos`, whose key hashes to `h`.
    fn slot_of(&self, pos: usize, h: u64) -> usize {
        let mask = self.slots.len() - 1;
        let (mut b, _) = self.place(h);
        for _ in 0..=mask {
            if self.slots[b] as usize & mask == pos + 1 {
                return b;
            }
            b = (b + 1) & mask;
        }
        unreachable!("entry {pos} has no slot");
    }

    /// Removes a key, keeping the order of the others.
    pub fn remove(&mut self, k: &Key) -> Option<Value> {
        let h = hash(k);
        let i = self.find(k, h).ok()?;
        let mask = self.slots.len() - 1;
        // Backward-shift deletion: later slots of the run move into the hole
        // when that does not put them before their own bucket.
        let mut hole = self.slot_of(i, h);
        let mut j = (hole + 1) & mask;
        loop {
            let s = self.slots[j];
            if s == 0 {
                break;
            }
            let (home, _) = self.place(hash(&self.entries[(s as usize & mask) - 1].0));
            if (j.wrapping_sub(home) & mask) >= (j.wrapping_sub(hole) & mask) {
                self.slots[hole] = s;
                hole = j;
            }
            j = (j + 1) & mask;
        }
        self.slots[hole] = 0;
        // Entries after i move down one place: renumber their slots, finding
        // each by its key when there are few of them, else by one sweep of the
        // slot array (one lookup costs about a cache line, 16 slots, of sweep).
        let later = self.entries.len() - 1 - i;
        if later > 0 && later * 16 < self.slots.len() {
            for p in i + 1..self.entries.len() {
                let b = self.slot_of(p, hash(&self.entries[p].0));
                self.slots[b] -= 1;
            }
        } else if later > 0 {
            for s in &mut self.slots {
                if *s as usize & mask > i + 1 {
                    *s -= 1;
                }
            }
        }
        Some(self.entries.remove(i).1)
    }

    /// Entries in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&Key, &Value)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// Replaces the slots by `n` (a power of two) slots holding every entry.
    fn resize(&mut self, n: usize) {
        debug_assert!(n.is_power_of_two() && n >= MIN_SLOTS);
        let bits = n.trailing_zeros();
        assert!(bits <= MAX_BITS, "a dict cannot hold more than {} entries", max_entries(1 << MAX_BITS));
        self.slots = vec![0; n];
        self.bits = bits;
        let mask = n - 1;
        for (pos, (k, _)) in self.entries.iter().enumerate() {
            let (mut b, tag) = self.place(hash(k));
            while self.slots[b] != 0 {
                b = (b + 1) & mask;
            }
            self.slots[b] = tag << bits | (pos as u32 + 1);
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
        for (j, &s) in m.slots.iter().enumerate().filter(|(_, s)| **s != 0) {
            let (home, _) = m.place(hash(&m.entries[(s as usize & mask) - 1].0));
            total += (j.wrapping_sub(home) & mask) + 1;
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
            let mut m = KeyMap::default();
            for i in 0..n {
                m.insert(Key::Int(i.wrapping_mul(d)), Value::Null);
            }
            assert_eq!(m.slots.len(), 1 << 14);
            let p = mean_probes(&m);
            assert!(p < 4.0, "step {d}: {p:.1} probes per lookup");
        }
        let mut m = KeyMap::default();
        for i in 0..n {
            m.insert(Key::Str(Rc::new(format!("key{i}"))), Value::Null);
        }
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
