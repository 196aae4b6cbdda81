// `diffSnapshots`: the report behind `heapdiff diff`. Both snapshots load at once on worker
// threads; the base hands back only a census (compact columns), which the current snapshot's
// worker joins with its own graph.
import { censusBuffers } from './census.js';
import { combinedProgress, withSessions } from './sessions.js';
import type { LoadProgress, SnapshotSummary } from './types.js';

/** Version of the `diff --json` schema; bumped on any incompatible change. */
export const DIFF_SCHEMA = 'heapdiff.diff/1';

export type DiffSort = 'retained' | 'size' | 'count' | 'new' | 'alloc' | 'freed' | 'name';
export const DIFF_SORTS: readonly DiffSort[] = ['retained', 'size', 'count', 'new', 'alloc', 'freed', 'name'];

export interface DiffOptions {
  /** Row order of `classes` (default 'retained': retained growth, largest first). */
  sort?: DiffSort;
  /** Keep only classes whose name matches. */
  filter?: RegExp;
  /** Frames of the allocation stack that make a site (default 1: the allocating function). */
  stackDepth?: number;
  /** Also list the largest new objects of this class (name or key), with their retainer paths. */
  className?: string;
  /** How many of them (default 10). */
  classLimit?: number;
  onProgress?: (progress: LoadProgress) => void;
}

export interface Totals {
  count: number;
  selfSize: number;
  retainedSize: number;
}

/**
 * One class, as DevTools' Comparison view shows it (`newCount` … `sizeDelta`, shallow sizes of
 * objects matched by id), plus its totals in both snapshots. For snapshots of different
 * processes the matched figures are null and the deltas come from the totals.
 */
export interface ClassDiff {
  name: string;
  /** DevTools' class key (same process), or the class name (different processes). */
  key: string;
  newCount: number | null;
  deletedCount: number | null;
  countDelta: number;
  allocSize: number | null;
  freedSize: number | null;
  sizeDelta: number;
  base: Totals;
  current: Totals;
  retainedDelta: number;
}

export interface StackFrame {
  functionName: string;
  script: string;
  /** 1-based; 0 when unknown. */
  line: number;
  column: number;
}

/** The new objects allocated at one site. */
export interface SiteDiff {
  /** `function (script:line:column)`, frames joined by ' ← ' (innermost first). */
  site: string;
  frames: StackFrame[];
  count: number;
  selfSize: number;
  /** Retained size of these objects (one nested in another counted once). */
  retainedSize: number;
  /** Their classes, most numerous first (at most 5). */
  classes: { name: string; count: number; selfSize: number }[];
}

export interface NewObject {
  ordinal: number;
  id: number;
  name: string;
  selfSize: number;
  retainedSize: number;
  /** Retainer path in the current snapshot. */
  path: string;
}

export interface DiffReport {
  schema: typeof DIFF_SCHEMA;
  base: { file: string; summary: SnapshotSummary };
  current: { file: string; summary: SnapshotSummary };
  /** 'same-process': objects matched by id; 'different-processes': class histograms compared. */
  mode: 'same-process' | 'different-processes';
  /** The evidence for `mode`: current objects with ids up to the base's highest, and how many of them the base lacks or classes differently. */
  identity: { checked: number; conflicts: number };
  /** Heap size (DevTools' total) in both snapshots. */
  totalSize: { base: number; current: number; delta: number };
  /** Every changed class (filtered by `filter`), in `sort` order. */
  classes: ClassDiff[];
  /** New objects by allocation site; null for different processes. */
  sites: { mode: 'stack' | 'location'; stackDepth: number; rows: SiteDiff[] } | null;
  /** With `className`: the largest new objects of that class. */
  newObjects: { className: string; objects: NewObject[] } | null;
}

const SORT_KEYS: Record<DiffSort, (c: ClassDiff) => number | string> = {
  retained: (c) => c.retainedDelta,
  size: (c) => c.sizeDelta,
  count: (c) => c.countDelta,
  new: (c) => c.newCount ?? c.countDelta,
  alloc: (c) => c.allocSize ?? c.sizeDelta,
  freed: (c) => c.freedSize ?? -c.sizeDelta,
  name: (c) => c.name,
};

export function sortClasses(classes: ClassDiff[], sort: DiffSort): ClassDiff[] {
  const key = SORT_KEYS[sort];
  const byName = (a: ClassDiff, b: ClassDiff) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.key < b.key ? -1 : 1);
  return classes.sort((a, b) => {
    const x = key(a);
    const y = key(b);
    if (typeof x === 'string' || typeof y === 'string') return byName(a, b);
    return y - x || byName(a, b);
  });
}

/** Diffs two snapshots (`base` older, `current` newer). */
export async function diffSnapshots(basePath: string, currentPath: string, options: DiffOptions = {}): Promise<DiffReport> {
  const onProgress = options.onProgress ? combinedProgress(2, options.onProgress) : undefined;
  const stackDepth = options.stackDepth ?? 1;
  return withSessions(
    [basePath, currentPath],
    async ([base, current]) => {
      // DevTools classifies the base's plain objects by the current snapshot's definitions.
      // Snapshots of one process mostly share them: the base makes its census by its own as soon
      // as it is loaded (the current may still be loading), and again only if they differ.
      // That census does not wait for the base's class retained sizes: the current pairs the
      // objects while the base computes them, if it has not yet. (One Promise.all: whichever
      // fails first is the error, and the other's is handled.)
      const [definitions, baseDefinitions, ownCensus] = await Promise.all([
        current!.request('definitions', {}),
        base!.request('definitions', {}),
        base!.request('census', { retained: false }),
      ]);
      const own = JSON.stringify(baseDefinitions) === JSON.stringify(definitions);
      const census = own ? ownCensus : await base!.request('census', { definitions });
      const [, baseClasses] = await Promise.all([
        current!.request('pair', { base: census }, censusBuffers(census)),
        own ? base!.request('censusClasses', {}) : census.classSummaries,
      ]);
      // The compare; the summaries come meanwhile.
      const compared = current!.request('diff', { baseClasses, options: { stackDepth, className: options.className, classLimit: options.classLimit } });
      const [baseSummary, raw, currentSummary] = await Promise.all([
        base!.request('summary', {}).finally(() => base!.close()),
        compared,
        current!.request('summary', {}),
      ]);
      const sameProcess = raw.identity.sameProcess;
      let classes: ClassDiff[] = raw.classes.map((c) => ({
        name: c.name,
        key: c.key,
        newCount: c.newCount ?? null,
        deletedCount: c.deletedCount ?? null,
        countDelta: sameProcess ? c.newCount! - c.deletedCount! : c.current.count - c.base.count,
        allocSize: c.allocSize ?? null,
        freedSize: c.freedSize ?? null,
        sizeDelta: sameProcess ? c.allocSize! - c.freedSize! : c.current.selfSize - c.base.selfSize,
        base: c.base,
        current: c.current,
        retainedDelta: c.current.retainedSize - c.base.retainedSize,
      }));
      if (options.filter) classes = classes.filter((c) => options.filter!.test(c.name));
      return {
        schema: DIFF_SCHEMA,
        base: { file: basePath, summary: baseSummary },
        current: { file: currentPath, summary: currentSummary },
        mode: sameProcess ? 'same-process' : 'different-processes',
        identity: { checked: raw.identity.checked, conflicts: raw.identity.conflicts },
        totalSize: {
          base: baseSummary.totalSize,
          current: currentSummary.totalSize,
          delta: currentSummary.totalSize - baseSummary.totalSize,
        },
        classes: sortClasses(classes, options.sort ?? 'retained'),
        sites: raw.siteMode
          ? {
              mode: raw.siteMode as 'stack' | 'location',
              stackDepth,
              rows: raw.sites
                .map((s) => ({ site: s.label, frames: s.frames, count: s.count, selfSize: s.selfSize, retainedSize: s.retainedSize, classes: s.classes }))
                .sort((a, b) => b.retainedSize - a.retainedSize || b.count - a.count || (a.site < b.site ? -1 : 1)),
            }
          : null,
        newObjects: options.className === undefined ? null : { className: options.className, objects: raw.newObjects },
      };
    },
    // A diff reports no distances, and retainer paths only of the new objects it lists (of the
    // current snapshot): otherwise both snapshots keep only their classes, and hold less. The
    // class retained sizes of the snapshot loaded last wait for the pairing, which works
    // meanwhile on the other core.
    {
      onProgress,
      open: (index) => ({
        distances: 'first-use',
        classRetained: 'first-use',
        keep: index === 0 || options.className === undefined ? 'classes' : 'all',
      }),
    },
  );
}
