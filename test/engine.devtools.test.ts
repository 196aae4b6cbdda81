// Differential tests: heapdiff's numbers against Chrome DevTools' own snapshot model
// (heap-snapshot-toolkit) on real snapshots written by Node.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareWithDevtools as compare } from './helpers/compare.js';
import { writeSnapshot, writeSnapshotSeries } from './helpers/snapshots.js';
import { repoRoot } from './helpers/paths.js';
import { join } from 'node:path';

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
