//! Retainer paths: the shortest chain of non-weak references from the user roots (or, for
//! what they cannot reach, from the root) to a node, read like code:
//! `global.app.store.sessions[42]`, `handler.(closure context).ctx`.

use crate::graph::Graph;
use crate::roots::ROOT;

/// The node that owns edge `e`.
pub fn edge_source(graph: &Graph, e: usize) -> u32 {
    (graph.first_edge.partition_point(|&f| f as usize <= e) - 1) as u32
}

/// The edges from the start of the path to `node`, following the distance BFS's tree.
pub fn retainer_path(graph: &Graph, parent_edge: &[u32], node: u32) -> Vec<usize> {
    let mut path = Vec::new();
    let mut cur = node;
    while parent_edge[cur as usize] != u32::MAX {
        let e = parent_edge[cur as usize] as usize;
        path.push(e);
        cur = edge_source(graph, e);
        if path.len() > graph.node_count() {
            break; // cannot happen in a BFS tree; never loop on a corrupt one
        }
    }
    path.reverse();
    path
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
}

/// How one edge reads as a step of a path.
pub fn edge_step(graph: &Graph, e: usize) -> String {
    let k = graph.edge_kinds;
    let t = graph.edge_type[e];
    let from = edge_source(graph, e);
    if from == ROOT || graph.node_type[from as usize] == graph.node_kinds.synthetic {
        // Root categories read as a folder path: `(GC roots)/(Global handles)/...`. A root
        // shortcut V8 numbers reads as its target (`global`); one with a real name reads as that
        // name, which is how the Python writer roots modules (`wordseg._segmenter.words`).
        let to = graph.edge_to[e];
        if from == ROOT {
            if let Some(name) = root_shortcut_name(graph, e) {
                return format!("/{name}");
            }
        }
        return match graph.name(to) {
            "" => format!("/({})", graph.node_type_name(to)),
            name => format!("/{name}"),
        };
    }
    if t == k.element {
        return format!("[{}]", graph.edge_name[e]);
    }
    if t == k.hidden {
        return format!(".{{{}}}", graph.edge_name[e]);
    }
    let name = graph.strings.get(graph.edge_name[e]);
    if t == k.property || t == k.shortcut || t == k.context {
        if is_identifier(name) {
            format!(".{name}")
        } else {
            format!("[{}]", crate::classes::json_quote(name))
        }
    } else if t == k.internal && name == "context" {
        ".(closure context)".to_string()
    } else if t == k.weak {
        format!(".[[{name}]]")
    } else {
        format!(".{{{name}}}")
    }
}

/// The name of a root shortcut edge `e` that has a real one (V8 numbers its shortcuts to the
/// globals; the Python writer names each module's).
fn root_shortcut_name(graph: &Graph, e: usize) -> Option<&str> {
    let name = graph.strings.get(graph.edge_name[e]);
    let named = graph.edge_type[e] == graph.edge_kinds.shortcut
        && !name.is_empty()
        && !name.bytes().all(|b| b.is_ascii_digit());
    named.then_some(name)
}

/// How the first node of a path reads: by the name the root gives it, if any (a Python
/// module: `wordseg`, not `module`), else by its own name.
fn start_name(graph: &Graph, start: u32) -> &str {
    graph
        .edges(ROOT)
        .filter(|&e| graph.edge_to[e] == start)
        .find_map(|e| root_shortcut_name(graph, e))
        .unwrap_or_else(|| graph.name(start))
}

/// The whole path as one line, starting with the name of its first node.
pub fn format_path(graph: &Graph, path: &[usize], node: u32) -> String {
    let start = path.first().map_or(node, |&e| edge_source(graph, e));
    let mut out = if start == ROOT { String::new() } else { start_name(graph, start).to_string() };
    for &e in path {
        out.push_str(&edge_step(graph, e));
    }
    if out.starts_with('/') {
        out.remove(0);
    }
    out
}

/// The path as a user reads a module's variable: from the last step into a module's top-level
/// scope on, named after the module's script — `segmenter.words (module scope of
/// /app/lib/wordseg.js)` rather than the way through `process.mainModule.children[1]...` to it.
/// `None` when the path passes through no module scope.
pub fn scoped_path(graph: &Graph, path: &[usize]) -> Option<String> {
    let internal = graph.edge_kinds.internal;
    let (i, &e) = path.iter().enumerate().rev().find(|&(_, &e)| {
        graph.edge_type[e] == internal
            && graph.strings.get(graph.edge_name[e]) == "context"
            && graph.node_type[edge_source(graph, e) as usize] == graph.node_kinds.closure
            && is_module_scope(graph, graph.edge_to[e])
    })?;
    let script = crate::sites::function_script(graph, edge_source(graph, e))?;
    let mut rest: String = path[i + 1..].iter().map(|&e| edge_step(graph, e)).collect();
    if rest.starts_with('.') {
        rest.remove(0);
    }
    Some(format!("{rest} (module scope of {script})"))
}

/// A module's top-level scope is the function context right inside the native context (CommonJS
/// wraps each module in a function).
fn is_module_scope(graph: &Graph, context: u32) -> bool {
    let internal = graph.edge_kinds.internal;
    graph.edges(context).any(|e| {
        graph.edge_type[e] == internal
            && graph.strings.get(graph.edge_name[e]) == "previous"
            && graph.name(graph.edge_to[e]) == "system / NativeContext"
    })
}
