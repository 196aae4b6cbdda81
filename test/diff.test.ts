// The diff against Chrome DevTools' own Comparison view (heap-snapshot-toolkit) on snapshots
// written by Node, allocation sites against DevTools' allocation stacks, the fallback for
// snapshots of different processes, and the CLI's gates.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { basename } from 'node:path';
import { diffSnapshots, type DiffReport } from '../src/index.js';
import { devtoolsAllocationStack, devtoolsDiff } from './helpers/devtools.js';
import { repoRoot } from './helpers/paths.js';
import { readExpected, seriesExpected, writeSnapshotSeries } from './helpers/snapshots.js';

interface SitesExpected {
  keptCount: number;
  droppedCount: number;
  newWidgets: number;
  partsPerWidget: number;
  newNotes: number;
  widgetConstructorLine: number;
  makeWidgetsLine: number;
  makeNotesLine: number;
}
const sites = readExpected<SitesExpected>('diff-sites');

/** Every class DevTools' Comparison view lists has our figures, and we list no other class with changes. */
async function assertMatchesDevtools(basePath: string, currentPath: string): Promise<DiffReport> {
  const [ours, reference] = await Promise.all([diffSnapshots(basePath, currentPath), devtoolsDiff(basePath, currentPath)]);
  assert.equal(ours.mode, 'same-process');
  const byKey = new Map(ours.classes.map((c) => [c.key, c]));
  for (const d of reference) {
    const c = byKey.get(d.key);
    assert.ok(c, `DevTools lists ${d.key}, heapdiff does not`);
    assert.deepEqual(
      [c.newCount, c.deletedCount, c.countDelta, c.allocSize, c.freedSize, c.sizeDelta],
      [d.addedCount, d.removedCount, d.countDelta, d.addedSize, d.removedSize, d.sizeDelta],
      `class ${d.key}`,
    );
  }
  const listed = new Set(reference.map((d) => d.key));
  for (const c of ours.classes) {
    if (c.newCount! > 0 || c.deletedCount! > 0) assert.ok(listed.has(c.key), `heapdiff lists ${c.key} as changed, DevTools does not`);
  }
  return ours;
}

describe('diffSnapshots equals DevTools\' Comparison view', () => {
  it('on every pair of a growing series (leak, replaced transients, stable objects)', async () => {
    const exp = seriesExpected();
    const [s0, s1, s2] = await writeSnapshotSeries('series', 3);
    for (const [a, b, steps] of [[s0!, s1!, 1], [s1!, s2!, 1], [s0!, s2!, 2]] as const) {
      const d = await assertMatchesDevtools(a, b);
      const leak = d.classes.find((c) => c.name === 'FixtureLeakItem')!;
      assert.equal(leak.newCount, exp.perStep * steps);
      assert.equal(leak.deletedCount, 0);
      assert.ok(leak.retainedDelta > 0 && leak.current.retainedSize > leak.base.retainedSize);
      const transient = d.classes.find((c) => c.name === 'FixtureTransient')!;
      assert.deepEqual([transient.newCount, transient.deletedCount], [exp.transientCount, exp.transientCount]);
      assert.equal(d.classes.find((c) => c.name === 'FixtureStable'), undefined);
    }
  });

  it('with allocation tracking on, and sorted by retained growth by default', async () => {
    const [a, b] = await writeSnapshotSeries('diff-sites', 2, { nodeArgs: ['--track-heap-objects'] });
    const d = await assertMatchesDevtools(a!, b!);
    const retained = d.classes.map((c) => c.retainedDelta);
    assert.deepEqual(retained, [...retained].sort((x, y) => y - x));
    const widget = d.classes.find((c) => c.name === 'Widget')!;
    assert.deepEqual([widget.newCount, widget.deletedCount], [sites.newWidgets, 0]);
    const gadget = d.classes.find((c) => c.name === 'Gadget')!;
    assert.deepEqual([gadget.newCount, gadget.deletedCount, gadget.current.count], [0, sites.droppedCount, 0]);
  });
});

describe('new objects by allocation site', () => {
  it('with allocation stacks: the allocating function, script and line, as DevTools reads them', async () => {
    const [a, b] = await writeSnapshotSeries('diff-sites', 2, { nodeArgs: ['--track-heap-objects'] });
    const d = await diffSnapshots(a!, b!, { className: 'Widget', classLimit: 3 });
    assert.equal(d.sites?.mode, 'stack');
    const widgets = d.sites!.rows.find((r) => r.classes.some((c) => c.name === 'Widget'))!;
    assert.equal(widgets.frames[0]!.functionName, 'makeWidgets');
    assert.equal(basename(widgets.frames[0]!.script), 'diff-sites.cjs');
    assert.equal(widgets.frames[0]!.line, sites.makeWidgetsLine);
    assert.equal(widgets.classes.find((c) => c.name === 'Widget')!.count, sites.newWidgets);
    // The Widgets' retained size includes their parts arrays (also allocated there).
    assert.ok(widgets.retainedSize >= widgets.selfSize);
    const notes = d.sites!.rows.find((r) => r.frames[0]?.functionName === 'makeNotes')!;
    assert.equal(notes.frames[0]!.line, sites.makeNotesLine);
    // V8 also keeps one copy of a literal as its boilerplate, made on the literal's first runs.
    const noteCount = notes.classes.find((c) => c.name === '{noteText, noteTag}')?.count ?? 0;
    assert.ok(noteCount === sites.newNotes || noteCount === sites.newNotes + 1, `${noteCount} notes`);
    // Against DevTools' own allocation stack of a new Widget.
    const widget = d.newObjects!.objects[0]!;
    const stack = await devtoolsAllocationStack(b!, widget.id);
    assert.equal(stack![0]!.functionName, 'makeWidgets');
    assert.equal(stack![0]!.line, widgets.frames[0]!.line);
    // Deeper stacks: the caller is the program's top level.
    const deep = await diffSnapshots(a!, b!, { stackDepth: 2 });
    const deepWidgets = deep.sites!.rows.find((r) => r.frames[0]?.functionName === 'makeWidgets')!;
    assert.equal(deepWidgets.frames.length, 2);
    assert.match(deepWidgets.site, /^makeWidgets \(.*diff-sites\.cjs:\d+:\d+\) ← /);
  });

  it('without allocation stacks: the constructor\'s source location', async () => {
    const [a, b] = await writeSnapshotSeries('diff-sites', 2);
    const d = await diffSnapshots(a!, b!);
    assert.equal(d.sites?.mode, 'location');
    const widgets = d.sites!.rows.find((r) => r.frames[0]?.functionName === 'Widget')!;
    assert.equal(widgets.count, sites.newWidgets);
    assert.equal(basename(widgets.frames[0]!.script), 'diff-sites.cjs');
    assert.equal(widgets.frames[0]!.line, sites.widgetConstructorLine);
  });

  it('drill-down lists the largest new objects of a class with their retainer paths', async () => {
    const [a, b] = await writeSnapshotSeries('diff-sites', 2);
    const d = await diffSnapshots(a!, b!, { className: 'Widget', classLimit: 5 });
    const objects = d.newObjects!.objects;
    assert.equal(objects.length, 5);
    for (const o of objects) assert.match(o.path, /__heapdiffDiffSites\.widgets\[\d+\]$/);
    const sizes = objects.map((o) => o.retainedSize);
    assert.deepEqual(sizes, [...sizes].sort((x, y) => y - x));
  });
});

describe('snapshots of different processes', () => {
  it('are detected and compared as class histograms', async () => {
    const [run1] = await writeSnapshotSeries('series', 2);
    const [, run2] = await writeSnapshotSeries('series', 2, { args: [], cache: false });
    const d = await diffSnapshots(run1!, run2!);
    assert.equal(d.mode, 'different-processes', JSON.stringify(d.identity));
    assert.equal(d.sites, null);
    const leak = d.classes.find((c) => c.name === 'FixtureLeakItem')!;
    assert.equal(leak.newCount, null);
    assert.equal(leak.countDelta, seriesExpected().perStep);
  });
});

describe('heapdiff diff (CLI)', () => {
  const cli = (args: string[]) => spawnSync(process.execPath, [`${repoRoot()}/dist/src/cli.js`, ...args], { encoding: 'utf8' });

  it('prints DevTools\' columns with retained sizes, and JSON with the documented schema', async () => {
    const [a, b] = await writeSnapshotSeries('diff-sites', 2);
    const text = cli(['diff', a!, b!, '--top', '5']);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /# new\s+# deleted\s+# delta\s+alloc\. size\s+freed size\s+size delta\s+retained base → current\s+retained delta/);
    assert.match(text.stdout, /Widget\s+50\s+0\s+\+50/);
    const json = cli(['diff', a!, b!, '--json', '--filter', '^(Widget|Gadget)$', '--by', 'site', '--class', 'Widget']);
    assert.equal(json.status, 0, json.stderr);
    const report = JSON.parse(json.stdout);
    assert.equal(report.schema, 'heapdiff.diff/1');
    assert.deepEqual(report.classes.map((c: { name: string }) => c.name).sort(), ['Gadget', 'Widget']);
    assert.ok(report.sites.rows.length > 0 && report.newObjects.objects.length > 0);
    assert.deepEqual(report.gates, []);
  });

  it('gates: a one-line reason and exit code 3 when growth passes a limit, 0 otherwise', async () => {
    const [a, b] = await writeSnapshotSeries('diff-sites', 2);
    const fail = cli(['diff', a!, b!, '--fail-if-count-growth', `Widget=${sites.newWidgets - 1}`]);
    assert.equal(fail.status, 3, fail.stderr);
    assert.equal(fail.stderr, `heapdiff: gate failed: object count of Widget grew by ${sites.newWidgets} (limit ${sites.newWidgets - 1})\n`);
    const pass = cli(['diff', a!, b!, '--fail-if-count-growth', `Widget=${sites.newWidgets}`, '--fail-if-retained-growth', '1GB', '--json']);
    assert.equal(pass.status, 0, pass.stderr);
    const gates = JSON.parse(pass.stdout).gates;
    assert.deepEqual(gates.map((g: { passed: boolean; actual: number }) => [g.passed, g.actual > 0]), [[true, true], [true, true]]);
    const bad = cli(['diff', a!, b!, '--fail-if-retained-growth', 'lots']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^heapdiff: 'lots' is not a size/);
  });
});
