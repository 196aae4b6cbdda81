//! Heap statistics as DevTools' Statistics view shows them (with shallow sizes as adjusted).

use crate::bits::BitSet;
use crate::graph::Graph;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Statistics {
    /// Root's retained size plus `extra_native_bytes`.
    pub total: u64,
    pub v8heap: u64,
    pub native: u64,
    pub typed_arrays: u64,
    pub code: u64,
    pub strings: u64,
    /// `Array` objects with their `elements` store when they are its only retainer.
    pub js_arrays: u64,
    pub system: u64,
    pub extra_native_bytes: u64,
}

/// Everything but `total` and `v8heap`, which wait for the root's retained size (see
/// [`Statistics::with_root_retained`]), so this can run while the dominators are computed.
/// `self_size`: the graph's shallow sizes as adjusted.
pub fn compute(graph: &Graph, self_size: &[u32]) -> Statistics {
    let k = graph.node_kinds;
    let extra = graph.extra_native_bytes;
    let mut s = Statistics { native: extra, extra_native_bytes: extra, ..Statistics::default() };
    let internal = graph.edge_kinds.internal;
    let (array, buffer_data, elements_name) = (
        graph.strings.indices_of("Array"),
        graph.strings.indices_of("system / JSArrayBufferData"),
        graph.strings.indices_of("elements"),
    );
    // The `elements` store of each Array, whose retainers we need to count.
    let mut elements = BitSet::new(graph.node_count());
    let mut any_elements = false;
    for node in 0..graph.node_count() as u32 {
        let t = graph.node_type[node as usize];
        let size = self_size[node as usize] as u64;
        let name = graph.node_name[node as usize] as usize;
        if t == k.hidden {
            s.system += size;
        } else if t == k.native {
            s.native += size;
            if buffer_data.contains(name) {
                s.typed_arrays += size;
            }
        } else if t == k.code {
            s.code += size;
        } else if t == k.string || t == k.concatenated_string || t == k.sliced_string {
            s.strings += size;
        } else if array.contains(name) {
            s.js_arrays += size;
            let store = graph
                .edges(node)
                .find(|&e| graph.edge_type[e] == internal && elements_name.contains(graph.edge_name[e] as usize));
            if let Some(e) = store {
                elements.insert(graph.edge_to[e] as usize);
                any_elements = true;
            }
        }
    }
    if any_elements {
        // Counted as far as "more than one", in two bits per node rather than a count.
        let (mut once, mut more) = (BitSet::new(graph.node_count()), BitSet::new(graph.node_count()));
        for &to in &graph.edge_to {
            let to = to as usize;
            if elements.contains(to) {
                if once.contains(to) {
                    more.insert(to);
                } else {
                    once.insert(to);
                }
            }
        }
        for store in 0..graph.node_count() {
            if once.contains(store) && !more.contains(store) {
                s.js_arrays += self_size[store] as u64;
            }
        }
    }
    s
}

impl Statistics {
    /// Fills in the totals from the root's retained size.
    pub fn with_root_retained(mut self, root_retained: u64) -> Statistics {
        self.total = root_retained + self.extra_native_bytes;
        self.v8heap = self.total.saturating_sub(self.native);
        self
    }
}
