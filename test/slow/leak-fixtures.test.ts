// The leak programs in test/fixtures/programs/leaks/ and their ground truth (expected.json),
// checked against real snapshots with today's API: each program leaks exactly what
// expected.json says per interval, the new objects converge (by the dominator walk) into one
// container present since the first snapshot, with the expected class, retainer path and
// dominator chain, the allocation stacks (--track-heap-objects) name the allocating code, and
// the control program (steady.cjs) grows nothing. The demo behind `npm start`
// (examples/wordseg-service.cjs) is checked the same way. These tests check the fixtures; the
// leak finder's own tests read the same expected.json. It takes minutes, so it runs with
// `npm run test:slow`, not `npm test`.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { openSnapshot, type Snapshot } from '../../src/index.js';
import { fixturePath, freshDir, repoRoot } from '../helpers/paths.js';
import { writeSnapshotSeries } from '../helpers/snapshots.js';

// ---------------------------------------------------------------------------------------------
// expected.json

interface Frame {
  function: string;
  script: string;
  line: number;
  column: number;
}

interface AllocatedBy {
  function: string;
  file: string;
  line: number;
  text: string;
  trace?: Frame;
  userFrame?: { function: string; file: string; line: number };
}

interface Accumulated {
  className: string;
  perInterval: number;
  name?: string;
  allocatedBy?: AllocatedBy;
}

interface Suspect {
  container: {
    className: string;
    declaredAt: { file: string; line: number; text: string };
    pathSuffix: string;
    enginePath: string;
    preferredPath: string;
  };
  dominatorChain: { from: string; chain: string[] };
  accumulated: Accumulated[];
  retainedGrowthPerInterval: { min: number };
}

interface Decoy {
  className: string;
  newPerInterval: { className: string; count: number };
  constantCount: Record<string, number>;
  pathSuffix: string;
}

interface ProgramExpected {
  file: string;
  requestsPerInterval: number;
  suspects: Suspect[];
  decoys?: Decoy[];
}

interface LeaksExpected {
  recordedWith: { node: string; v8: string };
  defaultCount: number;
  noise: { maxSteadyClassGrowthPerInterval: number };
  programs: Record<string, ProgramExpected>;
  demo: { file: string; tasksPerInterval: number; suspects: Suspect[] };
}

const leaksDir = fixturePath('programs', 'leaks');
const expected = JSON.parse(readFileSync(join(leaksDir, 'expected.json'), 'utf8')) as LeaksExpected;
const COUNT = expected.defaultCount;
const THRESHOLD = expected.noise.maxSteadyClassGrowthPerInterval;
// V8-internal shapes (dominator chains through hash tables and contexts, frames inside Node's
// own scripts) were recorded with one Node version; elsewhere they are not asserted.
const sameMajor = process.versions.node.split('.')[0] === expected.recordedWith.node.split('.')[0];
const sameNode = process.versions.node === expected.recordedWith.node;

// ---------------------------------------------------------------------------------------------
// A series of snapshots of one process, opened

type Columns = ReturnType<Snapshot['columns']>;

interface Series {
  files: string[];
  snaps: Snapshot[];
  /** snaps[k].columns(), fetched once (each call copies the arrays out of Rust). */
  cols: Columns[];
  ids: Set<number>[];
  /** Class name -> instance count, per snapshot (classes of one name summed). */
  counts: Map<string, number>[];
}

const opened = new Map<string, Promise<Series>>();

function openSeries(key: string, write: () => Promise<string[]>): Promise<Series> {
  let p = opened.get(key);
  if (!p) {
    p = (async () => {
      const files = await write();
      const snaps: Snapshot[] = [];
      for (const f of files) snaps.push(await openSnapshot(f));
      const cols = snaps.map((s) => s.columns());
      const ids = cols.map((c) => new Set(c.ids));
      const counts = snaps.map((s) => {
        const m = new Map<string, number>();
        for (const c of s.classes()) m.set(c.name, (m.get(c.name) ?? 0) + c.count);
        return m;
      });
      return { files, snaps, cols, ids, counts };
    })();
    opened.set(key, p);
  }
  return p;
}

const programSeries = (name: string, tracked: boolean): Promise<Series> =>
  openSeries(`${name}:${tracked}`, () =>
    writeSnapshotSeries(join(leaksDir, expected.programs[name]!.file), COUNT, { nodeArgs: tracked ? ['--track-heap-objects'] : [] }));

const demoSeries = (): Promise<Series> =>
  openSeries('demo', async () => {
    const dir = freshDir('demo-');
    const env = { ...process.env };
    delete env['NODE_OPTIONS'];
    delete env['NODE_TEST_CONTEXT'];
    await promisify(execFile)(process.execPath, [join(repoRoot(), expected.demo.file), '--snapshots', dir, String(COUNT)], { env });
    return readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot')).sort().map((f) => join(dir, f));
  });

const count = (s: Series, k: number, cls: string): number => s.counts[k]!.get(cls) ?? 0;

/** Ordinals of the objects of class `cls` in snapshot k whose ids snapshot k-1 does not have. */
function newObjects(s: Series, k: number, cls: string, name?: string): number[] {
  const snap = s.snaps[k]!;
  const { ids, classes, classNames } = s.cols[k]!;
  const before = s.ids[k - 1]!;
  const out: number[] = [];
  for (let o = 0; o < ids.length; o++) {
    if (classNames[classes[o]!] !== cls || before.has(ids[o]!)) continue;
    if (name !== undefined && snap.node(o).name !== name) continue;
    out.push(o);
  }
  return out;
}

/** The immediate dominators of `ordinal` in snapshot k up to the first one present in snapshot 0 (last). */
function walkToOld(s: Series, k: number, ordinal: number): number[] {
  const { ids, dominators } = s.cols[k]!;
  const first = s.ids[0]!;
  const chain: number[] = [];
  let d = ordinal;
  for (;;) {
    const up = dominators[d]!;
    if (up === d) break; // the root
    chain.push(up);
    d = up;
    if (first.has(ids[d]!)) break;
  }
  return chain;
}

/** Where the new objects of `cls` in snapshot k converge: container id -> how many. */
function converge(s: Series, k: number, cls: string, name?: string): Map<number, number> {
  const { ids } = s.cols[k]!;
  const at = new Map<number, number>();
  for (const o of newObjects(s, k, cls, name)) {
    const top = walkToOld(s, k, o).at(-1);
    if (top === undefined) continue;
    at.set(ids[top]!, (at.get(ids[top]!) ?? 0) + 1);
  }
  return at;
}

function ordinalOf(s: Series, k: number, id: number): number {
  const node = s.snaps[k]!.nodeById(id);
  assert.ok(node, `object @${id} is in snapshot ${k}`);
  return node.ordinal;
}

// ---------------------------------------------------------------------------------------------
// Allocation stacks (--track-heap-objects), read from the snapshot file: the API does not
// resolve trace_node_id yet.

interface RawSnapshot {
  snapshot: { meta: { node_fields: string[]; trace_function_info_fields: string[] } };
  nodes: number[];
  strings: string[];
  trace_function_infos: number[];
  trace_tree: unknown[];
}

/** Object id -> allocation stack, innermost frame first ('(root)' left out). */
function allocationStacks(file: string): (id: number) => Frame[] {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as RawSnapshot;
  const nf = raw.snapshot.meta.node_fields;
  const idAt = nf.indexOf('id');
  const traceAt = nf.indexOf('trace_node_id');
  assert.ok(traceAt >= 0, `${file} has no trace_node_id (not written with --track-heap-objects?)`);
  const traceOf = new Map<number, number>();
  for (let i = 0; i < raw.nodes.length; i += nf.length) traceOf.set(raw.nodes[i + idAt]!, raw.nodes[i + traceAt]!);
  const ff = raw.snapshot.meta.trace_function_info_fields;
  const f = (k: string): number => ff.indexOf(k);
  const frameOf = (index: number): Frame => {
    const b = index * ff.length;
    const info = raw.trace_function_infos;
    return {
      function: raw.strings[info[b + f('name')]!]!,
      script: raw.strings[info[b + f('script_name')]!]!,
      line: info[b + f('line')]!,
      column: info[b + f('column')]!,
    };
  };
  const parent = new Map<number, { frame: number; parent: number }>();
  const walk = (tree: unknown[], up: number): void => {
    for (let i = 0; i < tree.length; i += 5) {
      const id = tree[i] as number;
      parent.set(id, { frame: tree[i + 1] as number, parent: up });
      walk(tree[i + 4] as unknown[], id);
    }
  };
  walk(raw.trace_tree, 0);
  return (id: number): Frame[] => {
    const stack: Frame[] = [];
    for (let t = traceOf.get(id) ?? 0; t !== 0; ) {
      const node = parent.get(t);
      if (!node) break;
      const frame = frameOf(node.frame);
      if (frame.function !== '(root)') stack.push(frame);
      t = node.parent;
    }
    return stack;
  };
}

const slash = (p: string): string => p.replace(/\\/g, '/');
/** Does a trace's script name (absolute path, or 'node:…') denote `file` (relative to leaks/, or to the repository for the demo)? */
function sameScript(script: string, file: string, base: string): boolean {
  if (file.startsWith('node:')) return script === file;
  return slash(script) === slash(join(base, file));
}

// ---------------------------------------------------------------------------------------------
// Checks shared by the programs and the demo

function checkGrowth(s: Series, suspect: Suspect, label: string): void {
  for (let k = 1; k < s.snaps.length; k++) {
    for (const a of suspect.accumulated) {
      const delta = count(s, k, a.className) - count(s, k - 1, a.className);
      assert.equal(delta, a.perInterval, `${label}: ${a.className} count change from snapshot ${k - 1} to ${k}`);
    }
  }
}

function checkContainer(s: Series, suspect: Suspect, label: string): number {
  const c = suspect.container;
  assert.ok(c.enginePath.endsWith(c.pathSuffix), `${label}: expected.json's enginePath ends with its pathSuffix`);
  let containerId: number | undefined;
  for (let k = 1; k < s.snaps.length; k++) {
    const snap = s.snaps[k]!;
    for (const a of suspect.accumulated) {
      // All of the interval's new objects of each accumulated class converge into the container.
      const at = converge(s, k, a.className, a.name);
      const [id, n] = [...at].sort((x, y) => y[1] - x[1])[0] ?? [undefined, 0];
      assert.ok(id !== undefined, `${label}: new ${a.className} objects in snapshot ${k}`);
      containerId ??= id;
      assert.equal(id, containerId, `${label}: new ${a.className} objects in snapshot ${k} converge into the container`);
      assert.equal(n, a.perInterval, `${label}: new ${a.className} objects in snapshot ${k} under the container (${JSON.stringify([...at])})`);
    }
    if (sameMajor) {
      const { ids } = s.cols[k]!;
      const walks = newObjects(s, k, suspect.dominatorChain.from).map((o) => walkToOld(s, k, o)).filter((w) => ids[w.at(-1)!] === containerId);
      assert.ok(walks.length > 0);
      const chains = new Set(walks.map((w) => w.map((d) => snap.node(d).className).join(' <- ')));
      assert.deepEqual([...chains], [suspect.dominatorChain.chain.join(' <- ')], `${label}: dominator chain from ${suspect.dominatorChain.from}`);
    }
  }
  assert.ok(containerId !== undefined);
  // The same object (by id) in every snapshot, of the expected class, with the expected path.
  for (let k = 0; k < s.snaps.length; k++) {
    const snap = s.snaps[k]!;
    const node = snap.node(ordinalOf(s, k, containerId));
    assert.equal(node.className, c.className, `${label}: container class in snapshot ${k}`);
    const text = snap.retainerPath(node.ordinal).text;
    assert.ok(text.endsWith(c.pathSuffix), `${label}: container path in snapshot ${k} is ${JSON.stringify(text)}, expected to end with ${JSON.stringify(c.pathSuffix)}`);
  }
  // Its retained size grows every interval.
  for (let k = 1; k < s.snaps.length; k++) {
    const now: number = s.snaps[k]!.nodeById(containerId)!.retainedSize;
    const before: number = s.snaps[k - 1]!.nodeById(containerId)!.retainedSize;
    assert.ok(now - before >= suspect.retainedGrowthPerInterval.min, `${label}: container retained size grew by ${now - before} from snapshot ${k - 1} to ${k}`);
  }
  return containerId;
}

/** Every class whose count changes by more than the noise threshold is one the leak accumulates. */
function checkNothingElseGrows(s: Series, suspects: Suspect[], label: string): void {
  const listed = new Set(suspects.flatMap((x) => x.accumulated.map((a) => a.className)));
  for (let k = 1; k < s.snaps.length; k++) {
    for (const name of new Set([...s.counts[k]!.keys(), ...s.counts[k - 1]!.keys()])) {
      if (listed.has(name)) continue;
      const delta = count(s, k, name) - count(s, k - 1, name);
      assert.ok(Math.abs(delta) <= THRESHOLD, `${label}: ${name} changes by ${delta} from snapshot ${k - 1} to ${k}`);
    }
  }
}

function checkSourceLines(base: string, suspect: Suspect, label: string): void {
  const line = (file: string, n: number): string => readFileSync(join(base, file), 'utf8').split('\n')[n - 1] ?? '';
  const d = suspect.container.declaredAt;
  assert.ok(line(d.file, d.line).includes(d.text), `${label}: ${d.file}:${d.line} is ${JSON.stringify(line(d.file, d.line))}`);
  for (const a of suspect.accumulated) {
    const by = a.allocatedBy;
    if (!by) continue;
    assert.ok(line(by.file, by.line).includes(by.text), `${label}: ${by.file}:${by.line} is ${JSON.stringify(line(by.file, by.line))}`);
    if (by.userFrame) {
      // The frame's line is where the allocating function starts.
      const start = line(by.userFrame.file, by.userFrame.line);
      assert.ok(start.includes(by.userFrame.function) || /\bconstructor\s*\(/.test(start), `${label}: ${by.userFrame.file}:${by.userFrame.line} starts ${by.userFrame.function}: ${JSON.stringify(start)}`);
    }
  }
}

function checkAllocationStacks(s: Series, suspect: Suspect, containerId: number, base: string, label: string): void {
  const k = s.snaps.length - 1;
  const stacks = allocationStacks(s.files[k]!);
  const { ids } = s.cols[k]!;
  let checked = 0;
  for (const a of suspect.accumulated) {
    const by = a.allocatedBy;
    if (!by?.trace || !by.userFrame) continue;
    const trace = by.trace;
    const user = by.userFrame;
    for (const o of newObjects(s, k, a.className, a.name)) {
      if (walkToOld(s, k, o).map((d) => ids[d]).at(-1) !== containerId) continue;
      const stack = stacks(ids[o]!);
      const where = `${label}: allocation stack of ${a.className} @${ids[o]}: ${stack.map((f) => `${f.function} ${f.script}:${f.line}:${f.column}`).join(' < ')}`;
      const top = stack[0];
      assert.ok(top, where);
      assert.equal(top.function, trace.function, where);
      assert.ok(sameScript(top.script, trace.script, base), where);
      if (!trace.script.startsWith('node:') || sameNode) {
        assert.equal(top.line, trace.line, where);
        assert.equal(top.column, trace.column, where);
      }
      const mine = stack.find((f) => slash(f.script).startsWith(slash(base) + '/'));
      assert.ok(mine, where);
      assert.equal(mine.function, user.function, where);
      assert.ok(sameScript(mine.script, user.file, base), where);
      assert.equal(mine.line, user.line, where);
      checked++;
    }
  }
  assert.ok(checked > 0, `${label}: allocation stacks checked`);
}

// ---------------------------------------------------------------------------------------------

describe('leak fixture programs (test/fixtures/programs/leaks/expected.json)', () => {
  it('expected.json lists the programs in this folder', () => {
    const programs = readdirSync(leaksDir).filter((f) => f.endsWith('.cjs')).sort();
    assert.deepEqual(Object.values(expected.programs).map((p) => p.file).sort(), programs);
    assert.ok(programs.length >= 5);
  });

  for (const [name, program] of Object.entries(expected.programs)) {
    if (program.suspects.length === 0) continue;
    describe(name, () => {
      it('expected.json points at the allocating source lines', () => {
        for (const suspect of program.suspects) checkSourceLines(leaksDir, suspect, name);
      });

      it('each accumulated class grows by exactly its count per interval, and nothing else grows', async () => {
        const s = await programSeries(name, false);
        assert.equal(s.snaps.length, COUNT);
        for (const suspect of program.suspects) checkGrowth(s, suspect, name);
        checkNothingElseGrows(s, program.suspects, name);
      });

      it('the new objects converge into one container present since snapshot 0, with the expected class, path and dominator chain', async () => {
        const s = await programSeries(name, false);
        for (const suspect of program.suspects) checkContainer(s, suspect, name);
      });

      it('with --track-heap-objects: the same leak, and allocation stacks name the allocating function', async () => {
        const s = await programSeries(name, true);
        for (const suspect of program.suspects) {
          checkGrowth(s, suspect, `${name} (tracked)`);
          const container = checkContainer(s, suspect, `${name} (tracked)`);
          checkAllocationStacks(s, suspect, container, leaksDir, `${name} (tracked)`);
        }
      });
    });
  }

  describe('steady (the control)', () => {
    const program = expected.programs['steady']!;

    for (const tracked of [false, true]) {
      it(`no class grows by more than ${THRESHOLD} objects in any interval${tracked ? ' (--track-heap-objects)' : ''}`, async () => {
        const s = await programSeries('steady', tracked);
        assert.equal(program.suspects.length, 0);
        checkNothingElseGrows(s, [], tracked ? 'steady (tracked)' : 'steady');
        // Total size: flat once the allocation tracker has set itself up (see expected.json's noise).
        for (let k = tracked ? 2 : 1; k < s.snaps.length; k++) {
          const delta = s.snaps[k]!.summary().totalSize - s.snaps[k - 1]!.summary().totalSize;
          assert.ok(Math.abs(delta) < 64 * 1024, `steady: total size changes by ${delta} from snapshot ${k - 1} to ${k}`);
        }
      });
    }

    it('the decoy: the LRU Map receives new entries every interval but keeps its size', async () => {
      const s = await programSeries('steady', false);
      for (const decoy of program.decoys ?? []) {
        for (let k = 0; k < s.snaps.length; k++) {
          for (const [cls, n] of Object.entries(decoy.constantCount)) assert.equal(count(s, k, cls), n, `${cls} in snapshot ${k}`);
        }
        let mapId: number | undefined;
        for (let k = 1; k < s.snaps.length; k++) {
          const at = converge(s, k, decoy.newPerInterval.className);
          assert.equal(at.size, 1, JSON.stringify([...at]));
          const [id, n] = [...at][0]!;
          mapId ??= id;
          assert.equal(id, mapId);
          assert.equal(n, decoy.newPerInterval.count);
        }
        const sizes = s.snaps.map((snap) => snap.nodeById(mapId!)!.retainedSize);
        for (const size of sizes) {
          assert.ok(Math.abs(size - sizes[0]!) <= sizes[0]! * 0.02, `LRU Map retained sizes ${sizes.join(', ')}`);
        }
        for (let k = 0; k < s.snaps.length; k++) {
          const node = s.snaps[k]!.nodeById(mapId!)!;
          assert.equal(node.className, decoy.className);
          const text = s.snaps[k]!.retainerPath(node.ordinal).text;
          // Reached only from GC roots; a transient handle can give the shorter path.
          assert.ok(text.endsWith(decoy.pathSuffix) || text === '(GC roots)/(Handle scope)/Map', text);
        }
      }
    });
  });
});

describe('the demo program (examples/wordseg-service.cjs --snapshots DIR N)', () => {
  const [suspect] = expected.demo.suspects;

  it('expected.json points at the allocating source lines', () => {
    checkSourceLines(repoRoot(), suspect!, 'demo');
  });

  it(`writes N snapshots; segmenter.words gains ${expected.demo.tasksPerInterval} x 300 strings per batch`, async () => {
    const s = await demoSeries();
    assert.equal(s.snaps.length, COUNT);
    checkGrowth(s, suspect!, 'demo');
    checkContainer(s, suspect!, 'demo');
    checkNothingElseGrows(s, [suspect!], 'demo');
  });
});
