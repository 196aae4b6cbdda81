// Reference numbers from Chrome DevTools' own heap snapshot model, as packaged
// (unchanged, bundled from chrome-devtools-frontend's
// front_end/entrypoints/heap_snapshot_worker/) by the npm package
// `heap-snapshot-toolkit`. heapdiff's numbers must equal these.
//
// What the package exposes publicly is thin: parse() -> JSHeapSnapshot,
// getStatistics(), aggregatesWithFilter() (per-class count/self/retained/
// distance), interfaceDefinitions()/aggregatesForDiff()/calculateSnapshotDiff()
// and a diff() convenience. Everything per node is only reachable through the
// model's fields, which this helper reads directly. INTERNALS RELIED ON (all
// public TS fields of DevTools' HeapSnapshot class, but not API):
//   nodes (BigUint32Array, .getValue(i)), nodeFieldCount, nodeIdOffset,
//   nodeSelfSizeOffset       - after initialize(), the self_size slots hold
//                              the *adjusted* shallow sizes DevTools shows
//                              (JSHeapSnapshot.calculateShallowSizes rewrites
//                              them in place), so reading them gives the
//                              displayed "Shallow Size";
//   containmentEdges, edgeFieldsCount - edge count;
//   retainedSizes (Float64Array by node ordinal) - "Retained Size";
//   nodeDistances (Int32Array by ordinal)        - "Distance";
//   dominatorsTree (Uint32Array by ordinal, value = dominator ordinal);
//   rootNodeIndex, totalSize (root retained + snapshot.extra_native_bytes);
//   createNode(nodeIndex) -> node with classKeyInternal()/className()/id();
//   classKeyFromClassKeyInternal(key) - turns internal class keys into the
//                              public ones used by aggregates and diffs;
//   allocationStack(nodeIndex) - allocation stack frames (tracking snapshots).
// The `detachedness` node slot is overwritten by DevTools with
// (classIndex << 2 | detachedness), so do not read raw detachedness from
// `nodes` after loading.
//
// The package's .d.ts references DOM types (Node, Window, KeyboardEvent...),
// which fail to compile without lib "DOM" unless skipLibCheck is on. So it is
// imported through a non-literal specifier and typed by the minimal
// interfaces below instead.

import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { MessageChannel } from 'node:worker_threads';

/** DevTools' nodeDistances value for nodes no BFS reached. */
export const NO_DISTANCE = -5;
/**
 * DevTools adds this to distances of nodes reached only from the root, not
 * from a user root (a global object / Document DOM trees); the root itself
 * gets exactly this value when user roots exist. The UI shows such
 * distances as "-".
 */
export const BASE_SYSTEM_DISTANCE = 100_000_000;

export interface DevtoolsStatistics {
  total: number;
  native: { total: number; typedArrays: number };
  v8heap: { total: number; code: number; jsArrays: number; strings: number; system: number };
}

interface BigUint32ArrayLike {
  readonly length: number;
  getValue(index: number): number;
}

interface DevtoolsNodeHandle {
  nodeIndex: number;
  id(): number;
  name(): string;
  type(): string;
  className(): string;
  classKeyInternal(): string | number;
  selfSize(): number;
  retainedSize(): number;
  distance(): number;
}

interface DevtoolsAggregate {
  count: number;
  distance: number;
  self: number;
  maxRet: number;
  name: string;
  idxs: number[];
}

interface DevtoolsDiffForClass {
  name: string;
  addedCount: number;
  removedCount: number;
  addedSize: number;
  removedSize: number;
  countDelta: number;
  sizeDelta: number;
  addedIndexes: number[];
  deletedIndexes: number[];
}

export interface DevtoolsAllocationFrame {
  functionName: string;
  scriptName: string;
  scriptId: number;
  line: number;
  column: number;
}

/** The subset of DevTools' JSHeapSnapshot that these helpers use. */
export interface DevtoolsModel {
  nodeCount: number;
  nodes: BigUint32ArrayLike;
  containmentEdges: BigUint32ArrayLike;
  strings: string[];
  nodeFieldCount: number;
  edgeFieldsCount: number;
  nodeIdOffset: number;
  nodeSelfSizeOffset: number;
  retainedSizes: Float64Array;
  nodeDistances: Int32Array;
  dominatorsTree: Uint32Array;
  readonly rootNodeIndex: number;
  readonly totalSize: number;
  profile: { snapshot: { node_count: number; edge_count: number; trace_function_count: number; extra_native_bytes?: number } };
  createNode(nodeIndex?: number): DevtoolsNodeHandle;
  getStatistics(): DevtoolsStatistics;
  aggregatesWithFilter(filter: object): Record<string, DevtoolsAggregate>;
  interfaceDefinitions(): string;
  aggregatesForDiff(interfaceDefinitions: string): Record<string, unknown>;
  calculateSnapshotDiff(baseSnapshotId: string, baseAggregates: Record<string, unknown>): Record<string, DevtoolsDiffForClass>;
  classKeyFromClassKeyInternal(key: string | number): string;
  allocationStack(nodeIndex: number): DevtoolsAllocationFrame[] | null;
}

interface ToolkitModule {
  DevToolsAPI: {
    HeapSnapshotLoader: {
      HeapSnapshotLoader: new (dispatcher?: unknown) => {
        parsingComplete: Promise<void>;
        write(chunk: string): void;
        close(): void;
        buildSnapshot(port: unknown): Promise<DevtoolsModel>;
      };
    };
    SecondaryInitManager: new (port: unknown) => unknown;
  };
}

let toolkit: Promise<ToolkitModule> | undefined;
function loadToolkit(): Promise<ToolkitModule> {
  const specifier: string = 'heap-snapshot-toolkit';
  toolkit ??= import(specifier) as Promise<ToolkitModule>;
  return toolkit;
}

/**
 * Builds DevTools' model from snapshot JSON text, the way the toolkit's
 * parse() does (loader + in-thread "second worker" over a MessageChannel),
 * but fed in one chunk (much faster than a 64 KiB stream) and failing fast
 * on malformed input, where the loader would otherwise wait forever for more
 * data.
 */
export async function loadDevtoolsModelFromString(text: string): Promise<DevtoolsModel> {
  const { DevToolsAPI } = await loadToolkit();
  const loader = new DevToolsAPI.HeapSnapshotLoader.HeapSnapshotLoader();
  let settled = false;
  const parsed = loader.parsingComplete.then(
    () => {
      settled = true;
    },
    (err: unknown) => {
      settled = true;
      throw err;
    },
  );
  parsed.catch(() => {}); // awaited below; avoid an unhandled-rejection report meanwhile
  loader.write(text);
  loader.close();
  // With all input buffered, the loader finishes in microtasks; if it is
  // still pending after a macrotask it is waiting for a section that is
  // not there.
  await new Promise<void>((r) => setImmediate(r));
  if (!settled) {
    throw new Error('heap-snapshot-toolkit could not parse the snapshot: a section is missing or it is truncated');
  }
  await parsed;
  const channel = new MessageChannel();
  try {
    new DevToolsAPI.SecondaryInitManager(channel.port2);
    return await loader.buildSnapshot(channel.port1);
  } finally {
    channel.port1.close();
    channel.port2.close();
  }
}

const modelCache = new Map<string, Promise<DevtoolsModel>>();

function cacheKey(path: string): string {
  const abs = resolve(path);
  const st = statSync(abs);
  return `${abs}\0${st.size}\0${st.mtimeMs}`;
}

/** DevTools' model for a snapshot file (cached per process by path+size+mtime). */
export function loadDevtoolsModel(path: string): Promise<DevtoolsModel> {
  const key = cacheKey(path);
  let p = modelCache.get(key);
  if (!p) {
    p = loadDevtoolsModelFromString(readFileSync(path, 'utf8'));
    modelCache.set(key, p);
    p.catch(() => modelCache.delete(key));
  }
  return p;
}

/** Drops cached models and references (they hold whole snapshots in memory). */
export function clearDevtoolsCache(): void {
  modelCache.clear();
  referenceCache.clear();
}

export interface DevtoolsClass {
  /** Class name as the Summary view shows it ('Foo', '(string)', '{a, b}'). */
  name: string;
  /** DevTools' class key: ',Name', or 'scriptId,line,column,Name' for objects with a location. */
  key: string;
  /** "#" objects: nodes of the class with a non-zero shallow size. */
  count: number;
  /** "Shallow Size": sum of the members' adjusted self sizes. */
  selfSize: number;
  /** "Retained Size": sum over members not dominated by another member. */
  retainedSize: number;
  /**
   * "Distance": minimum over members (see NO_DISTANCE / BASE_SYSTEM_DISTANCE;
   * one unreached member makes the whole class NO_DISTANCE, as in DevTools).
   */
  distance: number;
}

export interface DevtoolsReference {
  nodeCount: number;
  edgeCount: number;
  /** Root's retained size + snapshot.extra_native_bytes (what the UI calls total). */
  totalSize: number;
  statistics: DevtoolsStatistics;
  /** Summary view rows, sorted by retainedSize desc, then key. */
  classes: DevtoolsClass[];
  rootId: number;
  /** Per node id: DevTools' retained size. */
  retainedById: Map<number, number>;
  /** Per node id: DevTools' distance (NO_DISTANCE if unreached). */
  distanceById: Map<number, number>;
  /** Per node id: shallow size after DevTools' adjustment (calculateShallowSizes). */
  selfSizeById: Map<number, number>;
  /** Per node id: id of its immediate dominator (the root maps to itself). */
  dominatorById: Map<number, number>;
  /** Per node id: the public class key it is aggregated under. */
  classKeyById: Map<number, string>;
}

/** Computes the reference from an already-loaded model. */
export function referenceFromModel(model: DevtoolsModel): DevtoolsReference {
  const { nodes, nodeFieldCount, nodeIdOffset, nodeSelfSizeOffset, nodeCount } = model;
  const retainedById = new Map<number, number>();
  const distanceById = new Map<number, number>();
  const selfSizeById = new Map<number, number>();
  const dominatorById = new Map<number, number>();
  const classKeyById = new Map<number, string>();
  const idOf = (ordinal: number): number => nodes.getValue(ordinal * nodeFieldCount + nodeIdOffset);
  const node = model.createNode(0);
  for (let ordinal = 0; ordinal < nodeCount; ordinal++) {
    const base = ordinal * nodeFieldCount;
    const id = nodes.getValue(base + nodeIdOffset);
    selfSizeById.set(id, nodes.getValue(base + nodeSelfSizeOffset));
    retainedById.set(id, model.retainedSizes[ordinal] ?? NaN);
    distanceById.set(id, model.nodeDistances[ordinal] ?? NaN);
    dominatorById.set(id, idOf(model.dominatorsTree[ordinal] ?? 0));
    node.nodeIndex = base;
    classKeyById.set(id, model.classKeyFromClassKeyInternal(node.classKeyInternal()));
  }
  return {
    nodeCount,
    edgeCount: model.containmentEdges.length / model.edgeFieldsCount,
    totalSize: model.totalSize,
    statistics: model.getStatistics(),
    classes: classesOf(model),
    rootId: idOf(model.rootNodeIndex / nodeFieldCount),
    retainedById,
    distanceById,
    selfSizeById,
    dominatorById,
    classKeyById,
  };
}

function classesOf(model: DevtoolsModel): DevtoolsClass[] {
  // A NodeFilter with no fields set means "all objects" (the Summary view's
  // default); aggregatesWithFilter only destructures it, so {} will do.
  const aggregates = model.aggregatesWithFilter({});
  const classes: DevtoolsClass[] = [];
  for (const [key, a] of Object.entries(aggregates)) {
    classes.push({ name: a.name, key, count: a.count, selfSize: a.self, retainedSize: a.maxRet, distance: a.distance });
  }
  classes.sort((x, y) => y.retainedSize - x.retainedSize || (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  return classes;
}

const referenceCache = new Map<string, Promise<DevtoolsReference>>();

/** DevTools' numbers for a snapshot file (cached per process). */
export function devtoolsReference(path: string): Promise<DevtoolsReference> {
  const key = cacheKey(path);
  let p = referenceCache.get(key);
  if (!p) {
    p = loadDevtoolsModel(path).then(referenceFromModel);
    referenceCache.set(key, p);
    p.catch(() => referenceCache.delete(key));
  }
  return p;
}

export interface DevtoolsClassDiff {
  name: string;
  key: string;
  /** "# New": in current only (by node id). */
  addedCount: number;
  /** "# Deleted": in base only. */
  removedCount: number;
  /** "# Delta". */
  countDelta: number;
  /** "Alloc. Size": shallow sizes of the new objects (in current). */
  addedSize: number;
  /** "Freed Size": shallow sizes of the deleted objects (in base). */
  removedSize: number;
  /** "Size Delta". */
  sizeDelta: number;
  addedIds: number[];
  removedIds: number[];
}

const modelUids = new WeakMap<object, number>();
let nextUid = 1;
function uidOf(model: object): string {
  let uid = modelUids.get(model);
  if (uid === undefined) {
    uid = nextUid++;
    modelUids.set(model, uid);
  }
  return `heapdiff-base-${uid}`;
}

/**
 * DevTools' Comparison view of `currentPath` against `basePath`: one entry per
 * class with any new or deleted object, sorted by key.
 *
 * Done as DevTools' HeapSnapshotDiffDataGrid does it: the *current* snapshot's
 * inferred plain-object interfaces ('{a, b}' class names) are applied to the
 * base before aggregating it. heap-snapshot-toolkit's own diff() instead uses
 * the base's interfaces, which can split or merge plain-object classes
 * differently from DevTools; it also passes `startSnapshot.uid`, which the
 * model does not have, so calculateSnapshotDiff's per-base cache is keyed by
 * `undefined` and diffing one current snapshot against a second base returns
 * the first base's diff. So it is not used here; each base model gets its own
 * id instead.
 */
export async function devtoolsDiff(basePath: string, currentPath: string): Promise<DevtoolsClassDiff[]> {
  const [base, current] = await Promise.all([loadDevtoolsModel(basePath), loadDevtoolsModel(currentPath)]);
  return diffModels(base, current);
}

/** devtoolsDiff on already-loaded models. */
export function diffModels(base: DevtoolsModel, current: DevtoolsModel): DevtoolsClassDiff[] {
  const baseAggregates = base.aggregatesForDiff(current.interfaceDefinitions());
  const diff = current.calculateSnapshotDiff(uidOf(base), baseAggregates);
  const ids = (model: DevtoolsModel, indexes: number[]): number[] =>
    indexes.map((i) => model.nodes.getValue(i + model.nodeIdOffset));
  const out: DevtoolsClassDiff[] = [];
  for (const [key, d] of Object.entries(diff)) {
    out.push({
      name: d.name,
      key,
      addedCount: d.addedCount,
      removedCount: d.removedCount,
      countDelta: d.countDelta,
      addedSize: d.addedSize,
      removedSize: d.removedSize,
      sizeDelta: d.sizeDelta,
      addedIds: ids(current, d.addedIndexes),
      removedIds: ids(base, d.deletedIndexes),
    });
  }
  out.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  return out;
}

/**
 * DevTools' allocation stack (innermost frame first) for the node with this
 * id, or null if the snapshot has no allocation tracking data for it.
 */
export async function devtoolsAllocationStack(path: string, nodeId: number): Promise<DevtoolsAllocationFrame[] | null> {
  const model = await loadDevtoolsModel(path);
  if (!model.profile.snapshot.trace_function_count) return null;
  for (let ordinal = 0; ordinal < model.nodeCount; ordinal++) {
    const base = ordinal * model.nodeFieldCount;
    if (model.nodes.getValue(base + model.nodeIdOffset) === nodeId) return model.allocationStack(base);
  }
  throw new Error(`devtoolsAllocationStack: no node with id ${nodeId} in ${path}`);
}
