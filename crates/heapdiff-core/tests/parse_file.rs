//! From a file, the `nodes` and `edges` arrays are parsed on threads of their own (each split
//! between two, unless the cores are shared): the graph must be the one a single reader makes
//! from memory, and progress must only grow, to the file's size.

mod common;
use common::Builder;
use heapdiff_core::{parse, parse_file, parse_file_with, Cores, Graph, ParseOptions};

#[test]
fn a_file_parses_as_memory_does_with_growing_progress() {
    // Several MB, so that every array spans many of the readers' 1 MB buffers.
    let mut b = Builder::new();
    b.node("synthetic", "", 0);
    let n = 200_000;
    for i in 1..n {
        let kind = ["object", "string", "array", "closure"][i % 4];
        b.node(kind, &format!("Name{}", i % 500), (i % 97) as u64 + 8);
        b.edge(i - 1, "property", &format!("p{}", i % 300), i);
        if i > 10 {
            b.edge(i, "element", &(i % 7).to_string(), i - 10);
        }
    }
    let text = b.build();
    let path = std::env::temp_dir().join(format!("heapdiff-parse-file-{}.heapsnapshot", std::process::id()));
    std::fs::write(&path, &text).unwrap();
    let mut reports: Vec<u64> = Vec::new();
    let from_file = parse_file(&path, Some(&mut |done| reports.push(done)));
    // With the cores shared, each array on one thread, unsplit: the same graph.
    let mut shared_reports: Vec<u64> = Vec::new();
    let shared = parse_file_with(&path, Some(&mut |done| shared_reports.push(done)), ParseOptions { cores: Cores::Shared, ..Default::default() });
    std::fs::remove_file(&path).unwrap();
    let g = from_file.unwrap();
    let m = parse(text.as_bytes(), None).unwrap();

    assert_same(&g, &m);
    assert_same(&shared.unwrap(), &m);
    assert_eq!(shared_reports.last().copied(), Some(text.len() as u64));
    assert_eq!(g.name(n as u32 - 1), "Name499");
    assert_eq!(g.edge_count(), 2 * n - 12);

    assert!(text.len() > 8 << 20, "only {} bytes", text.len());
    assert!(reports.windows(2).all(|w| w[0] <= w[1]), "progress went back: {reports:?}");
    assert_eq!(reports.last().copied(), Some(text.len() as u64));
}

/// Dropped as they are read, the string values are those a graph drops once parsed: the same
/// strings kept, the same names, also where a value is a property's or a function's name
/// too; and when a list that names strings, or more strings, come after them (not V8's
/// order), the parse reads the file again, keeping every string.
#[test]
fn string_values_dropped_as_read_are_those_dropped_after() {
    let mut b = Builder::new();
    b.node("synthetic", "", 0);
    for i in 1..30_000 {
        let (kind, name) = match i % 5 {
            0 => ("string", format!("value {i}")),
            1 => ("string", format!("p{}", i % 300)),
            2 => ("concatenated string", format!("joined {i}")),
            _ => ("object", format!("Name{}", i % 50)),
        };
        b.node(kind, &name, 16);
        b.edge(i - 1, "property", &format!("p{}", i % 300), i);
    }
    let (function, script) = (b.string("value 5"), b.string("app.js"));
    let infos = format!("[1,{function},{script},1,2,3]");
    let text = b
        .build()
        .replace("\"location_fields\":[", "\"trace_function_info_fields\":[\"function_id\",\"name\",\"script_name\",\"script_id\",\"line\",\"column\"],\"location_fields\":[")
        .replace("\"trace_function_infos\":[]", &format!("\"trace_function_infos\":{infos}"));
    let late = text.replace(&format!("\"trace_function_infos\":{infos},\n"), "").replace("]}\n", &format!("],\n\"trace_function_infos\":{infos}}}\n"));
    assert_ne!(late, text);
    // A second strings array, after the first.
    let again = text.replace("]}\n", "],\n\"strings\":[\"more\"]}\n");
    assert_ne!(again, text);
    let path = std::env::temp_dir().join(format!("heapdiff-values-{}.heapsnapshot", std::process::id()));
    for (text, at_parse) in [(text, true), (late, false), (again, false)] {
        std::fs::write(&path, &text).unwrap();
        let options = ParseOptions { cores: Cores::Shared, drop_string_values: true };
        let mut dropped = parse_file_with(&path, None, options).unwrap();
        let mut after = parse_file(&path, None).unwrap();
        let all = after.strings.len();
        assert_eq!(dropped.strings.len() < all / 2, at_parse, "{} of {all} strings kept", dropped.strings.len());
        // (Nothing more to drop after a parse that dropped them.)
        dropped.drop_string_values();
        after.drop_string_values();
        assert_same(&dropped, &after);
        let strings = |g: &Graph| (0..g.strings.len() as u32).map(|i| g.strings.get(i).to_string()).collect::<Vec<_>>();
        assert_eq!(strings(&dropped), strings(&after));
        assert!(strings(&dropped).len() < all / 2);
        let names = |g: &Graph| g.trace.function_infos.iter().map(|f| (g.strings.get(f.name).to_string(), g.strings.get(f.script_name).to_string())).collect::<Vec<_>>();
        assert_eq!(names(&dropped), [("value 5".to_string(), "app.js".to_string())]);
        assert_eq!(names(&after), names(&dropped));
        assert_eq!((dropped.name(6), dropped.edge_name_str(5)), ("", Some("p6")), "a string's value, also a property's name");
    }
    std::fs::remove_file(&path).unwrap();
}

fn assert_same(g: &Graph, m: &Graph) {
    assert_eq!(g.node_type, m.node_type);
    assert_eq!(g.node_name, m.node_name);
    assert_eq!(g.node_id, m.node_id);
    assert_eq!(g.self_size, m.self_size);
    assert_eq!(g.first_edge, m.first_edge);
    assert_eq!(g.edge_type, m.edge_type);
    assert_eq!(g.edge_name, m.edge_name);
    assert_eq!(g.edge_to, m.edge_to);
    assert_eq!(g.strings.len(), m.strings.len());
}

/// A pipe (say `<(gunzip -c app.heapsnapshot.gz)`) cannot be read again from an offset: it is
/// parsed by one reader, as a stream.
#[cfg(unix)]
#[test]
fn a_pipe_parses_as_a_stream() {
    let mut b = Builder::new();
    b.node("synthetic", "", 0);
    for i in 1..50_000 {
        b.node("object", "Link", 16);
        b.edge(i - 1, "property", "next", i);
    }
    let text = b.build();
    let path = std::env::temp_dir().join(format!("heapdiff-pipe-{}.heapsnapshot", std::process::id()));
    let made = std::process::Command::new("mkfifo").arg(&path).status().unwrap();
    assert!(made.success());
    let writer = {
        let (path, text) = (path.clone(), text.clone());
        std::thread::spawn(move || std::fs::write(&path, text).unwrap())
    };
    let (done, parsed) = std::sync::mpsc::channel();
    let reader = path.clone();
    std::thread::spawn(move || done.send(parse_file(&reader, None).map(|g| g.edge_count())).unwrap());
    let result = parsed.recv_timeout(std::time::Duration::from_secs(120)).expect("parsing a pipe hung");
    writer.join().unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(result.unwrap(), 49_999);
}

/// V8's longest string is 2^29 - 24 characters: tools that read the file into one string
/// fail on larger files. Here the `strings` section alone is longer (one string is), streamed
/// from a reader that never holds it whole.
#[test]
fn a_strings_section_longer_than_v8s_longest_string_parses() {
    use std::io::Read;
    const LONG: u64 = (1 << 29) + 1000;
    let mut b = Builder::new();
    b.node("synthetic", "", 0);
    let big = b.node("string", "@LONG@", 32);
    b.edge(0, "element", "1", big);
    let text = b.build();
    let at = text.find("\"@LONG@\"").unwrap() + 1;
    let (head, tail) = (text[..at].to_string(), text[at + "@LONG@".len()..].to_string());
    let stream = || head.as_bytes().chain(std::io::repeat(b'x').take(LONG)).chain(tail.as_bytes());

    let g = parse(stream(), None).unwrap();
    let name = g.name(big as u32);
    assert_eq!(name.len() as u64, LONG);
    assert!(name.bytes().all(|c| c == b'x'));
    assert_eq!(g.node_count(), 2);

    // Cut inside the long string: the error's offset is past it.
    let cut = head.len() as u64 + LONG - 5;
    let err = parse(stream().take(cut), None).unwrap_err().to_string();
    assert!(err.contains(&format!("byte {cut}")), "{err}");
}

/// A chain of `n` objects with a few names: several arrays' worth of 1 MB buffers.
fn chain(n: usize) -> String {
    let mut b = Builder::new();
    b.node("synthetic", "", 0);
    for i in 1..n {
        b.node("object", &format!("Name{}", i % 50), 16 + (i % 7) as u64);
        b.edge(i - 1, "property", &format!("p{}", i % 30), i);
    }
    b.build()
}

/// Parses `text` from a file, with the progress it reports.
fn parse_as_file(text: &str, name: &str) -> (heapdiff_core::Result<Graph>, Vec<u64>) {
    let path = std::env::temp_dir().join(format!("heapdiff-{name}-{}.heapsnapshot", std::process::id()));
    std::fs::write(&path, text).unwrap();
    let mut reports: Vec<u64> = Vec::new();
    let parsed = parse_file(&path, Some(&mut |done| reports.push(done)));
    std::fs::remove_file(&path).unwrap();
    (parsed, reports)
}

/// From a file, where the `nodes` and `edges` arrays end is guessed from the bytes per value
/// (so that both are parsed at once while the rest is read). Here the guess is wrong: the
/// second half of the nodes array is padded with whitespace, so it looks far longer than it
/// is, and a long array of zeros after it ends in `], "edges":` as the nodes would. The
/// nodes' parse ends elsewhere, so the file is parsed again without guessing: same graph.
#[test]
fn a_wrong_guess_of_where_the_arrays_end_is_parsed_again() {
    let text = chain(100_000);
    let (open, close) = (text.find("\"nodes\":[").unwrap() + 9, text.find("],\n\"edges\"").unwrap());
    let records: Vec<&str> = text[open..close].split(",\n").collect();
    let half = records.len() / 2;
    let padded: Vec<String> =
        records.iter().enumerate().map(|(i, r)| if i < half { r.to_string() } else { r.replace(',', ",                              ") }).collect();
    let zeros = vec!["0"; 40 * records.len()].join(",");
    let odd = format!("{}{}],\n\"padding\":[{zeros}{}", &text[..open], padded.join(",\n"), &text[close..]);

    let (from_file, reports) = parse_as_file(&odd, "wrong-guess");
    let g = from_file.unwrap();
    let m = parse(odd.as_bytes(), None).unwrap();
    assert_same(&g, &m);
    assert_eq!(g.node_count(), 100_000);
    assert!(reports.windows(2).all(|w| w[0] <= w[1]), "progress went back");
    assert_eq!(reports.last().copied(), Some(odd.len() as u64));
}

/// Whatever is wrong, and wherever, a file gives the error that one reader of it in memory
/// gives: the first in the file, at the same offset, though its arrays are parsed on threads,
/// and split between two (arrays of a few MB, as here), on either side of the split.
#[test]
fn a_file_gives_the_errors_memory_gives() {
    let text = chain(200_000);
    let nodes = text.find("\"nodes\":[").unwrap();
    let edges = text.find("\"edges\":[").unwrap();
    let strings = text.find("\"strings\":[").unwrap();
    assert!(edges - nodes > 2 << 20 && strings - edges > 2 << 20, "arrays too short to be split");
    let late_node = nodes + (edges - nodes) * 3 / 4;
    let late_edge = edges + (strings - edges) * 3 / 4;
    let mut bad: Vec<(String, String)> = Vec::new();
    for (name, at) in [
        ("nodes", nodes + 5000),
        ("edges", edges + 70_000),
        ("both", nodes + 300),
        ("second half of the nodes", late_node),
        ("second half of the edges", late_edge),
    ] {
        // A letter for a digit (in "both", one in the nodes and one in the edges).
        let mut bytes = text.clone().into_bytes();
        let digit = |bytes: &[u8], from: usize| from + bytes[from..].iter().position(u8::is_ascii_digit).unwrap();
        let i = digit(&bytes, at);
        bytes[i] = b'x';
        if name == "both" {
            let j = digit(&bytes, edges + 9000);
            bytes[j] = b'y';
        }
        bad.push((format!("a letter in the {name}"), String::from_utf8(bytes).unwrap()));
    }
    for cut in [nodes + 20_000, late_node, edges + 1000, edges + 300_000, late_edge, strings + 50, text.len() - 3] {
        bad.push((format!("cut at {cut}"), text[..cut].to_string()));
    }
    bad.push(("one node too many".into(), text.replacen("\"node_count\":200000", "\"node_count\":200001", 1)));
    bad.push(("one edge too few".into(), text.replacen("\"edge_count\":199999", "\"edge_count\":199998", 1)));
    bad.push(("one edge too many".into(), text.replacen("\"edge_count\":199999", "\"edge_count\":200000", 1)));
    let last_string = text.rfind(",\n\"").unwrap();
    bad.push(("a string index out of range".into(), format!("{}]}}\n", &text[..last_string])));
    for (what, text) in bad {
        let expected = parse(text.as_bytes(), None).expect_err(&what);
        let (parsed, _) = parse_as_file(&text, "errors");
        let e = parsed.expect_err(&what);
        assert_eq!((e.offset, &e.message), (expected.offset, &expected.message), "{what}");
    }
}

/// Integers are read by a fast path in V8's layout ("n,n\n,n") and by the general one around
/// any other whitespace: spaced out, the same snapshot gives the same graph, and a fraction,
/// a sign or a number past 2^64 meets the same error, at the same place, on either path.
#[test]
fn integers_read_alike_in_any_layout() {
    let text = chain(5_000);
    let spaced = text.replace(',', " ,\t").replace('\n', " \r\n ");
    assert_same(&parse(spaced.as_bytes(), None).unwrap(), &parse(text.as_bytes(), None).unwrap());
    let cases = [("1.5", "no fraction", 1), ("-1", "a non-negative integer", 0), ("1e3", "no fraction", 1), ("99999999999999999999", "below 2^64", 0)];
    for (bad, expected, after) in cases {
        for base in [&text, &spaced] {
            let at = base.find("\"edges\":[").unwrap() + 2000;
            let at = at + base[at..].find(',').unwrap() + 1;
            let e = parse(format!("{}{bad}{}", &base[..at], &base[at..]).as_bytes(), None).unwrap_err();
            assert!(e.message.contains(expected), "{bad}: {e}");
            assert_eq!(e.offset, Some((at + after) as u64), "{bad}: {e}");
        }
    }
}

/// A long array is split between two threads at a line break about halfway, which in V8's
/// layout (a record a line) starts a record. Where a line breaks a record, the sides do not
/// fit, and the array is read whole: the same graph.
#[test]
fn an_array_split_within_a_record_is_read_whole() {
    let text = chain(200_000);
    let (open, close) = (text.find("\"edges\":[").unwrap() + 9, text.find("],\n\"trace_function_infos\"").unwrap());
    // The edges on one line, but for one break after the second value of the first record
    // past the middle: the only place a split can be.
    let values: Vec<&str> = text[open..close].split(&[',', '\n'][..]).filter(|v| !v.is_empty()).collect();
    let one_line = values.join(",");
    let past_middle = one_line[..one_line.len() / 2].matches(',').count() + 1;
    let second = past_middle + (3 + 1 - past_middle % 3) % 3;
    let edges = format!("{},\n{}", values[..=second].join(","), values[second + 1..].join(","));
    let odd = format!("{}{edges}{}", &text[..open], &text[close..]);

    let (from_file, reports) = parse_as_file(&odd, "split-within-a-record");
    let g = from_file.unwrap();
    assert_same(&g, &parse(odd.as_bytes(), None).unwrap());
    assert_same(&g, &parse(text.as_bytes(), None).unwrap());
    assert!(reports.windows(2).all(|w| w[0] <= w[1]), "progress went back");
    assert_eq!(reports.last().copied(), Some(odd.len() as u64));
}

/// V8's layout, as Node writes it: seven node fields (with `trace_node_id` and
/// `detachedness`), a record a line after "\n,". `trace(i)` gives node i's trace id.
fn v8_chain(n: usize, trace: impl Fn(usize) -> u32) -> String {
    let meta = r#"{"node_fields":["type","name","id","self_size","edge_count","trace_node_id","detachedness"],"node_types":[["hidden","array","string","object","code","closure","regexp","number","native","synthetic","concatenated string","sliced string","symbol","bigint","object shape"],"string","number","number","number","number","number"],"edge_fields":["type","name_or_index","to_node"],"edge_types":[["context","element","property","internal","hidden","shortcut","weak"],"string_or_number","node"],"trace_function_info_fields":[],"trace_node_fields":[],"sample_fields":[],"location_fields":["object_index","script_id","line","column"]}"#;
    let nodes: Vec<String> = (0..n).map(|i| format!("{},{},{},{},{},{},{}", if i == 0 { 9 } else { 3 }, 1 + i % 3, 2 * i + 1, 16 + i % 5, usize::from(i + 1 < n), trace(i), i % 3)).collect();
    let edges: Vec<String> = (1..n).map(|i| format!("2,{},{}", 1 + i % 3, 7 * i)).collect();
    format!(
        "{{\"snapshot\":{{\"meta\":{meta},\"node_count\":{n},\"edge_count\":{},\"trace_function_count\":0}},\n\"nodes\":[{}],\n\"edges\":[{}],\n\"trace_function_infos\":[],\n\"trace_tree\":[],\n\"samples\":[],\n\"locations\":[],\n\"strings\":[\"\",\"a\",\"b\",\"c\"]}}\n",
        n - 1,
        nodes.join("\n,"),
        edges.join("\n,")
    )
}

/// A detachedness past a byte's range is kept as 255 (V8 writes 0 to 2).
#[test]
fn a_detachedness_past_a_byte_is_kept_as_255() {
    let first = "9,1,1,16,1,0,0\n,";
    let text = v8_chain(20, |_| 0);
    assert!(text.contains(first), "{text}");
    let g = parse(text.replacen(first, "9,1,1,16,1,0,300\n,", 1).as_bytes(), None).unwrap();
    assert_eq!(g.detachedness.as_ref().unwrap()[..4], [255, 1, 2, 0]);
}

/// The split arrays' columns join as one reader makes them, the optional ones too: a
/// `trace_node_id` column exists only once a node has a trace, on either side of the split.
#[test]
fn split_arrays_keep_every_column() {
    let n = 150_000;
    let cases: [(&str, Box<dyn Fn(usize) -> u32>); 4] = [
        ("no traces", Box::new(|_| 0)),
        ("traces in the first quarter", Box::new(move |i| u32::from(i < n / 4) * (i as u32 % 7))),
        ("traces in the last quarter", Box::new(move |i| u32::from(i > n * 3 / 4) * (i as u32 % 7))),
        ("traces throughout", Box::new(|i| i as u32 % 11)),
    ];
    for (what, trace) in cases {
        let text = v8_chain(n, trace);
        let (from_file, _) = parse_as_file(&text, "split-columns");
        let g = from_file.expect(what);
        let m = parse(text.as_bytes(), None).expect(what);
        assert_same(&g, &m);
        assert_eq!(g.trace_node_id, m.trace_node_id, "{what}");
        assert_eq!(g.detachedness, m.detachedness, "{what}");
        assert_eq!(g.trace_node_id.is_some(), what != "no traces", "{what}");
    }
}
