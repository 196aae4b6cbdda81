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
    // Each node type's sum, found by lookup rather than by a chain of tests, which node types
    // in no order mispredict. Assigned from the last test to the first, so that where two
    // kinds share a type index (absent kinds), the first test wins, as in a chain.
    const OTHER: u8 = 0;
    let (system, native, code, strings) = (1u8, 2u8, 3u8, 4u8);
    let mut sum_of = [OTHER; 256];
    for (kind, sum) in [(k.sliced_string, strings), (k.concatenated_string, strings), (k.string, strings), (k.code, code), (k.native, native), (k.hidden, system)] {
        sum_of[kind as usize] = sum;
    }
    let mut sums = [0u64; 5];
    for node in 0..graph.node_count() as u32 {
        let sum = sum_of[graph.node_type[node as usize] as usize];
        let size = self_size[node as usize] as u64;
        sums[sum as usize] += size;
        let name = graph.node_name[node as usize] as usize;
        if sum == native && buffer_data.contains(name) {
            s.typed_arrays += size;
        } else if (sum == OTHER) & array.contains(name) {
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
    s.system += sums[system as usize];
    s.native += sums[native as usize];
    s.code += sums[code as usize];
    s.strings += sums[strings as usize];
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
        for store in once.present() {
            if !more.contains(store) {
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
