//! A set of indices (node ordinals, edge indices) in one bit each: for per-node and per-edge
//! flags, which a `Vec<bool>` would hold in eight times the memory.

pub struct BitSet(Vec<u64>);

impl BitSet {
    /// An empty set of indices below `len`.
    pub fn new(len: usize) -> BitSet {
        BitSet(crate::memory::zeroed(len.div_ceil(64)))
    }

    /// Every index below `len`.
    pub fn full(len: usize) -> BitSet {
        let words = len.div_ceil(64);
        let mut set: Vec<u64> = crate::memory::with_pages(words);
        set.resize(words, !0);
        if len % 64 != 0 {
            set[words - 1] = (1 << (len % 64)) - 1;
        }
        BitSet(set)
    }

    #[inline]
    pub fn insert(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }

    #[inline]
    pub fn remove(&mut self, i: usize) {
        self.0[i / 64] &= !(1 << (i % 64));
    }

    /// The indices in the set, in order, found a word at a time.
    pub fn present(&self) -> impl Iterator<Item = usize> + '_ {
        ones(self.0.iter().copied())
    }

    /// The indices below `len` that are not in the set, in order, found a word at a time.
    pub fn absent(&self, len: usize) -> impl Iterator<Item = usize> + '_ {
        ones(self.0.iter().map(|&bits| !bits)).take_while(move |&i| i < len)
    }

    #[inline]
    pub fn contains(&self, i: usize) -> bool {
        self.0[i / 64] & (1 << (i % 64)) != 0
    }
}

/// The positions of the ones in a sequence of words (word w's bit b: w * 64 + b).
fn ones(words: impl Iterator<Item = u64>) -> impl Iterator<Item = usize> {
    words.enumerate().flat_map(|(w, mut bits)| {
        std::iter::from_fn(move || {
            let bit = (bits != 0).then(|| bits.trailing_zeros() as usize)?;
            bits &= bits - 1;
            Some(w * 64 + bit)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::BitSet;

    #[test]
    fn present_and_absent_list_the_indices_in_and_not_in_the_set_below_len() {
        for len in [0, 1, 63, 64, 65, 130, 200] {
            let mut set = BitSet::new(len);
            let members: Vec<usize> = (0..len).filter(|i| i % 3 != 0 && !(64..128).contains(i) || *i == 64).collect();
            members.iter().for_each(|&i| set.insert(i));
            assert_eq!(set.present().collect::<Vec<usize>>(), members, "len {len}");
            let absent: Vec<usize> = set.absent(len).collect();
            let expected: Vec<usize> = (0..len).filter(|i| !members.contains(i)).collect();
            assert_eq!(absent, expected, "len {len}");
        }
        let mut full = BitSet::new(128);
        (0..128).for_each(|i| full.insert(i));
        assert_eq!(full.absent(128).count(), 0);
    }

    #[test]
    fn a_full_set_holds_every_index_below_len_and_no_other() {
        for len in [0, 1, 63, 64, 65, 130, 200] {
            let full = BitSet::full(len);
            assert!(full.present().eq(0..len), "len {len}");
            assert_eq!(full.absent(len).count(), 0, "len {len}");
        }
    }
}
