//! Nodes found by id: one at a time (through a sorted index) and several at once (one pass)
//! agree, and where ids repeat (natives' hashed ids may), both give the first node.
mod common;
use common::Builder;
use heapdiff_core::{parse, Snapshot};

#[test]
fn a_few_ids_at_once_find_what_one_at_a_time_finds() {
    let mut b = Builder::new();
    let root = b.node_with_id("synthetic", "", 1, 0);
    let mut last = root;
    for (i, id) in [9u64, 3, 7, 7, 5, 11, 7, 13].into_iter().enumerate() {
        let node = b.node_with_id("native", "N", id, 8);
        b.edge(last, "property", &format!("p{i}"), node);
        last = node;
    }
    let wanted = [7u64, 5, 4, 1, 13, 7, 1 << 40];
    let s = Snapshot::analyze(parse(b.build().as_bytes(), None).unwrap(), None);
    let at_once = s.find_all_by_id(&wanted);
    assert_eq!(at_once, [Some(3), Some(5), None, Some(0), Some(8), Some(3), None]);
    let one_by_one: Vec<Option<u32>> = wanted.iter().map(|&id| s.find_by_id(id)).collect();
    assert_eq!(at_once, one_by_one);
    // With the index built, at once goes through it, to the same answer.
    assert_eq!(s.find_all_by_id(&wanted), one_by_one);
}
