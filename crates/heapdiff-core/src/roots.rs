//! The root, the user roots and the page-owned flag, as DevTools defines them.
//!
//! Node 0 is the root. Its non-synthetic children (the global objects, reached by `shortcut`
//! edges) and a synthetic `(Document DOM trees)` child are the *user roots*. When a snapshot
//! has none, it was taken with internals exposed, and DevTools leaves shallow sizes alone.

use crate::bits::BitSet;
use crate::graph::Graph;

pub const ROOT: u32 = 0;
const DOCUMENT_DOM_TREES: &str = "(Document DOM trees)";

fn is_document_dom_trees_root(graph: &Graph, node: u32) -> bool {
    graph.node_type[node as usize] == graph.node_kinds.synthetic && graph.name(node) == DOCUMENT_DOM_TREES
}

/// DevTools' `isUserRoot` for JS snapshots: a child of the root that is not synthetic, or the
/// `(Document DOM trees)` root.
pub fn is_user_root(graph: &Graph, node: u32) -> bool {
    graph.node_type[node as usize] != graph.node_kinds.synthetic || is_document_dom_trees_root(graph, node)
}

/// The root's children that are user roots, in edge order (duplicates kept, as DevTools does).
pub fn user_roots(graph: &Graph) -> Vec<u32> {
    if graph.node_count() == 0 {
        return Vec::new();
    }
    graph.edges(ROOT).map(|e| graph.edge_to[e]).filter(|&n| is_user_root(graph, n)).collect()
}

/// Marks nodes owned by the page: reachable over non-weak edges from the targets of the
/// root's `shortcut` edges and from `(Document DOM trees)` (DevTools' `markPageOwnedNodes`).
pub fn page_owned(graph: &Graph) -> BitSet {
    let n = graph.node_count();
    let mut owned = BitSet::new(n);
    if n == 0 {
        return owned;
    }
    let k = graph.edge_kinds;
    let mut stack = Vec::new();
    for e in graph.edges(ROOT) {
        let to = graph.edge_to[e];
        let t = graph.edge_type[e];
        let entry = if t == k.element { is_document_dom_trees_root(graph, to) } else { t == k.shortcut };
        if entry {
            owned.insert(to as usize);
            stack.push(to);
        }
    }
    while let Some(node) = stack.pop() {
        for e in graph.edges(node) {
            let to = graph.edge_to[e];
            if owned.contains(to as usize) || graph.edge_type[e] == k.weak {
                continue;
            }
            owned.insert(to as usize);
            stack.push(to);
        }
    }
    owned
}
