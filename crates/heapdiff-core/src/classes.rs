//! Class names, class keys and per-class aggregates, formed exactly as DevTools forms them.
//!
//! A node's class is its constructor name for objects and native nodes, a fixed name for
//! internal types (`(system)`, `(compiled code)`, `Function`, `RegExp`), or `(type)`.
//! Plain `Object`s are named by their most common property sets (`{a, b}`). Objects whose
//! constructor has a source location are told apart by it: the key is
//! `script,line,column,Name`, or `,Name` without a location.

use crate::distances::NO_DISTANCE;
use crate::dominators::DominatedNodes;
use crate::retained::{group_retained, RetainedSizes};
use crate::graph::{Graph, Location};
use std::cmp::Ordering;
use rustc_hash::FxHashMap;
use std::collections::HashMap;

const MIN_INTERFACE_PROPERTY_COUNT: usize = 1;
const MAX_INTERFACE_NAME_LENGTH: usize = 120;
const MIN_OBJECT_COUNT_PER_INTERFACE: f64 = 2.0;
const MIN_OBJECT_PROPORTION_PER_INTERFACE: f64 = 1000.0;

/// JavaScript string order (UTF-16 code units), used wherever DevTools sorts or compares names.
pub(crate) fn js_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// JavaScript `String.prototype.length`.
fn js_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// `JSON.stringify` of a string (with quotes), as JavaScript escapes it.
pub(crate) fn json_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// How a property name appears inside `{...}`: quoted when it holds `,'"{}`.
fn format_property_name(name: &str) -> String {
    if name.contains([',', '\'', '"', '{', '}']) {
        json_quote(name)
    } else {
        name.to_owned()
    }
}

/// Aggregated figures of one class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassSummary {
    pub name: String,
    /// DevTools' public class key: `,Name` or `script,line,column,Name`.
    pub key: String,
    pub count: u64,
    pub self_size: u64,
    /// Sum of the retained sizes of members not dominated by another member.
    pub retained_size: u64,
    /// Smallest distance of a member.
    pub distance: i32,
}

/// Every node's class.
pub struct Classes {
    pub names: Vec<String>,
    pub keys: Vec<String>,
    /// Class index of each node.
    pub node_class: Vec<u32>,
    /// The property lists plain objects were named by (`{a, b}`), most popular first.
    pub definitions: Vec<Vec<String>>,
}

impl Classes {
    pub fn name(&self, class: u32) -> &str {
        &self.names[class as usize]
    }
}

struct Interner {
    names: Vec<String>,
    by_name: HashMap<String, u32>,
}

impl Interner {
    fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.by_name.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.to_owned());
        self.by_name.insert(name.to_owned(), id);
        id
    }
}

/// The class name DevTools gives an object or native node from its raw name: HTML-ish names
/// keep only their tag (`<div id="a">` → `<div>`).
fn object_class_name(raw: &str) -> std::borrow::Cow<'_, str> {
    if raw.starts_with('<') {
        if let Some(space) = raw.find(' ') {
            return format!("{}>", &raw[..space]).into();
        }
    } else if let Some(rest) = raw.strip_prefix("Detached <") {
        if let Some(space) = rest.find(' ') {
            return format!("Detached <{}>", &rest[..space]).into();
        }
    }
    raw.into()
}

/// The locations sorted by node, one per node (later entries win, as in DevTools' map): walked
/// in node order by the classes, searched by node for allocation sites. V8 writes them in
/// another order.
pub(crate) fn by_node(locations: Vec<Location>) -> Vec<Location> {
    // Each entry's node with its position, packed in a word: an unstable sort of words is
    // quicker than a stable sort of entries, and leaves a node's entries in their order.
    let mut order: Vec<u64> = locations.iter().enumerate().map(|(i, l)| (l.node as u64) << 32 | i as u64).collect();
    order.sort_unstable();
    let last_of_its_node = |k: usize| order.get(k + 1).is_none_or(|&next| next >> 32 != order[k] >> 32);
    (0..order.len()).filter(|&k| last_of_its_node(k)).map(|k| locations[order[k] as u32 as usize]).collect()
}

/// Looks up entries sorted by node while nodes are visited in increasing order: a step
/// forward instead of a hash lookup per node.
struct InNodeOrder<'a, T> {
    rest: &'a [T],
    node_of: fn(&T) -> u32,
}

impl<'a, T> InNodeOrder<'a, T> {
    fn at(&mut self, node: u32) -> Option<&'a T> {
        while let Some((first, rest)) = self.rest.split_first() {
            let n = (self.node_of)(first);
            if n >= node {
                return (n == node).then_some(first);
            }
            self.rest = rest;
        }
        None
    }
}

/// Assigns every node its class. Plain objects are named by `definitions` when given (DevTools
/// classifies a diff's base snapshot with the current snapshot's), else by the snapshot's own.
pub fn classify(graph: &Graph, plain: &PlainObjects, definitions: Option<&[Vec<String>]>) -> Classes {
    let n = graph.node_count();
    let k = graph.node_kinds;
    let mut names = Interner { names: Vec::new(), by_name: HashMap::new() };
    let system = names.intern("(system)");
    let code = names.intern("(compiled code)");
    let function = names.intern("Function");
    let regexp = names.intern("RegExp");
    let type_classes: Vec<u32> =
        graph.node_types.iter().map(|t| names.intern(&format!("({t})"))).collect();
    let interfaces = plain_object_names(graph, plain, definitions);
    let interface_classes: Vec<u32> = interfaces.names.iter().map(|name| names.intern(name)).collect();
    let mut interface_of = InNodeOrder { rest: &interfaces.of_node, node_of: |&(node, _)| node };
    // The class name of each raw object name, by string index.
    let mut by_raw_name = vec![u32::MAX; graph.strings.len()];
    // The class name of each node type, but objects' and natives' (`BY_NODE`), named one by
    // one: a lookup rather than a chain of tests, which node types in no order mispredict.
    const BY_NODE: u32 = u32::MAX;
    let by_type: Vec<u32> = (0..graph.node_types.len())
        .map(|t| {
            let t8 = t as u8;
            if t8 == k.hidden {
                system
            } else if t8 == k.object || t8 == k.native {
                BY_NODE
            } else if t8 == k.code {
                code
            } else if t8 == k.closure {
                function
            } else if t8 == k.regexp {
                regexp
            } else {
                type_classes[t]
            }
        })
        .collect();
    // Class keys: the name, plus the constructor's location for objects that have one.
    let mut keys: Vec<String> = Vec::new();
    let mut class_names: Vec<String> = Vec::new();
    // The class keyed by the name alone, by interned name.
    let mut by_name_class: Vec<u32> = Vec::new();
    let mut by_location: FxHashMap<(u32, u32, u32, u32), u32> = FxHashMap::default();
    let mut location_of = InNodeOrder { rest: &graph.locations, node_of: |l| l.node };
    let mut node_class: Vec<u32> = crate::memory::with_pages(n);
    node_class.extend((0..n).map(|i| {
        let t = graph.node_type[i];
        let mut name = by_type[t as usize];
        if name == BY_NODE {
            name = match interface_of.at(i as u32) {
                Some(&(_, interface)) => interface_classes[interface as usize],
                None => {
                    // (The parse checks every name against the strings; one past them reads
                    // as "", as `Strings::get` has it.)
                    let raw = graph.node_name[i];
                    match by_raw_name.get_mut(raw as usize) {
                        Some(class) if *class != u32::MAX => *class,
                        cached => {
                            let class = names.intern(&object_class_name(graph.strings.get(raw)));
                            if let Some(slot) = cached {
                                *slot = class;
                            }
                            class
                        }
                    }
                }
            };
        }
        let loc = if t == k.object { location_of.at(i as u32) } else { None };
        match loc {
            Some(l) => *by_location.entry((l.script_id, l.line, l.column, name)).or_insert_with(|| {
                keys.push(format!("{},{},{},{}", l.script_id, l.line, l.column, names.names[name as usize]));
                class_names.push(names.names[name as usize].clone());
                keys.len() as u32 - 1
            }),
            None => {
                if name as usize >= by_name_class.len() {
                    by_name_class.resize(names.names.len(), u32::MAX);
                }
                let class = &mut by_name_class[name as usize];
                if *class == u32::MAX {
                    keys.push(format!(",{}", names.names[name as usize]));
                    class_names.push(names.names[name as usize].clone());
                    *class = keys.len() as u32 - 1;
                }
                *class
            }
        }
    }));
    Classes { names: class_names, keys, node_class, definitions: interfaces.definitions }
}

/// The plain `Object`s, in node order, whose property names (string indices, in edge order)
/// are all that naming them reads of the edges. A snapshot that drops its edges' names keeps
/// these apart, to be classified by another snapshot's definitions later.
pub struct PlainObjects {
    nodes: Vec<u32>,
    /// The properties kept apart (`names[first[i]..first[i + 1]]` are those of `nodes[i]`),
    /// else read from the graph.
    kept: Option<(Vec<u32>, Vec<u32>)>,
}

impl PlainObjects {
    pub fn of(graph: &Graph) -> PlainObjects {
        let object = graph.strings.indices_of("Object");
        let t = graph.node_kinds.object;
        let nodes = (0..graph.node_count() as u32)
            .filter(|&node| graph.node_type[node as usize] == t && object.contains(graph.node_name[node as usize] as usize))
            .collect();
        PlainObjects { nodes, kept: None }
    }

    /// Copies the properties out of the graph, which may then drop its edges' names.
    pub fn keep_properties(&mut self, graph: &Graph) {
        let (mut first, mut names) = (vec![0], Vec::new());
        for (_, properties) in self.iter(graph) {
            names.extend(properties);
            first.push(names.len() as u32);
        }
        self.kept = Some((first, names));
    }

    fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Each plain object with its property names.
    fn iter<'a>(&'a self, graph: &'a Graph) -> impl Iterator<Item = (u32, Properties<'a>)> + 'a {
        self.nodes.iter().enumerate().map(move |(i, &node)| {
            let properties = match &self.kept {
                Some((first, names)) => Properties::Kept(names[first[i] as usize..first[i + 1] as usize].iter()),
                None => Properties::Edges { graph, edges: graph.edges(node) },
            };
            (node, properties)
        })
    }

    pub fn heap_bytes(&self) -> usize {
        (self.nodes.capacity() + self.kept.as_ref().map_or(0, |(first, names)| first.capacity() + names.capacity())) * 4
    }
}

/// One plain object's property names: kept apart, or read from its edges.
enum Properties<'a> {
    Kept(std::slice::Iter<'a, u32>),
    Edges { graph: &'a Graph, edges: std::ops::Range<usize> },
}

impl Iterator for Properties<'_> {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        match self {
            Properties::Kept(names) => names.next().copied(),
            Properties::Edges { graph, edges } => {
                edges.find(|&e| graph.edge_type[e] == graph.edge_kinds.property).map(|e| graph.edge_name[e])
            }
        }
    }
}

/// Names DevTools gives plain objects by their property sets, and which objects take them.
struct Interfaces {
    names: Vec<String>,
    definitions: Vec<Vec<String>>,
    /// (plain-object node, index into `names`), in node order.
    of_node: Vec<(u32, u32)>,
}

/// DevTools names plain `Object`s after the property sets that at least 2 objects (and one in
/// a thousand of all plain objects) start with, in their own order: `{a, b, c}`. Each plain
/// object takes the definition with the most properties that its property set contains
/// (earlier, more popular definitions win ties).
///
/// Property names are handled as string indices: candidates are keyed by index sequences, and
/// names are compared by their rank in JavaScript's string order, computed once.
fn plain_object_names(graph: &Graph, plain: &PlainObjects, foreign: Option<&[Vec<String>]>) -> Interfaces {
    let definitions = match foreign {
        None => infer_definitions(graph, plain),
        Some(foreign) => {
            // This snapshot's string index of each property name its plain objects use; a
            // definition naming any other property can match none of them.
            let mut index: HashMap<&str, u32> = HashMap::new();
            for (_, properties) in plain.iter(graph) {
                for p in properties {
                    index.entry(graph.strings.get(p)).or_insert(p);
                }
            }
            foreign
                .iter()
                .map(|d| d.iter().map(|name| index.get(name.as_str()).copied().unwrap_or(UNKNOWN)).collect())
                .collect()
        }
    };
    if definitions.is_empty() {
        return Interfaces { names: Vec::new(), definitions: Vec::new(), of_node: Vec::new() };
    }
    let names = match foreign {
        Some(foreign) => foreign.iter().map(|d| interface_name(d.iter().map(String::as_str))).collect(),
        None => definitions.iter().map(|d| interface_name(d.iter().map(|&p| graph.strings.get(p)))).collect(),
    };
    let of_node = match_definitions(graph, plain, &definitions);
    let definitions = match foreign {
        Some(foreign) => foreign.to_vec(),
        None => definitions.iter().map(|d| d.iter().map(|&p| graph.strings.get(p).to_owned()).collect()).collect(),
    };
    Interfaces { names, definitions, of_node }
}

const UNKNOWN: u32 = u32::MAX;

fn interface_name<'a>(properties: impl Iterator<Item = &'a str>) -> String {
    let parts: Vec<String> = properties.map(format_property_name).collect();
    format!("{{{}}}", parts.join(", "))
}

/// The property sets (as string indices) that plain objects are named by, most popular first.
fn infer_definitions(graph: &Graph, plain: &PlainObjects) -> Vec<Vec<u32>> {
    const PROTO: u32 = u32::MAX - 1;
    // Per string index: the length of its formatted form, or PROTO for `__proto__`.
    let mut formatted_len = vec![UNKNOWN; graph.strings.len()];

    // Candidates: the leading properties of each plain object, in order of first appearance.
    let mut candidates: Vec<(Vec<u32>, u64)> = Vec::new();
    let mut candidate_index: FxHashMap<Vec<u32>, usize> = FxHashMap::default();
    let total = plain.len();
    let mut key: Vec<u32> = Vec::new();
    for (_, properties) in plain.iter(graph) {
        key.clear();
        let mut name_len = 1; // "{"
        for p in properties {
            let len = &mut formatted_len[p as usize];
            if *len == UNKNOWN {
                let text = graph.strings.get(p);
                *len = if text == "__proto__" { PROTO } else { js_len(&format_property_name(text)) as u32 };
            }
            if *len == PROTO {
                continue;
            }
            let len = *len as usize;
            if name_len > MIN_INTERFACE_PROPERTY_COUNT && name_len + len > MAX_INTERFACE_NAME_LENGTH {
                break;
            }
            if name_len != 1 {
                name_len += 2;
            }
            name_len += len;
            key.push(p);
        }
        if key.is_empty() {
            continue;
        }
        match candidate_index.get(key.as_slice()) {
            Some(&i) => candidates[i].1 += 1,
            None => {
                candidate_index.insert(key.clone(), candidates.len());
                candidates.push((key.clone(), 1));
            }
        }
    }
    drop(candidate_index);
    // A stable sort by popularity, as JavaScript's.
    candidates.sort_by(|a, b| b.1.cmp(&a.1));
    let min_count = MIN_OBJECT_COUNT_PER_INTERFACE.max(total as f64 / MIN_OBJECT_PROPORTION_PER_INTERFACE);
    candidates.into_iter().take_while(|c| c.1 as f64 >= min_count).map(|c| c.0).collect()
}

/// Which definition each plain object takes: the one with the most properties that its
/// property set contains (earlier, more popular definitions win ties). Definitions holding an
/// `UNKNOWN` property match nothing.
fn match_definitions(graph: &Graph, plain: &PlainObjects, definitions: &[Vec<u32>]) -> Vec<(u32, u32)> {
    // Every property name the definitions use, ranked in JavaScript's string order. An
    // object's other properties can take no step in the trie below, so they are left out.
    let mut rank = vec![UNKNOWN; graph.strings.len()];
    let mut distinct: Vec<u32> = Vec::new();
    for &p in definitions.iter().flatten().filter(|&&p| p != UNKNOWN) {
        if rank[p as usize] == UNKNOWN {
            rank[p as usize] = 0;
            distinct.push(p);
        }
    }
    distinct.sort_by(|&a, &b| js_cmp(graph.strings.get(a), graph.strings.get(b)));
    for (r, &p) in distinct.iter().enumerate() {
        rank[p as usize] = r as u32;
    }

    // A trie over sorted property ranks; a state is a trie node.
    struct State {
        next: FxHashMap<u32, usize>,
        greatest_next: Option<u32>,
        /// (property count, definition index)
        matched: Option<(usize, usize)>,
    }
    let mut trie = vec![State { next: FxHashMap::default(), greatest_next: None, matched: None }];
    for (index, definition) in definitions.iter().enumerate() {
        if definition.iter().any(|&p| p == UNKNOWN || rank[p as usize] == UNKNOWN) {
            continue;
        }
        let mut sorted: Vec<u32> = definition.iter().map(|&p| rank[p as usize]).collect();
        sorted.sort_unstable();
        let mut cur = 0;
        for &p in &sorted {
            cur = match trie[cur].next.get(&p) {
                Some(&s) => s,
                None => {
                    let s = trie.len();
                    trie.push(State { next: FxHashMap::default(), greatest_next: None, matched: None });
                    trie[cur].next.insert(p, s);
                    if trie[cur].greatest_next.is_none_or(|g| g < p) {
                        trie[cur].greatest_next = Some(p);
                    }
                    s
                }
            };
        }
        if trie[cur].matched.is_none() {
            trie[cur].matched = Some((sorted.len(), index));
        }
    }
    let better = |a: Option<(usize, usize)>, b: Option<(usize, usize)>| -> Option<(usize, usize)> {
        match (a, b) {
            (None, b) => b,
            (a, None) => a,
            (Some(a), Some(b)) => Some(if a.0 > b.0 || (a.0 == b.0 && a.1 <= b.1) { a } else { b }),
        }
    };

    // The best definition for sorted property ranks.
    let mut states: Vec<usize> = Vec::new();
    let mut walk = |properties: &[u32]| {
        states.clear();
        states.push(0);
        let mut best = trie[0].matched;
        for &p in properties {
            let existing = states.len();
            let mut kept = 0;
            // Visit the states present before this property; drop those with no way on.
            for i in 0..existing {
                let s = states[i];
                if let Some(&next) = trie[s].next.get(&p) {
                    if !states.contains(&next) {
                        states.push(next);
                    }
                    best = better(best, trie[next].matched);
                }
                if trie[s].greatest_next.is_some_and(|g| p < g) {
                    states[kept] = s;
                    kept += 1;
                }
            }
            states.drain(kept..existing);
            if states.is_empty() {
                break;
            }
        }
        best
    };
    // Objects mostly share a few property sets: each set is walked once.
    let mut walked: FxHashMap<Vec<u32>, Option<(usize, usize)>> = FxHashMap::default();
    let mut of_node = Vec::new();
    let mut properties: Vec<u32> = Vec::new();
    for (node, of_node_properties) in plain.iter(graph) {
        properties.clear();
        properties.extend(of_node_properties.map(|p| rank[p as usize]).filter(|&r| r != UNKNOWN));
        properties.sort_unstable();
        let best = match walked.get(properties.as_slice()) {
            Some(&best) => best,
            None => *walked.entry(properties.clone()).or_insert_with(|| walk(&properties)),
        };
        if let Some((_, index)) = best {
            of_node.push((node, index as u32));
        }
    }
    of_node
}

/// Per-class count, self size and distance (given the nodes' distances, else
/// [`NO_DISTANCE`]) over nodes with a non-zero self size (DevTools leaves out the rest),
/// indexed by class (classes without members count 0); the retained sizes wait for the
/// dominator tree (see [`add_retained`]).
pub fn summarize(classes: &Classes, self_size: &[u32], distances: Option<&[i32]>) -> Vec<ClassSummary> {
    let c = classes.names.len();
    let mut out: Vec<ClassSummary> = (0..c)
        .map(|i| ClassSummary {
            name: classes.names[i].clone(),
            key: classes.keys[i].clone(),
            count: 0,
            self_size: 0,
            retained_size: 0,
            distance: NO_DISTANCE,
        })
        .collect();
    let mut first = vec![true; c];
    for (node, &size) in self_size.iter().enumerate() {
        if size == 0 {
            continue;
        }
        let cl = classes.node_class[node] as usize;
        let a = &mut out[cl];
        if let Some(distances) = distances {
            a.distance = if first[cl] { distances[node] } else { a.distance.min(distances[node]) };
            first[cl] = false;
        }
        a.count += 1;
        a.self_size += size as u64;
    }
    out
}

/// Fills in each class's retained size: its members' that no other member dominates.
pub fn add_retained(summaries: &mut [ClassSummary], classes: &Classes, self_size: &[u32], retained: &RetainedSizes, dominated: &DominatedNodes) {
    let member = |node: u32| (self_size[node as usize] != 0).then(|| classes.node_class[node as usize]);
    let sums = group_retained(member, summaries.len(), retained, dominated);
    for (a, r) in summaries.iter_mut().zip(sums) {
        a.retained_size = r;
    }
}

#[cfg(test)]
mod tests {
    use super::by_node;
    use crate::graph::Location;

    #[test]
    fn locations_by_node_keep_the_last_entry_of_each_node() {
        let mut next = crate::random::below(0x2545_f491_4f6c_dd1d);
        // Nodes below each limit: many repeats for the small ones, few for the large.
        for limit in [1, 2, 2048, 5_000_000, 1 << 32] {
            let locations: Vec<Location> = (0..3000).map(|i| Location { node: next(limit) as u32, script_id: i, line: 0, column: 0 }).collect();
            // Reversed, a stable sort puts each node's last entry first, which dedup keeps.
            let mut expected = locations.clone();
            expected.reverse();
            expected.sort_by_key(|l| l.node);
            expected.dedup_by_key(|l| l.node);
            assert_eq!(by_node(locations), expected, "nodes below {limit}");
        }
    }
}
