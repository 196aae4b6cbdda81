// The story of DEVELOPERS.md on a real Python process (test/fixtures/python/story/): a resident
// worker pulls tasks from a queue into a thread pool; every task calls the module singleton's
// `load()`, which appends the whole word file to `self.words` again. One command,
// `heapdiff run --step [--track-allocations] -- python3 worker.py`, takes three snapshots
// through the injected writer; its leak report must name the `words` list, its path from the
// module and a growth of (load() calls) x (the word file's lines) in every interval.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LeakReport, LeakSuspect } from '../../src/index.js';
import { fixturePath, freshDir, repoRoot } from './paths.js';

export const PYTHON = process.env['HEAPDIFF_PYTHON'] ?? 'python3';
export const hasPython = spawnSync(PYTHON, ['-c', 'import sys; sys.exit(0 if sys.version_info >= (3, 8) else 1)']).status === 0;

export const TASKS_PER_LOOP = 3;
export const story = (...p: string[]) => fixturePath('python', 'story', ...p);

/** Runs the worker under `heapdiff run --step -n 3 --json` and returns the leak report. */
export async function runStory(trackAllocations: boolean): Promise<LeakReport> {
  const out = freshDir('python-story-');
  const env = { ...process.env };
  delete env['NODE_OPTIONS'];
  delete env['NODE_TEST_CONTEXT'];
  const cli = join(repoRoot(), 'dist', 'src', 'cli.js');
  const args = [cli, 'run', '--step', ...(trackAllocations ? ['--track-allocations'] : []), '-n', '3', '-o', out, '--json', '--', PYTHON, story('worker.py'), String(TASKS_PER_LOOP)];
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, args, { env, maxBuffer: 64 << 20, timeout: 1_700_000 }, (err, so, se) =>
      err ? reject(new Error(`${err.message}\n${se}`)) : resolve(so),
    ),
  );
  const result = JSON.parse(stdout) as { schema: string; files: string[]; leaks: LeakReport };
  assert.equal(result.schema, 'heapdiff.capture/1');
  assert.equal(result.files.length, 3);
  return result.leaks;
}

/** The word file's lines: what one load() adds to the list. */
export function wordFileLines(): number {
  return readFileSync(story('wordseg', 'words.txt'), 'utf8').split('\n').filter((l) => l).length;
}

/** The top suspect is the words list, from the module, growing by calls x lines every interval; nothing else grows. */
export function assertWordsListLeak(report: LeakReport): LeakSuspect {
  const top = report.suspects[0];
  assert.ok(top, 'a suspect');
  assert.equal(top.container.className, 'list');
  assert.equal(top.container.path, 'wordseg._segmenter.words');
  const perInterval = TASKS_PER_LOOP * wordFileLines();
  assert.deepEqual(top.growth.map((g) => g.objects), [perInterval, perInterval]);
  assert.ok(top.repeats);
  const strings = top.accumulates.find((a) => a.name === '(string)');
  assert.ok(strings, `accumulates ${top.accumulates.map((a) => a.name).join(', ')}`);
  assert.equal(strings.count, 2 * perInterval);
  assert.match(top.verdict, /keeps growing/);
  assert.equal(report.suspects.length, 1, report.suspects.map((s) => s.verdict).join('\n'));
  return top;
}
