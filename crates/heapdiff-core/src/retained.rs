//! Shallow sizes as DevTools shows them, and retained sizes.

use crate::dominators::DominatedNodes;
use crate::graph::Graph;
use crate::roots::ROOT;

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
    let mut owners = vec![0u32; n];
    let mut worklist: Vec<u32> = Vec::new();
    for i in 0..n {
        let t = graph.node_type[i];
        let owned = t == k.hidden
            || t == k.array
            || (t == k.native && graph.name(i as u32) == "system / ExternalStringData");
        if owned {
            owners[i] = UNVISITED;
        } else {
            owners[i] = i as u32;
            worklist.push(i as u32);
        }
    }
    while let Some(id) = worklist.pop() {
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

/// Retained size of every node: its own size plus that of everything it dominates, summed
/// bottom-up over the DFS preorder of the dominator computation.
pub fn retained_sizes(self_size: &[u32], idom: &[u32], preorder: &[u32]) -> Vec<u64> {
    let mut retained: Vec<u64> = self_size.iter().map(|&s| s as u64).collect();
    for &node in preorder.iter().skip(1).rev() {
        let d = idom[node as usize] as usize;
        retained[d] += retained[node as usize];
    }
    retained
}

/// Retained size of each group of nodes (a class, an allocation site): the sum over members
/// that no other member of the same group dominates, since a dominated member's size is
/// already inside its dominating member's. `group_of` gives a node's group, if any.
pub fn group_retained(
    group_of: impl Fn(u32) -> Option<u32>,
    groups: usize,
    retained: &[u64],
    dominated: &DominatedNodes,
) -> Vec<u64> {
    let mut sums = vec![0u64; groups];
    // Members of each group on the current root-to-node path of the dominator tree.
    let mut active = vec![0u32; groups];
    let mut stack: Vec<(u32, bool)> = vec![(ROOT, false)];
    while let Some((node, leaving)) = stack.pop() {
        let group = group_of(node);
        if leaving {
            if let Some(g) = group {
                active[g as usize] -= 1;
            }
            continue;
        }
        if let Some(g) = group {
            let g = g as usize;
            if active[g] == 0 {
                sums[g] += retained[node as usize];
            }
            active[g] += 1;
            stack.push((node, true));
        }
        for &child in dominated.children(node) {
            stack.push((child, false));
        }
    }
    sums
}
