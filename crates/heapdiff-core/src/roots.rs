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
///
/// A sweep in node order rather than a walk from the entries: an owned node met in the sweep
/// marks its targets, and only those before it (already swept) are walked from at once, so
/// most nodes' edges are read in sequence. The set reached is the same.
pub fn page_owned(graph: &Graph) -> BitSet {
    let n = graph.node_count();
    let mut owned = BitSet::new(n);
    if n == 0 {
        return owned;
    }
    let k = graph.edge_kinds;
    for e in graph.edges(ROOT) {
        let to = graph.edge_to[e];
        let t = graph.edge_type[e];
        let entry = if t == k.element { is_document_dom_trees_root(graph, to) } else { t == k.shortcut };
        if entry {
            owned.insert(to as usize);
        }
    }
    let mut stack = Vec::new();
    for swept in 0..n as u32 {
        if !owned.contains(swept as usize) {
            continue;
        }
        let mut node = swept;
        loop {
            for e in graph.edges(node) {
                let to = graph.edge_to[e];
                if owned.contains(to as usize) || graph.edge_type[e] == k.weak {
                    continue;
                }
                owned.insert(to as usize);
                if to < swept {
                    stack.push(to);
                }
            }
            match stack.pop() {
                Some(next) => node = next,
                None => break,
            }
        }
    }
    owned
}

#[cfg(test)]
mod tests {
    use super::page_owned;

    #[test]
    fn the_sweep_owns_what_a_walk_from_the_entries_reaches() {
        // Random graphs whose edges run both ways in node order: the root's shortcuts and
        // elements name the entries, some edges are weak.
        const TYPES: [&str; 3] = ["element", "shortcut", "weak"];
        let mut next = crate::random::below(0x9e37_79b9_7f4a_7c15);
        for _ in 0..300 {
            let n = 2 + next(40) as usize;
            let mut edges: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
            for _ in 0..next(3 * n as u64) {
                let (from, to) = (next(n as u64) as usize, next(n as u64) as usize);
                edges[from].push((next(3) as usize, to));
            }
            let nodes: Vec<String> = (0..n).map(|i| format!("{},0,{},1,{}", if i == 0 { 1 } else { 0 }, 2 * i + 1, edges[i].len())).collect();
            let listed: Vec<String> = edges.iter().flatten().map(|(t, to)| format!("{t},0,{}", to * 5)).collect();
            let text = format!(
                "{{\"snapshot\":{{\"meta\":{{\"node_fields\":[\"type\",\"name\",\"id\",\"self_size\",\"edge_count\"],\"node_types\":[[\"object\",\"synthetic\"],\"string\",\"number\",\"number\",\"number\"],\"edge_fields\":[\"type\",\"name_or_index\",\"to_node\"],\"edge_types\":[[{}],\"string_or_number\",\"node\"]}},\"node_count\":{n},\"edge_count\":{}}},\"nodes\":[{}],\"edges\":[{}],\"strings\":[\"\"]}}",
                TYPES.map(|t| format!("{t:?}")).join(","),
                listed.len(),
                nodes.join(","),
                listed.join(",")
            );
            let graph = crate::parse::parse(text.as_bytes(), None).expect("a valid snapshot");
            // The walk: from the root's shortcut targets, over non-weak edges.
            let mut owned = vec![false; n];
            let mut stack: Vec<usize> = edges[0].iter().filter(|&&(t, _)| t == 1).map(|&(_, to)| to).collect();
            while let Some(v) = stack.pop() {
                if !std::mem::replace(&mut owned[v], true) {
                    stack.extend(edges[v].iter().filter(|&&(t, _)| t != 2).map(|&(_, to)| to));
                }
            }
            let swept = page_owned(&graph);
            assert_eq!((0..n).map(|v| swept.contains(v)).collect::<Vec<_>>(), owned, "edges {edges:?}");
        }
    }
}
