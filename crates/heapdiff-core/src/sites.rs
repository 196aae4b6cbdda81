//! Allocation sites: where an object was allocated. With allocation tracking (Node's
//! `--track-heap-objects`, DevTools' "allocations on timeline") the snapshot carries each
//! object's allocation stack; without it, the best available site is where the object's
//! constructor is defined (the `locations` section).

use crate::classes::Classes;
use crate::graph::{Graph, Location};
use rustc_hash::FxHashMap;
use std::collections::HashMap;

/// How sites are known in a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteMode {
    /// Allocation stacks from `trace_tree` / `trace_function_infos`.
    Stack,
    /// The constructor's source location, from `locations`.
    Location,
}

impl SiteMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SiteMode::Stack => "stack",
            SiteMode::Location => "location",
        }
    }
}

/// One stack frame or source position; line and column are 1-based, 0 when unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub function: String,
    pub script: String,
    pub line: u32,
    pub column: u32,
}

impl Frame {
    /// `function (script:line:column)`, the way DevTools and Node print frames.
    pub fn label(&self) -> String {
        let function = if self.function.is_empty() { "(anonymous)" } else { &self.function };
        match (self.script.is_empty(), self.line) {
            (true, _) => function.to_string(),
            (false, 0) => format!("{function} ({})", self.script),
            (false, line) => format!("{function} ({}:{line}:{})", self.script, self.column),
        }
    }
}

/// A site, as reported: its frames (innermost first) and one line for tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    pub frames: Vec<Frame>,
    pub label: String,
}

/// What makes two objects' sites the same.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SiteKey {
    /// The innermost frames of the allocation stack, as `trace_function_infos` indices.
    Stack(Vec<u32>),
    /// Allocated before tracking started (or by the engine itself).
    Untracked,
    /// The constructor's location and the object's name (a string index).
    Location { script_id: u32, line: u32, column: u32, name: u32 },
    /// No location: the object's class name alone (as the first class of that name, an index).
    Class(u32),
}

/// Looks up the sites of a snapshot's objects.
pub struct Sites<'g> {
    graph: &'g Graph,
    classes: &'g Classes,
    /// Class -> the first class of the same name (location mode only).
    first_of_name: Vec<u32>,
    mode: SiteMode,
    /// Trace node id -> index into `graph.trace.nodes`.
    trace_nodes: FxHashMap<u32, u32>,
    /// Sorted by node.
    locations: &'g [Location],
    /// Where the last location lookup ended: one for a later node (a diff's new objects come
    /// in node order) searches on from it, over the few entries between.
    cursor: std::cell::Cell<usize>,
    /// Script id -> script name, from functions whose location and script are both known.
    /// (Location mode only: the graph's, see `Graph::script_names`.)
    scripts: Option<&'g HashMap<u32, String>>,
    /// Stacks start at the program's own code, skipping the runtime's frames above it.
    user_frames: bool,
}

impl<'g> Sites<'g> {
    pub fn new(graph: &'g Graph, classes: &'g Classes) -> Sites<'g> {
        let tracked = !graph.trace.nodes.is_empty() && graph.trace_node_id.is_some();
        if tracked {
            let trace_nodes = graph.trace.nodes.iter().enumerate().map(|(i, t)| (t.id, i as u32)).collect();
            return Sites {
                graph,
                classes,
                first_of_name: Vec::new(),
                mode: SiteMode::Stack,
                trace_nodes,
                locations: &[],
                cursor: Default::default(),
                scripts: None,
                user_frames: false,
            };
        }
        let locations = &graph.locations;
        let scripts = Some(graph.script_names());
        let mut first: HashMap<&str, u32> = HashMap::new();
        let first_of_name = (0..classes.names.len() as u32).map(|c| *first.entry(classes.name(c)).or_insert(c)).collect();
        Sites { graph, classes, first_of_name, mode: SiteMode::Location, trace_nodes: FxHashMap::default(), locations, cursor: Default::default(), scripts, user_frames: false }
    }

    /// Makes stacks start at the innermost frame of the program's own code: an object made by
    /// `setInterval` for `handleRequest` is `handleRequest`'s, as its author sees it.
    pub fn from_user_frames(mut self) -> Self {
        self.user_frames = true;
        self
    }

    /// A frame of the runtime rather than the program: Node's own modules (`node:…`) and
    /// builtins without a script.
    fn is_runtime_frame(&self, function_info: u32) -> bool {
        let info = &self.graph.trace.function_infos[function_info as usize];
        let script = self.graph.strings.get(info.script_name);
        script.is_empty() || script.starts_with("node:")
    }

    pub fn mode(&self) -> SiteMode {
        self.mode
    }

    /// The `locations` entry of `node`, if any.
    fn location(&self, node: u32) -> Option<&'g Location> {
        find_location(self.locations, &self.cursor, node)
    }

    /// The site of `node`, keeping at most `depth` frames of a stack.
    pub fn key(&self, node: u32, depth: usize) -> SiteKey {
        let g = self.graph;
        match self.mode {
            SiteMode::Stack => {
                let trace_id = g.trace_node_id.as_ref().map_or(0, |t| t[node as usize]);
                let mut chain = Vec::new();
                let mut at = self.trace_nodes.get(&trace_id).copied();
                while let Some(i) = at {
                    let t = &g.trace.nodes[i as usize];
                    if t.parent == u32::MAX {
                        break; // the tree's synthetic "(root)" node
                    }
                    chain.push(t.function_info);
                    at = Some(t.parent);
                }
                // Start at the innermost frame of the program's own code when asked to, and
                // when there is one.
                let start = if self.user_frames {
                    chain.iter().position(|&f| !self.is_runtime_frame(f)).unwrap_or(0)
                } else {
                    0
                };
                let frames: Vec<u32> = chain.into_iter().skip(start).take(depth.max(1)).collect();
                if frames.is_empty() {
                    SiteKey::Untracked
                } else {
                    SiteKey::Stack(frames)
                }
            }
            SiteMode::Location => match self.location(node) {
                Some(l) if g.node_type[node as usize] == g.node_kinds.object => SiteKey::Location {
                    script_id: l.script_id,
                    line: l.line,
                    column: l.column,
                    name: g.node_name[node as usize],
                },
                _ => SiteKey::Class(self.first_of_name[self.classes.node_class[node as usize] as usize]),
            },
        }
    }

    /// How a site reads.
    pub fn describe(&self, key: &SiteKey) -> Site {
        let g = self.graph;
        match key {
            SiteKey::Stack(infos) => {
                let frames: Vec<Frame> = infos
                    .iter()
                    .map(|&f| {
                        let info = &g.trace.function_infos[f as usize];
                        Frame {
                            function: g.strings.get(info.name).to_string(),
                            script: g.strings.get(info.script_name).to_string(),
                            line: info.line,
                            column: info.column,
                        }
                    })
                    .collect();
                let label = frames.iter().map(Frame::label).collect::<Vec<_>>().join(" ← ");
                Site { frames, label }
            }
            SiteKey::Untracked => {
                Site { frames: Vec::new(), label: "(allocated before tracking started)".to_string() }
            }
            SiteKey::Location { script_id, line, column, name } => {
                let script = match self.scripts.and_then(|s| s.get(script_id)) {
                    Some(s) => s.clone(),
                    None => format!("script #{script_id}"),
                };
                // `locations` is 0-based.
                let frame =
                    Frame { function: g.strings.get(*name).to_string(), script, line: line + 1, column: column + 1 };
                Site { label: frame.label(), frames: vec![frame] }
            }
            SiteKey::Class(class) => Site { frames: Vec::new(), label: format!("{} (no source location)", self.classes.name(*class)) },
        }
    }
}

/// The node a node's `internal` edge of one of these names leads to.
fn internal_target(graph: &Graph, node: u32, names: &[&str]) -> Option<u32> {
    let internal = graph.edge_kinds.internal;
    graph
        .edges(node)
        .find(|&e| graph.edge_type[e] == internal && names.contains(&graph.strings.get(graph.edge_name[e])))
        .map(|e| graph.edge_to[e])
}

/// The script (URL or path) a function is defined in: a function's `shared` info leads to its
/// script, whose node is named by the script's URL or path.
pub(crate) fn function_script(graph: &Graph, function: u32) -> Option<&str> {
    let shared = internal_target(graph, function, &["shared"])?;
    let script = internal_target(graph, shared, &["script_or_debug_info", "script"])?;
    Some(graph.name(script)).filter(|name| !name.is_empty())
}

/// Script names by script id, from the functions whose location gives the id.
pub(crate) fn script_names(graph: &Graph) -> HashMap<u32, String> {
    let mut out = HashMap::new();
    for l in &graph.locations {
        if out.contains_key(&l.script_id) || graph.node_type[l.node as usize] != graph.node_kinds.closure {
            continue;
        }
        if let Some(script) = function_script(graph, l.node) {
            out.insert(l.script_id, script.to_string());
        }
    }
    out
}

/// The entry of `node` in `all` (sorted by node, one entry a node), if any. `cursor` is where
/// the last search ended: the entries before it are for nodes before the last one, so for a
/// later node the answer is at or after it, within a distance found by doubling (a few steps
/// over neighbouring entries, not a binary search over all of them, each step a cache miss).
fn find_location<'a>(all: &'a [Location], cursor: &std::cell::Cell<usize>, node: u32) -> Option<&'a Location> {
    let from = cursor.get();
    let (mut lo, mut hi) = (0, all.len());
    if from == 0 || all[from - 1].node < node {
        lo = from;
        let mut step = 1;
        while lo + step <= all.len() && all[lo + step - 1].node < node {
            lo += step;
            step *= 2;
        }
        hi = (lo + step).min(all.len());
    }
    let at = lo + all[lo..hi].partition_point(|l| l.node < node);
    cursor.set(at);
    all.get(at).filter(|l| l.node == node)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_found_in_node_order_and_out_of_it() {
        let mut next = crate::random::below(0x9e37_79b9_7f4a_7c15);
        for len in [0usize, 1, 2, 5, 1000] {
            let mut nodes: Vec<u32> = (0..len).map(|_| next(4 * len as u64 + 1) as u32).collect();
            nodes.sort_unstable();
            nodes.dedup();
            let all: Vec<Location> = nodes.iter().map(|&node| Location { node, script_id: node ^ 7, line: 1, column: 2 }).collect();
            let expected = |node: u32| all.binary_search_by_key(&node, |l| l.node).ok().map(|i| &all[i]);
            let cursor = std::cell::Cell::new(0);
            let top = 4 * len as u32 + 3;
            // In order (as a diff asks), then at random, then in order again from the middle.
            let queries = (0..top).chain((0..3 * top).map(|_| next(top as u64) as u32)).chain(top / 2..top);
            for node in queries {
                assert_eq!(find_location(&all, &cursor, node), expected(node), "node {node} of {len}");
            }
        }
    }
}
