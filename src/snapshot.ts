// Opening a snapshot: parsing and analysis run in Rust on the libuv thread pool, so the event
// loop stays free; the analysed snapshot stays in Rust and is queried through this handle.
import { native, type Census, type Holding, type NativeDiff, type NativeSnapshot, type Suspects } from './native.js';
import type {
  ClassSummary, EdgeInfo, NodeInfo, OpenOptions, Page, RetainerPath, SnapshotSummary,
} from './types.js';

const PROGRESS_INTERVAL_MS = 100;

/** What `diffWith` lists beyond the class rows and sites. */
export interface DiffWithOptions {
  stackDepth?: number;
  className?: string;
  classLimit?: number;
}

export class Snapshot {
  readonly path: string;
  readonly #native: NativeSnapshot;

  constructor(path: string, handle: NativeSnapshot) {
    this.path = path;
    this.#native = handle;
  }

  summary(): SnapshotSummary {
    return this.#native.summary();
  }

  /** Per-class aggregates as DevTools' Summary view shows them, largest retained size first. */
  classes(): ClassSummary[] {
    return this.#native.classes().sort((a, b) => b.retainedSize - a.retainedSize || b.selfSize - a.selfSize || (a.key < b.key ? -1 : 1));
  }

  node(ordinal: number): NodeInfo {
    return this.#native.node(ordinal);
  }

  /** The node with this V8 object id, if the snapshot has one. */
  nodeById(id: number): NodeInfo | undefined {
    const ordinal = this.#native.findById(id);
    return ordinal == null ? undefined : this.#native.node(ordinal);
  }

  /** The node's outgoing references, in snapshot order. */
  edges(ordinal: number, page: Page = {}): EdgeInfo[] {
    return this.#native.edges(ordinal, page.offset, page.limit);
  }

  /** The references to the node. */
  retainers(ordinal: number, page: Page = {}): EdgeInfo[] {
    return this.#native.retainers(ordinal, page.offset, page.limit);
  }

  /** The node's immediate dominator (the root is its own). */
  dominator(ordinal: number): number {
    return this.#native.dominator(ordinal);
  }

  /** The nodes the node immediately dominates, largest retained size first. */
  dominatedChildren(ordinal: number, page: Page = {}): number[] {
    return this.#native.dominatedChildren(ordinal, page.offset, page.limit);
  }

  /** Shortest path from a user root (or GC root) to the node, over non-weak references. */
  retainerPath(ordinal: number): RetainerPath {
    return this.#native.retainerPath(ordinal);
  }

  /** The `n` objects with the largest retained sizes (synthetic roots left out). */
  largest(n: number): NodeInfo[] {
    return this.#native.largest(n).map((o) => this.#native.node(o));
  }

  /** The property lists this snapshot names plain objects by (`{a, b}`), most popular first. */
  interfaceDefinitions(): string[][] {
    return this.#native.interfaceDefinitions();
  }

  /**
   * This snapshot reduced to what a diff needs from its base (ids, class indices, shallow sizes,
   * per-class figures), classified with the current snapshot's `definitions` as DevTools does.
   * With `retained` false (and no other definitions), the classes' retained sizes are not waited
   * for: zero unless already known, enough for `pairWith` (see `censusClasses`).
   */
  census(definitions?: string[][], retained = true): Census {
    return this.#native.census(definitions, retained);
  }

  /** The per-class figures of a census by this snapshot's own definitions, retained sizes included. */
  censusClasses(): ClassSummary[] {
    return this.#native.censusClasses();
  }

  /** Compares this snapshot with the census of its base (the engine's raw diff). */
  diffWith(base: Census, options: DiffWithOptions = {}): NativeDiff {
    this.pairWith(base);
    return this.diffPaired(base.classSummaries, options);
  }

  /**
   * The first half of `diffWith`: pairs this snapshot's objects with those of its base, whose
   * classes' retained sizes it does not read; `diffPaired` then takes them.
   */
  pairWith(base: Census): void {
    this.#native.pair(base);
  }

  /** The second half of `diffWith`, given the base's class figures (by census class index). */
  diffPaired(baseClasses: ClassSummary[], options: DiffWithOptions = {}): NativeDiff {
    return this.#native.diff(baseClasses, options);
  }

  /** The highest id of a heap object here: V8 gives everything created later a higher one. */
  maxCounterId(): number {
    return this.#native.maxCounterId();
  }

  /**
   * Where the objects created during a series converge, this being its last snapshot:
   * `maxIds` are the earlier snapshots' `maxCounterId()`s, oldest first (the engine's raw
   * candidates; `findLeaks` judges them).
   */
  leakSuspects(maxIds: number[], stackDepth = 1, limit = 50): Suspects {
    return this.#native.leakSuspects(maxIds, stackDepth, limit);
  }

  /** What each container (by id) holds in this snapshot of a series starting at `firstMaxId`. */
  holdings(firstMaxId: number, containerIds: number[]): Holding[] {
    return this.#native.holdings(firstMaxId, containerIds);
  }

  /** Bulk columns by node ordinal, as typed arrays. */
  columns(): {
    ids: Float64Array; selfSizes: Float64Array; retainedSizes: Float64Array; distances: Int32Array;
    dominators: Uint32Array; classes: Uint32Array; classNames: string[]; classKeys: string[];
  } {
    const n = this.#native;
    return {
      ids: n.nodeIds(),
      selfSizes: n.selfSizes(),
      retainedSizes: n.retainedSizes(),
      distances: n.distances(),
      dominators: n.dominators(),
      classes: n.nodeClasses(),
      classNames: n.classNames(),
      classKeys: n.classKeys(),
    };
  }
}

/** Parses and analyses a `.heapsnapshot` file. Rejects with a one-line message naming the file and byte offset for bad input. */
export async function openSnapshot(path: string, options: OpenOptions = {}): Promise<Snapshot> {
  const loader = new native.Loader(path, {
    distancesAtFirstUse: options.distances === 'first-use',
    classRetainedAtFirstUse: options.classRetained === 'first-use',
    keepOnlyClasses: options.keep === 'classes',
    sharedCores: options.cores === 'shared',
  });
  const { onProgress } = options;
  const timer = onProgress ? setInterval(() => onProgress(loader.progress()), PROGRESS_INTERVAL_MS) : undefined;
  try {
    const handle = await loader.load();
    onProgress?.(loader.progress());
    return new Snapshot(path, handle);
  } finally {
    if (timer) clearInterval(timer);
  }
}
