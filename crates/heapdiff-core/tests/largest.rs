//! The largest objects: by retained size, ties in node order, never the root or a synthetic node.
mod common;
use common::Builder;
use heapdiff_core::{parse, Snapshot};

#[test]
fn the_largest_are_the_first_of_all_nodes_sorted_by_retained_size() {
    let mut b = Builder::new();
    let root = b.node("synthetic", "", 0);
    let global = b.node("object", "global", 8);
    b.edge(root, "shortcut", "global", global);
    let hidden = b.node("synthetic", "(GC roots)", 0);
    b.edge(root, "element", "1", hidden);
    // Sizes with ties, some objects holding others.
    let mut last = global;
    for i in 0..40 {
        let node = b.node("object", "Item", [16, 32, 16, 48, 32][i % 5]);
        let owner = if i % 3 == 0 { last } else { global };
        b.edge(owner, "property", &format!("p{i}"), node);
        last = node;
    }
    let s = Snapshot::analyze(parse(b.build().as_bytes(), None).unwrap(), None);
    let count = s.graph().node_count() as u32;
    let mut all: Vec<u32> = (1..count).filter(|&n| n != hidden as u32).collect();
    all.sort_by_key(|&n| (std::cmp::Reverse(s.retained_sizes().get(n)), n));
    for n in 0..=all.len() + 1 {
        assert_eq!(s.largest(n), all[..n.min(all.len())], "n = {n}");
    }
}
