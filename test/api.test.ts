// The TypeScript API on real snapshots: queries, paths, and loading off the main thread.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { openSnapshot } from '../src/index.js';
import { repoRoot } from './helpers/paths.js';
import { writeSnapshot } from './helpers/snapshots.js';

const sampleApp = () => writeSnapshot(join(repoRoot(), 'examples', 'sample-app.cjs'));

describe('openSnapshot', () => {
  it('answers node, edge, retainer, dominator and path queries consistently', async () => {
    const snapshot = await openSnapshot(await sampleApp());
    const [top] = snapshot.largest(1);
    assert.ok(top);
    assert.deepEqual(snapshot.nodeById(top.id), top);
    assert.equal(snapshot.nodeById(-1), undefined);

    const store = snapshot.largest(50).find((n) => snapshot.retainerPath(n.ordinal).text === 'global.app.store.sessions');
    assert.ok(store, 'the session Map is among the largest objects');
    const path = snapshot.retainerPath(store.ordinal);
    assert.equal(path.nodes.length, path.edges.length + 1);
    assert.deepEqual(path.edges.map((e) => e.step), ['.app', '.store', '.sessions']);
    assert.equal(path.nodes.at(-1), store.ordinal);
    assert.equal(snapshot.node(path.nodes[0]!).name, 'global');

    // The Map's retainers include the store's `sessions` property.
    const retainers = snapshot.retainers(store.ordinal);
    assert.ok(retainers.some((r) => r.name === 'sessions' && r.type === 'property'));
    // Retained size is its own size plus what it dominates.
    const children = snapshot.dominatedChildren(store.ordinal);
    const sum = children.reduce((s, c) => s + snapshot.node(c).retainedSize, store.selfSize);
    assert.equal(sum, store.retainedSize);
    for (const c of children) assert.equal(snapshot.dominator(c), store.ordinal);
    // Paging.
    assert.deepEqual(snapshot.dominatedChildren(store.ordinal, { offset: 1, limit: 2 }), children.slice(1, 3));
    assert.equal(snapshot.edges(store.ordinal).length, store.edgeCount);
    assert.throws(() => snapshot.node(1e9), /no node with ordinal/);
  });

  it('gives the same answers with distances left for first use', async () => {
    const file = await sampleApp();
    const [opening, firstUse] = await Promise.all([openSnapshot(file), openSnapshot(file, { distances: 'first-use' })]);
    // The distances are not held until something needs them.
    assert.ok(firstUse.summary().memoryBytes < opening.summary().memoryBytes);
    const { memoryBytes: _a, ...summary } = opening.summary();
    const { memoryBytes: _b, ...lazySummary } = firstUse.summary();
    assert.deepEqual(lazySummary, summary);
    // Class distances come from the distances computed on first use.
    assert.deepEqual(firstUse.classes(), opening.classes());
    const top = opening.largest(20);
    assert.deepEqual(firstUse.largest(20), top);
    for (const n of top) assert.deepEqual(firstUse.retainerPath(n.ordinal), opening.retainerPath(n.ordinal));
    assert.equal(firstUse.summary().memoryBytes, opening.summary().memoryBytes);
  });

  it('gives the same class figures with class retained sizes left for first use', async () => {
    const file = await sampleApp();
    // One after the other: while other snapshots are being opened, they are computed at once.
    const opening = await openSnapshot(file);
    const later = await openSnapshot(file, { classRetained: 'first-use' });
    const { memoryBytes: _a, ...summary } = opening.summary();
    const { memoryBytes: _b, ...lazySummary } = later.summary();
    assert.deepEqual(lazySummary, summary);
    // Until their first use, the dominator tree's child lists are held for it.
    assert.ok(later.summary().memoryBytes > opening.summary().memoryBytes);
    // A census that does not wait for them: the same columns and classes, retained sizes zero.
    // A diff paired with it and given them afterwards is the diff with the whole census.
    const quick = later.census(undefined, false);
    const whole = opening.census();
    const columns = (c: typeof whole) => ({ ...c, classSummaries: c.classSummaries.map(({ retainedSize: _, ...k }) => k) });
    assert.deepEqual(columns(quick), columns(whole));
    assert.ok(quick.classSummaries.every((c) => c.retainedSize === 0));
    assert.ok(later.summary().memoryBytes > opening.summary().memoryBytes);
    assert.throws(() => opening.diffPaired(whole.classSummaries), /pair first/);
    opening.pairWith(quick);
    assert.throws(() => opening.diffPaired([]), /not those of the census paired with/);
    assert.deepEqual(opening.diffPaired(later.censusClasses()), opening.diffWith(whole));
    assert.deepEqual(later.census(), opening.census());
    assert.equal(later.summary().memoryBytes, opening.summary().memoryBytes);
    assert.deepEqual(later.classes(), opening.classes());
  });

  it('keeping only its classes, holds less and answers what a diff asks as a whole snapshot does', async () => {
    const file = await sampleApp();
    // As a diff opens its current: its cores shared, each big array parsed by one thread, not
    // split, and (opened alone) its class retained sizes left for the compare.
    const whole = await openSnapshot(file);
    const lean = await openSnapshot(file, { distances: 'first-use', classRetained: 'first-use', keep: 'classes', cores: 'shared' });
    assert.ok(lean.summary().memoryBytes < whole.summary().memoryBytes);
    const { memoryBytes: _a, ...summary } = whole.summary();
    const { memoryBytes: _b, ...leanSummary } = lean.summary();
    assert.deepEqual(leanSummary, summary);
    // The same classes, sizes, census and diff; no distances.
    const withoutDistances = <T extends { distance: number }>(classes: T[]) => classes.map(({ distance: _, ...c }) => c);
    assert.deepEqual(withoutDistances(lean.classes()), withoutDistances(whole.classes()));
    assert.ok(lean.classes().every((c) => c.distance < 0));
    const census = (s: typeof whole) => ({ ...s.census(), classSummaries: withoutDistances(s.census().classSummaries) });
    assert.deepEqual(census(lean), census(whole));
    assert.deepEqual(lean.diffWith(whole.census()), whole.diffWith(whole.census()));
    // What needs the edges' names is refused in one clear line.
    const [top] = whole.largest(1);
    const queries = [
      () => lean.node(top!.ordinal),
      () => lean.retainerPath(top!.ordinal),
      () => lean.edges(top!.ordinal),
      () => lean.columns(),
      () => lean.leakSuspects([1]),
      () => lean.holdings(1, [top!.id]),
    ];
    for (const query of queries) {
      assert.throws(query, /opened keeping only its classes/);
    }
  });

  it('keeps the event loop free while it loads, and reports progress', async () => {
    const file = await writeSnapshot('basic');
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const phases = new Set<string>();
    await openSnapshot(file, { onProgress: (p) => phases.add(p.phase) });
    clearInterval(timer);
    assert.ok(ticks > 0, 'timers ran during the load');
    assert.ok(phases.has('done'), [...phases].join());
  });

  it('rejects bad input with the file and byte offset', async () => {
    await assert.rejects(openSnapshot(join(repoRoot(), 'package.json')), /package\.json: at byte 0: expected '\{'|package\.json: at byte \d+: /);
  });

  it('loads inside a worker thread', async () => {
    const file = await writeSnapshot('basic');
    const url = new URL('../src/index.js', import.meta.url).href;
    const code = `import { parentPort, workerData } from 'node:worker_threads';
      const { openSnapshot } = await import(workerData.url);
      const s = await openSnapshot(workerData.file);
      parentPort.postMessage(s.summary().nodeCount);`;
    const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`), { workerData: { url, file } });
    const count = await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    const main = await openSnapshot(file);
    assert.equal(count, main.summary().nodeCount);
    await worker.terminate();
  });
});
