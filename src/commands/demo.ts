// `heapdiff demo` (what `npm start` runs): the story's bug, found. It runs the bundled word
// segmentation service, whose library singleton appends its word list on every load(), lets it
// write three heap snapshots of itself, and prints the leak report over them.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { findLeaks } from '../leaks.js';
import { progressBar } from '../progress.js';
import { renderLeaks } from '../report/leaks.js';
import { parse } from './args.js';

const USAGE = `Usage: heapdiff demo [--json]

Runs examples/wordseg-service.cjs — a resident worker whose word-segmentation library keeps a
singleton that appends its whole word list to itself on every load() — under allocation
tracking, lets it write three heap snapshots of itself between batches of tasks, and prints
the leak report over them, as 'heapdiff leaks' would.`;

const SNAPSHOTS = 3;

export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { json: { type: 'boolean' } }, USAGE);
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const app = fileURLToPath(new URL('../../../examples/wordseg-service.cjs', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'heapdiff-demo-'));
  try {
    process.stderr.write(`Running node --track-heap-objects ${app} to write ${SNAPSHOTS} snapshots into ${dir}\n`);
    await promisify(execFile)(process.execPath, ['--track-heap-objects', app, '--snapshots', dir, String(SNAPSHOTS)]);
    const files = readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot')).sort().map((f) => join(dir, f));
    const bar = progressBar('leaks');
    let report;
    try {
      report = await findLeaks(files, { top: 3, onProgress: (p) => bar.update(p) });
    } finally {
      bar.done();
    }
    process.stdout.write(values.json ? JSON.stringify(report, null, 2) + '\n' : renderLeaks(report) + '\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return 0;
}
