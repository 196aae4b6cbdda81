//! A set of indices (node ordinals, edge indices) in one bit each: for per-node and per-edge
//! flags, which a `Vec<bool>` would hold in eight times the memory.

pub struct BitSet(Vec<u64>);

impl BitSet {
    /// An empty set of indices below `len`.
    pub fn new(len: usize) -> BitSet {
        BitSet(crate::memory::zeroed(len.div_ceil(64)))
    }

    #[inline]
    pub fn insert(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }

    /// Adds every index of `other` (a set of the same length).
    pub fn union_with(&mut self, other: &BitSet) {
        self.0.iter_mut().zip(&other.0).for_each(|(a, b)| *a |= b);
    }

    #[inline]
    pub fn remove(&mut self, i: usize) {
        self.0[i / 64] &= !(1 << (i % 64));
    }

    #[inline]
    pub fn contains(&self, i: usize) -> bool {
        self.0[i / 64] & (1 << (i % 64)) != 0
    }
}
