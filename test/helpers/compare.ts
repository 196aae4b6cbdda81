// Compares heapdiff's analysis of a snapshot with DevTools' own (heap-snapshot-toolkit):
// totals, statistics, every class, and every node's sizes, distance, dominator and class key.
import assert from 'node:assert/strict';
import { openSnapshot, type Snapshot } from '../../src/index.js';
import { devtoolsReference, type DevtoolsReference } from './devtools.js';

export async function compareWithDevtools(path: string): Promise<{ ours: Snapshot; ref: DevtoolsReference }> {
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

