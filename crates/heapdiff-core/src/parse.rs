//! Streams a V8 `.heapsnapshot` into a [`Graph`], checking what it reads.
//!
//! The file is read front to back through a reused buffer: numbers go straight into the
//! graph's columns (sized up front from the header's counts), strings into one UTF-8 buffer.
//! Field positions come from `snapshot.meta`, never from assumptions. From a file, the two
//! big arrays (`nodes` and `edges`) are parsed on threads of their own, each reading the file
//! from the array's offset, while this thread reads the rest (the strings): it guesses where
//! the arrays end, and the threads check the guess (see `find_arrays`), so the file is read
//! about once (1.14 times on bench's medium snapshot; 1.84 times when this thread read
//! through the arrays to find their ends). Once their ends are known, each array is split at
//! a line break about halfway between two threads (see `split_point`), so that no thread is
//! left parsing alone at the end.

use crate::error::{Error, ErrorKind, Result};
use crate::graph::{renumbering, EdgeKinds, FunctionInfo, Graph, Location, Namers, NodeKinds, Strings, Trace, TraceNode};
use crate::json::{JsonReader, Value};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::ScopedJoinHandle;
use std::time::Duration;

/// Parses the snapshot at `path`; errors name the file. `progress` is called with the number
/// of bytes read so far.
pub fn parse_file(path: &Path, progress: Option<&mut dyn FnMut(u64)>) -> Result<Graph> {
    parse_file_with(path, progress, ParseOptions::default())
}

/// How a file is parsed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParseOptions {
    pub cores: Cores,
    /// Drop the values of string objects as the strings are read, the other strings renumbered
    /// (what [`Graph::drop_string_values`] does after a parse), so that they never take memory.
    /// The strings come after the arrays in V8's files: their reader waits for the arrays'
    /// threads, to know which strings name anything else.
    pub drop_string_values: bool,
}

/// [`parse_file`], as `options` ask.
pub fn parse_file_with(path: &Path, mut progress: Option<&mut dyn FnMut(u64)>, options: ParseOptions) -> Result<Graph> {
    let file = File::open(path).map_err(|e| cannot_open(e, path))?;
    let metadata = file.metadata().ok();
    // Only a regular file can be read again from an offset (not a pipe such as `<(gunzip …)`).
    let regular = metadata.as_ref().is_some_and(|m| m.is_file());
    let len = metadata.filter(|_| regular).map_or(u64::MAX, |m| m.len());
    // Never more than the file, never less than before (a wrong guess of where the arrays
    // end makes a second parse, whose count starts again).
    let mut high = 0;
    let mut clamped = |done: u64| {
        if let Some(p) = progress.as_mut().filter(|_| done.min(len) > high) {
            high = done.min(len);
            p(high);
        }
    };
    let parsed = match read(file, Some(&mut clamped), Some(path).filter(|_| regular), true, options) {
        // The guess was wrong, or the strings were read before a list that names some (an odd
        // file): again, without guessing or dropping.
        Ok(None) => File::open(path)
            .map_err(|e| cannot_open(e, path))
            .and_then(|file| read(file, Some(&mut clamped), Some(path), false, ParseOptions { drop_string_values: false, ..options })),
        other => other,
    };
    parsed.map(|graph| graph.expect("a parse without guesses")).map_err(|e| e.with_file(path))
}

/// Parses a snapshot from any reader, on this thread alone.
pub fn parse<R: Read>(src: R, progress: Option<&mut dyn FnMut(u64)>) -> Result<Graph> {
    read(Unseekable(src), progress, None, false, ParseOptions::default()).map(|graph| graph.expect("a parse without guesses"))
}

fn cannot_open(e: std::io::Error, path: &Path) -> Error {
    Error::new(ErrorKind::Io, format!("cannot open: {e}")).with_file(path)
}

/// A reader the parse never seeks: it seeks only a file it was given the path of.
struct Unseekable<R>(R);

impl<R: Read> Read for Unseekable<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf)
    }
}

impl<R> Seek for Unseekable<R> {
    fn seek(&mut self, _: SeekFrom) -> std::io::Result<u64> {
        Err(std::io::ErrorKind::Unsupported.into())
    }
}

#[derive(Clone, Copy)]
enum Array {
    Nodes(Part),
    Edges(Part),
}

/// What a reader parses of an array: all of it, or one side of a split (see [`split_point`]).
/// A split, and a whole array with `counted`, come of [`find_arrays`]: the array's bytes are
/// known to hold the values the header counts, so room for them is taken, and mapped, at once.
#[derive(Clone, Copy)]
enum Part {
    Whole { counted: bool },
    /// From its `[` until the offset of the value where the other side starts.
    Until(u64),
    /// From a value (where the other side stopped) to its `]`.
    From,
}

impl Part {
    /// A column with room for the records read, of `records` in the array: the first side's
    /// columns get room for the second's, which are appended to them; a split is about
    /// halfway. Uncounted, the header's count may be anything below 2^32: room for a few
    /// records, grown as they come.
    fn column<T>(self, records: u64) -> Vec<T> {
        match self {
            Part::From => crate::memory::with_pages((records / 16 * 9) as usize),
            Part::Until(_) | Part::Whole { counted: true } => crate::memory::with_pages(records as usize),
            Part::Whole { counted: false } => Vec::with_capacity(records.min(1 << 16) as usize),
        }
    }
}

enum Section {
    Nodes(Nodes),
    Edges(Edges),
}

fn read_array<R: Read>(r: &mut JsonReader<R>, h: &Header, array: Array) -> Result<Section> {
    match array {
        Array::Nodes(part) => read_nodes(r, h, part).map(Section::Nodes),
        Array::Edges(part) => read_edges(r, h, part).map(Section::Edges),
    }
}

/// Waits for `thread`, reporting progress meanwhile (in short sleeps: the analysis waits for
/// the parse's end).
fn wait<T>(thread: ScopedJoinHandle<T>, mut report: impl FnMut()) -> T {
    while !thread.is_finished() {
        std::thread::sleep(Duration::from_millis(2));
        report();
    }
    crate::threads::join(thread)
}

/// The cores a parse (and an analysis) may count on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Cores {
    /// Its own: each big array is split between two threads (see [`split_point`]).
    #[default]
    Own,
    /// Shared with other snapshots opened at the same time (a diff's, a leak series'): each big
    /// array is read by one thread, and the threads of all the parses keep the cores busy. A
    /// split would cost more than it saves there: its second side is copied into the first's
    /// columns, fresh memory (a diff of bench's two medium snapshots: 177,000 page faults
    /// instead of 242,000, 0.15 s less).
    Shared,
}

/// A thread parsing an array: running, or done with its outcome.
enum Thread<'s> {
    Running(ScopedJoinHandle<'s, Result<(Section, u64)>>),
    Done(Result<(Section, u64)>),
}

impl Thread<'_> {
    /// Waits for the thread, if running, reporting progress meanwhile (see [`wait`]).
    fn finish(&mut self, report: impl FnMut()) {
        if let Thread::Running(_) = self {
            // (The placeholder stands only until the thread is joined, just below.)
            let Thread::Running(t) = std::mem::replace(self, Thread::Done(Err(format_err(0, "")))) else { unreachable!() };
            *self = Thread::Done(wait(t, report));
        }
    }
}

/// The parse; with `path` (the file `src` reads), the big arrays go to threads of their own.
///
/// With `guess`, this thread guesses where the arrays end (see [`find_arrays`]) and goes on
/// from there at once while the threads parse them; where they end checks the guess, and
/// `None` means it was wrong. Without (or when it cannot guess), it skips each array a thread
/// parses by finding its `]`, which costs a read of the array.
fn read<R: Read + Seek>(src: R, mut progress: Option<&mut dyn FnMut(u64)>, path: Option<&Path>, guess: bool, options: ParseOptions) -> Result<Option<Graph>> {
    // Bytes done: what this thread parsed, less what it skipped, plus what the threads parsed.
    let skipped = AtomicU64::new(0);
    let threads_read = AtomicU64::new(0);
    let mut reported = 0u64;
    let mut report = |main: u64| {
        let done = (main + threads_read.load(Ordering::Relaxed)).saturating_sub(skipped.load(Ordering::Relaxed));
        if let Some(p) = progress.as_mut().filter(|_| done > reported) {
            reported = done;
            p(done);
        }
    };
    std::thread::scope(|scope| {
        let threads_read = &threads_read;
        // Parses (a part of) an array from the file at `at`: what it read, and where it ended.
        let read_part = move |path: &Path, array: Array, at: u64, h: &Header| -> Result<(Section, u64)> {
            let file = File::open(path).map_err(|e| cannot_open(e, path))?;
            let mut last = at;
            let mut count = |done: u64| {
                threads_read.fetch_add(done - last, Ordering::Relaxed);
                last = done;
            };
            let mut r = JsonReader::new(file, Some(&mut count));
            r.jump(at)?;
            let section = read_array(&mut r, h, array)?;
            let end = r.offset();
            drop(r);
            threads_read.fetch_add(end - last, Ordering::Relaxed);
            Ok((section, end))
        };
        // An array on a thread of its own; if where it ends is known (`close`, its `]`) and it
        // is long, on two: this thread reads the first side and appends the second's.
        let spawn = |path: &Path, array: fn(Part) -> Array, at: u64, close: Option<u64>, h: Header| {
            let whole = array(Part::Whole { counted: close.is_some() });
            let path = path.to_owned();
            let middle = close.filter(|_| options.cores == Cores::Own).and_then(|close| split_point(&path, at, close));
            scope.spawn(move || -> Result<(Section, u64)> {
                if let Some(middle) = middle {
                    let (second_path, second_h) = (path.clone(), h.clone());
                    let second = scope.spawn(move || read_part(&second_path, array(Part::From), middle, &second_h));
                    let first = read_part(&path, array(Part::Until(middle)), at, &h);
                    let second = crate::threads::join(second);
                    if let (Ok(first), Ok(second)) = (first, second) {
                        if let Some(joined) = join_sides(first, second, middle, &h) {
                            return Ok(joined);
                        }
                    }
                    // The sides do not make the array (an odd layout, or an error on either
                    // side): the array read whole gives the graph, or the error, that one
                    // reader of it gives.
                }
                read_part(&path, whole, at, &h)
            })
        };
        let mut r = JsonReader::new(src, Some(&mut report));
        let mut p = Parser::default();
        // Each thread with, if guessed, where its array should end.
        let mut threads: Vec<(Thread, Option<u64>)> = Vec::new();
        let mut guessed = false;
        let mut again = false;
        let mut members = || -> Result<u64> {
            r.expect(b'{', "'{' opening the snapshot object")?;
            r.skip_ws()?;
            if r.peek()? != Some(b'}') {
                loop {
                    r.skip_ws()?;
                    let key_at = r.offset();
                    let key = r.string()?;
                    r.expect(b':', "':' after a key")?;
                    match key.as_str() {
                        "snapshot" => p.header(&mut r, key_at)?,
                        // A second array after a guess: an odd file, parsed again without.
                        "nodes" | "edges" if guessed => {
                            again = true;
                            return Ok(0);
                        }
                        "nodes" | "edges" => {
                            let array: fn(Part) -> Array = if key == "nodes" { Array::Nodes } else { Array::Edges };
                            let h = p.header_before(key_at, &key)?.clone();
                            match path {
                                None => p.add(read_array(&mut r, &h, array(Part::Whole { counted: false }))?),
                                Some(path) => {
                                    r.skip_ws()?;
                                    let at = r.offset();
                                    let arrays = match array(Part::Whole { counted: false }) {
                                        Array::Nodes(_) if guess && p.edges.is_none() && threads.is_empty() => find_arrays(path, at, &h),
                                        _ => None,
                                    };
                                    match arrays {
                                        Some(a) => {
                                            threads.push((Thread::Running(spawn(path, Array::Nodes, at, Some(a.nodes_close), h.clone())), Some(a.nodes_close + 1)));
                                            threads.push((Thread::Running(spawn(path, Array::Edges, a.edges_at, Some(a.edges_close), h)), Some(a.edges_close + 1)));
                                            r.jump(a.edges_close + 1)?;
                                            skipped.fetch_add(a.nodes_close + 1 - at + a.edges_close + 1 - a.edges_at, Ordering::Relaxed);
                                            guessed = true;
                                        }
                                        None => {
                                            threads.push((Thread::Running(spawn(path, array, at, None, h)), None));
                                            r.skip_uint_array()?;
                                            skipped.fetch_add(r.offset() - at, Ordering::Relaxed);
                                        }
                                    }
                                }
                            }
                        }
                        // After strings read without their values: a list that names strings,
                        // or more strings (an odd file), is read again, keeping every string.
                        "trace_function_infos" | "strings" if p.renumbered.is_some() => {
                            again = true;
                            return Ok(0);
                        }
                        "strings" => {
                            let keep = if options.drop_string_values {
                                // The arrays' threads first: their names tell which to keep.
                                threads.iter_mut().for_each(|(t, _)| t.finish(|| r.report()));
                                p.names_in_use(&threads)
                            } else {
                                None
                            };
                            p.strings(&mut r, keep)?;
                        }
                        "locations" => p.locations(&mut r, key_at)?,
                        "trace_function_infos" => p.function_infos(&mut r, key_at)?,
                        "trace_tree" => p.trace_tree(&mut r)?,
                        "samples" => p.samples(&mut r)?,
                        _ => r.skip_value()?,
                    }
                    if !r.comma_or(b'}', "',' or '}' after a top-level member")? {
                        break;
                    }
                }
            } else {
                r.expect(b'}', "'}'")?;
            }
            let end = r.offset();
            r.expect_end()?;
            Ok(end)
        };
        let result = members();
        let done = r.offset();
        drop(r);
        // The first error in the file wins, as if one reader had read it all; on a tie the
        // thread's, which read the values this thread skipped. After a guess, the threads'
        // arrays come first, in order: what follows an array is known only once its thread
        // has ended where guessed.
        let mut error = result.as_ref().err().cloned();
        let mut wrong = again;
        let mut first_error = None;
        for (mut t, expected) in threads {
            t.finish(|| report(done));
            let Thread::Done(outcome) = t else { unreachable!("finished") };
            if wrong || first_error.is_some() {
                continue;
            }
            match (outcome, expected) {
                (Ok((_, end)), Some(x)) if end != x => wrong = true,
                (Ok((section, _)), _) => p.add(section),
                (Err(e), Some(_)) => first_error = Some(e),
                (Err(e), None) => {
                    if error.as_ref().is_none_or(|first| e.offset.unwrap_or(0) <= first.offset.unwrap_or(u64::MAX)) {
                        error = Some(e);
                    }
                }
            }
        }
        report(done);
        if wrong {
            return Ok(None);
        }
        match first_error.or(error) {
            Some(e) => Err(e),
            None => p.finish(result?).map(Some),
        }
    })
}

/// Where the big arrays end, guessed: see [`find_arrays`].
struct Arrays {
    /// The offsets of the `nodes`' `]`, the `edges`' `[` and the `edges`' `]`.
    nodes_close: u64,
    edges_at: u64,
    edges_close: u64,
}

/// Where the `nodes` array (starting at `nodes_at`) and the `edges` array after it end, found
/// without reading them, so that both can be parsed at once while this thread reads the rest.
///
/// An array of integers holds only digits, commas and whitespace, so from any offset within
/// it the first `"` opens the key after it (`"edges"` after the nodes). Each value takes at
/// least two bytes, so an array is at least twice as long as it has values; the search
/// starts a little before the length that the bytes per value found there predict (from 12%
/// short to 2% long on bench's snapshots), and falls back to that least length. A guess all
/// the same (say, the header's counts are wrong): the threads' ends check it.
fn find_arrays(path: &Path, nodes_at: u64, h: &Header) -> Option<Arrays> {
    let mut file = File::open(path).ok()?;
    let l = &h.layout;
    let (nodes_close, edges_key) = array_end(&mut file, nodes_at, h.node_count * l.node_fields as u64)?;
    let edges_at = edges_key + after_key(&mut file, edges_key, b"edges")?;
    let (edges_close, _) = array_end(&mut file, edges_at, h.edge_count * l.edge_fields as u64)?;
    Some(Arrays { nodes_close, edges_at, edges_close })
}

/// Where the array of integers from `open` (its `[`) to `close` (its `]`) can be split for
/// two readers: the offset of a value about halfway, the first after a line break. V8 writes
/// a record a line ("…\n,1,2,3\n,…"), so that is the start of a record (the sides are checked
/// to fit: see [`join_sides`]).
fn split_point(path: &Path, open: u64, close: u64) -> Option<u64> {
    // Below a megabyte a second thread would not pay.
    if close.saturating_sub(open) < 1 << 20 {
        return None;
    }
    let mut file = File::open(path).ok()?;
    let mid = open + (close - open) / 2;
    let mut window = vec![0u8; 64 << 10];
    let got = read_at(&mut file, mid, &mut window)?;
    let line = memchr::memchr(b'\n', &window[..got])?;
    let value = line + window[line..got].iter().position(|b| !b" \t\r\n,".contains(b))?;
    window[value].is_ascii_digit().then_some(mid + value as u64)
}

/// For [`find_arrays`]: the offsets of the `]` of the array at `at` with `values` integers,
/// and of the `"` opening the key after it.
fn array_end(file: &mut File, at: u64, values: u64) -> Option<(u64, u64)> {
    if values == 0 {
        return None;
    }
    let least = at + 2 * values - 1;
    let mut sample = vec![0u8; 64 << 10];
    let got = read_at(file, least, &mut sample)?;
    let commas = sample[..got].iter().filter(|&&b| b == b',').count().max(1);
    let predicted = (got as f64 / commas as f64 * values as f64) as u64;
    // Too early costs a longer search; too late, past the array, one from `least` as well.
    let start = (at + predicted / 10 * 9).max(least);
    match next_key(file, start) {
        None if start > least => next_key(file, least),
        found => found,
    }
}

const WHITESPACE: &[u8] = b" \t\r\n";

/// For [`array_end`]: the first `"` from `from`, if `]` and `,` come before it: the offsets
/// of that `]` and of the `"`.
fn next_key(file: &mut File, from: u64) -> Option<(u64, u64)> {
    let mut buf = vec![0u8; 1 << 20];
    let mut at = from;
    let quote = loop {
        let got = read_at(file, at, &mut buf)?;
        if got == 0 {
            return None;
        }
        if let Some(i) = memchr::memchr(b'"', &buf[..got]) {
            break at + i as u64;
        }
        at += got as u64;
    };
    // V8 writes "\n],\n\"edges\":[": a little whitespace at most.
    let start = quote.saturating_sub(64);
    let got = read_at(file, start, &mut buf[..64])?;
    let before = &buf[..got.min((quote - start) as usize)];
    let last_non_ws = |bytes: &[u8]| bytes.iter().rposition(|b| !WHITESPACE.contains(b));
    let comma = last_non_ws(before).filter(|&i| before[i] == b',')?;
    let close = last_non_ws(&before[..comma]).filter(|&i| before[i] == b']')?;
    Some((start + close as u64, quote))
}

/// For [`find_arrays`]: if the key at `quote` is `key` and opens an array, the distance to its `[`.
fn after_key(file: &mut File, quote: u64, key: &[u8]) -> Option<u64> {
    let mut buf = [0u8; 128];
    let got = read_at(file, quote, &mut buf)?;
    let text = &buf[..got];
    let rest = text.strip_prefix(b"\"")?.strip_prefix(key)?.strip_prefix(b"\"")?;
    let mut i = got - rest.len();
    let mut expect = |byte: u8| {
        i += text[i..].iter().position(|b| !WHITESPACE.contains(b))?;
        (text[i] == byte).then(|| i += 1)
    };
    expect(b':')?;
    expect(b'[')?;
    Some(i as u64 - 1)
}

/// Reads from `at` into `buf`, as much as the file has: the count read.
fn read_at(file: &mut File, at: u64, buf: &mut [u8]) -> Option<usize> {
    file.seek(SeekFrom::Start(at)).ok()?;
    let mut got = 0;
    while got < buf.len() {
        match file.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    Some(got)
}

/// Positions of the fields we use within each node / edge record.
#[derive(Default, Clone)]
struct Layout {
    node_fields: usize,
    n_type: usize,
    n_name: usize,
    n_id: usize,
    n_size: usize,
    n_edges: usize,
    n_trace: Option<usize>,
    n_detached: Option<usize>,
    edge_fields: usize,
    e_type: usize,
    e_name: usize,
    e_to: usize,
    location_fields: Vec<String>,
    function_info_fields: Vec<String>,
}

/// What the `snapshot` header says, which the arrays are read by.
#[derive(Default, Clone)]
struct Header {
    layout: Layout,
    node_count: u64,
    edge_count: u64,
    node_types: Vec<String>,
    edge_types: Vec<String>,
    extra_native_bytes: u64,
}

/// The `nodes` array, by column.
struct Nodes {
    node_type: Vec<u8>,
    node_name: Vec<u32>,
    node_id: Vec<u32>,
    self_size: Vec<u32>,
    edge_count: Vec<u32>,
    trace_node_id: Option<Vec<u32>>,
    detachedness: Option<Vec<u8>>,
    /// The largest name (a string index), with its offset.
    max_name: Option<(u32, u64)>,
    /// How many values were read (a last partial record's included).
    values: u64,
}

/// The `edges` array, by column.
struct Edges {
    edge_type: Vec<u8>,
    edge_name: Vec<u32>,
    edge_to: Vec<u32>,
    /// The largest name that is a string index, with its offset.
    max_name: Option<(u32, u64)>,
    /// Where the array ends.
    end: u64,
    /// How many values were read (a last partial record's included).
    values: u64,
}

/// The two sides of a split array (each with where it ended) as the array, if they make it:
/// the first ends where the second starts (at `middle`), at the end of a record, and both
/// hold the header's count of values.
fn join_sides(first: (Section, u64), second: (Section, u64), middle: u64, h: &Header) -> Option<(Section, u64)> {
    let l = &h.layout;
    let fits = |width: usize, records: u64, a: u64, b: u64| first.1 == middle && a % width as u64 == 0 && a + b == records * width as u64;
    let joined = match (first.0, second.0) {
        (Section::Nodes(mut a), Section::Nodes(b)) if fits(l.node_fields, h.node_count, a.values, b.values) => {
            a.append(b);
            Section::Nodes(a)
        }
        (Section::Edges(mut a), Section::Edges(b)) if fits(l.edge_fields, h.edge_count, a.values, b.values) => {
            a.append(b);
            Section::Edges(a)
        }
        _ => return None,
    };
    Some((joined, second.1))
}

/// The larger of two largest string indices with their offsets, `b` found after `a`: `a` on a
/// tie, so that an error names the first use.
fn later_max(a: Option<(u32, u64)>, b: Option<(u32, u64)>) -> Option<(u32, u64)> {
    match (a, b) {
        (Some((m, _)), Some((n, _))) if n <= m => a,
        (_, None) => a,
        _ => b,
    }
}

impl Nodes {
    /// The second side of a split `nodes` array, after this one.
    fn append(&mut self, next: Nodes) {
        let (before, after) = (self.node_type.len(), next.node_type.len());
        self.node_type.extend_from_slice(&next.node_type);
        self.node_name.extend_from_slice(&next.node_name);
        self.node_id.extend_from_slice(&next.node_id);
        self.self_size.extend_from_slice(&next.self_size);
        self.edge_count.extend_from_slice(&next.edge_count);
        // A side's trace column is empty while its values are all zero.
        if let (Some(traces), Some(next_traces)) = (self.trace_node_id.as_mut(), next.trace_node_id) {
            if !next_traces.is_empty() {
                traces.resize(before, 0);
                traces.extend_from_slice(&next_traces);
            } else if !traces.is_empty() {
                traces.resize(before + after, 0);
            }
        }
        if let (Some(d), Some(next_d)) = (self.detachedness.as_mut(), next.detachedness) {
            d.extend_from_slice(&next_d);
        }
        self.max_name = later_max(self.max_name, next.max_name);
        self.values += next.values;
    }
}

impl Edges {
    /// The second side of a split `edges` array, after this one.
    fn append(&mut self, next: Edges) {
        self.edge_type.extend_from_slice(&next.edge_type);
        self.edge_name.extend_from_slice(&next.edge_name);
        self.edge_to.extend_from_slice(&next.edge_to);
        self.max_name = later_max(self.max_name, next.max_name);
        (self.end, self.values) = (next.end, self.values + next.values);
    }
}

#[derive(Default)]
struct Parser {
    header: Option<Header>,
    nodes: Option<Nodes>,
    edges: Option<Edges>,
    seen_strings: bool,
    string_bytes: Vec<u8>,
    string_ends: Vec<u64>,
    /// How many strings the file has (some may have been let go).
    string_count: usize,
    /// If the strings were read keeping only those named other than by string objects: each
    /// string's index among those kept (see [`Graph::rename_strings`]).
    renumbered: Option<Vec<u32>>,
    locations: Vec<Location>,
    trace: Trace,
    /// The largest string index referred to, with the offset of its first use, checked once
    /// the strings (which come last) are known.
    max_string: Option<(u32, u64)>,
}

fn field_list(meta: &Value, key: &str, at: u64) -> Result<Vec<String>> {
    let list = meta
        .get(key)
        .and_then(Value::as_array)
        .ok_or_else(|| Error::at(ErrorKind::Format, at, format!("expected snapshot.meta.{key} to be an array")))?;
    list.iter()
        .map(|v| {
            v.as_str()
                .map(str::to_owned)
                .ok_or_else(|| Error::at(ErrorKind::Format, at, format!("expected only strings in snapshot.meta.{key}")))
        })
        .collect()
}

fn type_list(meta: &Value, key: &str, at: u64) -> Result<Vec<String>> {
    let first = meta
        .get(key)
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .and_then(Value::as_array)
        .ok_or_else(|| Error::at(ErrorKind::Format, at, format!("expected snapshot.meta.{key}[0] to be an array of type names")))?;
    Ok(first.iter().map(|v| v.as_str().unwrap_or("").to_owned()).collect())
}

fn position(fields: &[String], name: &str, list: &str, at: u64) -> Result<usize> {
    fields
        .iter()
        .position(|f| f == name)
        .ok_or_else(|| Error::at(ErrorKind::Format, at, format!("expected the field '{name}' in snapshot.meta.{list}")))
}

fn count(header: &Value, key: &str, at: u64) -> Result<u64> {
    header
        .get(key)
        .and_then(Value::as_u64)
        .ok_or_else(|| Error::at(ErrorKind::Format, at, format!("expected snapshot.{key} to be a non-negative integer")))
}

fn format_err(at: u64, message: impl Into<String>) -> Error {
    Error::at(ErrorKind::Format, at, message)
}

impl Parser {
    fn header_before(&self, at: u64, what: &str) -> Result<&Header> {
        self.header.as_ref().ok_or_else(|| format_err(at, format!("expected the 'snapshot' header before '{what}'")))
    }

    fn layout(&self, at: u64, what: &str) -> Result<Layout> {
        self.header_before(at, what).map(|h| h.layout.clone())
    }

    fn node_values(&self) -> u64 {
        self.header.as_ref().map_or(0, |h| h.node_count * h.layout.node_fields as u64)
    }

    fn note_string(&mut self, index: u32, at: u64) {
        self.max_string = later_max(self.max_string, Some((index, at)));
    }

    /// Which strings the arrays (parsed here or by `threads`, all done) and the functions name
    /// other than as string objects' values; None unless both arrays are known and sound.
    fn names_in_use(&self, threads: &[(Thread, Option<u64>)]) -> Option<Vec<bool>> {
        let header = self.header.as_ref()?;
        let (mut nodes, mut edges) = (self.nodes.as_ref(), self.edges.as_ref());
        for (t, expected) in threads {
            match t {
                Thread::Done(Ok((section, end))) if expected.is_none_or(|x| *end == x) => match section {
                    Section::Nodes(n) => nodes = Some(n),
                    Section::Edges(e) => edges = Some(e),
                },
                _ => return None,
            }
        }
        let (nodes, edges) = (nodes?, edges?);
        let namers = Namers { node_type: &nodes.node_type, node_name: &nodes.node_name, edge_type: &edges.edge_type, edge_name: &edges.edge_name, functions: &self.trace.function_infos };
        // Every name is at most the largest seen; a larger one errs once the strings are known.
        let len = [nodes.max_name, edges.max_name, self.max_string].into_iter().flatten().map(|(m, _)| m as usize + 1).max().unwrap_or(0);
        Some(namers.in_use(NodeKinds::resolve(&header.node_types), EdgeKinds::resolve(&header.edge_types), len))
    }

    /// The strings array, all of it or (with `keep`) only the strings it accepts, the others
    /// sharing one last, empty string.
    fn strings<R: Read>(&mut self, r: &mut JsonReader<R>, keep: Option<Vec<bool>>) -> Result<()> {
        let kept = |i: usize| keep.as_ref().is_none_or(|k| k.get(i) == Some(&true));
        // (A second array, in an odd file read whole, follows the first.)
        self.string_count += r.string_array(&mut self.string_bytes, &mut self.string_ends, kept)?;
        self.seen_strings = true;
        if let Some(keep) = keep {
            self.renumbered = Some(renumbering(self.string_count, |i| keep.get(i) == Some(&true)));
            // The dropped share the string after those kept, an empty one.
            self.string_ends.push(self.string_bytes.len() as u64);
        }
        Ok(())
    }

    fn add(&mut self, section: Section) {
        match section {
            Section::Nodes(n) => {
                if let Some((m, off)) = n.max_name {
                    self.note_string(m, off);
                }
                self.nodes = Some(n);
            }
            Section::Edges(e) => {
                if let Some((m, off)) = e.max_name {
                    self.note_string(m, off);
                }
                self.edges = Some(e);
            }
        }
    }

    fn header<R: Read>(&mut self, r: &mut JsonReader<R>, at: u64) -> Result<()> {
        let header = r.value()?;
        let meta = header.get("meta").ok_or_else(|| format_err(at, "expected snapshot.meta in the header"))?;
        let node_fields = field_list(meta, "node_fields", at)?;
        let edge_fields = field_list(meta, "edge_fields", at)?;
        let layout = Layout {
            node_fields: node_fields.len(),
            n_type: position(&node_fields, "type", "node_fields", at)?,
            n_name: position(&node_fields, "name", "node_fields", at)?,
            n_id: position(&node_fields, "id", "node_fields", at)?,
            n_size: position(&node_fields, "self_size", "node_fields", at)?,
            n_edges: position(&node_fields, "edge_count", "node_fields", at)?,
            n_trace: node_fields.iter().position(|f| f == "trace_node_id"),
            n_detached: node_fields.iter().position(|f| f == "detachedness"),
            edge_fields: edge_fields.len(),
            e_type: position(&edge_fields, "type", "edge_fields", at)?,
            e_name: position(&edge_fields, "name_or_index", "edge_fields", at)?,
            e_to: position(&edge_fields, "to_node", "edge_fields", at)?,
            location_fields: field_list(meta, "location_fields", at).unwrap_or_default(),
            function_info_fields: field_list(meta, "trace_function_info_fields", at).unwrap_or_default(),
        };
        let node_types = type_list(meta, "node_types", at)?;
        let edge_types = type_list(meta, "edge_types", at)?;
        if node_types.len() > 255 || edge_types.len() > 255 {
            return Err(format_err(at, "expected at most 255 node or edge types"));
        }
        let node_count = count(&header, "node_count", at)?;
        let edge_count = count(&header, "edge_count", at)?;
        if node_count >= u32::MAX as u64 || edge_count >= u32::MAX as u64 {
            return Err(format_err(at, "expected fewer than 2^32 nodes and edges (the most supported)"));
        }
        let extra_native_bytes = header.get("extra_native_bytes").and_then(Value::as_u64).unwrap_or(0);
        self.header = Some(Header { layout, node_count, edge_count, node_types, edge_types, extra_native_bytes });
        Ok(())
    }

    fn locations<R: Read>(&mut self, r: &mut JsonReader<R>, at: u64) -> Result<()> {
        let l = self.layout(at, "locations")?;
        let f = &l.location_fields;
        let width = f.len().max(1);
        let object = position(f, "object_index", "location_fields", at)?;
        let script = position(f, "script_id", "location_fields", at)?;
        let line = position(f, "line", "location_fields", at)?;
        let column = position(f, "column", "location_fields", at)?;
        let node_values = self.node_values();
        let locations = &mut self.locations;
        let count = r.uint_records(width, |record, offsets| {
            let node = record[object];
            if node >= node_values || node % l.node_fields as u64 != 0 {
                return Err(format_err(offsets[0], format!("expected a location object_index that is a node offset, found {node}")));
            }
            locations.push(Location {
                node: (node / l.node_fields as u64) as u32,
                script_id: record[script] as u32,
                line: record[line] as u32,
                column: record[column] as u32,
            });
            Ok(())
        })?;
        whole_records(r, count, width, "locations")
    }

    fn function_infos<R: Read>(&mut self, r: &mut JsonReader<R>, at: u64) -> Result<()> {
        let l = self.layout(at, "trace_function_infos")?;
        let f = &l.function_info_fields;
        let width = f.len().max(1);
        let idx = |name: &str| f.iter().position(|x| x == name);
        let (fid, name, script_name, script_id, line, column) =
            (idx("function_id"), idx("name"), idx("script_name"), idx("script_id"), idx("line"), idx("column"));
        let mut names: Vec<(u32, u64)> = Vec::new();
        let infos = &mut self.trace.function_infos;
        let count = r.uint_records(width, |record, offsets| {
            let get = |i: Option<usize>| i.map_or(0, |i| record[i].min(u32::MAX as u64) as u32);
            names.extend([name, script_name].into_iter().flatten().map(|i| (get(Some(i)), offsets[i])));
            infos.push(FunctionInfo {
                function_id: get(fid),
                name: get(name),
                script_name: get(script_name),
                script_id: get(script_id),
                line: get(line),
                column: get(column),
            });
            Ok(())
        })?;
        whole_records(r, count, width, "trace_function_infos")?;
        for (v, off) in names {
            self.note_string(v, off);
        }
        Ok(())
    }

    /// `trace_tree` nests `[id, function_info_index, count, size, [children...], ...]`;
    /// read it with an explicit stack so deep allocation stacks cannot overflow ours.
    fn trace_tree<R: Read>(&mut self, r: &mut JsonReader<R>) -> Result<()> {
        let nodes = &mut self.trace.nodes;
        r.expect(b'[', "'[' opening trace_tree")?;
        r.skip_ws()?;
        if r.peek()? == Some(b']') {
            r.expect(b']', "']'")?;
            return Ok(());
        }
        let mut levels: Vec<u32> = vec![u32::MAX];
        loop {
            let id = r.uint()?;
            r.expect(b',', "',' in a trace node")?;
            let fi = r.uint()?;
            r.expect(b',', "',' in a trace node")?;
            let count = r.uint()?;
            r.expect(b',', "',' in a trace node")?;
            let size = r.uint()?;
            r.expect(b',', "',' in a trace node")?;
            let index = nodes.len() as u32;
            nodes.push(TraceNode {
                id: id.min(u32::MAX as u64) as u32,
                function_info: fi.min(u32::MAX as u64) as u32,
                count,
                size,
                parent: *levels.last().unwrap_or(&u32::MAX),
            });
            r.expect(b'[', "'[' opening a trace node's children")?;
            r.skip_ws()?;
            if r.peek()? != Some(b']') {
                levels.push(index);
                continue;
            }
            r.expect(b']', "']'")?;
            // The node is complete; close as many levels as end here.
            loop {
                if r.comma_or(b']', "',' or ']' in trace_tree")? {
                    break;
                }
                levels.pop();
                if levels.is_empty() {
                    return Ok(());
                }
            }
        }
    }

    fn samples<R: Read>(&mut self, r: &mut JsonReader<R>) -> Result<()> {
        let mut first = None;
        let samples = &mut self.trace.samples;
        r.uint_array(|v, _| {
            match first.take() {
                None => first = Some(v),
                Some(t) => samples.push((t, v)),
            }
            Ok(())
        })?;
        Ok(())
    }

    fn finish(self, end: u64) -> Result<Graph> {
        let Some(header) = self.header else {
            return Err(format_err(end, "expected a 'snapshot' header before the end of the file"));
        };
        let Some(nodes) = self.nodes else {
            return Err(format_err(end, "expected a 'nodes' array before the end of the file"));
        };
        let Some(edges) = self.edges else {
            return Err(format_err(end, "expected an 'edges' array before the end of the file"));
        };
        if !self.seen_strings {
            return Err(format_err(end, "expected a 'strings' array before the end of the file"));
        }
        if let Some((m, off)) = self.max_string {
            if m as usize >= self.string_count {
                return Err(format_err(off, format!("expected a string index below {} (the strings count), found {m}", self.string_count)));
            }
        }
        // The counts become the offsets in place (there is room for the one more).
        let mut first_edge = nodes.edge_count;
        let mut sum = 0u64;
        for c in first_edge.iter_mut() {
            let count = *c as u64;
            *c = sum.min(u32::MAX as u64) as u32;
            sum += count;
        }
        first_edge.push(sum.min(u32::MAX as u64) as u32);
        if sum != header.edge_count {
            return Err(format_err(
                edges.end,
                format!("expected the nodes' edge_count fields to sum to edge_count {}, found {sum}", header.edge_count),
            ));
        }
        let node_kinds = NodeKinds::resolve(&header.node_types);
        let edge_kinds = EdgeKinds::resolve(&header.edge_types);
        let mut graph = Graph {
            node_type: nodes.node_type,
            node_name: nodes.node_name,
            node_id: nodes.node_id,
            self_size: nodes.self_size,
            first_edge,
            trace_node_id: nodes.trace_node_id.filter(|t| !t.is_empty()),
            detachedness: nodes.detachedness,
            edge_type: edges.edge_type,
            edge_name: edges.edge_name,
            edge_to: edges.edge_to,
            strings: Strings::from_parts(self.string_bytes, self.string_ends),
            node_types: header.node_types,
            edge_types: header.edge_types,
            node_kinds,
            edge_kinds,
            locations: crate::classes::by_node(self.locations),
            trace: self.trace,
            extra_native_bytes: header.extra_native_bytes,
            scripts: Default::default(),
            string_values_dropped: false,
        };
        if let Some(renumbered) = self.renumbered {
            graph.rename_strings(&renumbered);
        }
        Ok(graph)
    }
}

/// An error unless `count` values (of the array just read) make whole records of `width`.
fn whole_records<R: Read>(r: &JsonReader<R>, count: u64, width: usize, what: &str) -> Result<()> {
    if count % width as u64 != 0 {
        return Err(format_err(r.offset(), format!("expected the {what} length to be a multiple of {width}")));
    }
    Ok(())
}

/// Reads an array of exactly `records` records of `width` integers (`what` values, so many
/// because of `why`), handing the records (their values and offsets, `width` per record) to
/// `f` a chunk at a time; or, of a split array, the side `part` (at most that many records:
/// the sides' counts are checked once both are read). Returns the count of values.
fn exact_records<R: Read>(
    r: &mut JsonReader<R>,
    records: u64,
    width: usize,
    what: &str,
    why: &str,
    part: Part,
    mut f: impl FnMut(&[u64], &[u64]) -> Result<()>,
) -> Result<u64> {
    let array_at = r.offset();
    let expected = records * width as u64;
    let mut seen = 0u64;
    let chunk = |values: &[u64], offsets: &[u64]| {
        let n = (values.len() / width) as u64;
        if seen + n > records {
            // The records up to the first one too many, then the error there.
            let fit = (records - seen) as usize * width;
            f(&values[..fit], &offsets[..fit])?;
            return Err(format_err(offsets[fit], format!("expected at most {expected} {what} values ({why}), found more")));
        }
        seen += n;
        f(values, offsets)
    };
    match part {
        Part::Whole { .. } => {}
        Part::Until(stop) => {
            r.expect(b'[', "'[' opening an array of integers")?;
            return r.listed_chunks(width, stop, chunk);
        }
        Part::From => return r.listed_chunks(width, u64::MAX, chunk),
    }
    let count = r.uint_chunks(width, chunk)?;
    if count != expected {
        return Err(format_err(array_at, format!("expected {expected} {what} values ({why}), found {count}")));
    }
    Ok(count)
}

/// `v` as a `u32`, or an error at `off` naming `what`.
#[inline]
fn u32_at(v: u64, off: u64, what: &str) -> Result<u32> {
    u32::try_from(v).map_err(|_| format_err(off, format!("expected {what} below 2^32")))
}

fn read_nodes<R: Read>(r: &mut JsonReader<R>, h: &Header, part: Part) -> Result<Nodes> {
    let l = &h.layout;
    let n = h.node_count;
    let mut c = Nodes {
        node_type: part.column(n),
        node_name: part.column(n),
        node_id: part.column(n),
        self_size: part.column(n),
        edge_count: part.column(n + 1),
        trace_node_id: l.n_trace.map(|_| Vec::new()),
        detachedness: l.n_detached.map(|_| part.column(n)),
        max_name: None,
        values: 0,
    };
    let type_count = h.node_types.len() as u64;
    let why = format!("node_count {} × {} fields", h.node_count, l.node_fields);
    // Snapshots taken without allocation tracking carry the column too, all zeros: the column
    // is only made at the first non-zero value (and stays empty, then dropped, without one).
    let mut leading_zero_traces = 0usize;
    // One record, with its errors (what a chunk with a value out of range goes through).
    let one = |c: &mut Nodes, leading_zero_traces: &mut usize, v: &[u64], off: &[u64]| -> Result<()> {
        let t = v[l.n_type];
        if t >= type_count {
            return Err(format_err(off[l.n_type], format!("expected a node type below {type_count} (the types meta lists), found {t}")));
        }
        c.node_type.push(t as u8);
        let name = u32_at(v[l.n_name], off[l.n_name], "a node name index")?;
        if c.max_name.is_none_or(|(m, _)| name > m) {
            c.max_name = Some((name, off[l.n_name]));
        }
        c.node_name.push(name);
        c.node_id.push(u32_at(v[l.n_id], off[l.n_id], "a node id")?);
        c.self_size.push(u32_at(v[l.n_size], off[l.n_size], "a self_size")?);
        c.edge_count.push(u32_at(v[l.n_edges], off[l.n_edges], "a node edge_count")?);
        if let (Some(k), Some(traces)) = (l.n_trace, c.trace_node_id.as_mut()) {
            let trace = u32_at(v[k], off[k], "a trace_node_id")?;
            if traces.is_empty() && trace == 0 {
                *leading_zero_traces += 1;
            } else {
                if traces.is_empty() {
                    *traces = part.column(n);
                    traces.resize(*leading_zero_traces, 0);
                }
                traces.push(trace);
            }
        }
        if let (Some(k), Some(d)) = (l.n_detached, c.detachedness.as_mut()) {
            d.push(v[k].min(255) as u8);
        }
        Ok(())
    };
    let width = l.node_fields;
    let u32_max = u32::MAX as u64;
    let wide = crate::json::wide_available();
    let values = exact_records(r, h.node_count, width, "node", &why, part, |values, offsets| {
        let records = || values.chunks_exact(width);
        let names = values.len() / width;
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `wide` says the processor has AVX-512 F and DQ.
        let taken = if wide { unsafe { wide_nodes(&mut c, values, l, type_count) } } else { None };
        #[cfg(not(target_arch = "x86_64"))]
        let taken = None;
        // The chunk's largest name, and whether a trace_node_id may not be 0.
        let (name, traced) = match taken {
            Some(taken) => taken,
            None => {
                let fine = |v: &[u64]| {
                    v[l.n_type] < type_count && v[l.n_name] <= u32_max && v[l.n_id] <= u32_max && v[l.n_size] <= u32_max && v[l.n_edges] <= u32_max && l.n_trace.is_none_or(|k| v[k] <= u32_max)
                };
                if !records().all(fine) {
                    // Some value is out of range: record by record, for the first error in the text.
                    for (v, off) in records().zip(offsets.chunks_exact(width)) {
                        one(&mut c, &mut leading_zero_traces, v, off)?;
                    }
                    return Ok(());
                }
                // Each column at once: no call, check or branch per record.
                c.node_type.extend(records().map(|v| v[l.n_type] as u8));
                c.node_name.extend(records().map(|v| v[l.n_name] as u32));
                c.node_id.extend(records().map(|v| v[l.n_id] as u32));
                c.self_size.extend(records().map(|v| v[l.n_size] as u32));
                c.edge_count.extend(records().map(|v| v[l.n_edges] as u32));
                if let (Some(k), Some(d)) = (l.n_detached, c.detachedness.as_mut()) {
                    d.extend(records().map(|v| v[k].min(255) as u8));
                }
                // (Whether a trace_node_id is not 0 is left to the traces' own pass.)
                (c.node_name[c.node_name.len() - names..].iter().copied().max().unwrap_or(0), true)
            }
        };
        // The first of the chunk's largest names, if larger than any before.
        if names > 0 && c.max_name.is_none_or(|(m, _)| name > m) {
            let i = records().position(|v| v[l.n_name] == name as u64).expect("the maximum is there");
            c.max_name = Some((name, offsets[i * width + l.n_name]));
        }
        if let (Some(k), Some(traces)) = (l.n_trace, c.trace_node_id.as_mut()) {
            let skip = if !traced && traces.is_empty() {
                names
            } else if traces.is_empty() {
                records().take_while(|v| v[k] == 0).count()
            } else {
                0
            };
            leading_zero_traces += skip;
            if skip < names {
                if traces.is_empty() {
                    *traces = part.column(n);
                    traces.resize(leading_zero_traces, 0);
                }
                traces.extend(records().skip(skip).map(|v| v[k] as u32));
            }
        }
        Ok(())
    })?;
    c.values = values;
    Ok(c)
}

/// Division by a record's width, for offsets that must be multiples of it (`to_node`): by a
/// multiplication with the inverse of its odd part modulo 2^64, which gives the exact quotient
/// of a multiple and tells the others apart by its size (Granlund and Montgomery). A hardware
/// divide per edge cost more than the rest of the edge's checks and stores together, and LLVM
/// turns a `match` of divisions by constants back into one division by the variable.
#[derive(Debug, Clone, Copy)]
struct Multiples {
    /// The width's trailing zero bits, which a multiple has too.
    shift: u32,
    /// The inverse of the odd part, modulo 2^64.
    inverse: u64,
    /// The largest quotient by the odd part of a number below 2^64.
    largest: u64,
}

impl Multiples {
    fn of(width: u64) -> Multiples {
        assert!(width > 0, "a record has fields");
        let shift = width.trailing_zeros();
        let odd = width >> shift;
        // Newton's iteration doubles the correct low bits: 3 (odd × odd ≡ 1 mod 8) to 96.
        let mut inverse = odd;
        for _ in 0..5 {
            inverse = inverse.wrapping_mul(2u64.wrapping_sub(odd.wrapping_mul(inverse)));
        }
        Multiples { shift, inverse, largest: u64::MAX / odd }
    }

    /// `(x / width, whether x is a multiple of width)`; the quotient is meaningful only for a
    /// multiple. No branch.
    #[inline(always)]
    fn divide(self, x: u64) -> (u64, bool) {
        let quotient = (x >> self.shift).wrapping_mul(self.inverse);
        (quotient, x.trailing_zeros() >= self.shift && quotient <= self.largest)
    }
}

fn read_edges<R: Read>(r: &mut JsonReader<R>, h: &Header, part: Part) -> Result<Edges> {
    let l = &h.layout;
    let e = h.edge_count;
    let mut c = Edges {
        edge_type: part.column(e),
        edge_name: part.column(e),
        edge_to: part.column(e),
        max_name: None,
        end: 0,
        values: 0,
    };
    let kinds = EdgeKinds::resolve(&h.edge_types);
    let type_count = h.edge_types.len() as u64;
    let why = format!("edge_count {} × {} fields", h.edge_count, l.edge_fields);
    let node_values = h.node_count * l.node_fields as u64;
    let offsets_of_nodes = Multiples::of(l.node_fields as u64);
    // One record, with its errors (what a chunk with a value out of range goes through).
    let one = |c: &mut Edges, v: &[u64], off: &[u64]| -> Result<()> {
        let t = v[l.e_type];
        if t >= type_count {
            return Err(format_err(off[l.e_type], format!("expected an edge type below {type_count} (the types meta lists), found {t}")));
        }
        let kind = t as u8;
        c.edge_type.push(kind);
        let to = v[l.e_to];
        let (node, multiple) = offsets_of_nodes.divide(to);
        if to >= node_values || !multiple {
            return Err(format_err(
                off[l.e_to],
                format!("expected to_node to be a node offset (a multiple of {} below {node_values}), found {to}", l.node_fields),
            ));
        }
        c.edge_to.push(node as u32);
        let name = u32_at(v[l.e_name], off[l.e_name], "an edge name or index")?;
        if kind != kinds.element && kind != kinds.hidden && c.max_name.is_none_or(|(m, _)| name > m) {
            c.max_name = Some((name, off[l.e_name]));
        }
        c.edge_name.push(name);
        Ok(())
    };
    let width = l.edge_fields;
    let u32_max = u32::MAX as u64;
    let wide = crate::json::wide_available();
    let values = exact_records(r, h.edge_count, width, "edge", &why, part, |values, offsets| {
        let records = || values.chunks_exact(width);
        // A record's key: a string name n as n + 1, an index (the name of element and hidden
        // edges) as 0. The chunk's largest comes with its records, below.
        let key_at = |v: &[u64]| if v[l.e_type] != kinds.element as u64 && v[l.e_type] != kinds.hidden as u64 { v[l.e_name] + 1 } else { 0 };
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `wide` says the processor has AVX-512 F and DQ.
        let taken = if wide { unsafe { wide_edges(&mut c, values, l, (type_count, node_values, offsets_of_nodes), &kinds) } } else { None };
        #[cfg(not(target_arch = "x86_64"))]
        let taken = None;
        let key = match taken {
            Some(key) => key,
            None => {
                let fine = |v: &[u64]| v[l.e_type] < type_count && v[l.e_name] <= u32_max && v[l.e_to] < node_values && offsets_of_nodes.divide(v[l.e_to]).1;
                if !records().all(fine) {
                    // Some value is out of range: record by record, for the first error in the text.
                    for (v, off) in records().zip(offsets.chunks_exact(width)) {
                        one(&mut c, v, off)?;
                    }
                    return Ok(());
                }
                // Each column at once: no call, check or branch per record.
                c.edge_type.extend(records().map(|v| v[l.e_type] as u8));
                c.edge_to.extend(records().map(|v| offsets_of_nodes.divide(v[l.e_to]).0 as u32));
                c.edge_name.extend(records().map(|v| v[l.e_name] as u32));
                records().map(key_at).max().unwrap_or(0)
            }
        };
        // The chunk's first record with the largest key, if larger than any before.
        if key > 0 && c.max_name.is_none_or(|(m, _)| key - 1 > m as u64) {
            let i = records().position(|v| key_at(v) == key).expect("the maximum is there");
            c.max_name = Some(((key - 1) as u32, offsets[i * width + l.e_name]));
        }
        Ok(())
    })?;
    (c.end, c.values) = (r.offset(), values);
    Ok(c)
}

/// A chunk of node records into the columns (but `trace_node_id`'s) if every value is in range,
/// with the chunk's largest name and whether any `trace_node_id` is not 0; else `None`, and
/// nothing taken. Eight records at a time, each field gathered from them, checked and
/// narrowed with no branch.
///
/// # Safety
/// The processor has AVX-512 F and DQ.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq")]
unsafe fn wide_nodes(c: &mut Nodes, values: &[u64], l: &Layout, type_count: u64) -> Option<(u32, bool)> {
    use std::arch::x86_64::*;
    let width = l.node_fields;
    let count = values.len() / width;
    // The name first: its largest is wanted too.
    let mut columns = [&mut c.node_name, &mut c.node_id, &mut c.self_size, &mut c.edge_count];
    let fields = [l.n_name, l.n_id, l.n_size, l.n_edges];
    let lens: [usize; 4] = std::array::from_fn(|i| {
        columns[i].reserve(count);
        columns[i].len()
    });
    c.node_type.reserve(count);
    let (types, detached) = (c.node_type.len(), c.detachedness.as_ref().map_or(0, Vec::len));
    if let Some(d) = c.detachedness.as_mut() {
        d.reserve(count);
    }
    let mut bad = 0u8;
    // SAFETY (all below): the features are there (the caller's promise); each gather reads the
    // lanes' records only, all in `values`; each store writes the lanes' records only, in the
    // room just reserved.
    unsafe {
        let records = _mm512_mullo_epi64(_mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0), _mm512_set1_epi64(width as i64));
        let field = |k: usize| _mm512_add_epi64(records, _mm512_set1_epi64(k as i64));
        let (type_count, u32_max, byte_max) = (_mm512_set1_epi64(type_count as i64), _mm512_set1_epi64(u32::MAX as i64), _mm512_set1_epi64(255));
        let at_fields = fields.map(field);
        let outs = [0, 1, 2, 3].map(|i| columns[i].as_mut_ptr().add(lens[i]));
        let (at_type, type_out) = (field(l.n_type), c.node_type.as_mut_ptr().add(types));
        let detached_out = l.n_detached.zip(c.detachedness.as_mut()).map(|(k, d)| (field(k), d.as_mut_ptr().add(detached)));
        let at_trace = l.n_trace.map(field);
        let zero = _mm512_setzero_si512();
        let (mut name, mut traces) = (zero, zero);
        for i in (0..count).step_by(8) {
            let lanes = if count - i >= 8 { u8::MAX } else { (1u8 << (count - i)) - 1 };
            let from = values.as_ptr().add(i * width) as *const i64;
            let t = _mm512_mask_i64gather_epi64::<8>(zero, lanes, at_type, from);
            bad |= _mm512_mask_cmpge_epu64_mask(lanes, t, type_count);
            _mm512_mask_cvtepi64_storeu_epi8(type_out.add(i).cast(), lanes, t);
            for (j, (at, out)) in at_fields.iter().zip(outs).enumerate() {
                let v = _mm512_mask_i64gather_epi64::<8>(zero, lanes, *at, from);
                bad |= _mm512_mask_cmpgt_epu64_mask(lanes, v, u32_max);
                _mm512_mask_cvtepi64_storeu_epi32(out.add(i).cast(), lanes, v);
                if j == 0 {
                    name = _mm512_max_epu64(name, v);
                }
            }
            if let Some((at, out)) = detached_out {
                let v = _mm512_mask_i64gather_epi64::<8>(zero, lanes, at, from);
                _mm512_mask_cvtepi64_storeu_epi8(out.add(i).cast(), lanes, _mm512_min_epu64(v, byte_max));
            }
            if let Some(at) = at_trace {
                let v = _mm512_mask_i64gather_epi64::<8>(zero, lanes, at, from);
                bad |= _mm512_mask_cmpgt_epu64_mask(lanes, v, u32_max);
                traces = _mm512_or_si512(traces, v);
            }
        }
        if bad != 0 {
            return None;
        }
        for (column, len) in columns.into_iter().zip(lens) {
            column.set_len(len + count);
        }
        c.node_type.set_len(types + count);
        if let Some(d) = c.detachedness.as_mut() {
            d.set_len(detached + count);
        }
        Some((_mm512_reduce_max_epu64(name) as u32, _mm512_test_epi64_mask(traces, traces) != 0))
    }
}

/// A chunk of edge records into the columns if every value is in range, with the chunk's
/// largest key (see `read_edges`); else `None`, and nothing taken. Eight records at a time,
/// each field gathered from them, checked and narrowed with no branch. `limits`: the type
/// count, the node values' count and their division by the node width.
///
/// # Safety
/// The processor has AVX-512 F and DQ.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq")]
unsafe fn wide_edges(c: &mut Edges, values: &[u64], l: &Layout, (type_count, node_values, nodes): (u64, u64, Multiples), kinds: &EdgeKinds) -> Option<u64> {
    use std::arch::x86_64::*;
    let width = l.edge_fields;
    let count = values.len() / width;
    c.edge_type.reserve(count);
    c.edge_name.reserve(count);
    c.edge_to.reserve(count);
    let (types, names, tos) = (c.edge_type.len(), c.edge_name.len(), c.edge_to.len());
    let mut bad = 0u8;
    // SAFETY (all below): the features are there (the caller's promise); each gather reads the
    // lanes' records only, all in `values`; each store writes the lanes' records only, in the
    // room just reserved.
    unsafe {
        let records = _mm512_mullo_epi64(_mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0), _mm512_set1_epi64(width as i64));
        let field = |k: usize| _mm512_add_epi64(records, _mm512_set1_epi64(k as i64));
        let (at_type, at_name, at_to) = (field(l.e_type), field(l.e_name), field(l.e_to));
        let (type_count, node_values, u32_max) = (_mm512_set1_epi64(type_count as i64), _mm512_set1_epi64(node_values as i64), _mm512_set1_epi64(u32::MAX as i64));
        let (low_bits, shift, inverse, largest) = (
            _mm512_set1_epi64(((1u64 << nodes.shift) - 1) as i64),
            _mm512_set1_epi64(nodes.shift as i64),
            _mm512_set1_epi64(nodes.inverse as i64),
            _mm512_set1_epi64(nodes.largest as i64),
        );
        let (type_out, name_out, to_out) = (c.edge_type.as_mut_ptr().add(types), c.edge_name.as_mut_ptr().add(names), c.edge_to.as_mut_ptr().add(tos));
        let (element, hidden, one) = (_mm512_set1_epi64(kinds.element as i64), _mm512_set1_epi64(kinds.hidden as i64), _mm512_set1_epi64(1));
        let zero = _mm512_setzero_si512();
        let mut key = zero;
        for i in (0..count).step_by(8) {
            let lanes = if count - i >= 8 { u8::MAX } else { (1u8 << (count - i)) - 1 };
            let from = values.as_ptr().add(i * width) as *const i64;
            let t = _mm512_mask_i64gather_epi64::<8>(zero, lanes, at_type, from);
            let name = _mm512_mask_i64gather_epi64::<8>(zero, lanes, at_name, from);
            let to = _mm512_mask_i64gather_epi64::<8>(zero, lanes, at_to, from);
            let node = _mm512_mullo_epi64(_mm512_srlv_epi64(to, shift), inverse);
            bad |= _mm512_mask_cmpge_epu64_mask(lanes, t, type_count)
                | _mm512_mask_cmpgt_epu64_mask(lanes, name, u32_max)
                | _mm512_mask_cmpge_epu64_mask(lanes, to, node_values)
                | _mm512_mask_test_epi64_mask(lanes, to, low_bits)
                | _mm512_mask_cmpgt_epu64_mask(lanes, node, largest);
            _mm512_mask_cvtepi64_storeu_epi8(type_out.add(i).cast(), lanes, t);
            _mm512_mask_cvtepi64_storeu_epi32(name_out.add(i).cast(), lanes, name);
            _mm512_mask_cvtepi64_storeu_epi32(to_out.add(i).cast(), lanes, node);
            let named = lanes & !(_mm512_cmpeq_epi64_mask(t, element) | _mm512_cmpeq_epi64_mask(t, hidden));
            key = _mm512_mask_max_epu64(key, named, key, _mm512_add_epi64(name, one));
        }
        if bad != 0 {
            return None;
        }
        c.edge_type.set_len(types + count);
        c.edge_name.set_len(names + count);
        c.edge_to.set_len(tos + count);
        Some(_mm512_reduce_max_epu64(key))
    }
}

#[cfg(test)]
mod tests {
    use super::{parse, Multiples};
    use crate::json::NARROW;
    use proptest::prelude::*;

    /// A snapshot in V8's layout with seven node fields, `n` nodes in a chain and a few
    /// more edges, their values of varied lengths; `bad` puts one out of range.
    fn v8_text(n: usize, traced: bool, bad: Option<&str>) -> String {
        let meta = r#"{"node_fields":["type","name","id","self_size","edge_count","trace_node_id","detachedness"],"node_types":[["hidden","array","string","object","code","closure","regexp","number","native","synthetic"],"string","number","number","number","number","number"],"edge_fields":["type","name_or_index","to_node"],"edge_types":[["context","element","property","internal","hidden","shortcut","weak"],"string_or_number","node"],"location_fields":["object_index","script_id","line","column"]}"#;
        let edges_of = |i: usize| if i + 1 < n { 1 + i % 3 } else { 0 };
        let mut nodes: Vec<String> = (0..n)
            .map(|i| format!("{},{},{},{},{},{},{}", if i == 0 { 9 } else { i % 9 }, i % 7, 2 * i + 1, (i * 7919) % 100_000, edges_of(i), if traced { i % 5 } else { 0 }, i % 300))
            .collect();
        let mut edges = Vec::new();
        for i in 0..n {
            for k in 0..edges_of(i) {
                edges.push(format!("{},{},{}", (i + k) % 7, (i * 31 + k) % 7, 7 * ((i + 1 + k * 13) % n)));
            }
        }
        if let Some(bad) = bad {
            let last = nodes.len() - 1;
            match bad {
                "edge" => edges[n / 2] = format!("2,3,{}", 7 * n),
                "name" => edges[n / 2] = "2,99,7".into(),
                _ => nodes[last] = format!("3,1,{},16,0,0,0", 1u64 << 32),
            }
        }
        format!(
            "{{\"snapshot\":{{\"meta\":{meta},\"node_count\":{n},\"edge_count\":{}}},\n\"nodes\":[{}],\n\"edges\":[{}],\n\"locations\":[],\n\"strings\":[\"\",\"a\",\"b\",\"c\",\"d\",\"e\",\"f\"]}}\n",
            edges.len(),
            nodes.join("\n,"),
            edges.join("\n,")
        )
    }

    /// Parsed on this thread without the wide paths, or with them where the processor has them.
    fn parse_as(text: &str, narrow: bool) -> crate::error::Result<crate::graph::Graph> {
        NARROW.with(|n| n.set(narrow));
        let g = parse(text.as_bytes(), None);
        NARROW.with(|n| n.set(false));
        g
    }

    /// The records' columns are the same taken eight at a time as one by one, with traces or
    /// without, and so is the first error.
    #[test]
    fn records_become_the_same_columns_wide_or_not() {
        for (n, traced) in [(1, false), (9, true), (5_000, false), (5_000, true)] {
            let text = v8_text(n, traced, None);
            let (a, b) = (parse_as(&text, true).unwrap(), parse_as(&text, false).unwrap());
            assert_eq!((&a.node_type, &a.node_name, &a.node_id, &a.self_size, &a.first_edge), (&b.node_type, &b.node_name, &b.node_id, &b.self_size, &b.first_edge));
            assert_eq!((&a.trace_node_id, &a.detachedness), (&b.trace_node_id, &b.detachedness));
            assert_eq!(a.trace_node_id.is_some(), traced && n > 1);
            assert_eq!((&a.edge_type, &a.edge_name, &a.edge_to), (&b.edge_type, &b.edge_name, &b.edge_to));
            assert_eq!(a.detachedness.as_ref().unwrap().contains(&255), n > 255, "a detachedness past 255 kept as 255");
        }
        for bad in ["edge", "name", "node"] {
            let text = v8_text(5_000, true, Some(bad));
            let (a, b) = (parse_as(&text, true).unwrap_err(), parse_as(&text, false).unwrap_err());
            assert_eq!((a.offset, &a.message), (b.offset, &b.message), "{bad}");
        }
    }

    proptest! {
        /// The multiplication gives what division and remainder give, for any width and any
        /// number: the quotient of every multiple, and no other number taken for one.
        #[test]
        fn multiples_divide_as_the_remainder_says(width in 1u64..64, quotient in any::<u64>(), rest in 0u64..64) {
            let m = Multiples::of(width);
            for x in [quotient, quotient / width * width, (quotient / width * width).wrapping_add(rest), u64::MAX, 0] {
                let (q, multiple) = m.divide(x);
                prop_assert_eq!(multiple, x % width == 0, "{} by {}", x, width);
                if multiple {
                    prop_assert_eq!(q, x / width);
                }
            }
        }
    }
}
