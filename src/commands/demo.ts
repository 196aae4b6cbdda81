// `heapdiff demo` (what `npm start` runs): runs the bundled sample program, which writes a heap
// snapshot of itself, and analyses that snapshot.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { analyzeSnapshot } from '../analyze.js';
import { progressBar } from '../progress.js';
import { renderAnalyze } from '../report/analyze.js';
import { parse } from './args.js';

const USAGE = `Usage: heapdiff demo [--json]

Runs examples/sample-app.cjs (a small program holding a growing session store), lets it write
a heap snapshot of itself, and analyses it as 'heapdiff analyze' would.`;

export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { json: { type: 'boolean' } }, USAGE);
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const app = fileURLToPath(new URL('../../../examples/sample-app.cjs', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'heapdiff-demo-'));
  try {
    const file = join(dir, 'sample-app.heapsnapshot');
    process.stderr.write(`Running ${app} to write ${file}\n`);
    await promisify(execFile)(process.execPath, [app, file]);
    const bar = progressBar('analyze');
    const report = await analyzeSnapshot(file, { top: 10, onProgress: (p) => bar.update(p) });
    bar.done();
    process.stdout.write(values.json ? JSON.stringify(report, null, 2) + '\n' : renderAnalyze(report) + '\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return 0;
}
