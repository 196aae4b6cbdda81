// CI gates on a diff: limits on growth that turn a benchmark comparison into a pass or fail.
import type { DiffReport } from './diff.js';
import { formatBytes, formatCount } from './report/format.js';

/** A limit on growth between base and current; `className` absent means the whole heap. */
export interface Gate {
  /** 'retained': retained size (the whole heap: DevTools' total); 'count': number of objects. */
  measure: 'retained' | 'count';
  className?: string;
  /** Growth above this fails (bytes or objects). */
  limit: number;
}

export interface GateResult extends Gate {
  /** Growth measured (a class absent from both snapshots grew by 0). */
  actual: number;
  passed: boolean;
  /** One line, e.g. `retained size of Foo grew by 6.2 MB (limit 5 MB)`. */
  message: string;
}

const SIZE_UNITS: Record<string, number> = {
  b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40,
};

/** `5MB`, `1.5 GiB`, `500kB`, `1024` (bytes). Decimal units are powers of 1000, as in reports. */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = SIZE_UNITS[(m?.[2] || 'b').toLowerCase()];
  if (!m || unit === undefined) throw new Error(`'${text}' is not a size (e.g. 5MB, 512kB, 1.5GiB, 1024)`);
  return Math.round(Number(m[1]) * unit);
}

/** `LIMIT` or `CLASS=LIMIT` (the class name may itself contain '='; the last one splits). */
export function parseGate(measure: Gate['measure'], text: string): Gate {
  const eq = text.lastIndexOf('=');
  const className = eq >= 0 ? text.slice(0, eq) : undefined;
  const limitText = eq >= 0 ? text.slice(eq + 1) : text;
  if (className === '') throw new Error(`'${text}': the class name before '=' is empty`);
  if (measure === 'count') {
    if (!/^\d+$/.test(limitText.trim())) throw new Error(`'${text}': the count limit must be a whole number`);
    return { measure, className, limit: Number(limitText) };
  }
  return { measure, className, limit: parseSize(limitText) };
}

export function checkGates(report: DiffReport, gates: Gate[]): GateResult[] {
  return gates.map((gate) => {
    let actual: number;
    if (gate.className === undefined) {
      actual = gate.measure === 'retained'
        ? report.totalSize.delta
        : report.current.summary.nodeCount - report.base.summary.nodeCount;
    } else {
      const rows = report.classes.filter((c) => c.name === gate.className);
      actual = rows.reduce((s, c) => s + (gate.measure === 'retained' ? c.retainedDelta : c.current.count - c.base.count), 0);
    }
    const what = `${gate.measure === 'retained' ? 'retained size' : 'object count'} of ${gate.className ?? 'the heap'}`;
    const show = gate.measure === 'retained' ? formatBytes : formatCount;
    const passed = actual <= gate.limit;
    const message = `${what} grew by ${show(actual)} (limit ${show(gate.limit)})`;
    return { ...gate, actual, passed, message };
  });
}
