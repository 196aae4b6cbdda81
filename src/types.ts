// Public types of the heapdiff API. Sizes are bytes; ids and sizes are JS numbers (exact
// up to 2^53).

/** DevTools' distance for nodes no path reaches. */
export const NO_DISTANCE = -5;
/** Added to the distance of nodes reached only from the root, not from a user root. */
export const BASE_SYSTEM_DISTANCE = 100_000_000;

export interface Statistics {
  /** Root's retained size plus `extra_native_bytes`: DevTools' "Total". */
  total: number;
  v8heap: number;
  native: number;
  typedArrays: number;
  code: number;
  strings: number;
  jsArrays: number;
  system: number;
  extraNativeBytes: number;
}

export interface SnapshotSummary {
  nodeCount: number;
  edgeCount: number;
  totalSize: number;
  classCount: number;
  userRootCount: number;
  hasAllocationTraces: boolean;
  statistics: Statistics;
  /** Bytes the analysed snapshot holds in memory (in Rust). */
  memoryBytes: number;
}

export interface ClassSummary {
  name: string;
  /** DevTools' class key: `,Name`, or `script,line,column,Name` for objects whose constructor has a location. */
  key: string;
  count: number;
  selfSize: number;
  retainedSize: number;
  /** Smallest distance of a member (see NO_DISTANCE, BASE_SYSTEM_DISTANCE). */
  distance: number;
}

export interface NodeInfo {
  /** Position of the node in the snapshot: the handle for every other query. */
  ordinal: number;
  /** V8's object id, stable across snapshots of one process. */
  id: number;
  type: string;
  name: string;
  className: string;
  selfSize: number;
  retainedSize: number;
  distance: number;
  edgeCount: number;
  detachedness?: number;
  traceNodeId?: number;
}

export interface EdgeInfo {
  type: string;
  /** Property name, or the element/hidden index as text. */
  name: string;
  /** How the edge reads in a path: `.name`, `[3]`, `.(closure context)`. */
  step: string;
  /** Ordinal of the other end: the target of an outgoing edge, the source of a retainer. */
  node: number;
}

export interface RetainerPath {
  /** Ordinals from the start of the path (a user root or GC root) to the node. */
  nodes: number[];
  /** `edges[i]` leads from `nodes[i]` to `nodes[i + 1]`. */
  edges: EdgeInfo[];
  /** The path as one line, e.g. `global.app.store.sessions[42]`. */
  text: string;
  /** From the last module scope on, when the path passes through one: `segmenter.words (module scope of /app/lib/wordseg.js)`; else `text`. */
  short: string;
}

export interface Page {
  offset?: number;
  limit?: number;
}

export interface LoadProgress {
  phase: string;
  done: number;
  total: number;
}

export interface OpenOptions {
  /** Called while the snapshot loads (parse counts bytes, analysis counts steps). */
  onProgress?: (progress: LoadProgress) => void;
  /**
   * When distances (and so retainer paths) are computed: 'opening' (default), beside the
   * dominator tree; or 'first-use', when a node, a retainer path or the class summaries first
   * need them, which makes opening faster when they are never needed (as in a diff).
   */
  distances?: 'opening' | 'first-use';
  /**
   * When the classes' retained sizes are computed: 'opening' (default); or 'first-use', when
   * the class summaries, a census or a diff first need them, unless other snapshots are still
   * being opened when this one gets to them (then at once, as whatever compares them waits for
   * those anyway). Until then the dominator tree's child lists (8 B per node) are held for
   * them. A diff opens both snapshots so: the one loaded last computes them while the current
   * snapshot pairs the objects.
   */
  classRetained?: 'opening' | 'first-use';
  /**
   * What the snapshot keeps: 'all' (default); or 'classes', what its classes, sizes, dominator
   * tree and allocation sites need, as a diff compares them. With 'classes' the values of
   * string objects (their names) and the edges' names are dropped as soon as the analysis is
   * done with them, so the snapshot holds less at its peak; nodes, edges, distances and
   * retainer paths cannot be asked for. `census` and `diffWith` give the same figures as with
   * 'all' (the new objects `diffWith` lists for a `className` come without retainer paths).
   */
  keep?: 'all' | 'classes';
  /**
   * The cores the parse may count on: 'own' (default), each big array split between two
   * threads; or 'shared', when other snapshots are opened at the same time (as a diff or a
   * leak series does), one thread per array, which is faster there (a split copies its second
   * half into fresh memory).
   */
  cores?: 'own' | 'shared';
}
