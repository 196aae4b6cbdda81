// Real V8 heap snapshots for tests: runs a fixture program from
// test/fixtures/programs/ in a child Node process and returns the snapshot
// file(s) it wrote.
//
// Fixture program conventions (see the programs themselves):
//   single snapshot:  node [nodeArgs] <program> <outFile> [args...]
//   series:           node [nodeArgs] <program> <outDir> <count> [args...]
//                     writing <outDir>/000.heapsnapshot, 001.heapsnapshot, ...
//
// Results are cached per process (keyed by program, nodeArgs, args, count),
// so every test in one test file shares one snapshot. Files live in
// scratchDir(), which is removed at process exit.

import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fixturePath, freshDir } from './paths.js';

export interface SnapshotOptions {
  /** Flags for node itself, e.g. ['--track-heap-objects']. */
  nodeArgs?: string[];
  /** Extra arguments for the program, after the output path (and count). */
  args?: string[];
  /** Reuse an earlier result with the same inputs (default true). */
  cache?: boolean;
  /** Kill the child after this long (default 600 s: a loaded 2-core machine can be very slow). */
  timeoutMs?: number;
}

/** Absolute path of a fixture program: 'basic', 'basic.cjs' or a path. */
export function programPath(program: string): string {
  if (program.includes('/') || program.includes('\\')) return program;
  const file = /\.[cm]?js$/.test(program) ? program : `${program}.cjs`;
  const full = fixturePath('programs', file);
  if (!existsSync(full)) throw new Error(`fixture program not found: ${full}`);
  return full;
}

const cache = new Map<string, Promise<string | string[]>>();

function cached<T extends string | string[]>(key: string, use: boolean, make: () => Promise<T>): Promise<T> {
  if (!use) return make();
  let p = cache.get(key) as Promise<T> | undefined;
  if (!p) {
    p = make();
    cache.set(key, p);
    // A failed run is not cached: a later call retries (and reports again).
    p.catch(() => cache.delete(key));
  }
  return p;
}

function runNode(argv: string[], timeoutMs: number): Promise<void> {
  const env = { ...process.env };
  // Keep the child's heap independent of how the test runner was started.
  delete env['NODE_OPTIONS'];
  delete env['NODE_TEST_CONTEXT'];
  const command = [process.execPath, ...argv].join(' ');
  return new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (output.length > 20000) output = output.slice(-20000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`could not start fixture program: ${command}\n${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0 && !timedOut) {
        resolve();
        return;
      }
      const why = timedOut ? `timed out after ${timeoutMs} ms` : signal ? `killed by ${signal}` : `exit code ${code}`;
      const tail = output.trim() ? `\n--- child output ---\n${output.trim()}` : ' (no output)';
      reject(new Error(`fixture program failed (${why}): ${command}${tail}`));
    });
  });
}

function checkSnapshotFile(file: string, command: string): void {
  if (!existsSync(file)) throw new Error(`fixture program wrote no snapshot at ${file}: ${command}`);
  if (statSync(file).size === 0) throw new Error(`fixture program wrote an empty snapshot at ${file}: ${command}`);
}

/**
 * Runs `program` (a file in test/fixtures/programs/) once and returns the
 * path of the heap snapshot it wrote.
 */
export function writeSnapshot(program: string, opts: SnapshotOptions = {}): Promise<string> {
  const prog = programPath(program);
  const nodeArgs = opts.nodeArgs ?? [];
  const args = opts.args ?? [];
  const key = JSON.stringify(['one', prog, nodeArgs, args]);
  return cached(key, opts.cache ?? true, async () => {
    const dir = freshDir('snap-');
    const base = prog.replace(/^.*[\\/]/, '').replace(/\.[cm]?js$/, '');
    const out = join(dir, `${base}.heapsnapshot`);
    const argv = [...nodeArgs, prog, out, ...args];
    await runNode(argv, opts.timeoutMs ?? 600_000);
    checkSnapshotFile(out, argv.join(' '));
    return out;
  });
}

/**
 * Runs a series program (e.g. 'series') once and returns the `count` snapshot
 * paths it wrote, in order (all from one process, so node ids are comparable).
 */
export function writeSnapshotSeries(program: string, count: number, opts: SnapshotOptions = {}): Promise<string[]> {
  if (!Number.isInteger(count) || count < 1) throw new Error(`writeSnapshotSeries: bad count ${count}`);
  const prog = programPath(program);
  const nodeArgs = opts.nodeArgs ?? [];
  const args = opts.args ?? [];
  const key = JSON.stringify(['series', prog, nodeArgs, args, count]);
  return cached(key, opts.cache ?? true, async () => {
    const dir = freshDir('series-');
    const argv = [...nodeArgs, prog, dir, String(count), ...args];
    await runNode(argv, opts.timeoutMs ?? 600_000 + 60_000 * count);
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.heapsnapshot'))
      .sort()
      .map((f) => join(dir, f));
    if (files.length !== count) {
      throw new Error(`fixture program wrote ${files.length} snapshots, expected ${count}: ${argv.join(' ')}`);
    }
    for (const f of files) checkSnapshotFile(f, argv.join(' '));
    return files;
  });
}

/** Parsed test/fixtures/programs/<name>.expected.json (the counts a program uses). */
export function readExpected<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(fixturePath('programs', `${name}.expected.json`), 'utf8')) as T;
}

/** What basic.cjs builds; see basic.expected.json. */
export interface BasicExpected {
  /** Fixture class name -> exact instance count. */
  classes: Record<string, number>;
  /** DevTools plain-object class name (e.g. '{alpha, beta}') -> exact count. */
  plainObjects: Record<string, number>;
  /** Closure name -> count (DevTools puts all closures in class 'Function'). */
  closures: Record<string, number>;
  /** FixturePoints reachable only through the single FixtureOwner. */
  ownedPoints: number;
  mapEntries: number;
  setEntries: number;
  typedArrays: Record<string, number>;
  uint8ArrayLength: number;
  float64ArrayLength: number;
}

/** What series.cjs does between snapshots; see series.expected.json. */
export interface SeriesExpected {
  defaultCount: number;
  perStep: number;
  transientCount: number;
  stableCount: number;
  payloadLength: number;
}

export function basicExpected(): BasicExpected {
  return readExpected<BasicExpected>('basic');
}

export function seriesExpected(): SeriesExpected {
  return readExpected<SeriesExpected>('series');
}
