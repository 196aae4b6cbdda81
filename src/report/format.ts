// Text formatting shared by every report: sizes, counts, distances, tables.
import { BASE_SYSTEM_DISTANCE, NO_DISTANCE } from '../types.js';

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];

/** Bytes in decimal units, as DevTools shows them: `1.5 MB`. */
export function formatBytes(bytes: number): string {
  const sign = bytes < 0 ? '-' : '';
  let v = Math.abs(bytes);
  let u = 0;
  while (v >= 1000 && u < UNITS.length - 1) {
    v /= 1000;
    u++;
  }
  return `${sign}${u === 0 ? v : v.toFixed(v >= 100 ? 0 : 1)} ${UNITS[u]}`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** DevTools shows '-' for nodes reached only from the root or not at all. */
export function formatDistance(d: number): string {
  return d === NO_DISTANCE || d >= BASE_SYSTEM_DISTANCE ? '-' : String(d);
}

export interface Column {
  header: string;
  align?: 'left' | 'right';
  /** Longest a cell may be before it is cut with '…'. */
  max?: number;
}

function cut(s: string, max?: number): string {
  // Snapshot strings are untrusted: no control characters reach the terminal.
  const clean = s.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
  return max !== undefined && clean.length > max ? clean.slice(0, max - 1) + '…' : clean;
}

/** A plain-text table with a header row and aligned columns. */
export function table(columns: Column[], rows: string[][]): string {
  const cells = rows.map((r) => r.map((c, i) => cut(c, columns[i]?.max)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const line = (r: string[]) =>
    r.map((c, i) => (columns[i]?.align === 'right' ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(columns.map((c) => c.header)), line(widths.map((w) => '─'.repeat(w))), ...cells.map(line)].join('\n');
}
