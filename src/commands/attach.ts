// `heapdiff attach PID`: a thin shell over captureSnapshots for a running Node process.
import { captureSnapshots, DEFAULT_INTERVAL_MS, DEFAULT_SNAPSHOTS } from '../capture/index.js';
import { abortOnSignals, durationOption, reporters, reportCaptureError } from '../capture/cli-support.js';
import { parse, positiveInt, UsageError } from './args.js';
import { reportCapturedSnapshots } from './capture-report.js';

const USAGE = `Usage: heapdiff attach PID [options]
       heapdiff attach --inspect HOST:PORT [options]

Takes heap snapshots of a running Node process. heapdiff sends it SIGUSR1, which makes Node
open its inspector (on 127.0.0.1:9229, or the port it was started with --inspect-port=…),
finds it through http://HOST:PORT/json/list, checks that it belongs to PID, takes the
snapshots and disconnects. The process keeps running, and its inspector stays open (Node
cannot close it from outside): anyone who can reach that port can debug the process.
Without a PID, heapdiff connects to an inspector that is already open at --inspect.
See docs/capture.md.

Options:
  -n, --snapshots N   how many snapshots (default ${DEFAULT_SNAPSHOTS})
  -i, --interval T    time between snapshots, e.g. 10s, 500ms, 2m (default ${DEFAULT_INTERVAL_MS / 1000}s);
                      the first is taken one interval after attaching
  -o, --out DIR       where to write the snapshots (default: the current directory)
      --inspect HOST:PORT  where the process's inspector listens (default 127.0.0.1:9229); only
                      loopback unless you name another host here
      --step          take a snapshot each time the process logs 'heapdiff:snapshot' (until
                      --snapshots are taken)
      --track-allocations  record allocation stacks while attached
      --json          print the list of files as JSON
      --verbose       status lines on stderr even when it is not a terminal
  -h, --help          this text

Exit codes: 0 success; 2 bad usage, or the capture failed (no such process, not a Node
process, the port is taken, the process exited mid-snapshot, …: one line on stderr);
130 stopped with Ctrl-C.`;

const OPTIONS = {
  snapshots: { type: 'string', short: 'n' },
  interval: { type: 'string', short: 'i' },
  out: { type: 'string', short: 'o' },
  inspect: { type: 'string' },
  step: { type: 'boolean' },
  'track-allocations': { type: 'boolean' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
} as const;

interface Values {
  snapshots?: string;
  interval?: string;
  out?: string;
  inspect?: string;
  step?: boolean;
  'track-allocations'?: boolean;
  json?: boolean;
  verbose?: boolean;
  help?: boolean;
}

export async function attachCommand(argv: string[]): Promise<number> {
  const parsed = parse(argv, OPTIONS, USAGE);
  const values = parsed.values as Values;
  const positionals = parsed.positionals;
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`attach takes one PID\n${USAGE}`);
  if (positionals.length === 0 && values.inspect === undefined) throw new UsageError(`attach needs a PID (or --inspect HOST:PORT of an open inspector)\n${USAGE}`);
  let pid: number | undefined;
  if (positionals.length === 1) {
    pid = Number(positionals[0]);
    if (!/^\d+$/.test(positionals[0]!) || !Number.isSafeInteger(pid) || pid < 1) throw new UsageError(`attach takes a process id, got '${positionals[0]}'`);
  }
  const step = values.step === true;
  if (step && values.interval !== undefined) throw new UsageError('--interval and --step do not go together');
  const snapshots = positiveInt(values.snapshots, '--snapshots', DEFAULT_SNAPSHOTS);
  const intervalMs = durationOption(values.interval, '--interval', DEFAULT_INTERVAL_MS);
  const report = reporters(values.verbose === true);
  const stop = abortOnSignals();
  let result;
  try {
    result = await captureSnapshots({
      pid,
      inspect: values.inspect,
      snapshots,
      intervalMs,
      step,
      outDir: values.out,
      trackAllocations: values['track-allocations'] === true,
      signal: stop.signal,
      onProgress: report.onProgress,
      onStatus: report.onStatus,
    });
  } catch (err) {
    return reportCaptureError(err);
  } finally {
    report.done();
    stop.dispose();
  }
  const who = pid === undefined ? 'the process' : `PID ${pid}`;
  process.stderr.write(`heapdiff: disconnected; ${who} keeps running, and its inspector stays open at ${result.inspectorLeftOpen} until it exits\n`);
  return reportCapturedSnapshots(result.files, values.json === true);
}
