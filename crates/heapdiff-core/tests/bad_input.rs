//! Malformed and truncated snapshots give one clear error with a byte offset, never a panic
//! or a hang.

mod common;
use common::Builder;
use heapdiff_core::{parse, parse_file, ErrorKind, Snapshot};

fn sample() -> String {
    let mut b = Builder::new();
    b.node("synthetic", "", 0);
    let a = b.node("object", "App", 32);
    let s = b.node("string", "caf\u{e9} \u{1F600}", 24);
    b.edge(0, "shortcut", "global", a);
    b.edge(a, "property", "name", s);
    b.edge(a, "element", "0", s);
    b.build()
}

fn error_of(text: &str) -> heapdiff_core::Error {
    error_of_bytes(text.as_bytes())
}

/// The error of parsing `text`, which must be the same from a file, where the big arrays are
/// parsed on threads of their own, as from memory, where one reader reads it all.
fn error_of_bytes(text: &[u8]) -> heapdiff_core::Error {
    let e = match parse(text, None) {
        Ok(_) => panic!("accepted bad input: {text:?}"),
        Err(e) => e,
    };
    let path = std::env::temp_dir().join(format!("heapdiff-bad-input-{}-{:?}.heapsnapshot", std::process::id(), std::thread::current().id()));
    std::fs::write(&path, text).unwrap();
    let from_file = parse_file(&path, None).err();
    std::fs::remove_file(&path).unwrap();
    let from_file = from_file.unwrap_or_else(|| panic!("accepted bad input from a file: {text:?}"));
    assert_eq!((&from_file.kind, from_file.offset, &from_file.message), (&e.kind, e.offset, &e.message), "{text:?}");
    e
}

#[test]
fn the_sample_itself_parses() {
    let text = sample();
    assert!(text.contains("\"nodes\":[9,0,1,0,1,\n3,1,3,32,2,\n2,2,5,24,0]"), "{text}");
    assert!(text.contains("\"edges\":[5,3,5,\n2,4,10,\n1,0,10]"), "{text}");
    let g = parse(text.as_bytes(), None).unwrap();
    assert_eq!(g.node_count(), 3);
    assert_eq!(g.edge_count(), 3);
    assert_eq!(g.name(2), "caf\u{e9} \u{1F600}");
}

#[test]
fn truncation_at_every_offset_is_an_error_with_an_offset() {
    let text = sample();
    let end = text.trim_end().len();
    for cut in 0..end {
        let e = error_of_bytes(&text.as_bytes()[..cut]);
        let msg = e.to_string();
        assert!(e.offset.is_some(), "no offset for a cut at {cut}: {msg}");
        assert!(e.offset.unwrap() <= cut as u64, "offset past the end for a cut at {cut}: {msg}");
        assert!(!msg.contains('\n'), "not one line: {msg}");
        assert!(msg.contains("expected "), "does not say what was expected, cut at {cut}: {msg}");
    }
}

#[test]
fn wrong_counts_are_reported() {
    let text = sample();
    let e = error_of(&text.replace("\"node_count\":3", "\"node_count\":4"));
    assert!(e.to_string().contains("expected 20 node values"), "{e}");
    let e = error_of(&text.replace("\"edge_count\":3", "\"edge_count\":2"));
    assert!(e.to_string().contains("expected at most 6 edge values"), "{e}");
    // Counts the bytes cannot hold get no room taken for them (mapped at once, it would be
    // 16 GB a column): the same error, at once.
    let e = error_of(&text.replace("\"node_count\":3", "\"node_count\":4000000000").replace("\"edge_count\":3", "\"edge_count\":4000000000"));
    assert!(e.to_string().contains("expected 20000000000 node values"), "{e}");
}

#[test]
fn records_cut_short_are_reported() {
    let text = sample();
    let e = error_of(&text.replace("\"locations\":[]", "\"locations\":[5,1,2,3,\n10,1]"));
    assert!(e.to_string().contains("expected the locations length to be a multiple of 4"), "{e}");
    let infos = text
        .replace("\"location_fields\"", "\"trace_function_info_fields\":[\"function_id\",\"name\",\"script_name\",\"script_id\",\"line\",\"column\"],\"location_fields\"")
        .replace("\"trace_function_infos\":[]", "\"trace_function_infos\":[1,0,0,1,2,3,\n2,0,0]");
    let e = error_of(&infos);
    assert!(e.to_string().contains("expected the trace_function_infos length to be a multiple of 6"), "{e}");
}

#[test]
fn edge_counts_must_sum_to_the_edges() {
    // Node 1 claims 3 edges instead of 2, node 0 still 1: 4 != 3.
    let text = sample().replacen("3,1,3,32,2", "3,1,3,32,3", 1);
    let e = error_of(&text);
    assert_eq!(e.kind, ErrorKind::Format);
    assert!(e.to_string().contains("to sum to edge_count 3, found 4"), "{e}");
}

#[test]
fn out_of_range_indices_are_reported() {
    let text = sample();
    // With an even node width (six fields): for an odd to_node that is a multiple of its odd
    // part, and a trace_node_id.
    let six = text
        .replacen("\"edge_count\"],", "\"edge_count\",\"trace_node_id\"],", 1)
        .replacen("\"nodes\":[9,0,1,0,1,\n3,1,3,32,2,\n2,2,5,24,0]", "\"nodes\":[9,0,1,0,1,0,\n3,1,3,32,2,0,\n2,2,5,24,0,0]", 1)
        .replacen("\"edges\":[5,3,5,\n2,4,10,\n1,0,10]", "\"edges\":[5,3,6,\n2,4,12,\n1,0,12]", 1);
    assert_eq!(parse(six.as_bytes(), None).unwrap().edge_count(), 3);
    // (text, a record, the record made bad, what the error says)
    let cases: [(&str, &str, &str, &[&str]); 12] = [
        // A to_node past the end, or not a multiple of the node field count.
        (&text, "2,4,10", "2,4,15", &["below 15), found 15"]),
        (&text, "2,4,10", "2,4,11", &["expected to_node to be a node offset", "found 11"]),
        (&six, "2,4,12", "2,4,7", &["expected to_node to be a node offset", "found 7"]),
        // A string index past the table, for a node and for a property.
        (&text, "3,1,3,32", "3,99,3,32", &["found 99"]),
        (&text, "2,4,10", "2,99,10", &["found 99"]),
        // A node or edge type the meta does not list.
        (&text, "3,1,3,32", "42,1,3,32", &["found 42"]),
        (&text, "2,4,10", "42,4,10", &["expected an edge type below", "found 42"]),
        // Values past 2^32.
        (&text, "3,1,3,32,2", "3,1,4294967296,32,2", &["expected a node id below 2^32"]),
        (&text, "3,1,3,32,2", "3,1,3,4294967296,2", &["expected a self_size below 2^32"]),
        (&text, "3,1,3,32,2", "3,1,3,32,4294967298", &["expected a node edge_count below 2^32"]),
        (&six, "3,1,3,32,2,0", "3,1,3,32,2,4294967296", &["expected a trace_node_id below 2^32"]),
        (&text, "2,4,10", "2,4294967296,10", &["expected an edge name or index below 2^32"]),
    ];
    for (base, record, bad, expected) in cases {
        let e = error_of(&base.replacen(record, bad, 1)).to_string();
        assert!(expected.iter().all(|x| e.contains(x)), "{record} made {bad}: {e}");
    }
    // An element's index is no string: any is fine.
    let g = parse(text.replacen("1,0,10", "1,99,10", 1).as_bytes(), None).unwrap();
    assert_eq!(g.edge_count(), 3);
}

#[test]
fn bad_escapes_and_control_characters_are_reported() {
    let text = sample();
    let e = error_of(&text.replacen("\"App\"", "\"A\\qp\"", 1));
    assert!(e.to_string().contains("expected a valid escape"), "{e}");
    let e = error_of(&text.replacen("\"App\"", "\"A\\u12G4\"", 1));
    assert!(e.to_string().contains("four hex digits"), "{e}");
    let e = error_of(&text.replacen("\"App\"", "\"A\u{1}p\"", 1));
    assert!(e.to_string().contains("control characters must be escaped"), "{e}");
}

#[test]
fn every_escape_decodes() {
    let text = sample().replacen(
        "\"App\"",
        r#""q\"b\\s\/b\bf\fn\nr\rt\t e\u00e9 pair\ud83d\ude00 lone\ud800x low\udc00 end""#,
        1,
    );
    let g = parse(text.as_bytes(), None).unwrap();
    assert_eq!(
        g.name(1),
        "q\"b\\s/b\u{8}f\u{c}n\nr\rt\t e\u{e9} pair\u{1F600} lone\u{FFFD}x low\u{FFFD} end"
    );
}

#[test]
fn unknown_members_fields_and_types_are_accepted() {
    let text = sample()
        .replacen("{\"snapshot\":", "{\"future\":{\"a\":[1,{\"b\":null}],\"c\":true},\"snapshot\":", 1)
        .replacen("\"object shape\"", "\"object shape\",\"wasm object\",\"new kind\"", 1);
    let g = parse(text.as_bytes(), None).unwrap();
    assert_eq!(g.node_types.len(), 17);
}

#[test]
fn non_json_and_wrong_shapes_are_reported() {
    for (text, want) in [
        ("", "expected '{'"),
        ("[]", "expected '{'"),
        ("{}", "expected a 'snapshot' header before the end"),
        ("{\"nodes\":[]}", "expected the 'snapshot' header before 'nodes'"),
        ("{\"snapshot\":{}}", "expected snapshot.meta"),
    ] {
        let e = error_of(text);
        assert!(e.to_string().contains(want), "{text:?}: {e}");
    }
    let e = error_of(&sample().replacen("\"nodes\":[9", "\"nodes\":[-9", 1));
    assert!(e.to_string().contains("non-negative integer"), "{e}");
    let e = error_of(&format!("{} trailing", sample()));
    assert!(e.to_string().contains("end of file after the snapshot object"), "{e}");
}

#[test]
fn errors_name_the_file_and_a_missing_file_is_an_io_error() {
    let dir = std::env::temp_dir().join(format!("heapdiff-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("cut.heapsnapshot");
    std::fs::write(&path, &sample()[..100]).unwrap();
    let e = parse_file(&path, None).err().unwrap();
    assert!(e.to_string().starts_with(&format!("{}: at byte ", path.display())), "{e}");
    let e = Snapshot::open(&dir.join("missing.heapsnapshot"), None).err().unwrap();
    assert_eq!(e.kind, ErrorKind::Io);
    assert!(e.to_string().contains("missing.heapsnapshot: cannot open"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn deep_nesting_in_unknown_members_is_an_error_not_a_crash() {
    let deep = format!("{{\"x\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
    // Skipped members are walked iteratively: this parses up to the missing header.
    let e = error_of(&deep);
    assert!(e.to_string().contains("expected a 'snapshot' header before the end"), "{e}");
    let deep_header = format!("{{\"snapshot\":{}{}}}", "[".repeat(1000), "]".repeat(1000));
    let e = error_of(&deep_header);
    assert!(e.to_string().contains("expected JSON nested at most 64 deep"), "{e}");
}
