// `heapdiff leaks S1 S2 [S3 ...]`: a thin shell over findLeaks.
import { findLeaks } from '../leaks.js';
import { parseSize } from '../gate.js';
import { progressBar } from '../progress.js';
import { renderLeaks } from '../report/leaks.js';
import { parse, positiveInt, UsageError } from './args.js';

const USAGE = `Usage: heapdiff leaks S1 S2 [S3 ...] [options]

Finds leaks across snapshots of one process, oldest first: for each suspect, the long-lived
container (present since S1) that new objects converge into, its retainer path, its growth in
each interval, what accumulates and where it is allocated. Three or more snapshots make the
verdict much stronger: growth must repeat in every interval.

Options:
  --top N            suspects to report (default 10)
  --min-objects N    ignore growth below N objects over the series (default 50)
  --min-bytes SIZE   ignore retained growth below SIZE over the series (default 10kB)
  --stack-depth N    allocation sites by the N innermost frames (default 1)
  --json             print the report as JSON (schema 'heapdiff.leaks/1', see README)
  -h, --help         this text

Exit codes: 0 done (suspects or not), 1 failure, 2 bad usage or input.`;

export async function leaksCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    top: { type: 'string' },
    'min-objects': { type: 'string' },
    'min-bytes': { type: 'string' },
    'stack-depth': { type: 'string' },
    json: { type: 'boolean' },
  }, USAGE);
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (positionals.length < 2) throw new UsageError(`leaks takes two or more snapshot files of one process, oldest first\n${USAGE}`);
  const top = positiveInt(values.top, '--top', 10);
  const minObjects = positiveInt(values['min-objects'], '--min-objects', 50);
  const stackDepth = positiveInt(values['stack-depth'], '--stack-depth', 1);
  let minBytes = 10_000;
  if (values['min-bytes'] !== undefined) {
    try {
      minBytes = parseSize(values['min-bytes']);
    } catch (err) {
      throw new UsageError(`--min-bytes: ${(err as Error).message}`);
    }
  }
  const bar = progressBar('leaks');
  let report;
  try {
    report = await findLeaks(positionals, { top, minObjects, minBytes, stackDepth, onProgress: (p) => bar.update(p) });
  } finally {
    bar.done();
  }
  process.stdout.write(values.json ? JSON.stringify(report, null, 2) + '\n' : renderLeaks(report) + '\n');
  return 0;
}
