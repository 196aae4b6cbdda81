//! WeakMap entries: V8 names both edges that keep an ephemeron value alive — one from the
//! table, one from the key — `N / part of key (K @k) -> value (V @v) pair in WeakMap (table @t)`.
//! DevTools skips the table's edge for dominators and the first of the pair for distances;
//! this module recognises those names once per snapshot.

use crate::bits::BitSet;
use crate::graph::Graph;
use regex::Regex;
use rustc_hash::FxHashMap;
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ephemeron {
    /// Identifies the (key, value, table) triple that both edges of a pair share.
    pub pair: u32,
    /// The node id of the WeakMap's table.
    pub table_id: u64,
}

/// Ephemeron edge names by string index.
pub struct EphemeronNames {
    by_string: FxHashMap<u32, Ephemeron>,
    /// The same string indices, a bit each: most internal edges are not ephemerons, and a bit
    /// settles that sooner than a hash lookup.
    names: BitSet,
}

impl EphemeronNames {
    pub fn build(graph: &Graph) -> EphemeronNames {
        // JavaScript's \d is ASCII-only, so spell the digits out.
        let re = Regex::new(
            r"^[0-9]+( / part of key \(.*? @[0-9]+\) -> value \(.*? @[0-9]+\) pair in WeakMap \(table @([0-9]+)\))$",
        )
        .expect("valid regex");
        let mut by_string = FxHashMap::default();
        let mut pairs: HashMap<String, u32> = HashMap::new();
        // Every string named so, edge name or not: only internal edges look them up.
        for name in graph.strings.containing("pair in WeakMap") {
            if let Some(c) = re.captures(graph.strings.get(name)) {
                let next = pairs.len() as u32;
                let pair = *pairs.entry(c[1].to_owned()).or_insert(next);
                let table_id = c[2].parse().unwrap_or(u64::MAX);
                by_string.insert(name, Ephemeron { pair, table_id });
            }
        }
        let mut names = BitSet::new(graph.strings.len());
        by_string.keys().for_each(|&name| names.insert(name as usize));
        EphemeronNames { by_string, names }
    }

    /// The ephemeron that edge `e` belongs to, if it is an internal edge named like one.
    #[inline]
    pub fn of_edge(&self, graph: &Graph, e: usize) -> Option<Ephemeron> {
        if self.by_string.is_empty() || graph.edge_type[e] != graph.edge_kinds.internal {
            return None;
        }
        let name = graph.edge_name[e];
        // (The parse checks internal edges' names against the strings; the bound keeps this
        // as tolerant as the hash lookup it guards.)
        if name as usize >= graph.strings.len() || !self.names.contains(name as usize) {
            return None;
        }
        self.by_string.get(&name).copied()
    }
}
