//! From a file, the `nodes` and `edges` arrays are parsed on threads of their own: the graph
//! must be the one a single reader makes from memory, and progress must only grow, to the
//! file's size.

mod common;
use common::Builder;
use heapdiff_core::{parse, parse_file};

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
    std::fs::remove_file(&path).unwrap();
    let g = from_file.unwrap();
    let m = parse(text.as_bytes(), None).unwrap();

    assert_eq!(g.node_type, m.node_type);
    assert_eq!(g.node_name, m.node_name);
    assert_eq!(g.node_id, m.node_id);
    assert_eq!(g.self_size, m.self_size);
    assert_eq!(g.first_edge, m.first_edge);
    assert_eq!(g.edge_type, m.edge_type);
    assert_eq!(g.edge_name, m.edge_name);
    assert_eq!(g.edge_to, m.edge_to);
    assert_eq!(g.strings.len(), m.strings.len());
    assert_eq!(g.name(n as u32 - 1), "Name499");
    assert_eq!(g.edge_count(), 2 * n - 12);

    assert!(text.len() > 8 << 20, "only {} bytes", text.len());
    assert!(reports.windows(2).all(|w| w[0] <= w[1]), "progress went back: {reports:?}");
    assert_eq!(reports.last().copied(), Some(text.len() as u64));
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
