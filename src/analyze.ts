// `analyzeSnapshot`: the report behind `heapdiff analyze`, as plain JSON-able data.
import { openSnapshot } from './snapshot.js';
import type { ClassSummary, OpenOptions, SnapshotSummary } from './types.js';

/** Version of the `analyze --json` schema; bumped on any incompatible change. */
export const ANALYZE_SCHEMA = 'heapdiff.analyze/1';

export interface LargestObject {
  ordinal: number;
  id: number;
  type: string;
  name: string;
  className: string;
  selfSize: number;
  retainedSize: number;
  distance: number;
  /** The shortest retainer path, e.g. `global.app.store.sessions`. */
  path: string;
}

export interface AnalyzeReport {
  schema: typeof ANALYZE_SCHEMA;
  file: string;
  summary: SnapshotSummary;
  /** The top classes by retained size. */
  classes: ClassSummary[];
  /** The top objects by retained size, with their retainer paths. */
  largest: LargestObject[];
}

export interface AnalyzeOptions extends OpenOptions {
  /** How many classes and objects to report (default 20). */
  top?: number;
}

export async function analyzeSnapshot(path: string, options: AnalyzeOptions = {}): Promise<AnalyzeReport> {
  const top = options.top ?? 20;
  const snapshot = await openSnapshot(path, options);
  const largest = snapshot.largest(top).map((n) => ({
    ordinal: n.ordinal,
    id: n.id,
    type: n.type,
    name: n.name,
    className: n.className,
    selfSize: n.selfSize,
    retainedSize: n.retainedSize,
    distance: n.distance,
    path: snapshot.retainerPath(n.ordinal).text,
  }));
  return {
    schema: ANALYZE_SCHEMA,
    file: path,
    summary: snapshot.summary(),
    classes: snapshot.classes().slice(0, top),
    largest,
  };
}
