//! The diff's join, its retained figures and its same-process test, on hand-built snapshots.
//! (Real snapshots written by Node are compared with DevTools' own diff in test/diff.test.ts.)
mod common;
use common::Builder;
use heapdiff_core::{diff, parse, DiffOptions, Snapshot};

/// A root holding one `App` whose `items` array holds `Item`s with the given ids.
fn snapshot(items: &[u64], others: &[(&str, u64)]) -> Snapshot {
    let mut b = Builder::new();
    let root = b.node_with_id("synthetic", "", 1, 0);
    let app = b.node_with_id("object", "App", 3, 32);
    let list = b.node_with_id("object", "Array", 5, 16);
    b.edge(root, "shortcut", "1", app);
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
    assert!(d.site_mode.is_none() && d.sites.is_empty());
    let item = d.classes.iter().find(|c| c.name == "Item").unwrap();
    assert_eq!(item.new_count, None);
    assert_eq!((item.base.count, item.current.count), (3, 2));
}
