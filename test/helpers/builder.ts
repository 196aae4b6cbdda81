// A tiny .heapsnapshot writer for readable edge-case tests.
//
//   const b = new SnapshotBuilder();          // 7 node fields, like Node 20
//   b.addStandardRoots();                      // 'root', 'gcroots', 'global'
//   b.node('a', { type: 'object', name: 'Foo', selfSize: 32 });
//   b.node('arr', { type: 'array', name: '(object elements)', selfSize: 16 });
//   b.edge('global', 'property', 'a', 'a');
//   b.edge('a', 'internal', 'elements', 'arr');
//   const json = b.toString();                 // or: await b.write()
//
// Nodes are named by keys and written in insertion order; the first node is
// the root (node index 0, as V8 writes it). Edges may be added in any order:
// they are grouped per source node (in node order, keeping insertion order
// within a node) and each node's edge_count is computed. Ids are assigned
// 1, 3, 5, ... (V8 heap objects have odd ids) unless given. Names go into the
// strings table (strings[0] is '<dummy>', as in V8). The text layout and the
// meta are exactly what Node 20 (V8 11.3) writes; see NODE20_META.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freshDir } from './paths.js';

/** Node types in V8's order (Node 20). The index is what `nodes` stores. */
export const NODE_TYPES = [
  'hidden',
  'array',
  'string',
  'object',
  'code',
  'closure',
  'regexp',
  'number',
  'native',
  'synthetic',
  'concatenated string',
  'sliced string',
  'symbol',
  'bigint',
  'object shape',
  'wasm object',
] as const;

export const EDGE_TYPES = ['context', 'element', 'property', 'internal', 'hidden', 'shortcut', 'weak'] as const;

export type NodeTypeName = (typeof NODE_TYPES)[number];
export type EdgeTypeName = (typeof EDGE_TYPES)[number];

export const NODE_FIELDS_5 = ['type', 'name', 'id', 'self_size', 'edge_count'] as const;
export const NODE_FIELDS_6 = [...NODE_FIELDS_5, 'trace_node_id'] as const;
export const NODE_FIELDS_7 = [...NODE_FIELDS_6, 'detachedness'] as const;

/** `snapshot.meta` of a .heapsnapshot. */
export interface HeapSnapshotMeta {
  node_fields: string[];
  node_types: Array<string | string[]>;
  edge_fields: string[];
  edge_types: Array<string | string[]>;
  trace_function_info_fields: string[];
  trace_node_fields: string[];
  sample_fields: string[];
  location_fields: string[];
}

/**
 * The `snapshot.meta` object exactly as Node v20.20 writes it (key order
 * included). Node 20 writes all 7 node fields even without allocation
 * tracking (trace_node_id is then 0).
 */
export const NODE20_META: HeapSnapshotMeta = {
  node_fields: [...NODE_FIELDS_7],
  node_types: [[...NODE_TYPES], 'string', 'number', 'number', 'number', 'number', 'number'],
  edge_fields: ['type', 'name_or_index', 'to_node'],
  edge_types: [[...EDGE_TYPES], 'string_or_number', 'node'],
  trace_function_info_fields: ['function_id', 'name', 'script_name', 'script_id', 'line', 'column'],
  trace_node_fields: ['id', 'function_info_index', 'count', 'size', 'children'],
  sample_fields: ['timestamp_us', 'last_assigned_id'],
  location_fields: ['object_index', 'script_id', 'line', 'column'],
};

export interface NodeSpec {
  /** Node type name (default 'object'); must be in the meta's node types. */
  type?: NodeTypeName | (string & {});
  /** Node name (default ''): the class name for objects, the value for strings. */
  name?: string;
  /** Default: the next unused odd number, starting at 1. */
  id?: number;
  /** Default 0. */
  selfSize?: number;
  /** Written only when the node fields include trace_node_id. Default 0. */
  traceNodeId?: number;
  /** 0 unknown, 1 attached, 2 detached. Written only with 7 fields. Default 0. */
  detachedness?: number;
}

export interface EdgeSpec {
  from: string;
  type: EdgeTypeName | (string & {});
  /** A number for 'element' and 'hidden' edges, a string (property name) otherwise. */
  name: string | number;
  to: string;
}

/** [from, type, name-or-index, to] */
export type EdgeTuple = readonly [from: string, type: EdgeTypeName | (string & {}), nameOrIndex: string | number, to: string];

export interface LocationSpec {
  node: string;
  scriptId: number;
  /** 0-based. */
  line: number;
  /** 0-based. */
  column: number;
  /** Only written if location fields include script_object_index. */
  scriptObjectIndex?: number;
}

export interface TraceFunctionInfoSpec {
  functionId: number;
  name: string;
  scriptName: string;
  scriptId: number;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

export interface TraceNodeSpec {
  id: number;
  /** Index into trace function infos. */
  functionInfoIndex: number;
  count: number;
  size: number;
  children?: TraceNodeSpec[];
}

export interface BuilderOptions {
  /** 5, 6 (adds trace_node_id) or 7 (adds detachedness; default), or explicit field names. */
  nodeFields?: 5 | 6 | 7 | readonly string[];
  /** Node type names (default NODE_TYPES). */
  nodeTypes?: readonly string[];
  /** Location fields (default object_index, script_id, line, column). */
  locationFields?: readonly string[];
  /** Written as snapshot.extra_native_bytes (newer V8) when set. */
  extraNativeBytes?: number;
}

export interface SnapshotSpec extends BuilderOptions {
  /** Nodes by key, in order; the first one is the root. Use an array for numeric-looking keys. */
  nodes: Record<string, NodeSpec> | ReadonlyArray<NodeSpec & { key: string }>;
  edges?: ReadonlyArray<EdgeSpec | EdgeTuple>;
  locations?: readonly LocationSpec[];
  traceFunctionInfos?: readonly TraceFunctionInfoSpec[];
  /** The allocation tree's top node (V8's is id 1, function info 0, "(root)"). */
  traceTree?: TraceNodeSpec;
  /** [timestamp_us, last_assigned_id] pairs. */
  samples?: ReadonlyArray<readonly [number, number]>;
}

interface NodeRec extends Required<Omit<NodeSpec, 'id'>> {
  key: string;
  id: number | undefined;
}

/** The parsed-JSON shape of what the builder writes. */
export interface HeapSnapshotJson {
  snapshot: {
    meta: HeapSnapshotMeta;
    node_count: number;
    edge_count: number;
    trace_function_count: number;
    extra_native_bytes?: number;
  };
  nodes: number[];
  edges: number[];
  trace_function_infos: number[];
  trace_tree: unknown[];
  samples: number[];
  locations: number[];
  strings: string[];
}

export class SnapshotBuilder {
  readonly nodeFields: readonly string[];
  readonly nodeTypes: readonly string[];
  readonly locationFields: readonly string[];
  extraNativeBytes: number | undefined;
  private readonly nodeList: NodeRec[] = [];
  private readonly byKey = new Map<string, NodeRec>();
  private readonly edgeList: EdgeSpec[] = [];
  private readonly locationList: LocationSpec[] = [];
  private traceInfos: TraceFunctionInfoSpec[] = [];
  private traceRoot: TraceNodeSpec | undefined;
  private sampleList: Array<readonly [number, number]> = [];

  constructor(opts: BuilderOptions = {}) {
    const f = opts.nodeFields ?? 7;
    this.nodeFields = f === 5 ? NODE_FIELDS_5 : f === 6 ? NODE_FIELDS_6 : f === 7 ? NODE_FIELDS_7 : [...f];
    for (const required of NODE_FIELDS_5) {
      if (!this.nodeFields.includes(required)) throw new Error(`SnapshotBuilder: node fields lack '${required}'`);
    }
    this.nodeTypes = opts.nodeTypes ?? NODE_TYPES;
    this.locationFields = opts.locationFields ?? NODE20_META.location_fields;
    this.extraNativeBytes = opts.extraNativeBytes;
  }

  /** Adds a node; the first node added is the root. Returns the key. */
  node(key: string, spec: NodeSpec = {}): string {
    if (this.byKey.has(key)) throw new Error(`SnapshotBuilder: duplicate node key '${key}'`);
    const type = spec.type ?? 'object';
    if (!this.nodeTypes.includes(type)) throw new Error(`SnapshotBuilder: unknown node type '${type}' for '${key}'`);
    const rec: NodeRec = {
      key,
      type,
      name: spec.name ?? '',
      id: spec.id,
      selfSize: spec.selfSize ?? 0,
      traceNodeId: spec.traceNodeId ?? 0,
      detachedness: spec.detachedness ?? 0,
    };
    this.nodeList.push(rec);
    this.byKey.set(key, rec);
    return key;
  }

  /** Adds several nodes at once, in the object's key order. */
  nodes(specs: Record<string, NodeSpec>): this {
    for (const [key, spec] of Object.entries(specs)) this.node(key, spec);
    return this;
  }

  /** Adds an edge from node `from` to node `to`. */
  edge(from: string, type: EdgeSpec['type'], nameOrIndex: string | number, to: string): this {
    if (!(EDGE_TYPES as readonly string[]).includes(type)) throw new Error(`SnapshotBuilder: unknown edge type '${type}'`);
    this.edgeList.push({ from, type, name: nameOrIndex, to });
    return this;
  }

  /** Adds edges given as [from, type, name-or-index, to] tuples or objects. */
  edges(list: ReadonlyArray<EdgeSpec | EdgeTuple>): this {
    for (const e of list) {
      if (isTuple(e)) this.edge(e[0], e[1], e[2], e[3]);
      else this.edge(e.from, e.type, e.name, e.to);
    }
    return this;
  }

  location(loc: LocationSpec): this {
    this.locationList.push(loc);
    return this;
  }

  traceFunctionInfo(info: TraceFunctionInfoSpec): number {
    this.traceInfos.push(info);
    return this.traceInfos.length - 1;
  }

  traceTree(root: TraceNodeSpec): this {
    this.traceRoot = root;
    return this;
  }

  sample(timestampUs: number, lastAssignedId: number): this {
    this.sampleList.push([timestampUs, lastAssignedId]);
    return this;
  }

  /**
   * Adds the roots a real snapshot has, under fixed keys: 'root' (synthetic,
   * id 1) with an element edge 1 to 'gcroots' ('(GC roots)', synthetic, id 3)
   * and a shortcut edge to 'global' (an object, id 5, the user root DevTools
   * measures distance from and that enables its shallow-size adjustment).
   * Must be called before any other node is added.
   */
  addStandardRoots(opts: { globalName?: string; globalSize?: number; withGlobal?: boolean } = {}): this {
    if (this.nodeList.length) throw new Error('SnapshotBuilder: addStandardRoots must come first');
    this.node('root', { type: 'synthetic', name: '', id: 1 });
    this.node('gcroots', { type: 'synthetic', name: '(GC roots)', id: 3 });
    this.edge('root', 'element', 1, 'gcroots');
    if (opts.withGlobal ?? true) {
      this.node('global', { type: 'object', name: opts.globalName ?? 'global', id: 5, selfSize: opts.globalSize ?? 0 });
      this.edge('root', 'shortcut', 'global', 'global');
    }
    return this;
  }

  /** Node index (ordinal × node field count) of a node, as edges/locations store it. */
  nodeIndex(key: string): number {
    return this.ordinal(key) * this.nodeFields.length;
  }

  /** The id the node has (or will get) in the written snapshot. */
  idOf(key: string): number {
    const id = this.assignIds().get(key);
    if (id === undefined) throw new Error(`SnapshotBuilder: no node '${key}'`);
    return id;
  }

  private ordinal(key: string): number {
    const rec = this.byKey.get(key);
    if (!rec) throw new Error(`SnapshotBuilder: no node '${key}'`);
    return this.nodeList.indexOf(rec);
  }

  private assignIds(): Map<string, number> {
    const used = new Set<number>();
    for (const n of this.nodeList) {
      if (n.id === undefined) continue;
      if (used.has(n.id)) throw new Error(`SnapshotBuilder: duplicate node id ${n.id}`);
      used.add(n.id);
    }
    const ids = new Map<string, number>();
    let next = 1;
    for (const n of this.nodeList) {
      if (n.id !== undefined) {
        ids.set(n.key, n.id);
        continue;
      }
      while (used.has(next)) next += 2;
      used.add(next);
      ids.set(n.key, next);
    }
    return ids;
  }

  /** The snapshot as a JSON-shaped object. */
  toJSON(): HeapSnapshotJson {
    if (!this.nodeList.length) throw new Error('SnapshotBuilder: no nodes (the first node is the root)');
    const strings: string[] = [];
    const stringIndex = new Map<string, number>();
    const str = (s: string): number => {
      let i = stringIndex.get(s);
      if (i === undefined) {
        i = strings.length;
        strings.push(s);
        stringIndex.set(s, i);
      }
      return i;
    };
    str('<dummy>');
    const ids = this.assignIds();
    const nfc = this.nodeFields.length;
    const ordinals = new Map<string, number>();
    this.nodeList.forEach((n, i) => ordinals.set(n.key, i));
    const ordOf = (key: string, what: string): number => {
      const o = ordinals.get(key);
      if (o === undefined) throw new Error(`SnapshotBuilder: ${what} refers to unknown node '${key}'`);
      return o;
    };

    // Group edges by source node, in node order (stable within a node).
    const perNode: EdgeSpec[][] = this.nodeList.map(() => []);
    for (const e of this.edgeList) {
      perNode[ordOf(e.from, `edge ${e.from} -> ${e.to}`)]!.push(e);
      ordOf(e.to, `edge ${e.from} -> ${e.to}`);
    }

    const nodes: number[] = [];
    this.nodeList.forEach((n, i) => {
      for (const field of this.nodeFields) {
        switch (field) {
          case 'type':
            nodes.push(this.nodeTypes.indexOf(n.type));
            break;
          case 'name':
            nodes.push(str(n.name));
            break;
          case 'id':
            nodes.push(ids.get(n.key)!);
            break;
          case 'self_size':
            nodes.push(n.selfSize);
            break;
          case 'edge_count':
            nodes.push(perNode[i]!.length);
            break;
          case 'trace_node_id':
            nodes.push(n.traceNodeId);
            break;
          case 'detachedness':
            nodes.push(n.detachedness);
            break;
          default:
            nodes.push(0);
        }
      }
    });

    const edgeTypes = EDGE_TYPES as readonly string[];
    const edges: number[] = [];
    for (const list of perNode) {
      for (const e of list) {
        const numeric = e.type === 'element' || e.type === 'hidden';
        let nameOrIndex: number;
        if (numeric) {
          const n = typeof e.name === 'number' ? e.name : Number(e.name);
          if (!Number.isInteger(n) || n < 0) {
            throw new Error(`SnapshotBuilder: ${e.type} edge ${e.from} -> ${e.to} needs a non-negative integer index, got ${JSON.stringify(e.name)}`);
          }
          nameOrIndex = n;
        } else {
          nameOrIndex = str(String(e.name));
        }
        edges.push(edgeTypes.indexOf(e.type), nameOrIndex, ordOf(e.to, 'edge') * nfc);
      }
    }

    const traceFunctionInfos: number[] = [];
    for (const t of this.traceInfos) {
      traceFunctionInfos.push(t.functionId, str(t.name), str(t.scriptName), t.scriptId, t.line, t.column);
    }
    const traceTree: unknown[] = [];
    const flattenTrace = (t: TraceNodeSpec, into: unknown[]): void => {
      const children: unknown[] = [];
      for (const c of t.children ?? []) flattenTrace(c, children);
      into.push(t.id, t.functionInfoIndex, t.count, t.size, children);
    };
    if (this.traceRoot) flattenTrace(this.traceRoot, traceTree);

    const samples: number[] = [];
    for (const [ts, last] of this.sampleList) samples.push(ts, last);

    const locations: number[] = [];
    for (const loc of this.locationList) {
      for (const field of this.locationFields) {
        switch (field) {
          case 'object_index':
            locations.push(ordOf(loc.node, 'location') * nfc);
            break;
          case 'script_id':
            locations.push(loc.scriptId);
            break;
          case 'script_object_index':
            locations.push(loc.scriptObjectIndex ?? 0);
            break;
          case 'line':
            locations.push(loc.line);
            break;
          case 'column':
            locations.push(loc.column);
            break;
          default:
            locations.push(0);
        }
      }
    }

    const meta: HeapSnapshotMeta = {
      ...NODE20_META,
      node_fields: [...this.nodeFields],
      node_types: [[...this.nodeTypes], 'string', 'number', 'number', 'number', ...this.nodeFields.slice(5).map(() => 'number')],
      location_fields: [...this.locationFields],
    };
    const snapshot: HeapSnapshotJson['snapshot'] = {
      meta,
      node_count: this.nodeList.length,
      edge_count: edges.length / 3,
      trace_function_count: this.traceInfos.length,
    };
    if (this.extraNativeBytes !== undefined) snapshot.extra_native_bytes = this.extraNativeBytes;
    return {
      snapshot,
      nodes,
      edges,
      trace_function_infos: traceFunctionInfos,
      trace_tree: traceTree,
      samples,
      locations,
      strings,
    };
  }

  /** The snapshot as .heapsnapshot text, laid out as V8 writes it. */
  toString(): string {
    return formatSnapshot(this.toJSON());
  }

  /** Writes the snapshot to `path` (default: a fresh file in the test scratch folder); returns the path. */
  async write(path?: string): Promise<string> {
    const out = path ?? join(freshDir('built-'), 'built.heapsnapshot');
    await writeFile(out, this.toString(), 'utf8');
    return out;
  }
}

function isTuple(e: EdgeSpec | EdgeTuple): e is EdgeTuple {
  return Array.isArray(e);
}

function rows(values: readonly number[], width: number): string {
  if (!values.length) return '';
  const lines: string[] = [];
  for (let i = 0; i < values.length; i += width) lines.push(values.slice(i, i + width).join(','));
  return lines.join('\n,');
}

/**
 * Serialises snapshot JSON with V8's layout: keys in V8's order, one node /
 * edge / location / trace function info per line with a leading comma, one
 * string per line, strings last.
 */
export function formatSnapshot(s: HeapSnapshotJson): string {
  const meta = s.snapshot.meta;
  const nfc = meta.node_fields.length;
  const efc = meta.edge_fields.length;
  const tfc = meta.trace_function_info_fields.length;
  const lfc = meta.location_fields.length;
  return (
    `{"snapshot":${JSON.stringify(s.snapshot)},\n` +
    `"nodes":[${rows(s.nodes, nfc)}],\n` +
    `"edges":[${rows(s.edges, efc)}],\n` +
    `"trace_function_infos":[${rows(s.trace_function_infos, tfc)}],\n` +
    `"trace_tree":${JSON.stringify(s.trace_tree)},\n` +
    `"samples":[${rows(s.samples, 2)}],\n` +
    `"locations":[${rows(s.locations, lfc)}],\n` +
    `"strings":[${s.strings.map((x) => JSON.stringify(x)).join(',\n')}]}`
  );
}

/** Builds a snapshot from a declarative spec; returns the .heapsnapshot text. */
export function buildSnapshot(spec: SnapshotSpec): string {
  return builderFromSpec(spec).toString();
}

/** Builds a snapshot from a spec and writes it (see SnapshotBuilder.write). */
export function writeBuiltSnapshot(spec: SnapshotSpec | SnapshotBuilder, path?: string): Promise<string> {
  return (spec instanceof SnapshotBuilder ? spec : builderFromSpec(spec)).write(path);
}

export function builderFromSpec(spec: SnapshotSpec): SnapshotBuilder {
  const b = new SnapshotBuilder(spec);
  if (Array.isArray(spec.nodes)) {
    for (const n of spec.nodes as ReadonlyArray<NodeSpec & { key: string }>) b.node(n.key, n);
  } else {
    const record = spec.nodes as Record<string, NodeSpec>;
    for (const key of Object.keys(record)) {
      // Integer-like keys would be enumerated first, silently changing the root.
      if (/^(0|[1-9]\d*)$/.test(key)) {
        throw new Error(`buildSnapshot: node key '${key}' looks like an array index; use the array form of 'nodes'`);
      }
    }
    b.nodes(record);
  }
  b.edges(spec.edges ?? []);
  for (const loc of spec.locations ?? []) b.location(loc);
  for (const info of spec.traceFunctionInfos ?? []) b.traceFunctionInfo(info);
  if (spec.traceTree) b.traceTree(spec.traceTree);
  for (const [ts, last] of spec.samples ?? []) b.sample(ts, last);
  return b;
}
