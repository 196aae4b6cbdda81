// `findLeaks`: the report behind `heapdiff leaks`. The hunt from the story, automated: objects
// created again and again (V8 ids date them), references converging into one container, a
// long-lived owner (the container existed in the first snapshot). Every snapshot loads at once
// on its own worker thread; the last one finds the containers, the others say how much each
// held at their time, and a container is a suspect only if it grew in every interval.
import type { Suspects } from './native.js';
import { combinedProgress, withSessions } from './sessions.js';
import type { StackFrame } from './diff.js';
import type { LoadProgress, SnapshotSummary } from './types.js';
import { formatBytes, formatCount } from './report/format.js';

/** Version of the `leaks --json` schema; bumped on any incompatible change. */
export const LEAKS_SCHEMA = 'heapdiff.leaks/1';

export interface LeakOptions {
  /** How many suspects to report (default 10). */
  top?: number;
  /** Growth below this many objects over the whole series is not reported (default 50). */
  minObjects?: number;
  /** Retained growth below this many bytes over the whole series is not reported (default 10 kB). */
  minBytes?: number;
  /** Frames of the allocation stack that make a site (default 1). */
  stackDepth?: number;
  onProgress?: (progress: LoadProgress) => void;
}

export interface LeakSuspect {
  /** The long-lived object (present since the first snapshot) the new objects converge into. */
  container: {
    ordinal: number;
    id: number;
    type: string;
    name: string;
    className: string;
    selfSize: number;
    /** In the last snapshot. */
    retainedSize: number;
    /** Shortest retainer path from a GC root, in the last snapshot: `global.app.store.sessions`. */
    path: string;
    /** `path` from the last module scope on, when it passes through one: `segmenter.words (module scope of /app/lib/wordseg.js)`; else `path`. */
    shortPath: string;
  };
  /** Per interval (snapshot i to i+1): objects it gained (created since the first snapshot and held by it) and retained bytes. */
  growth: { objects: number; retainedBytes: number }[];
  /** Objects it holds in the last snapshot that were created since the first, and their shallow size. */
  holds: { count: number; selfSize: number };
  /** Of those, how many were created in each interval. */
  created: number[];
  /** What accumulates: their classes, most numerous first. */
  accumulates: { name: string; count: number; selfSize: number }[];
  /** Where they are allocated, most numerous first (see `siteMode`). */
  allocatedAt: { site: string; frames: StackFrame[]; count: number; selfSize: number }[];
  /** True when it grew in every interval. */
  repeats: boolean;
  /** One line, in plain language. */
  verdict: string;
}

export interface LeakReport {
  schema: typeof LEAKS_SCHEMA;
  snapshots: { file: string; summary: SnapshotSummary }[];
  /** 'stack': allocation stacks; 'location': constructor source locations (no allocation tracking). */
  siteMode: 'stack' | 'location';
  thresholds: { minObjects: number; minBytes: number };
  /** Most serious first: largest retained growth. */
  suspects: LeakSuspect[];
}

/** Containers the last snapshot proposes before the series judges them. */
const CANDIDATES = 50;

/** Finds leaks across snapshots of one process, oldest first (two or more). */
export async function findLeaks(paths: string[], options: LeakOptions = {}): Promise<LeakReport> {
  if (paths.length < 2) throw new Error('leaks needs at least two snapshots of one process, oldest first');
  const minObjects = options.minObjects ?? 50;
  const minBytes = options.minBytes ?? 10_000;
  const stackDepth = options.stackDepth ?? 1;
  const onProgress = options.onProgress ? combinedProgress(paths.length, options.onProgress) : undefined;
  return withSessions(
    paths,
    async (sessions) => {
      const last = sessions[sessions.length - 1]!;
      const [maxIds, summaries] = await Promise.all([
        Promise.all(sessions.map((s) => s.request('maxId', {}))),
        Promise.all(sessions.map((s) => s.request('summary', {}))),
      ]);
      const found: Suspects = await last.request('suspects', { maxIds: maxIds.slice(0, -1), stackDepth, limit: CANDIDATES });
      const ids = found.suspects.map((s) => s.id);
      // The last snapshot's holdings are the suspects' own figures: asked of the earlier ones only.
      const earlier = await Promise.all(sessions.slice(0, -1).map((s) => s.request('holdings', { firstMaxId: maxIds[0]!, containerIds: ids })));
      const held = [...earlier, found.suspects.map((s) => ({ present: true, retainedSize: s.retainedSize, count: s.count, selfSize: s.newSelfSize }))];
      const suspects: LeakSuspect[] = [];
      found.suspects.forEach((s, i) => {
        const series = held.map((h) => h[i]!);
        const growth = series.slice(1).map((h, k) => ({
          objects: h.count - series[k]!.count,
          retainedBytes: h.retainedSize - series[k]!.retainedSize,
        }));
        const objects = growth.reduce((sum, g) => sum + g.objects, 0);
        const bytes = growth.reduce((sum, g) => sum + g.retainedBytes, 0);
        const repeats = growth.every((g) => g.objects > 0);
        if (!repeats || objects < minObjects || bytes < minBytes) return;
        const suspect: LeakSuspect = {
          container: {
            ordinal: s.ordinal, id: s.id, type: s.type, name: s.name, className: s.className,
            selfSize: s.selfSize, retainedSize: s.retainedSize, path: s.path, shortPath: s.shortPath,
          },
          growth,
          holds: { count: s.count, selfSize: s.newSelfSize },
          created: s.created,
          accumulates: s.classes,
          allocatedAt: s.sites.map((x) => ({ site: x.label, frames: x.frames, count: x.count, selfSize: x.selfSize })),
          repeats,
          verdict: '',
        };
        suspect.verdict = verdict(suspect);
        suspects.push(suspect);
      });
      suspects.sort((a, b) => total(b).retainedBytes - total(a).retainedBytes || total(b).objects - total(a).objects);
      return {
        schema: LEAKS_SCHEMA,
        snapshots: paths.map((file, i) => ({ file, summary: summaries[i]! })),
        siteMode: found.siteMode as 'stack' | 'location',
        thresholds: { minObjects, minBytes },
        suspects: suspects.slice(0, options.top ?? 10),
      };
    },
    { onProgress },
  );
}

function total(s: LeakSuspect): { objects: number; retainedBytes: number } {
  return s.growth.reduce((t, g) => ({ objects: t.objects + g.objects, retainedBytes: t.retainedBytes + g.retainedBytes }), { objects: 0, retainedBytes: 0 });
}

/** `Array global.app.store.sessions keeps growing: +400 objects over 2 intervals (200, 200: growth in every one), +1.2 MB retained; mostly Session ×400; allocated at makeSession (app.js:12:3)` */
function verdict(s: LeakSuspect): string {
  const t = total(s);
  const what = s.accumulates.slice(0, 2).map((c) => `${c.name} ×${formatCount(c.count)}`).join(', ');
  const per = s.growth.map((g) => formatCount(g.objects)).join(', ');
  const where = s.allocatedAt[0] ? `; allocated at ${s.allocatedAt[0].site}` : '';
  const intervals = s.growth.length === 1 ? 'between the two snapshots' : `over ${s.growth.length} intervals (${per}: growth in every one)`;
  return `${s.container.className} ${s.container.shortPath || s.container.name} keeps growing: +${formatCount(t.objects)} objects ${intervals}, ` +
    `+${formatBytes(t.retainedBytes)} retained; mostly ${what}${where}`;
}
