// Edge cases of DevTools' semantics, each a small hand-built snapshot compared with DevTools'
// own model node by node.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SnapshotBuilder } from './helpers/builder.js';
import { compareWithDevtools } from './helpers/compare.js';

const check = async (b: SnapshotBuilder) => compareWithDevtools(await b.write());

describe('DevTools semantics on hand-built snapshots', () => {
  it('nodes held only weakly, and unreachable cycles, hang off the root', async () => {
    const b = new SnapshotBuilder().addStandardRoots({ globalSize: 16 });
    b.nodes({
      live: { name: 'Live', selfSize: 10 }, y: { name: 'Y', selfSize: 7 },
      weakOnly: { name: 'WeakOnly', selfSize: 20 }, behindWeak: { name: 'BehindWeak', selfSize: 30 },
      cycleA: { name: 'CycleA', selfSize: 40 }, cycleB: { name: 'CycleB', selfSize: 50 },
    });
    b.edges([
      ['global', 'property', 'live', 'live'], ['live', 'property', 'y', 'y'],
      ['live', 'weak', 'w', 'weakOnly'], ['weakOnly', 'property', 'next', 'behindWeak'],
      ['cycleA', 'property', 'b', 'cycleB'], ['cycleB', 'property', 'a', 'cycleA'], ['cycleA', 'property', 'y', 'y'],
      ['live', 'property', 'self', 'live'],
    ]);
    const { ours } = await check(b);
    const live = ours.classes().find((c) => c.name === 'Live');
    assert.equal(live?.retainedSize, 17, 'Y stays dominated by Live despite the unreachable cycle');
  });

  it('WeakMap entries: the table copy of an ephemeron edge does not dominate', async () => {
    const b = new SnapshotBuilder().addStandardRoots();
    b.nodes({
      map: { name: 'WeakMap', selfSize: 24 }, table: { type: 'array', name: '(table)', selfSize: 64, id: 101 },
      key: { name: 'Key', selfSize: 16, id: 103 }, value: { name: 'Value', selfSize: 100, id: 105 },
    });
    const pair = 'part of key (Key @103) -> value (Value @105) pair in WeakMap (table @101)';
    b.edges([
      ['global', 'property', 'map', 'map'], ['global', 'property', 'key', 'key'],
      ['map', 'internal', 'table', 'table'],
      ['table', 'internal', `1 / ${pair}`, 'value'], ['key', 'internal', `3 / ${pair}`, 'value'],
    ]);
    await check(b);
  });

  it('shallow sizes of owned arrays move into their single owner, not into shared or root-held ones', async () => {
    const b = new SnapshotBuilder().addStandardRoots();
    b.nodes({
      owner: { name: 'Owner', selfSize: 32 }, own: { type: 'array', name: '(object elements)', selfSize: 800 },
      a: { name: 'A', selfSize: 8 }, c: { name: 'C', selfSize: 8 }, shared: { type: 'array', name: '', selfSize: 400 },
      hidden: { type: 'hidden', name: 'system / PropertyArray', selfSize: 48 },
      rooted: { type: 'array', name: '(roots array)', selfSize: 300 },
      ext: { type: 'native', name: 'system / ExternalStringData', selfSize: 5000 }, str: { type: 'string', name: 'external', selfSize: 20 },
    });
    b.edges([
      ['global', 'property', 'owner', 'owner'], ['owner', 'internal', 'elements', 'own'], ['owner', 'internal', 'properties', 'hidden'],
      ['global', 'property', 'a', 'a'], ['global', 'property', 'c', 'c'],
      ['a', 'internal', 'elements', 'shared'], ['c', 'internal', 'elements', 'shared'],
      ['gcroots', 'element', 1, 'rooted'], ['global', 'property', 's', 'str'], ['str', 'internal', 'data', 'ext'],
    ]);
    const { ours } = await check(b);
    const owner = ours.classes().find((c) => c.name === 'Owner');
    assert.equal(owner?.selfSize, 32 + 800 + 48);
  });

  it('plain objects are named by their common property sets', async () => {
    const b = new SnapshotBuilder().addStandardRoots();
    for (let i = 0; i < 5; i++) {
      b.node(`p${i}`, { name: 'Object', selfSize: 24 });
      b.edges([['global', 'element', i, `p${i}`], [`p${i}`, 'property', 'x', 'global'], [`p${i}`, 'property', 'y', 'global']]);
      if (i % 2) b.edge(`p${i}`, 'property', '__proto__', 'global');
      b.node(`q${i}`, { name: 'Object', selfSize: 24 });
      b.edges([['global', 'element', 10 + i, `q${i}`], [`q${i}`, 'property', 'a,b', 'global'], [`q${i}`, 'property', 'say "hi"', 'global']]);
    }
    b.node('lonely', { name: 'Object', selfSize: 16 });
    b.edges([['global', 'property', 'lonely', 'lonely'], ['lonely', 'property', 'zzz', 'global']]);
    const { ours } = await check(b);
    const names = ours.classes().map((c) => c.name);
    assert.ok(names.includes('{x, y}'), names.join(' | '));
    assert.ok(names.includes('{"a,b", "say \\"hi\\""}'), names.join(' | '));
  });

  it('detached natives are renamed and their state spreads to native children', async () => {
    const b = new SnapshotBuilder({ nodeFields: 7 }).addStandardRoots();
    b.nodes({
      div: { type: 'native', name: '<div id="x" class="y">', selfSize: 100, detachedness: 2 },
      span: { type: 'native', name: '<span>', selfSize: 50 }, js: { name: 'Holder', selfSize: 10 },
      body: { type: 'native', name: '<body>', selfSize: 70, detachedness: 1 }, p: { type: 'native', name: '<p class="z">', selfSize: 30 },
    });
    b.edges([
      ['global', 'property', 'holder', 'js'], ['js', 'property', 'div', 'div'], ['div', 'element', 0, 'span'],
      ['global', 'property', 'body', 'body'], ['body', 'element', 0, 'p'],
    ]);
    const { ours } = await check(b);
    const names = ours.classes().map((c) => c.name);
    assert.ok(names.includes('Detached <div>') && names.includes('Detached <span>') && names.includes('<p>'), names.join(' | '));
  });

  it('five- and six-field snapshots, and classes told apart by constructor location', async () => {
    for (const nodeFields of [5, 6] as const) {
      const b = new SnapshotBuilder({ nodeFields }).addStandardRoots();
      b.nodes({ a1: { name: 'Item', selfSize: 10 }, a2: { name: 'Item', selfSize: 10 }, b1: { name: 'Item', selfSize: 12 } });
      b.edges([['global', 'property', 'a1', 'a1'], ['global', 'property', 'a2', 'a2'], ['global', 'property', 'b1', 'b1']]);
      b.location({ node: 'a1', scriptId: 7, line: 3, column: 2 });
      b.location({ node: 'a2', scriptId: 7, line: 3, column: 2 });
      b.location({ node: 'b1', scriptId: 9, line: 0, column: 0 });
      const { ours } = await check(b);
      const keys = ours.classes().filter((c) => c.name === 'Item').map((c) => `${c.key}:${c.count}`).sort();
      assert.deepEqual(keys, ['7,3,2,Item:2', '9,0,0,Item:1']);
    }
  });

  it('edges into page-owned objects from outside the page, and shortcuts away from the root, do not dominate', async () => {
    const b = new SnapshotBuilder().addStandardRoots();
    b.nodes({
      handles: { type: 'synthetic', name: '(Global handles)' }, obj: { name: 'Obj', selfSize: 10 },
      inner: { name: 'Inner', selfSize: 10 }, other: { name: 'Other', selfSize: 5 },
    });
    b.edges([
      ['gcroots', 'element', 1, 'handles'], ['handles', 'element', 1, 'inner'],
      ['global', 'property', 'obj', 'obj'], ['obj', 'property', 'inner', 'inner'],
      ['global', 'property', 'other', 'other'], ['other', 'shortcut', 'sc', 'inner'],
    ]);
    const { ours } = await check(b);
    assert.equal(ours.classes().find((c) => c.name === 'Obj')?.retainedSize, 20, 'Obj dominates Inner');
  });
});
