//! Heap statistics as DevTools' Statistics view shows them (with shallow sizes as adjusted).

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

pub fn compute(graph: &Graph, root_retained: u64) -> Statistics {
    let k = graph.node_kinds;
    let extra = graph.extra_native_bytes;
    let mut s = Statistics { native: extra, extra_native_bytes: extra, ..Statistics::default() };
    let internal = graph.edge_kinds.internal;
    // The `elements` store of each Array, whose retainers we need to count.
    let mut elements_of = Vec::new();
    for node in 0..graph.node_count() as u32 {
        let t = graph.node_type[node as usize];
        let size = graph.self_size[node as usize] as u64;
        if t == k.hidden {
            s.system += size;
        } else if t == k.native {
            s.native += size;
            if graph.name(node) == "system / JSArrayBufferData" {
                s.typed_arrays += size;
            }
        } else if t == k.code {
            s.code += size;
        } else if t == k.string || t == k.concatenated_string || t == k.sliced_string {
            s.strings += size;
        } else if graph.name(node) == "Array" {
            s.js_arrays += size;
            let elements = graph
                .edges(node)
                .find(|&e| graph.edge_type[e] == internal && graph.strings.get(graph.edge_name[e]) == "elements");
            if let Some(e) = elements {
                elements_of.push(graph.edge_to[e]);
            }
        }
    }
    if !elements_of.is_empty() {
        let mut retainers = vec![0u32; graph.node_count()];
        for &to in &graph.edge_to {
            retainers[to as usize] = retainers[to as usize].saturating_add(1);
        }
        for to in elements_of {
            if retainers[to as usize] == 1 {
                s.js_arrays += graph.self_size[to as usize] as u64;
            }
        }
    }
    s.total = root_retained + extra;
    s.v8heap = s.total.saturating_sub(s.native);
    s
}
