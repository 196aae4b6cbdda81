//! Retainer paths read like code, from the name the root gives a user root.
mod common;
use common::Builder;
use heapdiff_core::{parse, Snapshot};

#[test]
fn a_path_starts_with_the_roots_name_for_its_first_node_when_it_has_one() {
    let mut b = Builder::new();
    let root = b.node_with_id("synthetic", "", 1, 0);
    // V8: the root's shortcuts to the globals are numbered; the global reads by its own name.
    let global = b.node_with_id("object", "global", 3, 32);
    b.edge(root, "shortcut", "1", global);
    let app = b.node_with_id("object", "App", 5, 16);
    b.edge(global, "property", "app", app);
    // The Python writer: one shortcut per module, named after the module.
    let module = b.node_with_id("object", "module", 7, 72);
    b.edge(root, "shortcut", "wordseg", module);
    let seg = b.node_with_id("object", "wordseg.Segmenter", 9, 48);
    b.edge(module, "property", "_segmenter", seg);
    let words = b.node_with_id("object", "list", 11, 56);
    b.edge(seg, "property", "words", words);
    let s = Snapshot::analyze(parse(b.build().as_bytes(), None).unwrap(), None);
    assert_eq!(s.retainer_path(app as u32).unwrap().text, "global.app");
    assert_eq!(s.retainer_path(words as u32).unwrap().text, "wordseg._segmenter.words");
    assert_eq!(s.retainer_path(module as u32).unwrap().text, "wordseg");
}
