// Self-check of the test helpers: real fixture snapshots, DevTools reference
// numbers (heap-snapshot-toolkit) and the snapshot builder.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { NODE20_META, SnapshotBuilder, buildSnapshot, builderFromSpec, type HeapSnapshotJson } from './helpers/builder.js';
import {
  BASE_SYSTEM_DISTANCE,
  NO_DISTANCE,
  devtoolsAllocationStack,
  devtoolsDiff,
  devtoolsReference,
  loadDevtoolsModel,
  loadDevtoolsModelFromString,
  type DevtoolsClass,
  type DevtoolsReference,
} from './helpers/devtools.js';
import { basicExpected, seriesExpected, writeSnapshot, writeSnapshotSeries } from './helpers/snapshots.js';

function readJson(path: string): HeapSnapshotJson {
  return JSON.parse(readFileSync(path, 'utf8')) as HeapSnapshotJson;
}

function classNamed(ref: DevtoolsReference, name: string): DevtoolsClass {
  const matches = ref.classes.filter((c) => c.name === name);
  assert.equal(matches.length, 1, `expected exactly one class named ${name}, got ${matches.map((c) => c.key).join(' | ')}`);
  return matches[0]!;
}

function idsOfClass(ref: DevtoolsReference, key: string): number[] {
  const ids: number[] = [];
  for (const [id, k] of ref.classKeyById) if (k === key && ref.selfSizeById.get(id)! > 0) ids.push(id);
  return ids;
}

function sum(values: Iterable<number>): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}

describe('fixture snapshots + DevTools reference', () => {
  it('basic.cjs: DevTools sees the fixture classes with the expected counts', async () => {
    const path = await writeSnapshot('basic');
    const ref = await devtoolsReference(path);
    const raw = readJson(path);
    const expected = basicExpected();

    assert.equal(ref.nodeCount, raw.snapshot.node_count);
    assert.equal(ref.edgeCount, raw.snapshot.edge_count);

    for (const [name, count] of Object.entries(expected.classes)) {
      const c = classNamed(ref, name);
      assert.equal(c.count, count, `count of ${name}`);
      assert.match(c.key, new RegExp(`^\\d+,\\d+,\\d+,${name}$`), `${name} is keyed by its constructor location`);
      assert.ok(c.selfSize > 0 && c.retainedSize >= c.selfSize, `${name} sizes`);
      assert.ok(c.distance > 1 && c.distance < BASE_SYSTEM_DISTANCE, `${name} is reachable from the global object`);
    }
    for (const [name, count] of Object.entries(expected.plainObjects)) {
      assert.equal(classNamed(ref, name).count, count, `count of plain objects ${name}`);
    }
  });

  it('basic.cjs: totals, root and per-node numbers are consistent', async () => {
    const path = await writeSnapshot('basic');
    const ref = await devtoolsReference(path);
    const raw = readJson(path);
    const extra = raw.snapshot.extra_native_bytes ?? 0;

    const selfTotal = sum(ref.selfSizeById.values());
    assert.equal(ref.totalSize, selfTotal + extra, 'total = sum of (adjusted) self sizes');
    assert.equal(ref.retainedById.get(ref.rootId), ref.totalSize - extra, 'root retains everything');
    assert.equal(ref.statistics.total, ref.totalSize);
    assert.equal(sum(ref.classes.map((c) => c.selfSize)), selfTotal, 'classes partition the shallow sizes');
    assert.equal(ref.distanceById.get(ref.rootId), BASE_SYSTEM_DISTANCE);
    assert.equal(ref.dominatorById.get(ref.rootId), ref.rootId);
    assert.equal(ref.selfSizeById.size, ref.nodeCount, 'node ids are unique');

    // The shallow-size adjustment moves sizes between nodes, it never loses any.
    const nfc = raw.snapshot.meta.node_fields.length;
    const selfOffset = raw.snapshot.meta.node_fields.indexOf('self_size');
    const idOffset = raw.snapshot.meta.node_fields.indexOf('id');
    let rawTotal = 0;
    let moved = 0;
    for (let i = 0; i < raw.nodes.length; i += nfc) {
      const size = raw.nodes[i + selfOffset]!;
      rawTotal += size;
      if (ref.selfSizeById.get(raw.nodes[i + idOffset]!) !== size) moved++;
    }
    assert.equal(rawTotal, selfTotal);
    assert.ok(moved > 0, 'some hidden/array sizes were moved into their owners');

    // Retained size = self + retained sizes of the immediately dominated nodes.
    const childSum = new Map<number, number>();
    for (const [id, dom] of ref.dominatorById) {
      if (id !== ref.rootId) childSum.set(dom, (childSum.get(dom) ?? 0) + ref.retainedById.get(id)!);
    }
    for (const [id, retained] of ref.retainedById) {
      assert.equal(retained, ref.selfSizeById.get(id)! + (childSum.get(id) ?? 0), `retained size of @${id}`);
    }

    // FixturePoint: no member dominates another, so the class retains the sum.
    const points = classNamed(ref, 'FixturePoint');
    const pointIds = idsOfClass(ref, points.key);
    assert.equal(pointIds.length, points.count);
    assert.equal(points.retainedSize, sum(pointIds.map((id) => ref.retainedById.get(id)!)));

    // The owner holds the only references to its points.
    const owner = classNamed(ref, 'FixtureOwner');
    const ownerId = idsOfClass(ref, owner.key)[0]!;
    const owned = pointIds.filter((id) => ref.dominatorById.get(id) !== undefined && isDominatedBy(ref, id, ownerId));
    assert.equal(owned.length, basicExpected().ownedPoints);
    assert.ok(owner.retainedSize >= owner.selfSize + sum(owned.map((id) => ref.selfSizeById.get(id)!)));

    // The tree's root node dominates the whole tree: class retained = its retained.
    const tree = classNamed(ref, 'FixtureTreeNode');
    const treeIds = idsOfClass(ref, tree.key);
    const treeRoot = treeIds.reduce((a, b) => (ref.retainedById.get(a)! >= ref.retainedById.get(b)! ? a : b));
    assert.equal(tree.retainedSize, ref.retainedById.get(treeRoot));
    for (const id of treeIds) assert.ok(isDominatedBy(ref, id, treeRoot) || id === treeRoot);
  });

  it('basic.cjs under --track-heap-objects: allocation stacks name the fixture functions', async () => {
    const path = await writeSnapshot('basic', { nodeArgs: ['--track-heap-objects'] });
    const raw = readJson(path);
    assert.ok(raw.snapshot.trace_function_count > 0, 'trace_function_infos written');
    assert.ok(raw.trace_tree.length > 0, 'trace_tree written');
    const ref = await devtoolsReference(path);
    const points = classNamed(ref, 'FixturePoint');
    assert.equal(points.count, basicExpected().classes['FixturePoint']);
    const stack = await devtoolsAllocationStack(path, idsOfClass(ref, points.key)[0]!);
    assert.ok(stack && stack.length > 0, 'a FixturePoint has an allocation stack');
    assert.equal(stack[0]!.functionName, 'allocatePoints');
    assert.match(stack[0]!.scriptName, /basic\.cjs$/);
  });

  it('series.cjs: DevTools comparison shows the leak growing', async () => {
    const exp = seriesExpected();
    const files = await writeSnapshotSeries('series', 3);
    assert.equal(files.length, 3);

    const byName = (rows: Awaited<ReturnType<typeof devtoolsDiff>>, name: string) => rows.filter((r) => r.name === name);
    const d01 = await devtoolsDiff(files[0]!, files[1]!);
    for (const name of ['FixtureLeakItem', 'FixtureLeakEntry']) {
      const [row, ...more] = byName(d01, name);
      assert.ok(row && more.length === 0, `one diff row for ${name}`);
      assert.equal(row.addedCount, exp.perStep);
      assert.equal(row.removedCount, 0);
      assert.equal(row.countDelta, exp.perStep);
      assert.ok(row.addedSize > 0 && row.sizeDelta === row.addedSize);
      assert.equal(row.addedIds.length, exp.perStep);
    }
    const [transient] = byName(d01, 'FixtureTransient');
    assert.ok(transient);
    assert.equal(transient.addedCount, exp.transientCount);
    assert.equal(transient.removedCount, exp.transientCount);
    assert.equal(transient.countDelta, 0);
    assert.equal(transient.sizeDelta, transient.addedSize - transient.removedSize);
    assert.equal(byName(d01, 'FixtureStable').length, 0, 'unchanged classes are not listed');

    const d02 = await devtoolsDiff(files[0]!, files[2]!);
    assert.equal(byName(d02, 'FixtureLeakItem')[0]?.addedCount, 2 * exp.perStep);
    // Same current snapshot, another base: must not reuse the cached 0->2 diff
    // (heap-snapshot-toolkit's diff() does, as it keys its cache by an undefined uid).
    const d12 = await devtoolsDiff(files[1]!, files[2]!);
    assert.equal(byName(d12, 'FixtureLeakItem')[0]?.addedCount, exp.perStep);
    const last = await devtoolsReference(files[2]!);
    assert.equal(classNamed(last, 'FixtureLeakItem').count, 3 * exp.perStep);
    assert.equal(classNamed(last, 'FixtureStable').count, exp.stableCount);
  });
});

function isDominatedBy(ref: DevtoolsReference, id: number, ancestor: number): boolean {
  let cur = ref.dominatorById.get(id);
  while (cur !== undefined && cur !== ref.rootId) {
    if (cur === ancestor) return true;
    cur = ref.dominatorById.get(cur);
  }
  return ancestor === ref.rootId;
}

// global(10) -> a: Foo(32) -> arr: (array)(16), a -> s: 'hello'(20)
// global -> b: Bar(24) -> a ; b -weak-> w: Weakling(8)
function smallGraph(nodeFields: 5 | 6 | 7): SnapshotBuilder {
  const b = new SnapshotBuilder({ nodeFields });
  b.addStandardRoots({ globalSize: 10 });
  b.node('a', { type: 'object', name: 'Foo', selfSize: 32, traceNodeId: 2 });
  b.node('arr', { type: 'array', name: '(object elements)', selfSize: 16 });
  b.node('b', { type: 'object', name: 'Bar', selfSize: 24 });
  b.node('w', { type: 'object', name: 'Weakling', selfSize: 8 });
  b.node('s', { type: 'string', name: 'hello', selfSize: 20 });
  b.edges([
    ['global', 'property', 'a', 'a'],
    ['global', 'property', 'b', 'b'],
    ['b', 'property', 'foo', 'a'],
    ['b', 'weak', 'ref', 'w'],
    ['a', 'internal', 'elements', 'arr'],
    ['a', 'property', 'label', 's'],
  ]);
  return b;
}

describe('snapshot builder', () => {
  it('writes exactly the meta Node 20 writes', { skip: !process.versions.node.startsWith('20.') && 'meta checked on Node 20 only' }, async () => {
    const real = readJson(await writeSnapshot('basic'));
    assert.deepEqual(real.snapshot.meta, NODE20_META);
    assert.equal(JSON.stringify(real.snapshot.meta), JSON.stringify(NODE20_META), 'same key order');
    const built = JSON.parse(smallGraph(7).toString()) as HeapSnapshotJson;
    assert.equal(JSON.stringify(built.snapshot.meta), JSON.stringify(NODE20_META));
    assert.deepEqual(Object.keys(built), Object.keys(real));
    assert.deepEqual(Object.keys(built.snapshot), Object.keys(real.snapshot));
  });

  for (const fields of [5, 6, 7] as const) {
    it(`round-trips through heap-snapshot-toolkit with ${fields} node fields`, async () => {
      const b = smallGraph(fields);
      const text = b.toString();
      const parsed = JSON.parse(text) as HeapSnapshotJson;
      assert.equal(parsed.snapshot.meta.node_fields.length, fields);
      assert.equal(parsed.nodes.length, 8 * fields);
      assert.equal(parsed.snapshot.edge_count, 8);
      assert.equal(parsed.strings[0], '<dummy>');

      const ref = await devtoolsReference(await b.write());
      const id = (k: string): number => b.idOf(k);
      assert.equal(ref.nodeCount, 8);
      assert.equal(ref.edgeCount, 8);
      assert.equal(ref.rootId, 1);
      // Shallow sizes: the array is owned by a alone, so its size moves into a.
      assert.equal(ref.selfSizeById.get(id('arr')), 0);
      assert.equal(ref.selfSizeById.get(id('a')), 48);
      // Dominators: a is retained by global and by b -> dominated by global;
      // w has only a weak retainer -> attached to the root.
      assert.equal(ref.dominatorById.get(id('a')), id('global'));
      assert.equal(ref.dominatorById.get(id('arr')), id('a'));
      assert.equal(ref.dominatorById.get(id('w')), id('root'));
      const retained = Object.fromEntries(['root', 'global', 'a', 'arr', 'b', 'w', 's'].map((k) => [k, ref.retainedById.get(id(k))]));
      assert.deepEqual(retained, { root: 110, global: 102, a: 68, arr: 0, b: 24, w: 8, s: 20 });
      assert.equal(ref.totalSize, 110);
      const distance = Object.fromEntries(['root', 'gcroots', 'global', 'a', 'b', 'arr', 's', 'w'].map((k) => [k, ref.distanceById.get(id(k))]));
      assert.deepEqual(distance, {
        root: BASE_SYSTEM_DISTANCE,
        gcroots: BASE_SYSTEM_DISTANCE + 1,
        global: 1,
        a: 2,
        b: 2,
        arr: 3,
        s: 3,
        w: NO_DISTANCE,
      });
      const classes = Object.fromEntries(ref.classes.map((c) => [c.key, [c.count, c.selfSize, c.retainedSize, c.distance]]));
      assert.deepEqual(classes, {
        ',global': [1, 10, 102, 1],
        ',Foo': [1, 48, 68, 2],
        ',Bar': [1, 24, 24, 2],
        ',(string)': [1, 20, 20, 3],
        ',Weakling': [1, 8, 8, NO_DISTANCE],
      });
    });
  }

  it('declarative spec: locations, allocation traces, extra_native_bytes and odd strings', async () => {
    const lone = 'lone \ud800 surrogate';
    const b = builderFromSpec({
      nodeFields: 6,
      extraNativeBytes: 1000,
      nodes: {
        root: { type: 'synthetic', id: 1 },
        win: { type: 'object', name: 'Window', selfSize: 4 },
        foo: { type: 'object', name: 'Foo', selfSize: 32, traceNodeId: 2 },
        odd: { type: 'string', name: lone, selfSize: 12 },
        emoji: { type: 'string', name: 'snow \u2603 \u{1F600} "quoted"\n', selfSize: 12 },
      },
      edges: [
        ['root', 'shortcut', 'win', 'win'],
        { from: 'win', type: 'property', name: 'foo', to: 'foo' },
        ['win', 'element', 0, 'odd'],
        ['win', 'element', 1, 'emoji'],
      ],
      locations: [{ node: 'foo', scriptId: 7, line: 2, column: 4 }],
      traceFunctionInfos: [
        { functionId: 0, name: '(root)', scriptName: '', scriptId: 0, line: 0, column: 0 },
        { functionId: 11, name: 'makeFoo', scriptName: 'app.js', scriptId: 7, line: 3, column: 5 },
      ],
      traceTree: { id: 1, functionInfoIndex: 0, count: 0, size: 0, children: [{ id: 2, functionInfoIndex: 1, count: 1, size: 32 }] },
    });
    const text = b.toString();
    const parsed = JSON.parse(text) as HeapSnapshotJson;
    assert.equal(parsed.snapshot.extra_native_bytes, 1000);
    assert.equal(parsed.snapshot.trace_function_count, 2);
    assert.ok(parsed.strings.includes(lone));

    const model = await loadDevtoolsModelFromString(text);
    assert.equal(model.totalSize, 4 + 32 + 12 + 12 + 1000);
    const names: string[] = [];
    for (let i = 0; i < model.nodeCount; i++) names.push(model.createNode(i * model.nodeFieldCount).name());
    assert.ok(names.includes(lone), 'lone surrogate survives');
    assert.ok(names.includes('snow \u2603 \u{1F600} "quoted"\n'));

    const path = await b.write();
    const ref = await devtoolsReference(path);
    const fooKey = ref.classes.find((c) => c.name === 'Foo')?.key;
    assert.equal(fooKey, '7,2,4,Foo', 'class key carries the location');
    const stack = await devtoolsAllocationStack(path, b.idOf('foo'));
    assert.equal(stack?.[0]?.functionName, 'makeFoo');
    assert.equal(stack?.[0]?.scriptName, 'app.js');
  });

  it('rejects malformed snapshots quickly instead of hanging', async () => {
    await assert.rejects(loadDevtoolsModelFromString('{"snapshot":{"meta":{}}}'), /missing|truncated|Cannot|undefined/);
    assert.throws(() => smallGraph(7).edge('a', 'element', 'not-a-number', 's').toString(), /integer index/);
    assert.throws(() => buildSnapshot({ nodes: { root: {} }, edges: [['root', 'property', 'x', 'nope']] }), /unknown node 'nope'/);
    assert.throws(() => buildSnapshot({ nodes: { 1: {}, root: {} } }), /array index/);
  });

  it('loadDevtoolsModel caches per file', async () => {
    const path = await writeSnapshot('basic');
    assert.equal(await loadDevtoolsModel(path), await loadDevtoolsModel(path));
  });
});
