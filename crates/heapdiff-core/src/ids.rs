//! Nodes by id: pairing two snapshots' objects on their ids, and ordering nodes by id for lookups.

/// The ordinals `keep` accepts, sorted by id (equal ids by ordinal).
///
/// V8 writes a first snapshot nearly in id order (5 ascending runs in bench's), and the
/// standard library's stable sort merges such runs in linear time (20 ms for 6.3 M nodes). A
/// later snapshot interleaves new objects with old (130,000 runs): there, sorting ids packed
/// with their ordinals beats any sort through `ids[ordinal]`, a cache miss per comparison
/// (0.18 s against 0.36 s).
pub fn ordinals_by_id(ids: &[u32], keep: impl Fn(usize) -> bool) -> Vec<u32> {
    const FEW_RUNS: usize = 256;
    let mut order: Vec<u32> = (0..ids.len() as u32).filter(|&i| keep(i as usize)).collect();
    let runs = 1 + order.windows(2).filter(|w| ids[w[1] as usize] < ids[w[0] as usize]).count();
    if runs <= FEW_RUNS {
        order.sort_by_key(|&i| ids[i as usize]);
    } else {
        let mut packed: Vec<u64> = order.iter().map(|&i| (ids[i as usize] as u64) << 32 | i as u64).collect();
        packed.sort_unstable();
        for (o, p) in order.iter_mut().zip(packed) {
            *o = p as u32;
        }
    }
    order
}

/// DevTools' merge join of two snapshots' nodes on their ids: calls `pair(state, c, b)` for
/// each current node c that `cur_keep` accepts and the base node b (one `base_keep` accepts) it
/// pairs with. Both sides are walked in id order, equal ids by ordinal, so the occurrences of
/// a repeated id pair up in turn. (The pairs come in no particular order.) With `parallel`,
/// two threads pair the ids below and above the base's middle one, each with a `state()` of
/// its own: the states are returned.
pub fn pair_by_id<S: Send>(
    base_ids: &[u32],
    base_keep: impl Fn(usize) -> bool + Sync,
    cur_ids: &[u32],
    cur_keep: impl Fn(usize) -> bool + Sync,
    parallel: bool,
    state: impl Fn() -> S + Sync,
    pair: impl Fn(&mut S, usize, u32) + Sync,
) -> Vec<S> {
    pair_through_table(base_ids, &base_keep, cur_ids, &cur_keep, parallel, &state, &pair).unwrap_or_else(|| {
        let mut s = state();
        pair_by_sorting(base_ids, base_keep, cur_ids, cur_keep, |c, b| pair(&mut s, c, b));
        vec![s]
    })
}

/// The merge join itself, over both sides sorted by id.
fn pair_by_sorting(
    base_ids: &[u32],
    base_keep: impl Fn(usize) -> bool + Sync,
    cur_ids: &[u32],
    cur_keep: impl Fn(usize) -> bool + Sync,
    mut pair: impl FnMut(usize, u32),
) {
    let (base_order, cur_order) = crate::threads::both(true, || ordinals_by_id(base_ids, &base_keep), || ordinals_by_id(cur_ids, cur_keep));
    let (mut i, mut j) = (0, 0);
    while let (Some(&b), Some(&c)) = (base_order.get(i), cur_order.get(j)) {
        match base_ids[b as usize].cmp(&cur_ids[c as usize]) {
            std::cmp::Ordering::Equal => {
                pair(c as usize, b);
                (i, j) = (i + 1, j + 1);
            }
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
        }
    }
}

/// The same pairs without sorting, when no current id repeats (V8's never do): a table from
/// id to current node, read in the base's node order, a slot emptied once its node is paired,
/// so that a base id seen again finds no partner, as in the merge join. V8 numbers heap
/// objects with odd ids, one counter stepping by two, so the table is indexed by id / 2 (4 B
/// a slot, at most 2 slots per current node); even ids (embedder objects), and any beyond the
/// table, are looked up in a sorted list. Each id range has its own slots and list, so two
/// threads pair two ranges. None, and no pair made, if a current id repeats.
fn pair_through_table<S: Send>(
    base_ids: &[u32],
    base_keep: &(impl Fn(usize) -> bool + Sync),
    cur_ids: &[u32],
    cur_keep: &(impl Fn(usize) -> bool + Sync),
    parallel: bool,
    state: &(impl Fn() -> S + Sync),
    pair: &(impl Fn(&mut S, usize, u32) + Sync),
) -> Option<Vec<S>> {
    let n = cur_ids.len();
    let odd = |id: u32| id & 1 == 1;
    // Slot: 1 + the current node, 0 for none; as far as the largest odd id reaches, if less.
    // Zeros written, not left for the first touch: the fill reads each slot before it writes
    // it, and a page first read is mapped twice (see `memory::zeroed`).
    let largest = (0..n).filter(|&c| odd(cur_ids[c]) && cur_keep(c)).map(|c| cur_ids[c] as usize / 2 + 1).max();
    let mut table: Vec<u32> = crate::memory::zeroed(largest.unwrap_or(0).min(2 * n + 1024));
    let within = |id: u32, from: u32, to: u64| id >= from && (id as u64) < to;
    // The current ids in [from, to) into their slots (those from `from`'s on, an even id), the
    // rest into a sorted list (nodes whose ids have no slot): None if one repeats.
    let fill = |slots: &mut [u32], from: u32, to: u64| -> Option<Vec<(u32, u32)>> {
        let mut rest: Vec<(u32, u32)> = Vec::new();
        for c in (0..n).filter(|&c| within(cur_ids[c], from, to) && cur_keep(c)) {
            let id = cur_ids[c];
            match slots.get_mut((id - from) as usize / 2).filter(|_| odd(id)) {
                Some(&mut taken) if taken != 0 => return None,
                Some(slot) => *slot = c as u32 + 1,
                None => rest.push((id, c as u32)),
            }
        }
        rest.sort_unstable();
        (!rest.windows(2).any(|w| w[0].0 == w[1].0)).then_some(rest)
    };
    // Then the base ids in [from, to), each pair made; a paired slot or list entry is emptied.
    let pairs = |slots: &mut [u32], mut rest: Vec<(u32, u32)>, from: u32, to: u64| -> S {
        const PAIRED: u32 = u32::MAX;
        let mut s = state();
        for b in (0..base_ids.len()).filter(|&b| within(base_ids[b], from, to) && base_keep(b)) {
            let id = base_ids[b];
            let partner = match slots.get_mut((id - from) as usize / 2).filter(|_| odd(id)) {
                Some(slot) => std::mem::take(slot).checked_sub(1),
                None => rest.binary_search_by_key(&id, |&(id, _)| id).ok().map(|k| std::mem::replace(&mut rest[k].1, PAIRED)).filter(|&c| c != PAIRED),
            };
            if let Some(c) = partner {
                pair(&mut s, c as usize, b as u32);
            }
        }
        s
    };
    if !parallel || base_ids.is_empty() {
        let rest = fill(&mut table, 0, u64::MAX)?;
        return Some(vec![pairs(&mut table, rest, 0, u64::MAX)]);
    }
    // V8 writes a snapshot's objects nearly in id order: the middle node's id splits them
    // about evenly. Both ranges are filled before any pair is made, so that a repeat in either
    // leaves no pair made.
    let split = base_ids[base_ids.len() / 2] & !1;
    let at = (split as usize / 2).min(table.len());
    let (low, high) = table.split_at_mut(at);
    let (low_rest, high_rest) = crate::threads::both(true, || fill(low, 0, split as u64), || fill(high, split, u64::MAX));
    let (low_rest, high_rest) = (low_rest?, high_rest?);
    let (a, b) = crate::threads::both(true, || pairs(low, low_rest, 0, split as u64), || pairs(high, high_rest, split, u64::MAX));
    Some(vec![a, b])
}

#[cfg(test)]
mod tests {
    use super::ordinals_by_id;

    #[test]
    fn ordinals_come_sorted_by_id_then_ordinal() {
        // Ids spanning every digit, with repeats.
        let ids: Vec<u32> = (0..5000u32).map(|i| i.wrapping_mul(2_654_435_761) >> (i % 23)).chain([7, 7, u32::MAX, 0]).collect();
        let keep = |i: usize| i % 7 != 3;
        let mut expected: Vec<u32> = (0..ids.len() as u32).filter(|&i| keep(i as usize)).collect();
        expected.sort_by_key(|&i| (ids[i as usize], i));
        assert_eq!(ordinals_by_id(&ids, keep), expected);
        // Nearly sorted, as a first snapshot is: the other way of sorting.
        let ids: Vec<u32> = (0..5000u32).map(|i| if i % 1000 == 999 { 3 } else { i * 2 }).collect();
        let mut expected: Vec<u32> = (0..5000).filter(|&i| keep(i as usize)).collect();
        expected.sort_by_key(|&i| (ids[i as usize], i));
        assert_eq!(ordinals_by_id(&ids, keep), expected);
        assert!(ordinals_by_id(&[], |_| true).is_empty());
        assert_eq!(ordinals_by_id(&[5, 5, 5], |_| true), [0, 1, 2]);
    }

    #[test]
    fn the_table_pairs_as_the_merge_join_does() {
        use super::{pair_by_id, pair_by_sorting, pair_through_table};
        use proptest::prelude::*;
        // Each current node's partner (u32::MAX for none), from the pairs each thread made.
        let partners = |cur: &[u32], states: Vec<Vec<(usize, u32)>>| {
            let mut partner = vec![u32::MAX; cur.len()];
            for (c, b) in states.into_iter().flatten() {
                assert_eq!(partner[c], u32::MAX, "paired twice");
                partner[c] = b;
            }
            partner
        };
        let note = |pairs: &mut Vec<(usize, u32)>, c: usize, b: u32| pairs.push((c, b));
        let ids = || proptest::collection::vec(prop_oneof![0u32..400, Just(u32::MAX), (0u32..8).prop_map(|k| u32::MAX - 2 * k)], 0..300);
        proptest!(|(base in ids(), cur in ids(), skip in 1usize..9)| {
            let keep = |i: usize| i % skip != 1;
            let sorted = |cur: &[u32]| {
                let mut pairs = Vec::new();
                pair_by_sorting(&base, keep, cur, keep, |c, b| pairs.push((c, b)));
                partners(cur, vec![pairs])
            };
            let expected = sorted(&cur);
            for parallel in [false, true] {
                prop_assert_eq!(partners(&cur, pair_by_id(&base, keep, &cur, keep, parallel, Vec::new, note)), expected.clone());
                // Where a current id repeats, the table makes no pair at all (the pairs are
                // made by sorting instead), on neither thread.
                let made = std::sync::atomic::AtomicUsize::new(0);
                let count = |_: &mut (), _: usize, _: u32| {
                    made.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                };
                if pair_through_table(&base, &keep, &cur, &keep, parallel, &|| (), &count).is_none() {
                    prop_assert_eq!(made.into_inner(), 0);
                }
            }
            // Without repeats in the current ids, the table answers, on one thread or two.
            let mut unique = cur.clone();
            let mut seen = std::collections::HashSet::new();
            unique.retain(|id| seen.insert(*id));
            let expected = sorted(&unique);
            for parallel in [false, true] {
                let by_table = pair_through_table(&base, &keep, &unique, &keep, parallel, &Vec::new, &note);
                prop_assert!(by_table.is_some());
                prop_assert_eq!(partners(&unique, by_table.unwrap()), expected.clone());
            }
        });
    }
}
