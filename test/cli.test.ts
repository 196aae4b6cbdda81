// The CLI as a user runs it: real snapshots written by Node, and bad input.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ANALYZE_SCHEMA, type AnalyzeReport } from '../src/index.js';
import { freshDir, repoRoot } from './helpers/paths.js';
import { writeSnapshot } from './helpers/snapshots.js';

const cli = join(repoRoot(), 'dist', 'src', 'cli.js');

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [cli, ...args], { maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('heapdiff analyze', () => {
  it('prints statistics, top classes and the largest objects with their paths', async () => {
    const file = await writeSnapshot(join(repoRoot(), 'examples', 'sample-app.cjs'));
    const { code, stdout, stderr } = await run('analyze', file, '--top', '5');
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^Statistics$/m);
    assert.match(stdout, /^Top 5 classes by retained size$/m);
    assert.match(stdout, /^Top 5 objects by retained size$/m);
    assert.match(stdout, /global\.app\.store\.sessions/);
    assert.equal(stderr, '', 'no progress bar when stderr is not a terminal');
  });

  it('--json follows the documented schema', async () => {
    const file = await writeSnapshot(join(repoRoot(), 'examples', 'sample-app.cjs'));
    const { code, stdout } = await run('analyze', file, '--json', '--top', '6');
    assert.equal(code, 0);
    const report = JSON.parse(stdout) as AnalyzeReport;
    assert.equal(report.schema, ANALYZE_SCHEMA);
    assert.equal(report.file, file);
    assert.equal(report.classes.length, 6);
    assert.equal(report.largest.length, 6);
    for (const key of ['nodeCount', 'edgeCount', 'totalSize', 'classCount', 'userRootCount', 'memoryBytes']) {
      assert.equal(typeof (report.summary as unknown as Record<string, unknown>)[key], 'number', key);
    }
    const sessionMap = report.largest.find((o) => o.path === 'global.app.store.sessions');
    assert.ok(sessionMap, JSON.stringify(report.largest.map((o) => o.path)));
    assert.equal(sessionMap.className, 'Map');
    const sessions = report.classes.find((c) => c.name === 'Session');
    assert.ok(sessions === undefined || sessions.count === 1000);
  });

  it('a truncated snapshot gives one line with the file and byte offset, exit code 2', async () => {
    const file = await writeSnapshot('basic');
    const dir = freshDir('cut-');
    const cut = join(dir, 'cut.heapsnapshot');
    const bytes = readFileSync(file);
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const { code, stdout, stderr } = await run('analyze', cut);
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.match(stderr, new RegExp(`^heapdiff: ${cut.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: at byte \\d+: expected .*\\n$`));
    assert.equal(stderr.split('\n').length, 2, 'exactly one line');
  });

  it('a diff with a truncated snapshot on either side gives one line, exit code 2', async () => {
    const file = await writeSnapshot('basic');
    const cut = join(freshDir('cut-diff-'), 'cut.heapsnapshot');
    const bytes = readFileSync(file);
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 3)));
    const escaped = cut.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    for (const pair of [[cut, file], [file, cut]]) {
      const { code, stdout, stderr } = await run('diff', ...pair);
      assert.equal(code, 2, stderr);
      assert.equal(stdout, '');
      assert.match(stderr, new RegExp(`^heapdiff: ${escaped}: at byte \\d+: expected .*\\n$`));
      assert.equal(stderr.split('\n').length, 2, `exactly one line: ${stderr}`);
    }
  });

  it('a missing file and a non-snapshot file are clear errors', async () => {
    const missing = await run('analyze', '/nonexistent/x.heapsnapshot');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^heapdiff: \/nonexistent\/x\.heapsnapshot: cannot open: /);
    const dir = freshDir('txt-');
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'hello');
    const notJson = await run('analyze', text);
    assert.equal(notJson.code, 2);
    assert.match(notJson.stderr, /notes\.txt: at byte 0: expected '\{' opening the snapshot object, found 'h'/);
  });

  it('bad usage exits 2 with a hint; --help explains the command', async () => {
    assert.equal((await run('analyze')).code, 2);
    assert.equal((await run('analyze', 'a', '--top', 'zero')).code, 2);
    assert.equal((await run('frobnicate')).code, 2);
    const help = await run('analyze', '--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--top N/);
    const top = await run('--help');
    assert.match(top.stdout, /heapdiff analyze FILE/);
  });
});
