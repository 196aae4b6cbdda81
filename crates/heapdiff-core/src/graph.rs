//! The compact in-memory graph: nodes and edges as columns, edges grouped per source node
//! (CSR). Node ordinals, ids, self sizes and string indices are `u32` (as in V8 and DevTools,
//! which keep nodes in a `Uint32Array`); sums of sizes are `u64`.
//!
//! Bytes per node: type 1 + name 4 + id 4 + self size 4 + first edge 4 = 17
//! (+4 with `trace_node_id`, kept only when some node has a trace, +1 with `detachedness`). Bytes per edge: type 1 + name 4 + target 4 = 9.

use crate::bits::BitSet;

/// Node type indices of the types the analysis treats specially, resolved from the
/// snapshot's own `meta` (a type the snapshot does not list gets `NONE`, matching nothing).
#[derive(Debug, Clone, Copy)]
pub struct NodeKinds {
    pub hidden: u8,
    pub array: u8,
    pub string: u8,
    pub object: u8,
    pub code: u8,
    pub closure: u8,
    pub regexp: u8,
    pub number: u8,
    pub native: u8,
    pub synthetic: u8,
    pub concatenated_string: u8,
    pub sliced_string: u8,
    pub symbol: u8,
    pub bigint: u8,
    pub object_shape: u8,
}

#[derive(Debug, Clone, Copy)]
pub struct EdgeKinds {
    pub context: u8,
    pub element: u8,
    pub property: u8,
    pub internal: u8,
    pub hidden: u8,
    pub shortcut: u8,
    pub weak: u8,
}

pub const NONE: u8 = u8::MAX;

fn find(types: &[String], name: &str) -> u8 {
    types.iter().position(|t| t == name).map_or(NONE, |i| i as u8)
}

impl NodeKinds {
    pub fn resolve(types: &[String]) -> NodeKinds {
        NodeKinds {
            hidden: find(types, "hidden"),
            array: find(types, "array"),
            string: find(types, "string"),
            object: find(types, "object"),
            code: find(types, "code"),
            closure: find(types, "closure"),
            regexp: find(types, "regexp"),
            number: find(types, "number"),
            native: find(types, "native"),
            synthetic: find(types, "synthetic"),
            concatenated_string: find(types, "concatenated string"),
            sliced_string: find(types, "sliced string"),
            symbol: find(types, "symbol"),
            bigint: find(types, "bigint"),
            object_shape: find(types, "object shape"),
        }
    }
}

impl EdgeKinds {
    pub fn resolve(types: &[String]) -> EdgeKinds {
        EdgeKinds {
            context: find(types, "context"),
            element: find(types, "element"),
            property: find(types, "property"),
            internal: find(types, "internal"),
            hidden: find(types, "hidden"),
            shortcut: find(types, "shortcut"),
            weak: find(types, "weak"),
        }
    }
}

/// The `strings` table, decoded to UTF-8 in one buffer.
#[derive(Debug, Default, Clone)]
pub struct Strings {
    bytes: Vec<u8>,
    ends: Vec<u64>,
}

impl Strings {
    pub(crate) fn from_parts(mut bytes: Vec<u8>, ends: Vec<u64>) -> Strings {
        debug_assert!(std::str::from_utf8(&bytes).is_ok());
        // The buffer grew by doubling while the parse read (a quarter of it spare, on
        // average); a large block shrinks in place.
        bytes.shrink_to_fit();
        Strings { bytes, ends }
    }
    pub fn len(&self) -> usize {
        self.ends.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
    pub fn get(&self, i: u32) -> &str {
        let i = i as usize;
        if i >= self.ends.len() {
            return "";
        }
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        let bytes = &self.bytes[start..self.ends[i] as usize];
        debug_assert!(std::str::from_utf8(bytes).is_ok());
        // SAFETY: every string was appended whole as valid UTF-8 — by the JSON reader, which
        // validates (or repairs) each string it decodes, or by `push(&str)` — and `ends`
        // marks exactly those boundaries. Names are read in hot loops, so no re-validation.
        unsafe { std::str::from_utf8_unchecked(bytes) }
    }
    pub fn heap_bytes(&self) -> usize {
        self.bytes.capacity() + self.ends.capacity() * 8
    }
    /// The indices of the strings equal to `s` (V8 writes each text once, but nothing makes a
    /// snapshot do so): per-node loops then test a name by its index, not by its text.
    pub fn indices_of(&self, s: &str) -> BitSet {
        // A pass comparing lengths first, not a text search: a short name such as "Object"
        // occurs inside many strings, and each find costs more than a length compare.
        let mut found = BitSet::new(self.len());
        for i in 0..self.len() {
            if self.get(i as u32) == s {
                found.insert(i);
            }
        }
        found
    }
    /// The indices of the strings that contain `needle`, in order: one vector search over all
    /// the text rather than a search per string.
    pub fn containing(&self, needle: &str) -> Vec<u32> {
        let mut found = Vec::new();
        let finder = memchr::memmem::Finder::new(needle.as_bytes());
        let mut from = 0;
        while let Some(at) = finder.find(&self.bytes[from..]).map(|at| from + at) {
            // The string the match starts in; a match running on into the next is none.
            let i = self.ends.partition_point(|&end| end as usize <= at);
            let end = self.ends[i] as usize;
            if at + needle.len() <= end {
                found.push(i as u32);
                from = end;
            } else {
                from = at + 1;
            }
        }
        found
    }
    /// Keeps only the strings in `keep` (one flag per string), in order, and frees the others.
    /// Returns each string's new index; the dropped ones share a last, empty string.
    pub fn keep_only(&mut self, keep: &[bool]) -> Vec<u32> {
        debug_assert_eq!(keep.len(), self.len());
        let (mut start, mut bytes, mut count) = (0, 0, 0);
        for (i, &keep) in keep.iter().enumerate() {
            let (from, to) = (start, self.ends[i] as usize);
            start = to;
            if keep {
                self.bytes.copy_within(from..to, bytes);
                bytes += to - from;
                self.ends[count] = bytes as u64;
                count += 1;
            }
        }
        self.bytes.truncate(bytes);
        self.bytes.shrink_to_fit();
        self.ends.truncate(count);
        self.ends.push(bytes as u64);
        self.ends.shrink_to_fit();
        renumbering(keep.len(), |i| keep[i])
    }
    /// Appends a string (for names the analysis derives) and returns its index.
    pub fn push(&mut self, s: &str) -> u32 {
        self.bytes.extend_from_slice(s.as_bytes());
        self.ends.push(self.bytes.len() as u64);
        self.ends.len() as u32 - 1
    }
}

/// Each of `len` strings' index among those `keep` accepts, in order; the others share the
/// index after those kept (an empty string, where strings are dropped).
pub(crate) fn renumbering(len: usize, keep: impl Fn(usize) -> bool) -> Vec<u32> {
    let kept = (0..len).filter(|&i| keep(i)).count() as u32;
    let mut next = 0..kept;
    (0..len).map(|i| if keep(i) { next.next().expect("a kept string") } else { kept }).collect()
}

/// A `locations` entry: where the constructor or function of a node is defined (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    pub node: u32,
    pub script_id: u32,
    pub line: u32,
    pub column: u32,
}

/// One node of the allocation trace tree (`trace_tree`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceNode {
    pub id: u32,
    pub function_info: u32,
    pub count: u64,
    pub size: u64,
    /// Index of the parent in `Trace::nodes`, or `u32::MAX` at the top.
    pub parent: u32,
}

/// A `trace_function_infos` entry (line and column 1-based; 0 when unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FunctionInfo {
    pub function_id: u32,
    pub name: u32,
    pub script_name: u32,
    pub script_id: u32,
    pub line: u32,
    pub column: u32,
}

/// Allocation-tracking data, present when the snapshot was taken with tracking on.
#[derive(Debug, Default, Clone)]
pub struct Trace {
    pub function_infos: Vec<FunctionInfo>,
    pub nodes: Vec<TraceNode>,
    /// `samples` as (timestamp_us, last_assigned_id) pairs.
    pub samples: Vec<(u64, u64)>,
}

#[derive(Debug, Clone)]
pub struct Graph {
    pub node_type: Vec<u8>,
    pub node_name: Vec<u32>,
    pub node_id: Vec<u32>,
    pub self_size: Vec<u32>,
    /// `first_edge[i]..first_edge[i + 1]` are node i's edges; `node_count + 1` entries.
    pub first_edge: Vec<u32>,
    pub trace_node_id: Option<Vec<u32>>,
    pub detachedness: Option<Vec<u8>>,

    pub edge_type: Vec<u8>,
    /// A string index, or the element/hidden index for `element` and `hidden` edges.
    pub edge_name: Vec<u32>,
    /// The target node's ordinal.
    pub edge_to: Vec<u32>,

    pub strings: Strings,
    pub node_types: Vec<String>,
    pub edge_types: Vec<String>,
    pub node_kinds: NodeKinds,
    pub edge_kinds: EdgeKinds,
    /// Sorted by node, one per node (see `classes::by_node`).
    pub locations: Vec<Location>,
    pub trace: Trace,
    pub extra_native_bytes: u64,
    /// Script names by script id (see `sites::script_names`), found on first use: from the
    /// functions' edges, so before a snapshot that keeps only its classes drops their names.
    pub(crate) scripts: std::sync::OnceLock<std::collections::HashMap<u32, String>>,
    /// Whether the values of string objects are gone (see [`Graph::drop_string_values`]).
    pub(crate) string_values_dropped: bool,
}

/// What names strings, as columns: the nodes' and edges' types and names, and the functions'.
pub(crate) struct Namers<'a> {
    pub node_type: &'a [u8],
    pub node_name: &'a [u32],
    pub edge_type: &'a [u8],
    pub edge_name: &'a [u32],
    pub functions: &'a [FunctionInfo],
}

impl Namers<'_> {
    /// Which of the first `len` strings name anything but string objects (whose names are
    /// their values).
    pub fn in_use(&self, node_kinds: NodeKinds, edge_kinds: EdgeKinds, len: usize) -> Vec<bool> {
        let values = [node_kinds.string, node_kinds.concatenated_string, node_kinds.sliced_string];
        let (element, hidden) = (edge_kinds.element, edge_kinds.hidden);
        // A byte per string, not a bit: stores, rather than read-modify-writes that wait for
        // the one before when names repeat. Slot `len` takes the indices that name nothing.
        let mut keep = vec![false; len + 1];
        let mut mark = |i: u32, names: bool| keep[if names && (i as usize) < len { i as usize } else { len }] = true;
        for (t, &name) in self.node_type.iter().zip(self.node_name) {
            mark(name, !values.contains(t));
        }
        for (&t, &name) in self.edge_type.iter().zip(self.edge_name) {
            mark(name, t != element && t != hidden);
        }
        for f in self.functions {
            mark(f.name, true);
            mark(f.script_name, true);
        }
        keep.truncate(len);
        keep
    }
}

impl Graph {
    pub fn node_count(&self) -> usize {
        self.node_type.len()
    }
    pub fn edge_count(&self) -> usize {
        self.edge_to.len()
    }
    #[inline]
    pub fn edges(&self, node: u32) -> std::ops::Range<usize> {
        self.first_edge[node as usize] as usize..self.first_edge[node as usize + 1] as usize
    }
    /// V8 numbers heap objects from one counter that only grows within a process, so their ids
    /// date them; native (embedder) and some synthetic nodes get ids from hashes instead.
    pub fn has_counter_id(&self, node: u32) -> bool {
        self.type_has_counter_ids(self.node_type[node as usize])
    }
    /// Whether nodes of type `t` take their ids from the counter (see above), without a branch:
    /// a loop over every node asks it of types in no order.
    #[inline]
    pub fn type_has_counter_ids(&self, t: u8) -> bool {
        (t != self.node_kinds.native) & (t != self.node_kinds.synthetic)
    }

    /// The highest counter id: every heap object created after this snapshot has a higher one.
    pub fn max_counter_id(&self) -> u32 {
        (0..self.node_count() as u32).filter(|&n| self.has_counter_id(n)).map(|n| self.node_id[n as usize]).max().unwrap_or(0)
    }

    pub(crate) fn script_names(&self) -> &std::collections::HashMap<u32, String> {
        self.scripts.get_or_init(|| crate::sites::script_names(self))
    }

    pub fn name(&self, node: u32) -> &str {
        self.strings.get(self.node_name[node as usize])
    }
    /// Whether the edge's name is a number (element and hidden edges) rather than a string.
    #[inline]
    pub fn edge_has_index_name(&self, edge: usize) -> bool {
        let t = self.edge_type[edge];
        t == self.edge_kinds.element || t == self.edge_kinds.hidden
    }
    pub fn edge_name_str(&self, edge: usize) -> Option<&str> {
        if self.edge_has_index_name(edge) {
            None
        } else {
            Some(self.strings.get(self.edge_name[edge]))
        }
    }
    pub fn node_type_name(&self, node: u32) -> &str {
        self.node_types.get(self.node_type[node as usize] as usize).map_or("unknown", |s| s.as_str())
    }
    pub fn edge_type_name(&self, edge: usize) -> &str {
        self.edge_types.get(self.edge_type[edge] as usize).map_or("unknown", |s| s.as_str())
    }

    /// Drops the strings that only name string objects: their values, which V8 writes as their
    /// names. What the graph shows elsewhere keeps its name (classes, properties, functions,
    /// scripts), renumbered; a string object's name reads "". They are most of the strings (1.75
    /// of 1.9 million, 59 of 60 MB in bench's medium snapshot), which a diff does not show unless
    /// it lists new objects. (A parse may have dropped them as it read the strings: see
    /// `parse::ParseOptions`.)
    pub fn drop_string_values(&mut self) {
        if self.string_values_dropped {
            return;
        }
        let namers = Namers { node_type: &self.node_type, node_name: &self.node_name, edge_type: &self.edge_type, edge_name: &self.edge_name, functions: &self.trace.function_infos };
        let keep = namers.in_use(self.node_kinds, self.edge_kinds, self.strings.len());
        let renumbered = self.strings.keep_only(&keep);
        self.rename_strings(&renumbered);
    }

    /// Renames the strings after their values were dropped: string i is now `renumbered[i]`
    /// (the dropped ones, and any past them, the last string, an empty one).
    pub(crate) fn rename_strings(&mut self, renumbered: &[u32]) {
        let k = &self.node_kinds;
        let values = [k.string, k.concatenated_string, k.sliced_string];
        let (element, hidden) = (self.edge_kinds.element, self.edge_kinds.hidden);
        let dropped = self.strings.len() as u32 - 1;
        let new = |i: &mut u32| *i = renumbered.get(*i as usize).copied().unwrap_or(dropped);
        for (t, name) in self.node_type.iter().zip(&mut self.node_name) {
            // A string's value is dropped: no lookup (they are most nodes, and their names the
            // most scattered).
            if values.contains(t) {
                *name = dropped;
            } else {
                new(name);
            }
        }
        for (&t, name) in self.edge_type.iter().zip(&mut self.edge_name) {
            if t != element && t != hidden {
                new(name);
            }
        }
        for f in &mut self.trace.function_infos {
            new(&mut f.name);
            new(&mut f.script_name);
        }
        self.string_values_dropped = true;
    }

    /// Bytes the graph holds on the heap.
    pub fn heap_bytes(&self) -> usize {
        self.node_type.capacity()
            + self.node_name.capacity() * 4
            + self.node_id.capacity() * 4
            + self.self_size.capacity() * 4
            + self.first_edge.capacity() * 4
            + self.trace_node_id.as_ref().map_or(0, |v| v.capacity() * 4)
            + self.detachedness.as_ref().map_or(0, |v| v.capacity())
            + self.edge_type.capacity()
            + self.edge_name.capacity() * 4
            + self.edge_to.capacity() * 4
            + self.strings.heap_bytes()
            + self.locations.capacity() * std::mem::size_of::<Location>()
            + self.trace.nodes.capacity() * std::mem::size_of::<TraceNode>()
    }
}

#[cfg(test)]
mod tests {
    use super::Strings;

    fn strings(all: &[&str]) -> Strings {
        let mut s = Strings::default();
        for t in all {
            s.push(t);
        }
        s
    }

    #[test]
    fn a_search_finds_each_string_once_and_none_across_two() {
        let s = strings(&["ab", "cab", "a", "b", "", "abab", "xa", "bx", "ab"]);
        assert_eq!(s.containing("ab"), [0, 1, 5, 8]);
        let members = |set: crate::bits::BitSet| (0..s.len()).filter(|&i| set.contains(i)).collect::<Vec<_>>();
        assert_eq!(members(s.indices_of("ab")), [0, 8]);
        assert_eq!(members(s.indices_of("a")), [2]);
        assert_eq!(members(s.indices_of("")), [4]);
        assert!(members(s.indices_of("abx")).is_empty());
    }

    #[test]
    fn kept_strings_are_renumbered_in_order_and_the_dropped_read_empty() {
        let mut s = strings(&["a", "bb", "ccc", "", "dddd"]);
        let renumbered = s.keep_only(&[false, true, false, true, true]);
        assert_eq!(renumbered, [3, 0, 3, 1, 2]);
        let all: Vec<&str> = (0..s.len() as u32).map(|i| s.get(i)).collect();
        assert_eq!(all, ["bb", "", "dddd", ""]);
        // Strings added later take indices of their own.
        assert_eq!((s.push("e"), s.get(3)), (4, ""));
    }
}
