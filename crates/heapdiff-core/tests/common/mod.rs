//! A tiny snapshot builder for tests: nodes and named edges in, valid `.heapsnapshot` text out.
#![allow(dead_code)]

pub const NODE_TYPES: [&str; 15] = [
    "hidden", "array", "string", "object", "code", "closure", "regexp", "number", "native", "synthetic",
    "concatenated string", "sliced string", "symbol", "bigint", "object shape",
];
pub const EDGE_TYPES: [&str; 7] = ["context", "element", "property", "internal", "hidden", "shortcut", "weak"];

#[derive(Default)]
pub struct Builder {
    nodes: Vec<(usize, usize, u64, u64)>, // type, name, id, self size
    edges: Vec<Vec<(usize, u64, usize)>>, // per node: type, name or index, target
    strings: Vec<String>,
}

fn index_of(list: &[&str], name: &str) -> usize {
    list.iter().position(|t| *t == name).unwrap_or_else(|| panic!("unknown type {name}"))
}

impl Builder {
    pub fn new() -> Builder {
        Builder { strings: vec!["".into()], ..Default::default() }
    }

    pub fn string(&mut self, s: &str) -> usize {
        if let Some(i) = self.strings.iter().position(|x| x == s) {
            return i;
        }
        self.strings.push(s.into());
        self.strings.len() - 1
    }

    /// Adds a node and returns its ordinal. Ids are 2k+1 unless set with `node_with_id`.
    pub fn node(&mut self, node_type: &str, name: &str, self_size: u64) -> usize {
        let id = 2 * self.nodes.len() as u64 + 1;
        self.node_with_id(node_type, name, id, self_size)
    }

    pub fn node_with_id(&mut self, node_type: &str, name: &str, id: u64, self_size: u64) -> usize {
        let name = self.string(name);
        self.nodes.push((index_of(&NODE_TYPES, node_type), name, id, self_size));
        self.edges.push(Vec::new());
        self.nodes.len() - 1
    }

    /// A synthetic root (id 1) and the object it holds (a shortcut, as V8's root holds the
    /// globals), which is returned.
    #[allow(dead_code)]
    pub fn root_holding(&mut self, name: &str, id: u64, self_size: u64) -> usize {
        let root = self.node_with_id("synthetic", "", 1, 0);
        let held = self.node_with_id("object", name, id, self_size);
        self.edge(root, "shortcut", "1", held);
        held
    }

    /// Adds an edge; `name` is a property name, or a number for element/hidden edges.
    pub fn edge(&mut self, from: usize, edge_type: &str, name: &str, to: usize) {
        let t = index_of(&EDGE_TYPES, edge_type);
        let n = if edge_type == "element" || edge_type == "hidden" { name.parse().unwrap() } else { self.string(name) as u64 };
        self.edges[from].push((t, n, to));
    }

    pub fn build(&self) -> String {
        let node_types: Vec<String> = NODE_TYPES.iter().map(|t| format!("{t:?}")).collect();
        let edge_types: Vec<String> = EDGE_TYPES.iter().map(|t| format!("{t:?}")).collect();
        let mut out = String::new();
        out += &format!(
            "{{\"snapshot\":{{\"meta\":{{\"node_fields\":[\"type\",\"name\",\"id\",\"self_size\",\"edge_count\"],\"node_types\":[[{}],\"string\",\"number\",\"number\",\"number\"],\"edge_fields\":[\"type\",\"name_or_index\",\"to_node\"],\"edge_types\":[[{}],\"string_or_number\",\"node\"],\"location_fields\":[\"object_index\",\"script_id\",\"line\",\"column\"]}},\"node_count\":{},\"edge_count\":{}}},\n\"nodes\":[",
            node_types.join(","),
            edge_types.join(","),
            self.nodes.len(),
            self.edges.iter().map(Vec::len).sum::<usize>()
        );
        let nodes: Vec<String> = self
            .nodes
            .iter()
            .zip(&self.edges)
            .map(|((t, n, id, size), e)| format!("{t},{n},{id},{size},{}", e.len()))
            .collect();
        out += &nodes.join(",\n");
        out += "],\n\"edges\":[";
        let edges: Vec<String> =
            self.edges.iter().flatten().map(|(t, n, to)| format!("{t},{n},{}", to * 5)).collect();
        out += &edges.join(",\n");
        out += "],\n\"trace_function_infos\":[],\n\"trace_tree\":[],\n\"samples\":[],\n\"locations\":[],\n\"strings\":[";
        let strings: Vec<String> = self.strings.iter().map(|s| format!("{s:?}")).collect();
        out += &strings.join(",\n");
        out += "]}\n";
        out
    }
}
