// The leak finder on real Node programs that leak in known ways (test/fixtures/programs/leaks/,
// ground truth in its expected.json): for each leak the top suspect names the right container,
// its retainer path, the growth in every interval, what accumulates and the allocating code;
// the control program (a full bounded cache, heavy short-lived garbage, lazily initialised
// state) reports nothing. Also the CLI and the demo behind `npm start`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { findLeaks, type LeakSuspect } from '../src/index.js';
import { fixturePath, repoRoot } from './helpers/paths.js';
import { writeSnapshotSeries } from './helpers/snapshots.js';

interface Expected {
  programs: Record<string, {
    file: string;
    suspects?: {
      container: { className: string; pathSuffix: string };
      accumulated: { className: string; perInterval: number; allocatedBy?: { userFrame?: { function: string; file: string; line: number } } }[];
      retainedGrowthPerInterval: { min: number };
    }[];
  }>;
}
const expected = JSON.parse(readFileSync(fixturePath('programs', 'leaks', 'expected.json'), 'utf8')) as Expected;

const series = (file: string) =>
  writeSnapshotSeries(fixturePath('programs', 'leaks', file), 3, { nodeArgs: ['--track-heap-objects'] });

describe('heapdiff leaks finds each leak of the fixture programs', () => {
  for (const name of ['singleton-list', 'map-cache', 'listeners', 'timers']) {
    const program = expected.programs[name]!;
    const want = program.suspects![0]!;
    it(`${name}: ${want.container.className} …${want.container.pathSuffix}`, async () => {
      const report = await findLeaks(await series(program.file));
      assert.ok(report.suspects.length > 0, `no suspects for ${name}`);
      const top: LeakSuspect = report.suspects[0]!;
      assert.equal(top.container.className, want.container.className, top.verdict);
      assert.ok(top.container.path.endsWith(want.container.pathSuffix), `path ${top.container.path}`);
      assert.equal(top.growth.length, 2);
      assert.ok(top.repeats);
      const main = want.accumulated[0]!;
      for (const g of top.growth) {
        assert.ok(g.objects >= main.perInterval, `gained ${g.objects} objects, expected at least ${main.perInterval} ${main.className}`);
        assert.ok(g.retainedBytes >= want.retainedGrowthPerInterval.min, `retained +${g.retainedBytes}`);
      }
      const accumulated = top.accumulates.find((a) => a.name === main.className);
      assert.ok(accumulated, `accumulates ${top.accumulates.map((a) => a.name).join(', ')}`);
      assert.equal(accumulated.count, main.perInterval * 2);
      assert.equal(report.siteMode, 'stack');
      // Sites start at the program's own innermost frame (a Timeout made by setInterval for
      // handleRequest is handleRequest's).
      const user = main.allocatedBy?.userFrame;
      if (user) {
        const frames = top.allocatedAt.map((s) => s.frames[0]);
        assert.ok(
          frames.some((f) => f?.functionName === user.function && f.script.endsWith(user.file) && f.line === user.line),
          `allocated at ${top.allocatedAt.map((s) => s.site).join(' | ')}`,
        );
      }
      assert.match(top.verdict, /keeps growing/);
    });
  }

  it('steady.cjs (full bounded cache, short-lived garbage, lazy state): no suspects', async () => {
    const report = await findLeaks(await series(expected.programs['steady']!.file));
    assert.deepEqual(report.suspects.map((s) => s.verdict), []);
  });
});

describe('heapdiff leaks (CLI) and the demo', () => {
  const cli = (args: string[]) => spawnSync(process.execPath, [`${repoRoot()}/dist/src/cli.js`, ...args], { encoding: 'utf8' });

  it('prints the suspects, and JSON with the documented schema', async () => {
    const files = await series(expected.programs['map-cache']!.file);
    const text = cli(['leaks', ...files]);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /#1 Map responseCache \(module scope of \S+map-cache\.cjs\) keeps growing/);
    assert.match(text.stdout, /what accumulates/);
    const json = cli(['leaks', ...files, '--json', '--top', '1']);
    assert.equal(json.status, 0, json.stderr);
    const report = JSON.parse(json.stdout);
    assert.equal(report.schema, 'heapdiff.leaks/1');
    assert.equal(report.suspects.length, 1);
    const usage = cli(['leaks', files[0]!]);
    assert.equal(usage.status, 2);
  });

  it('npm start: the demo points at the word list, its owner and load()', () => {
    const demo = cli(['demo']);
    assert.equal(demo.status, 0, demo.stderr);
    assert.match(demo.stdout, /#1 Array segmenter\.words \(module scope of \S+wordseg\.cjs\) keeps growing/);
    assert.match(demo.stdout, /load \(.*wordseg\.cjs:\d+:\d+\)/);
  });
});
