// Differential tests: heapdiff's numbers against Chrome DevTools' own snapshot model
// (heap-snapshot-toolkit) on real snapshots written by Node.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openSnapshot, type Snapshot } from '../src/index.js';
import { devtoolsReference, type DevtoolsReference } from './helpers/devtools.js';
import { writeSnapshot, writeSnapshotSeries } from './helpers/snapshots.js';
import { repoRoot } from './helpers/paths.js';
import { join } from 'node:path';

async function compare(path: string): Promise<{ ours: Snapshot; ref: DevtoolsReference }> {
  const [ours, ref] = await Promise.all([openSnapshot(path), devtoolsReference(path)]);
  const s = ours.summary();
  assert.equal(s.nodeCount, ref.nodeCount, 'node count');
  assert.equal(s.edgeCount, ref.edgeCount, 'edge count');
  assert.equal(s.totalSize, ref.totalSize, 'total size');
  const st = s.statistics;
  assert.deepEqual(
    { total: st.total, native: { total: st.native, typedArrays: st.typedArrays }, v8heap: { total: st.v8heap, code: st.code, jsArrays: st.jsArrays, strings: st.strings, system: st.system } },
    ref.statistics,
    'statistics',
  );

  // Per class: identical key, name, count, shallow and retained size, distance.
  const byKey = <T extends { key: string }>(list: T[]) => new Map(list.map((c) => [c.key, c]));
  const oursByKey = byKey(ours.classes());
  const refByKey = byKey(ref.classes);
  const missing = [...refByKey.keys()].filter((k) => !oursByKey.has(k));
  const extra = [...oursByKey.keys()].filter((k) => !refByKey.has(k));
  assert.deepEqual({ missing, extra }, { missing: [], extra: [] }, 'class keys');
  for (const [key, r] of refByKey) {
    const o = oursByKey.get(key)!;
    assert.deepEqual(o, { name: r.name, key: r.key, count: r.count, selfSize: r.selfSize, retainedSize: r.retainedSize, distance: r.distance }, `class ${key}`);
  }

  // Per node: shallow size, retained size, distance, dominator and class key.
  const c = ours.columns();
  const mismatches: string[] = [];
  for (let i = 0; i < c.ids.length && mismatches.length < 10; i++) {
    const id = c.ids[i]!;
    const want = {
      self: ref.selfSizeById.get(id), retained: ref.retainedById.get(id), distance: ref.distanceById.get(id),
      dominator: ref.dominatorById.get(id), key: ref.classKeyById.get(id),
    };
    const got = {
      self: c.selfSizes[i], retained: c.retainedSizes[i], distance: c.distances[i],
      dominator: c.ids[c.dominators[i]!], key: c.classKeys[c.classes[i]!],
    };
    if (JSON.stringify(want) !== JSON.stringify(got)) mismatches.push(`@${id}: want ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
  }
  assert.deepEqual(mismatches, [], 'per-node figures');
  return { ours, ref };
}

describe('heapdiff equals Chrome DevTools on snapshots written by Node', () => {
  it('a program with classes, plain objects, closures, Maps, WeakMaps and typed arrays', async () => {
    const { ours } = await compare(await writeSnapshot('basic'));
    const points = ours.classes().find((k) => k.name === 'FixturePoint');
    assert.equal(points?.count, 120);
  });

  it('the same program with allocation tracking (7 node fields, trace tree)', async () => {
    const { ours } = await compare(await writeSnapshot('basic', { nodeArgs: ['--track-heap-objects'] }));
    assert.equal(ours.summary().hasAllocationTraces, true);
  });

  it('every snapshot of a growing series', async () => {
    for (const path of await writeSnapshotSeries('series', 3)) await compare(path);
  });

  it('the demo sample program', async () => {
    const { writeSnapshot: write } = await import('./helpers/snapshots.js');
    await compare(await write(join(repoRoot(), 'examples', 'sample-app.cjs')));
  });
});
