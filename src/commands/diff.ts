// `heapdiff diff BASE CURRENT`: a thin shell over diffSnapshots and the CI gates.
import { DIFF_SORTS, diffSnapshots, type DiffSort } from '../diff.js';
import { checkGates, parseGate, type Gate } from '../gate.js';
import { progressBar } from '../progress.js';
import { renderDiff } from '../report/diff.js';
import { parse, positiveInt, UsageError } from './args.js';

const USAGE = `Usage: heapdiff diff BASE CURRENT [options]

Compares two heap snapshots: what is in CURRENT that was not in BASE, and what it costs.
Both load at once, on two threads.

By constructor (default): per class, Chrome DevTools' Comparison columns (# new, # deleted,
# delta, alloc. size, freed size, size delta; objects matched by id) plus the class's retained
size in both snapshots and its delta. Snapshots of different processes (ids that do not
match) are detected and compared as class histograms instead.

Options:
  --by class|site          group by constructor (default) or by the allocation site of the new
                           objects: allocation stacks when the snapshots have them (node
                           --track-heap-objects), else constructor source locations
  --stack-depth N          with --by site: group by the N innermost frames (default 1)
  --sort KEY               retained (default), size, count, new, alloc, freed, name
  --top N                  rows to show (default 20)
  --filter REGEX           only classes whose name matches
  --class NAME             also list the largest new objects of class NAME with their paths
  --fail-if-retained-growth [CLASS=]SIZE
                           exit 3 if the heap (or CLASS) retains more than SIZE more (5MB, 1GiB)
  --fail-if-count-growth [CLASS=]N
                           exit 3 if the heap (or CLASS) holds more than N more objects
                           (both gates may be repeated)
  --json                   print the report as JSON (schema 'heapdiff.diff/1', see README)
  -h, --help               this text

Exit codes: 0 done (all gates passed), 1 failure, 2 bad usage or input, 3 a gate failed.`;

export async function diffCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    by: { type: 'string' },
    'stack-depth': { type: 'string' },
    sort: { type: 'string' },
    top: { type: 'string' },
    filter: { type: 'string' },
    class: { type: 'string' },
    'fail-if-retained-growth': { type: 'string', multiple: true },
    'fail-if-count-growth': { type: 'string', multiple: true },
    json: { type: 'boolean' },
  }, USAGE);
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (positionals.length !== 2) throw new UsageError(`diff takes two snapshot files, BASE and CURRENT\n${USAGE}`);
  const by = (values.by as string | undefined) ?? 'class';
  if (by !== 'class' && by !== 'site') throw new UsageError(`--by takes 'class' or 'site', got '${by}'`);
  const sort = ((values.sort as string | undefined) ?? 'retained') as DiffSort;
  if (!DIFF_SORTS.includes(sort)) throw new UsageError(`--sort takes one of ${DIFF_SORTS.join(', ')}; got '${sort}'`);
  const top = positiveInt(values.top as string | undefined, '--top', 20);
  const stackDepth = positiveInt(values['stack-depth'] as string | undefined, '--stack-depth', 1);
  let filter: RegExp | undefined;
  try {
    filter = values.filter === undefined ? undefined : new RegExp(values.filter as string);
  } catch (err) {
    throw new UsageError(`--filter: ${(err as Error).message}`);
  }
  const gates: Gate[] = [];
  try {
    for (const g of (values['fail-if-retained-growth'] as string[] | undefined) ?? []) gates.push(parseGate('retained', g));
    for (const g of (values['fail-if-count-growth'] as string[] | undefined) ?? []) gates.push(parseGate('count', g));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }

  const bar = progressBar('diff');
  let report;
  try {
    report = await diffSnapshots(positionals[0]!, positionals[1]!, {
      sort, stackDepth, className: values.class as string | undefined, onProgress: (p) => bar.update(p),
    });
  } finally {
    bar.done();
  }
  // Gates see every class; the filter and --top only narrow what is shown.
  const results = checkGates(report, gates);
  if (filter) report.classes = report.classes.filter((c) => filter.test(c.name));
  report.classes = report.classes.slice(0, top);
  if (report.sites) report.sites.rows = report.sites.rows.slice(0, top);
  if (values.json) {
    process.stdout.write(JSON.stringify({ ...report, gates: results }, null, 2) + '\n');
  } else {
    process.stdout.write(renderDiff(report, { by, top, sortLabel: sortLabel(sort), gates: results }) + '\n');
  }
  const failed = results.find((r) => !r.passed);
  if (failed) {
    process.stderr.write(`heapdiff: gate failed: ${failed.message}\n`);
    return 3;
  }
  return 0;
}

function sortLabel(sort: DiffSort): string {
  return { retained: 'retained growth', size: 'size delta', count: 'count delta', new: '# new', alloc: 'alloc. size', freed: 'freed size', name: 'name' }[sort];
}
