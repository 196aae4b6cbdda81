// `heapdiff analyze FILE`: a thin shell over analyzeSnapshot.
import { analyzeSnapshot } from '../analyze.js';
import { progressBar } from '../progress.js';
import { renderAnalyze } from '../report/analyze.js';
import { parse, positiveInt, UsageError } from './args.js';

const USAGE = `Usage: heapdiff analyze FILE [--top N] [--json]

Parses a V8 .heapsnapshot (Node, Chrome, Electron, or heapdiff's Python writer) and prints
its totals and statistics, the top classes by retained size (count, shallow, retained,
distance) and the largest objects with their retainer paths — the numbers Chrome DevTools
shows.

Options:
  --top N    how many classes and objects to list (default 20)
  --json     print the report as JSON (schema 'heapdiff.analyze/1', see README)
  -h, --help this text`;

export async function analyzeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { top: { type: 'string' }, json: { type: 'boolean' } }, USAGE);
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`analyze takes one snapshot file\n${USAGE}`);
  const top = positiveInt(values.top as string | undefined, '--top', 20);
  const bar = progressBar('analyze');
  let report;
  try {
    report = await analyzeSnapshot(positionals[0]!, { top, onProgress: (p) => bar.update(p) });
  } finally {
    bar.done();
  }
  process.stdout.write(values.json ? JSON.stringify(report, null, 2) + '\n' : renderAnalyze(report) + '\n');
  return 0;
}
