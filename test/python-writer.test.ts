// Snapshots written by python/heapdiff.py (the stdlib-only Python writer), read by the engine:
// they parse, Python type names come out as class names, retained sizes add up, and the
// retainer path of a module singleton's list reads like Python.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { openSnapshot, type Snapshot } from '../src/index.js';
import { fixturePath, freshDir, repoRoot } from './helpers/paths.js';

const PYTHON = process.env['HEAPDIFF_PYTHON'] ?? 'python3';
const hasPython = spawnSync(PYTHON, ['--version']).status === 0;

interface SingletonFacts {
  wordsId: number;
  segmenterId: number;
  lookupsId: number;
  wordCount: number;
  wordBytes: number;
  listSize: number;
  firstWord: string;
  python: string;
  traced: boolean;
}

const WORDS = 5000;
const runs = new Map<string, Promise<{ file: string; facts: SingletonFacts }>>();

/** Runs test/fixtures/python/singleton.py once per test file (per set of arguments). */
function singleton(...extra: string[]): Promise<{ file: string; facts: SingletonFacts }> {
  const key = extra.join(' ');
  let run = runs.get(key);
  if (!run) {
    run = (async () => {
      const file = join(freshDir('python-'), 'singleton.heapsnapshot');
      const args = [fixturePath('python', 'singleton.py'), file, String(WORDS), ...extra];
      const { stdout } = await promisify(execFile)(PYTHON, args, { timeout: 900_000, maxBuffer: 16 << 20 });
      return { file, facts: JSON.parse(stdout) as SingletonFacts };
    })();
    runs.set(key, run);
  }
  return run;
}

function ordinalOf(snapshot: Snapshot, id: number): number {
  const node = snapshot.nodeById(id);
  assert.ok(node, `no node with id ${id}`);
  return node.ordinal;
}

describe('python/heapdiff.py snapshots', { skip: hasPython ? false : `${PYTHON} not found` }, () => {
  it('parse, with the Python type names as class names', async () => {
    const { file, facts } = await singleton();
    const snapshot = await openSnapshot(file);
    const summary = snapshot.summary();
    assert.ok(summary.nodeCount > WORDS, `${summary.nodeCount} nodes`);
    assert.ok(summary.userRootCount > 10, 'one user root per module');
    assert.equal(summary.hasAllocationTraces, false);

    const classes = new Map(snapshot.classes().map((c) => [c.name, c]));
    for (const name of ['list', 'dict', 'tuple', 'module', 'type', '(string)', 'wordseg.Segmenter']) {
      assert.ok(classes.has(name), `class ${name} in ${[...classes.keys()].slice(0, 40).join(', ')}`);
    }
    assert.equal(classes.get('wordseg.Segmenter')!.count, 1);
    // All str objects form one class; the words alone are WORDS of them.
    assert.ok(classes.get('(string)')!.count >= WORDS);

    const words = snapshot.node(ordinalOf(snapshot, facts.wordsId));
    assert.equal(words.type, 'object');
    assert.equal(words.className, 'list');
    assert.equal(words.edgeCount, WORDS);
    const [first] = snapshot.edges(words.ordinal, { limit: 1 });
    assert.ok(first);
    assert.equal(first.type, 'element');
    assert.equal(first.step, '[0]');
    const word = snapshot.node(first.node);
    assert.deepEqual([word.type, word.className, word.name], ['string', '(string)', facts.firstWord]);

    const lookups = snapshot.node(ordinalOf(snapshot, facts.lookupsId));
    assert.equal(lookups.className, 'dict');
    const lookupNames = snapshot.edges(lookups.ordinal).filter((e) => e.type === 'property').map((e) => e.name);
    assert.deepEqual(lookupNames.sort(), ['first', 'last']);
  });

  it('retained sizes: a list of unique strings retains at least their sizes', async () => {
    const { file, facts } = await singleton();
    const snapshot = await openSnapshot(file);
    const words = snapshot.node(ordinalOf(snapshot, facts.wordsId));
    assert.equal(words.selfSize, facts.listSize);
    assert.ok(
      words.retainedSize >= facts.wordBytes + facts.listSize,
      `list retains ${words.retainedSize} B, its ${facts.wordCount} strings alone are ${facts.wordBytes} B`,
    );
    // The words are dominated by the list: nothing else refers to them.
    assert.equal(snapshot.dominator(snapshot.edges(words.ordinal, { offset: 10, limit: 1 })[0]!.node), words.ordinal);
    // The instance's __dict__ is folded into the instance, which retains the list.
    const seg = snapshot.node(ordinalOf(snapshot, facts.segmenterId));
    assert.equal(seg.className, 'wordseg.Segmenter');
    assert.ok(seg.retainedSize > words.retainedSize);
    const segEdges = snapshot.edges(seg.ordinal);
    assert.ok(segEdges.some((e) => e.type === 'property' && e.name === 'words' && e.node === words.ordinal));
    const dictEdge = segEdges.find((e) => e.name === '__dict__');
    assert.ok(dictEdge);
    assert.equal(snapshot.node(dictEdge.node).type, 'hidden');
    assert.equal(snapshot.node(dictEdge.node).selfSize, 0, "the dict's size moved into the instance");
    // Every node's retained size covers its own size; the total is the sum of self sizes.
    const cols = snapshot.columns();
    let total = 0;
    for (let o = 0; o < cols.selfSizes.length; o++) {
      assert.ok(cols.retainedSizes[o]! >= cols.selfSizes[o]!);
      total += cols.selfSizes[o]!;
    }
    assert.equal(snapshot.summary().totalSize, total);
  });

  it("the retainer path of a module singleton's list names the module and the attributes", async (t) => {
    const { file, facts } = await singleton();
    const snapshot = await openSnapshot(file);
    const path = snapshot.retainerPath(ordinalOf(snapshot, facts.wordsId));
    t.diagnostic(`retainer path: ${path.text}`);
    assert.equal(path.text, 'wordseg._segmenter.words');
    assert.deepEqual(path.edges.slice(-2).map((e) => e.step), ['._segmenter', '.words']);
    // The path starts at the wordseg module, a user root reached by a root shortcut edge named
    // after the module: the path reads from that name.
    const start = path.nodes[0]!;
    assert.equal(snapshot.node(start).className, 'module');
    const rootEdge = snapshot.edges(0).find((e) => e.type === 'shortcut' && e.node === start);
    assert.ok(rootEdge, 'a root shortcut edge leads to the first node of the path');
    assert.equal(rootEdge.name, 'wordseg');
  });

  it('with tracemalloc on, allocation stacks are in the snapshot', async () => {
    const { file, facts } = await singleton('--trace');
    assert.equal(facts.traced, true);
    const snapshot = await openSnapshot(file);
    assert.equal(snapshot.summary().hasAllocationTraces, true);
    // The Segmenter and the words were allocated under tracemalloc. (Not necessarily the list
    // itself: CPython may reuse a list object freed before tracing started, which has no trace.)
    const seg = snapshot.node(ordinalOf(snapshot, facts.segmenterId));
    assert.ok(seg.traceNodeId !== undefined && seg.traceNodeId > 0, `trace node ${seg.traceNodeId}`);
    const words = snapshot.node(ordinalOf(snapshot, facts.wordsId));
    const word = snapshot.node(snapshot.edges(words.ordinal, { limit: 1 })[0]!.node);
    assert.equal(word.className, '(string)');
    assert.ok(word.traceNodeId !== undefined && word.traceNodeId > 0, `trace node ${word.traceNodeId}`);
  });

  it('keeping only its classes, as a diff opens it, gives the same figures', async () => {
    const { file } = await singleton('--trace');
    const [whole, lean] = await Promise.all([openSnapshot(file), openSnapshot(file, { distances: 'first-use', keep: 'classes' })]);
    const { memoryBytes: _a, ...summary } = whole.summary();
    const { memoryBytes: _b, ...leanSummary } = lean.summary();
    assert.deepEqual(leanSummary, summary);
    const withoutDistances = <T extends { distance: number }>(classes: T[]) => classes.map(({ distance: _, ...c }) => c);
    assert.deepEqual(withoutDistances(lean.classes()), withoutDistances(whole.classes()));
    // What a diff takes of a base: every node's class and size, and the class totals.
    const census = (s: Snapshot) => ({ ...s.census(), classSummaries: withoutDistances(s.census().classSummaries) });
    assert.deepEqual(census(lean), census(whole));
    assert.throws(() => lean.retainerPath(0), /opened keeping only its classes/);
  });

  it('heapdiff analyze prints the Python classes and the path', async () => {
    const { file } = await singleton();
    const cli = join(repoRoot(), 'dist', 'src', 'cli.js');
    const { stdout } = await promisify(execFile)(process.execPath, [cli, 'analyze', file, '--top', '40'], {
      maxBuffer: 16 << 20,
    });
    assert.match(stdout, /^Top 40 classes by retained size$/m);
    assert.match(stdout, /^wordseg\.Segmenter\s/m);
    assert.match(stdout, /^\(string\)\s/m);
    assert.match(stdout, /_segmenter\.words/);
  });
});
