//! Distances: BFS depth from the user roots (1) over non-weak edges; what they cannot reach
//! is then measured from the root, offset by `BASE_SYSTEM_DISTANCE` as DevTools does.

use crate::graph::Graph;
use crate::roots::{is_user_root, ROOT};
use crate::weakmap::EphemeronNames;
use rustc_hash::FxHashSet;
use std::collections::VecDeque;

/// Distance of a node no path reaches.
pub const NO_DISTANCE: i32 = -5;
/// Added to distances measured from the root rather than from a user root.
pub const BASE_SYSTEM_DISTANCE: i32 = 100_000_000;

/// JavaScript's `parseInt(s, 10)`: leading whitespace, an optional sign, then digits.
pub(crate) fn js_parse_int(s: &str) -> Option<i64> {
    let s = s.trim_start();
    let (neg, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let v = rest[..digits].bytes().fold(0i64, |acc, d| acc.saturating_mul(10).saturating_add((d - b'0') as i64));
    Some(if neg { -v } else { v })
}

/// Distances, and for each node the edge by which the BFS first reached it (`u32::MAX` for
/// none): following those edges back gives a shortest retainer path.
pub struct Distances {
    pub distance: Vec<i32>,
    pub parent_edge: Vec<u32>,
}

/// `queue` is any buffer, used for the BFS and handed back (memory reused is cheaper than fresh).
pub fn compute(graph: &Graph, ephemerons: &EphemeronNames, queue: Vec<u32>) -> (Distances, Vec<u32>) {
    let n = graph.node_count();
    let mut dist = vec![NO_DISTANCE; n];
    let mut parent_edge = vec![u32::MAX; n];
    if n == 0 {
        return (Distances { distance: dist, parent_edge }, queue);
    }
    let nk = graph.node_kinds;
    let ek = graph.edge_kinds;
    // Each WeakMap value is held by two edges; skipping the first of each pair makes its
    // distance the greater of the two (crbug.com/1290800), as in DevTools.
    let mut pending: FxHashSet<u32> = FxHashSet::default();
    // Names tested once per edge: by string index.
    let s = &graph.strings;
    let (sloppy_function_map, native_context, map_descriptors) =
        (s.indices_of("sloppy_function_map"), s.indices_of("system / NativeContext"), s.indices_of("(map descriptors)"));
    let mut allowed = |node: u32, e: usize| -> bool {
        let t = graph.node_type[node as usize];
        let name = graph.node_name[node as usize] as usize;
        if t == nk.hidden
            && !graph.edge_has_index_name(e)
            && sloppy_function_map.contains(graph.edge_name[e] as usize)
            && native_context.contains(name)
        {
            return false;
        }
        if t == nk.array && map_descriptors.contains(name) {
            // Descriptor arrays may be shared between maps: skip every descriptor slot.
            let index = match graph.edge_name_str(e) {
                None => Some(graph.edge_name[e] as i64),
                Some(name) => js_parse_int(name),
            };
            return match index {
                Some(i) => i < 2 || i % 3 != 1,
                None => true,
            };
        }
        if graph.edge_type[e] == ek.internal {
            if let Some(ep) = ephemerons.of_edge(graph, e) {
                if !pending.remove(&ep.pair) {
                    pending.insert(ep.pair);
                    return false;
                }
            }
        }
        true
    };
    // A ring: it holds the BFS's frontier only, so a fresh one grows no larger than that.
    let mut queue = VecDeque::from(queue);
    queue.clear();
    let mut bfs = |queue: &mut VecDeque<u32>, dist: &mut [i32], parent_edge: &mut [u32]| {
        while let Some(node) = queue.pop_front() {
            let d = dist[node as usize] + 1;
            for e in graph.edges(node) {
                if graph.edge_type[e] == ek.weak {
                    continue;
                }
                let child = graph.edge_to[e];
                if dist[child as usize] != NO_DISTANCE || !allowed(node, e) {
                    continue;
                }
                dist[child as usize] = d;
                parent_edge[child as usize] = e as u32;
                queue.push_back(child);
            }
        }
    };
    for e in graph.edges(ROOT) {
        let node = graph.edge_to[e];
        if is_user_root(graph, node) {
            dist[node as usize] = 1;
            queue.push_back(node);
        }
    }
    let had_user_roots = !queue.is_empty();
    bfs(&mut queue, &mut dist, &mut parent_edge);
    dist[ROOT as usize] = if had_user_roots { BASE_SYSTEM_DISTANCE } else { 0 };
    queue.push_back(ROOT);
    bfs(&mut queue, &mut dist, &mut parent_edge);
    (Distances { distance: dist, parent_edge }, Vec::from(queue))
}
