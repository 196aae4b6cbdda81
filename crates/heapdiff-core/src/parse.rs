//! Streams a V8 `.heapsnapshot` into a [`Graph`], checking what it reads.
//!
//! The file is read once, front to back, through a reused buffer: numbers go straight into
//! the graph's columns (sized up front from the header's counts), strings into one UTF-8
//! buffer. Field positions come from `snapshot.meta`, never from assumptions.

use crate::error::{Error, ErrorKind, Result};
use crate::graph::{EdgeKinds, FunctionInfo, Graph, Location, NodeKinds, Strings, Trace, TraceNode};
use crate::json::{JsonReader, Value};
use std::fs::File;
use std::io::Read;
use std::path::Path;

/// Parses the snapshot at `path`; errors name the file. `progress` is called with the number
/// of bytes read so far.
pub fn parse_file(path: &Path, progress: Option<&mut dyn FnMut(u64)>) -> Result<Graph> {
    let file = File::open(path)
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot open: {e}")).with_file(path))?;
    parse(file, progress).map_err(|e| e.with_file(path))
}

/// Parses a snapshot from any reader.
pub fn parse<R: Read>(src: R, progress: Option<&mut dyn FnMut(u64)>) -> Result<Graph> {
    let mut r = JsonReader::new(src, progress);
    let mut p = Parser::default();
    r.expect(b'{', "'{' opening the snapshot object")?;
    r.skip_ws()?;
    if r.peek()? != Some(b'}') {
        loop {
            r.skip_ws()?;
            let key_at = r.offset();
            let key = r.string()?;
            r.expect(b':', "':' after a key")?;
            match key.as_str() {
                "snapshot" => p.header(&mut r, key_at)?,
                "nodes" => p.nodes(&mut r, key_at)?,
                "edges" => p.edges(&mut r, key_at)?,
                "strings" => {
                    r.string_array(&mut p.string_bytes, &mut p.string_ends)?;
                    p.seen_strings = true;
                }
                "locations" => p.locations(&mut r, key_at)?,
                "trace_function_infos" => p.function_infos(&mut r, key_at)?,
                "trace_tree" => p.trace_tree(&mut r)?,
                "samples" => p.samples(&mut r)?,
                _ => r.skip_value()?,
            }
            if !r.comma_or(b'}', "',' or '}' after a top-level member")? {
                break;
            }
        }
    } else {
        r.expect(b'}', "'}'")?;
    }
    let end = r.offset();
    r.expect_end()?;
    p.finish(end)
}

/// Positions of the fields we use within each node / edge record.
#[derive(Default, Clone)]
struct Layout {
    node_fields: usize,
    n_type: usize,
    n_name: usize,
    n_id: usize,
    n_size: usize,
    n_edges: usize,
    n_trace: Option<usize>,
    n_detached: Option<usize>,
    edge_fields: usize,
    e_type: usize,
    e_name: usize,
    e_to: usize,
    location_fields: Vec<String>,
    function_info_fields: Vec<String>,
}

#[derive(Default)]
struct Parser {
    layout: Option<Layout>,
    node_count: u64,
    edge_count: u64,
    node_types: Vec<String>,
    edge_types: Vec<String>,
    extra_native_bytes: u64,
    seen_nodes: bool,
    seen_edges: bool,
    seen_strings: bool,

    node_type: Vec<u8>,
    node_name: Vec<u32>,
    node_id: Vec<u32>,
    self_size: Vec<u32>,
    node_edge_count: Vec<u32>,
    trace_node_id: Option<Vec<u32>>,
    detachedness: Option<Vec<u8>>,
    edge_type: Vec<u8>,
    edge_name: Vec<u32>,
    edge_to: Vec<u32>,
    string_bytes: Vec<u8>,
    string_ends: Vec<u64>,
    locations: Vec<Location>,
    trace: Trace,

    /// The largest string index referred to, with the offset of its first use, checked once
    /// the strings (which come last) are known.
    max_string: Option<(u32, u64)>,
    edges_end: u64,
}

fn field_list(meta: &Value, key: &str, at: u64) -> Result<Vec<String>> {
    let list = meta
        .get(key)
        .and_then(Value::as_array)
        .ok_or_else(|| Error::at(ErrorKind::Format, at, format!("expected snapshot.meta.{key} to be an array")))?;
    list.iter()
        .map(|v| {
            v.as_str()
                .map(str::to_owned)
                .ok_or_else(|| Error::at(ErrorKind::Format, at, format!("expected only strings in snapshot.meta.{key}")))
        })
        .collect()
}

fn type_list(meta: &Value, key: &str, at: u64) -> Result<Vec<String>> {
    let first = meta
        .get(key)
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .and_then(Value::as_array)
        .ok_or_else(|| Error::at(ErrorKind::Format, at, format!("expected snapshot.meta.{key}[0] to be an array of type names")))?;
    Ok(first.iter().map(|v| v.as_str().unwrap_or("").to_owned()).collect())
}

fn position(fields: &[String], name: &str, list: &str, at: u64) -> Result<usize> {
    fields
        .iter()
        .position(|f| f == name)
        .ok_or_else(|| Error::at(ErrorKind::Format, at, format!("expected the field '{name}' in snapshot.meta.{list}")))
}

fn count(header: &Value, key: &str, at: u64) -> Result<u64> {
    header
        .get(key)
        .and_then(Value::as_u64)
        .ok_or_else(|| Error::at(ErrorKind::Format, at, format!("expected snapshot.{key} to be a non-negative integer")))
}

fn format_err(at: u64, message: impl Into<String>) -> Error {
    Error::at(ErrorKind::Format, at, message)
}

impl Parser {
    fn layout(&self, at: u64, what: &str) -> Result<Layout> {
        self.layout
            .clone()
            .ok_or_else(|| format_err(at, format!("expected the 'snapshot' header before '{what}'")))
    }

    fn note_string(&mut self, index: u32, at: u64) {
        if self.max_string.is_none_or(|(m, _)| index > m) {
            self.max_string = Some((index, at));
        }
    }

    fn header<R: Read>(&mut self, r: &mut JsonReader<R>, at: u64) -> Result<()> {
        let header = r.value()?;
        let meta = header.get("meta").ok_or_else(|| format_err(at, "expected snapshot.meta in the header"))?;
        let node_fields = field_list(meta, "node_fields", at)?;
        let edge_fields = field_list(meta, "edge_fields", at)?;
        let layout = Layout {
            node_fields: node_fields.len(),
            n_type: position(&node_fields, "type", "node_fields", at)?,
            n_name: position(&node_fields, "name", "node_fields", at)?,
            n_id: position(&node_fields, "id", "node_fields", at)?,
            n_size: position(&node_fields, "self_size", "node_fields", at)?,
            n_edges: position(&node_fields, "edge_count", "node_fields", at)?,
            n_trace: node_fields.iter().position(|f| f == "trace_node_id"),
            n_detached: node_fields.iter().position(|f| f == "detachedness"),
            edge_fields: edge_fields.len(),
            e_type: position(&edge_fields, "type", "edge_fields", at)?,
            e_name: position(&edge_fields, "name_or_index", "edge_fields", at)?,
            e_to: position(&edge_fields, "to_node", "edge_fields", at)?,
            location_fields: field_list(meta, "location_fields", at).unwrap_or_default(),
            function_info_fields: field_list(meta, "trace_function_info_fields", at).unwrap_or_default(),
        };
        self.node_types = type_list(meta, "node_types", at)?;
        self.edge_types = type_list(meta, "edge_types", at)?;
        if self.node_types.len() > 255 || self.edge_types.len() > 255 {
            return Err(format_err(at, "expected at most 255 node or edge types"));
        }
        self.node_count = count(&header, "node_count", at)?;
        self.edge_count = count(&header, "edge_count", at)?;
        if self.node_count >= u32::MAX as u64 || self.edge_count >= u32::MAX as u64 {
            return Err(format_err(at, "expected fewer than 2^32 nodes and edges (the most supported)"));
        }
        self.extra_native_bytes = header.get("extra_native_bytes").and_then(Value::as_u64).unwrap_or(0);
        self.layout = Some(layout);
        Ok(())
    }

    fn nodes<R: Read>(&mut self, r: &mut JsonReader<R>, at: u64) -> Result<()> {
        let l = self.layout(at, "nodes")?;
        let n = self.node_count as usize;
        self.node_type = Vec::with_capacity(n);
        self.node_name = Vec::with_capacity(n);
        self.node_id = Vec::with_capacity(n);
        self.self_size = Vec::with_capacity(n);
        self.node_edge_count = Vec::with_capacity(n);
        if l.n_trace.is_some() {
            self.trace_node_id = Some(Vec::with_capacity(n));
        }
        if l.n_detached.is_some() {
            self.detachedness = Some(Vec::with_capacity(n));
        }
        let type_count = self.node_types.len() as u64;
        let expected = self.node_count * l.node_fields as u64;
        let mut k = 0usize;
        let mut seen = 0u64;
        let mut max_name: Option<(u32, u64)> = None;
        let array_at = r.offset();
        r.uint_array(|v, off| {
            seen += 1;
            if seen > expected {
                return Err(format_err(off, format!("expected at most {expected} node values (node_count {} × {} fields), found more", self.node_count, l.node_fields)));
            }
            if k == l.n_type {
                if v >= type_count {
                    return Err(format_err(off, format!("expected a node type below {type_count} (the types meta lists), found {v}")));
                }
                self.node_type.push(v as u8);
            } else if k == l.n_name {
                let v = u32::try_from(v).map_err(|_| format_err(off, "expected a node name index below 2^32"))?;
                if max_name.is_none_or(|(m, _)| v > m) {
                    max_name = Some((v, off));
                }
                self.node_name.push(v);
            } else if k == l.n_id {
                let v = u32::try_from(v).map_err(|_| format_err(off, "expected a node id below 2^32"))?;
                self.node_id.push(v);
            } else if k == l.n_size {
                let v = u32::try_from(v).map_err(|_| format_err(off, "expected a self_size below 2^32"))?;
                self.self_size.push(v);
            } else if k == l.n_edges {
                let v = u32::try_from(v).map_err(|_| format_err(off, "expected a node edge_count below 2^32"))?;
                self.node_edge_count.push(v);
            } else if Some(k) == l.n_trace {
                let v = u32::try_from(v).map_err(|_| format_err(off, "expected a trace_node_id below 2^32"))?;
                if let Some(t) = self.trace_node_id.as_mut() {
                    t.push(v);
                }
            } else if Some(k) == l.n_detached {
                if let Some(d) = self.detachedness.as_mut() {
                    d.push(v.min(255) as u8);
                }
            }
            k += 1;
            if k == l.node_fields {
                k = 0;
            }
            Ok(())
        })?;
        if seen != expected {
            return Err(format_err(
                array_at,
                format!("expected {} node values (node_count {} × {} fields), found {seen}", expected, self.node_count, l.node_fields),
            ));
        }
        if let Some((m, off)) = max_name {
            self.note_string(m, off);
        }
        self.seen_nodes = true;
        Ok(())
    }

    fn edges<R: Read>(&mut self, r: &mut JsonReader<R>, at: u64) -> Result<()> {
        let l = self.layout(at, "edges")?;
        let e = self.edge_count as usize;
        self.edge_type = Vec::with_capacity(e);
        self.edge_name = Vec::with_capacity(e);
        self.edge_to = Vec::with_capacity(e);
        let kinds = EdgeKinds::resolve(&self.edge_types);
        let type_count = self.edge_types.len() as u64;
        let expected = self.edge_count * l.edge_fields as u64;
        let node_values = self.node_count * l.node_fields as u64;
        let mut k = 0usize;
        let mut seen = 0u64;
        let mut kind = 0u8;
        let mut max_name: Option<(u32, u64)> = None;
        let array_at = r.offset();
        // Field order within an edge comes from meta; the name's meaning depends on the type,
        // so remember the name until the record is complete.
        let mut pending_name: Option<(u64, u64)> = None;
        r.uint_array(|v, off| {
            seen += 1;
            if seen > expected {
                return Err(format_err(off, format!("expected at most {expected} edge values (edge_count {} × {} fields), found more", self.edge_count, l.edge_fields)));
            }
            if k == l.e_type {
                if v >= type_count {
                    return Err(format_err(off, format!("expected an edge type below {type_count} (the types meta lists), found {v}")));
                }
                kind = v as u8;
                self.edge_type.push(kind);
            } else if k == l.e_name {
                pending_name = Some((v, off));
            } else if k == l.e_to {
                if v >= node_values || v % l.node_fields as u64 != 0 {
                    return Err(format_err(
                        off,
                        format!("expected to_node to be a node offset (a multiple of {} below {node_values}), found {v}", l.node_fields),
                    ));
                }
                self.edge_to.push((v / l.node_fields as u64) as u32);
            }
            k += 1;
            if k == l.edge_fields {
                k = 0;
                let (name, name_at) = pending_name.take().unwrap_or((0, off));
                let name = u32::try_from(name).map_err(|_| format_err(name_at, "expected an edge name or index below 2^32"))?;
                if kind != kinds.element && kind != kinds.hidden && max_name.is_none_or(|(m, _)| name > m) {
                    max_name = Some((name, name_at));
                }
                self.edge_name.push(name);
            }
            Ok(())
        })?;
        if seen != expected {
            return Err(format_err(
                array_at,
                format!("expected {} edge values (edge_count {} × {} fields), found {seen}", expected, self.edge_count, l.edge_fields),
            ));
        }
        if let Some((m, off)) = max_name {
            self.note_string(m, off);
        }
        self.edges_end = r.offset();
        self.seen_edges = true;
        Ok(())
    }

    fn locations<R: Read>(&mut self, r: &mut JsonReader<R>, at: u64) -> Result<()> {
        let l = self.layout(at, "locations")?;
        let f = &l.location_fields;
        let width = f.len().max(1);
        let object = position(f, "object_index", "location_fields", at)?;
        let script = position(f, "script_id", "location_fields", at)?;
        let line = position(f, "line", "location_fields", at)?;
        let column = position(f, "column", "location_fields", at)?;
        let node_values = self.node_count * l.node_fields as u64;
        let mut record = vec![0u64; width];
        let mut k = 0usize;
        let mut record_at = 0u64;
        let locations = &mut self.locations;
        r.uint_array(|v, off| {
            if k == 0 {
                record_at = off;
            }
            record[k] = v;
            k += 1;
            if k == width {
                k = 0;
                let node = record[object];
                if node >= node_values || node % l.node_fields as u64 != 0 {
                    return Err(format_err(record_at, format!("expected a location object_index that is a node offset, found {node}")));
                }
                locations.push(Location {
                    node: (node / l.node_fields as u64) as u32,
                    script_id: record[script] as u32,
                    line: record[line] as u32,
                    column: record[column] as u32,
                });
            }
            Ok(())
        })?;
        if k != 0 {
            return Err(format_err(r.offset(), format!("expected the locations length to be a multiple of {width}")));
        }
        Ok(())
    }

    fn function_infos<R: Read>(&mut self, r: &mut JsonReader<R>, at: u64) -> Result<()> {
        let l = self.layout(at, "trace_function_infos")?;
        let f = &l.function_info_fields;
        let width = f.len().max(1);
        let idx = |name: &str| f.iter().position(|x| x == name);
        let (fid, name, script_name, script_id, line, column) =
            (idx("function_id"), idx("name"), idx("script_name"), idx("script_id"), idx("line"), idx("column"));
        let mut record = vec![0u64; width];
        let mut k = 0usize;
        let mut names: Vec<(u32, u64)> = Vec::new();
        let infos = &mut self.trace.function_infos;
        r.uint_array(|v, off| {
            record[k] = v;
            if Some(k) == name || Some(k) == script_name {
                names.push((v.min(u32::MAX as u64) as u32, off));
            }
            k += 1;
            if k == width {
                k = 0;
                let get = |i: Option<usize>| i.map_or(0, |i| record[i].min(u32::MAX as u64) as u32);
                infos.push(FunctionInfo {
                    function_id: get(fid),
                    name: get(name),
                    script_name: get(script_name),
                    script_id: get(script_id),
                    line: get(line),
                    column: get(column),
                });
            }
            Ok(())
        })?;
        for (v, off) in names {
            self.note_string(v, off);
        }
        Ok(())
    }

    /// `trace_tree` nests `[id, function_info_index, count, size, [children...], ...]`;
    /// read it with an explicit stack so deep allocation stacks cannot overflow ours.
    fn trace_tree<R: Read>(&mut self, r: &mut JsonReader<R>) -> Result<()> {
        let nodes = &mut self.trace.nodes;
        r.expect(b'[', "'[' opening trace_tree")?;
        r.skip_ws()?;
        if r.peek()? == Some(b']') {
            r.expect(b']', "']'")?;
            return Ok(());
        }
        let mut levels: Vec<u32> = vec![u32::MAX];
        loop {
            let id = r.uint()?;
            r.expect(b',', "',' in a trace node")?;
            let fi = r.uint()?;
            r.expect(b',', "',' in a trace node")?;
            let count = r.uint()?;
            r.expect(b',', "',' in a trace node")?;
            let size = r.uint()?;
            r.expect(b',', "',' in a trace node")?;
            let index = nodes.len() as u32;
            nodes.push(TraceNode {
                id: id.min(u32::MAX as u64) as u32,
                function_info: fi.min(u32::MAX as u64) as u32,
                count,
                size,
                parent: *levels.last().unwrap_or(&u32::MAX),
            });
            r.expect(b'[', "'[' opening a trace node's children")?;
            r.skip_ws()?;
            if r.peek()? != Some(b']') {
                levels.push(index);
                continue;
            }
            r.expect(b']', "']'")?;
            // The node is complete; close as many levels as end here.
            loop {
                if r.comma_or(b']', "',' or ']' in trace_tree")? {
                    break;
                }
                levels.pop();
                if levels.is_empty() {
                    return Ok(());
                }
            }
        }
    }

    fn samples<R: Read>(&mut self, r: &mut JsonReader<R>) -> Result<()> {
        let mut first = None;
        let samples = &mut self.trace.samples;
        r.uint_array(|v, _| {
            match first.take() {
                None => first = Some(v),
                Some(t) => samples.push((t, v)),
            }
            Ok(())
        })?;
        Ok(())
    }

    fn finish(self, end: u64) -> Result<Graph> {
        if self.layout.is_none() {
            return Err(format_err(end, "expected a 'snapshot' header before the end of the file"));
        }
        if !self.seen_nodes {
            return Err(format_err(end, "expected a 'nodes' array before the end of the file"));
        }
        if !self.seen_edges {
            return Err(format_err(end, "expected an 'edges' array before the end of the file"));
        }
        if !self.seen_strings {
            return Err(format_err(end, "expected a 'strings' array before the end of the file"));
        }
        if let Some((m, off)) = self.max_string {
            if m as usize >= self.string_ends.len() {
                return Err(format_err(off, format!("expected a string index below {} (the strings count), found {m}", self.string_ends.len())));
            }
        }
        let mut first_edge = Vec::with_capacity(self.node_edge_count.len() + 1);
        let mut sum = 0u64;
        first_edge.push(0u32);
        for &c in &self.node_edge_count {
            sum += c as u64;
            first_edge.push(sum.min(u32::MAX as u64) as u32);
        }
        if sum != self.edge_count {
            return Err(format_err(
                self.edges_end,
                format!("expected the nodes' edge_count fields to sum to edge_count {}, found {sum}", self.edge_count),
            ));
        }
        let node_kinds = NodeKinds::resolve(&self.node_types);
        let edge_kinds = EdgeKinds::resolve(&self.edge_types);
        Ok(Graph {
            node_type: self.node_type,
            node_name: self.node_name,
            node_id: self.node_id,
            self_size: self.self_size,
            first_edge,
            trace_node_id: self.trace_node_id,
            detachedness: self.detachedness,
            edge_type: self.edge_type,
            edge_name: self.edge_name,
            edge_to: self.edge_to,
            strings: Strings::from_parts(self.string_bytes, self.string_ends),
            node_types: self.node_types,
            edge_types: self.edge_types,
            node_kinds,
            edge_kinds,
            locations: self.locations,
            trace: self.trace,
            extra_native_bytes: self.extra_native_bytes,
        })
    }
}
