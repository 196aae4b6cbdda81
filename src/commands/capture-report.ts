// What `run` and `attach` print once the snapshots are written: the files, then the leak report
// over them (or, for a single snapshot, the way to analyse it).
import { findLeaks } from '../leaks.js';
import { progressBar } from '../progress.js';
import { renderLeaks } from '../report/leaks.js';

export const CAPTURE_SCHEMA = 'heapdiff.capture/1';

/** Prints the files written and the leak report; returns the exit code. */
export async function reportCapturedSnapshots(files: string[], json: boolean): Promise<number> {
  let leaks = null;
  if (files.length > 1) {
    const bar = progressBar('leaks');
    try {
      leaks = await findLeaks(files, { onProgress: (p) => bar.update(p) });
    } finally {
      bar.done();
    }
  }
  if (json) {
    process.stdout.write(JSON.stringify({ schema: CAPTURE_SCHEMA, files, leaks }, null, 2) + '\n');
    return 0;
  }
  const lines = [`Wrote ${files.length} snapshot${files.length === 1 ? '' : 's'}:`, ...files.map((f) => `  ${f}`), ''];
  if (leaks) lines.push(renderLeaks(leaks));
  else if (files.length === 1) lines.push('Next:', `  heapdiff analyze ${quote(files[0]!)}`);
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

function quote(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}
