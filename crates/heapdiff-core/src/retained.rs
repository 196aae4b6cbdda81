//! Shallow sizes as DevTools shows them, and retained sizes.

use crate::dominators::DominatedNodes;
use crate::graph::Graph;
use crate::roots::ROOT;
use rustc_hash::FxHashMap;

const UNVISITED: u32 = u32::MAX;
const MULTIPLE_OWNERS: u32 = u32::MAX - 1;

/// DevTools' `calculateShallowSizes`: when the snapshot has user roots, the size of an
/// internal `hidden` or `array` node (or external string data) owned by exactly one ordinary
/// object moves into that object, so that a JS object's size includes its backing stores.
/// Works in place on `self_size` (the graph's, taken out so that other phases may read the
/// graph meanwhile).
pub fn adjust_shallow_sizes(graph: &Graph, self_size: &mut [u32], has_user_roots: bool) {
    if !has_user_roots {
        return;
    }
    let n = graph.node_count();
    let k = graph.node_kinds;
    let mut owners: Vec<u32> = crate::memory::with_pages(n);
    owners.extend((0..n as u32).map(|i| {
        let t = graph.node_type[i as usize];
        let owned = t == k.hidden || t == k.array || (t == k.native && graph.name(i) == "system / ExternalStringData");
        if owned { UNVISITED } else { i }
    }));
    // Each ordinary node hands itself to the owned nodes it points to, and those pass on
    // what they get (or that they have several owners). DevTools starts a worklist with every
    // ordinary node; the result is the same fixpoint in any order, and going through them in
    // node order reads their edges in sequence, leaving the worklist to the owned nodes.
    let mut worklist: Vec<u32> = Vec::new();
    let pass_on = |id: u32, owners: &mut [u32], worklist: &mut Vec<u32>| {
        let owner = owners[id as usize];
        for e in graph.edges(id) {
            if graph.edge_type[e] == graph.edge_kinds.weak {
                continue;
            }
            let target = graph.edge_to[e];
            match owners[target as usize] {
                UNVISITED => {
                    owners[target as usize] = owner;
                    worklist.push(target);
                }
                o if o == target || o == owner || o == MULTIPLE_OWNERS => {}
                _ => {
                    owners[target as usize] = MULTIPLE_OWNERS;
                    worklist.push(target);
                }
            }
        }
    };
    for i in 0..n as u32 {
        if owners[i as usize] == i {
            pass_on(i, &mut owners, &mut worklist);
            while let Some(id) = worklist.pop() {
                pass_on(id, &mut owners, &mut worklist);
            }
        }
    }
    for (i, &owner) in owners.iter().enumerate() {
        if owner == UNVISITED || owner == MULTIPLE_OWNERS || owner == i as u32 {
            continue;
        }
        // Moving size into the root or a synthetic node would not help anyone.
        if owner == ROOT || graph.node_type[owner as usize] == k.synthetic {
            continue;
        }
        let size = std::mem::take(&mut self_size[i]);
        // DevTools adds in a Uint32Array; sizes that large do not occur.
        self_size[owner as usize] = self_size[owner as usize].saturating_add(size);
    }
}

/// The retained size of every node, in 4 B per node: the few sizes of 4 GiB or more (the root
/// and the nodes that hold most of a large heap) are kept aside.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RetainedSizes {
    small: Vec<u32>,
    large: FxHashMap<u32, u64>,
}

/// Marks a size kept in `large`.
const LARGE: u32 = u32::MAX;

impl RetainedSizes {
    #[inline]
    pub fn get(&self, node: u32) -> u64 {
        match self.small[node as usize] {
            LARGE => self.large[&node],
            size => size as u64,
        }
    }

    fn set(&mut self, node: u32, size: u64) {
        match u32::try_from(size) {
            Ok(size) if size != LARGE => self.small[node as usize] = size,
            _ => {
                self.small[node as usize] = LARGE;
                self.large.insert(node, size);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.small.len()
    }
    pub fn is_empty(&self) -> bool {
        self.small.is_empty()
    }
    /// Every node's retained size, in node order.
    pub fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        (0..self.small.len() as u32).map(|node| self.get(node))
    }
    pub fn heap_bytes(&self) -> usize {
        self.small.capacity() * 4 + self.large.capacity() * 16
    }
}

/// Retained size of every node: its own size plus that of everything it dominates, summed
/// bottom-up over the DFS preorder of the dominator computation.
pub fn retained_sizes(self_size: &[u32], idom: &[u32], preorder: &[u32]) -> RetainedSizes {
    let mut small = crate::memory::with_pages(self_size.len());
    small.extend_from_slice(self_size);
    let mut retained = RetainedSizes { small, large: FxHashMap::default() };
    for node in 0..self_size.len() as u32 {
        if self_size[node as usize] == LARGE {
            retained.set(node, LARGE as u64);
        }
    }
    for &node in preorder.iter().skip(1).rev() {
        let d = idom[node as usize];
        retained.set(d, retained.get(d) + retained.get(node));
    }
    retained
}

/// Retained size of each group of nodes (a class, an allocation site): the sum over members
/// that no other member of the same group dominates, since a dominated member's size is
/// already inside its dominating member's. `group_of` gives a node's group, if any.
pub fn group_retained(
    group_of: impl Fn(u32) -> Option<u32>,
    groups: usize,
    retained: &RetainedSizes,
    dominated: &DominatedNodes,
) -> Vec<u64> {
    topmost_sums([ROOT], |node| dominated.children(node), group_of, |node| retained.get(node), groups)
}

/// The walk behind [`group_retained`] and [`sparse_group_retained`]: down a tree from `roots`,
/// the sum per group of `size` over the members that no member of the same group is above.
fn topmost_sums<'a>(
    roots: impl IntoIterator<Item = u32>,
    children: impl Fn(u32) -> &'a [u32],
    group_of: impl Fn(u32) -> Option<u32>,
    size: impl Fn(u32) -> u64,
    groups: usize,
) -> Vec<u64> {
    let mut sums = vec![0u64; groups];
    // Whether a member of each group is on the path from the root: set by the topmost one,
    // which alone counts, and cleared when the walk leaves it (the members below it are left
    // before it, and need no step of their own for that).
    let mut active = vec![false; groups];
    let mut stack: Vec<(u32, bool)> = roots.into_iter().map(|r| (r, false)).collect();
    while let Some((node, leaving)) = stack.pop() {
        let group = group_of(node).map(|g| g as usize);
        if leaving {
            active[group.expect("only members are left")] = false;
            continue;
        }
        if let Some(g) = group.filter(|&g| !active[g]) {
            sums[g] += size(node);
            active[g] = true;
            stack.push((node, true));
        }
        stack.extend(children(node).iter().map(|&child| (child, false)));
    }
    sums
}

/// [`group_retained`] for a few members, given as (node, group), without the dominator tree's
/// child lists: the tree of the members alone is found by walking up `idom` from each member
/// to the nearest member above it (each node on the way walked once), then walked as
/// `group_retained` walks the whole tree.
pub fn sparse_group_retained(members: &[(u32, u32)], groups: usize, retained: &RetainedSizes, idom: &[u32]) -> Vec<u64> {
    const NONE: u32 = u32::MAX;
    let index: FxHashMap<u32, u32> = members.iter().enumerate().map(|(i, &(node, _))| (node, i as u32)).collect();
    // The nearest member above each node walked through (`NONE` for none).
    let mut above: FxHashMap<u32, u32> = FxHashMap::default();
    let mut path = Vec::new();
    let parents: Vec<u32> = members
        .iter()
        .map(|&(node, _)| {
            path.clear();
            let mut x = node;
            let parent = loop {
                if x == ROOT {
                    break NONE;
                }
                x = idom[x as usize];
                if let Some(&member) = index.get(&x).or_else(|| above.get(&x)) {
                    break member;
                }
                path.push(x);
            };
            path.iter().for_each(|&p| {
                above.insert(p, parent);
            });
            parent
        })
        .collect();
    // Children of each member (and of none, last) in that tree.
    let (first, children) = crate::dominators::group(members.len() + 1, Vec::new(), Vec::new(), || {
        parents.iter().enumerate().map(|(i, &p)| (if p == NONE { members.len() as u32 } else { p }, i as u32))
    });
    let kids = |k: u32| &children[first[k as usize] as usize..first[k as usize + 1] as usize];
    topmost_sums(kids(members.len() as u32).iter().copied(), kids, |i| Some(members[i as usize].1), |i| retained.get(members[i as usize].0), groups)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_of_4_gib_and_more_are_kept_whole() {
        // root 0 dominates 1 and 2; 1 dominates 3. Node 1's own size is the marker value.
        let self_size = [0, u32::MAX, 3_000_000_000, 7];
        let idom = [0, 0, 0, 1];
        let preorder = [0, 1, 3, 2];
        let retained = retained_sizes(&self_size, &idom, &preorder);
        let expected = [u32::MAX as u64 + 7 + 3_000_000_000, u32::MAX as u64 + 7, 3_000_000_000, 7];
        assert_eq!(retained.iter().collect::<Vec<_>>(), expected);
        assert_eq!(retained.large.len(), 2, "only sizes that do not fit in 32 bits are kept aside");
    }

    #[test]
    fn a_few_members_sum_as_over_the_whole_tree() {
        // Random trees (each node's dominator numbered before it), random members in a few
        // groups, some deep chains: the sparse walk agrees with the walk of the whole tree.
        let mut next = crate::random::below(0x2545_f491_4f6c_dd1d);
        for round in 0..200 {
            let n = 1 + next(300) as usize;
            let idom: Vec<u32> = (0..n).map(|v| if v == 0 { 0 } else if round % 3 == 0 { v as u32 - 1 } else { next(v as u64) as u32 }).collect();
            let self_size: Vec<u32> = (0..n).map(|_| next(100) as u32).collect();
            let preorder: Vec<u32> = (0..n as u32).collect();
            let retained = retained_sizes(&self_size, &idom, &preorder);
            let groups = 1 + next(4) as usize;
            let share = 1 + next(4);
            let mut members: Vec<(u32, u32)> = Vec::new();
            for v in 0..n as u32 {
                if next(share) == 0 {
                    members.push((v, next(groups as u64) as u32));
                }
            }
            let group_of: FxHashMap<u32, u32> = members.iter().copied().collect();
            let dominated = crate::dominators::DominatedNodes::build(&idom, (Vec::new(), Vec::new()));
            let whole = group_retained(|v| group_of.get(&v).copied(), groups, &retained, &dominated);
            assert_eq!(sparse_group_retained(&members, groups, &retained, &idom), whole, "round {round}");
        }
    }
}
