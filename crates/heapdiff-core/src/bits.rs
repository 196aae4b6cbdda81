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

    #[inline]
    pub fn contains(&self, i: usize) -> bool {
        self.0[i / 64] & (1 << (i % 64)) != 0
    }
}
