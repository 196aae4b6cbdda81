//! DOM state: DevTools spreads each `native` node's detachedness to the native nodes it
//! references, and renames detached ones `Detached <name>`. Node's own snapshots carry
//! detached natives too (`Node / BindingData`), so the rename shows up in their class names.

use crate::graph::Graph;
use std::collections::HashMap;

const ATTACHED: u8 = 1;
const DETACHED: u8 = 2;

struct Propagation {
    detachedness: Vec<u8>,
    visited: Vec<bool>,
    attached: Vec<u32>,
    detached: Vec<u32>,
    renamed: HashMap<u32, u32>,
}

impl Propagation {
    fn process(&mut self, graph: &mut Graph, node: u32, state: u8) {
        let i = node as usize;
        if self.visited[i] {
            return;
        }
        self.visited[i] = true;
        if graph.node_type[i] != graph.node_kinds.native {
            return;
        }
        self.detachedness[i] = state;
        if state == ATTACHED {
            self.attached.push(node);
        } else if state == DETACHED {
            let old = graph.node_name[i];
            let new = *self.renamed.entry(old).or_insert_with(|| {
                let name = format!("Detached {}", graph.strings.get(old));
                graph.strings.push(&name)
            });
            graph.node_name[i] = new;
            self.detached.push(node);
        }
    }

    /// Targets of the node's edges that carry DOM state (not hidden, not weak).
    fn targets(graph: &Graph, node: u32) -> Vec<u32> {
        let k = graph.edge_kinds;
        graph.edges(node).filter(|&e| graph.edge_type[e] != k.hidden && graph.edge_type[e] != k.weak).map(|e| graph.edge_to[e]).collect()
    }
}

pub fn propagate_dom_state(graph: &mut Graph) {
    let Some(detachedness) = graph.detachedness.take() else {
        return;
    };
    let n = graph.node_count();
    let mut p = Propagation {
        detachedness,
        visited: vec![false; n],
        attached: Vec::new(),
        detached: Vec::new(),
        renamed: HashMap::new(),
    };
    for node in 0..n as u32 {
        let state = p.detachedness[node as usize];
        if state != 0 {
            p.process(graph, node, state);
        }
    }
    while let Some(node) = p.attached.pop() {
        for to in Propagation::targets(graph, node) {
            p.process(graph, to, ATTACHED);
        }
    }
    while let Some(node) = p.detached.pop() {
        if p.detachedness[node as usize] == ATTACHED {
            continue;
        }
        for to in Propagation::targets(graph, node) {
            p.process(graph, to, DETACHED);
        }
    }
    graph.detachedness = Some(p.detachedness);
}
