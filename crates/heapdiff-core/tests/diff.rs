//! The diff's join, its retained figures and its same-process test, on hand-built snapshots.
//! (Real snapshots written by Node are compared with DevTools' own diff in test/diff.test.ts.)
mod common;
use common::Builder;
use heapdiff_core::{diff, parse, DiffOptions, ErrorKind, Keep, OpenOptions, Snapshot, When};

/// A root holding one `App` whose `items` array holds `Item`s with the given ids.
fn snapshot(items: &[u64], others: &[(&str, u64)]) -> Snapshot {
    let mut b = Builder::new();
    let app = b.root_holding("App", 3, 32);
    let list = b.node_with_id("object", "Array", 5, 16);
    b.edge(app, "property", "items", list);
    for (i, &id) in items.iter().enumerate() {
        let item = b.node_with_id("object", "Item", id, 24);
        b.edge(list, "element", &i.to_string(), item);
    }
    for &(name, id) in others {
        let other = b.node_with_id("object", name, id, 8);
        b.edge(app, "property", &format!("o{id}"), other);
    }
    Snapshot::analyze(parse(b.build().as_bytes(), None).unwrap(), None)
}

#[test]
fn new_and_deleted_objects_are_matched_by_id_within_their_class() {
    let base = snapshot(&[11, 13, 15], &[("Gone", 17)]);
    let current = snapshot(&[11, 13, 21, 23], &[]);
    let options = DiffOptions { class: Some("Item".into()), ..DiffOptions::default() };
    let d = diff(&current, &base.census(Some(current.interface_definitions())), &options);
    assert!(d.identity.same_process, "{:?}", d.identity);
    // Old enough to be in the base (an id up to its highest, 17): App 3, Array 5, Items 11, 13;
    // all found there, in their classes.
    assert_eq!((d.identity.checked, d.identity.conflicts), (4, 0));
    let item = d.classes.iter().find(|c| c.name == "Item").unwrap();
    assert_eq!((item.new_count, item.deleted_count), (Some(2), Some(1)));
    assert_eq!((item.alloc_size, item.freed_size), (Some(48), Some(24)));
    assert_eq!((item.base.count, item.current.count), (3, 4));
    assert_eq!((item.base.retained_size, item.current.retained_size), (72, 96));
    let gone = d.classes.iter().find(|c| c.name == "Gone").unwrap();
    assert_eq!((gone.new_count, gone.deleted_count, gone.current.count), (Some(0), Some(1), 0));
    // A class with no new or deleted objects still shows when its retained size moved.
    let app = d.classes.iter().find(|c| c.name == "App").unwrap();
    assert_eq!((app.new_count, app.base.retained_size, app.current.retained_size), (Some(0), 128, 144));
    // Unchanged classes are left out.
    let same = diff(&current, &current.census(None), &DiffOptions::default());
    assert!(same.classes.is_empty(), "{:?}", same.classes);
    // Without allocation traces, new objects group by class (Builder writes no locations).
    assert_eq!(d.site_mode.map(|m| m.as_str()), Some("location"));
    let site = d.sites.iter().find(|s| s.site.label == "Item (no source location)").unwrap();
    assert_eq!((site.count, site.self_size, site.retained_size), (2, 48, 48));
    // Drill-down: the largest new Items with their paths.
    assert_eq!(d.new_objects.len(), 2);
    assert_eq!(d.new_objects[0].path, "App.items[2]");
}

#[test]
fn another_process_is_detected_and_compared_as_histograms() {
    let base = snapshot(&[11, 13, 15], &[]);
    // The same ids, other classes: another process numbered its objects the same way.
    let current = snapshot(&[21, 23], &[("Other", 11), ("Other", 13), ("Other", 15)]);
    let d = diff(&current, &base.census(None), &DiffOptions::default());
    assert!(!d.identity.same_process, "{:?}", d.identity);
    // App, Array and the three Others are old enough (ids up to 15); the Others' ids are Items'.
    assert_eq!((d.identity.checked, d.identity.conflicts), (5, 3));
    assert!(d.site_mode.is_none() && d.sites.is_empty());
    let item = d.classes.iter().find(|c| c.name == "Item").unwrap();
    assert_eq!(item.new_count, None);
    assert_eq!((item.base.count, item.current.count), (3, 2));
}

/// A heap holding a string and plain objects: for each property set, the ids of the objects
/// that have it (their values' ids derive from theirs, so one object keeps its values' ids
/// from one snapshot to the next). Analysed keeping `keep`.
fn with_plain_objects(plain: &[(&[&str], std::ops::Range<u64>)], keep: Keep) -> Snapshot {
    let mut b = Builder::new();
    let app = b.root_holding("App", 3, 32);
    let text = b.node_with_id("string", "a string's value", 5, 40);
    b.edge(app, "property", "text", text);
    for (props, ids) in plain {
        for id in ids.clone().step_by(2) {
            let object = b.node_with_id("object", "Object", id, 16);
            b.edge(app, "property", &format!("o{id}"), object);
            for (k, p) in props.iter().enumerate() {
                let value = b.node_with_id("number", "heap number", id * 100 + 2 * k as u64 + 1, 8);
                b.edge(object, "property", p, value);
            }
        }
    }
    let graph = parse(b.build().as_bytes(), None).unwrap();
    // Lean as a diff's current is: its class retained sizes wait for their first use too.
    let class_retained = if keep == Keep::Classes { When::FirstUse } else { When::Opening };
    Snapshot::analyze_with(graph, None, OpenOptions { distances: When::FirstUse, class_retained, keep, ..OpenOptions::default() })
}

#[test]
fn snapshots_keeping_only_their_classes_diff_as_whole_ones() {
    // The base's plain objects are named by the current's definitions, which differ from its
    // own ({p, q} is gone): the kept properties stand in for the edges' names.
    let base_plain: &[(&[&str], std::ops::Range<u64>)] = &[(&["a", "b"], 11..17), (&["a", "b", "c"], 21..25), (&["p", "q"], 31..35)];
    let current_plain: &[(&[&str], std::ops::Range<u64>)] = &[(&["a", "b"], 11..17), (&["a", "b", "c"], 21..25), (&["x"], 5001..5009)];
    let whole = (with_plain_objects(base_plain, Keep::All), with_plain_objects(current_plain, Keep::All));
    let lean = (with_plain_objects(base_plain, Keep::Classes), with_plain_objects(current_plain, Keep::Classes));
    assert_ne!(whole.0.interface_definitions(), whole.1.interface_definitions());
    let compare = |(base, current): &(Snapshot, Snapshot)| {
        let d = diff(current, &base.census(Some(current.interface_definitions())), &DiffOptions::default());
        assert!(d.identity.same_process, "{:?}", d.identity);
        d
    };
    let expected = compare(&whole);
    let class = |name: &str| expected.classes.iter().find(|c| c.name == name).map(|c| (c.new_count, c.deleted_count));
    assert_eq!((class("{x}"), class("Object")), (Some((Some(4), Some(0))), Some((Some(0), Some(2)))), "{:?}", expected.classes);
    assert_eq!(compare(&lean), expected);
    for (lean, whole) in [(&lean.0, &whole.0), (&lean.1, &whole.1)] {
        let (mut a, mut b) = (lean.summary(), whole.summary());
        assert!(a.memory_bytes < b.memory_bytes);
        (a.memory_bytes, b.memory_bytes) = (0, 0);
        assert_eq!(a, b);
        // The same classes, without distances.
        let mut summaries = whole.class_summaries();
        summaries.iter_mut().for_each(|c| c.distance = heapdiff_core::NO_DISTANCE);
        assert_eq!(lean.class_summaries(), summaries);
        assert_eq!(lean.retained_sizes().iter().collect::<Vec<_>>(), whole.retained_sizes().iter().collect::<Vec<_>>());
        // What the edges' names would answer is refused, not made up.
        assert_eq!(lean.node(1).unwrap_err().kind, ErrorKind::NotKept);
        assert_eq!(lean.retainer_path(1).unwrap_err().kind, ErrorKind::NotKept);
        assert!(!lean.has_distances() && whole.has_distances());
        // A string's value is gone; the names the classes and properties show are kept.
        let g = lean.graph();
        let string = (0..g.node_count() as u32).find(|&n| g.node_type_name(n) == "string").unwrap();
        assert_eq!((g.name(string), whole.graph().name(string)), ("", "a string's value"));
        assert_eq!(g.name(1), "App");
    }
}
