// `heapdiff run [options] -- COMMAND…`: a thin shell over captureSnapshots for a program it starts.
import { captureSnapshots, DEFAULT_INTERVAL_MS, DEFAULT_SNAPSHOTS } from '../capture/index.js';
import { abortOnSignals, durationOption, reporters, reportCaptureError, splitCommand } from '../capture/cli-support.js';
import { parse, positiveInt, UsageError } from './args.js';
import { reportCapturedSnapshots } from './capture-report.js';

const USAGE = `Usage: heapdiff run [options] -- node app.js [ARGS…]
       heapdiff run [options] -- python3 app.py [ARGS…]

Starts the program, takes heap snapshots of it while it runs, stops it, and prints the files
written. Node programs are started with --inspect=127.0.0.1:0 (a loopback port of their own)
and snapshotted over the inspector protocol; Python programs get heapdiff's writer injected
through PYTHONPATH and are snapshotted on SIGUSR2. The program's stdout and stderr go to
heapdiff's stderr. Files are written atomically (no partial file is ever left behind),
readable by their owner only. See docs/capture.md.

Options:
  -n, --snapshots N      how many snapshots (default ${DEFAULT_SNAPSHOTS}; with --step, the most to take)
  -i, --interval T       time between snapshots, e.g. 10s, 500ms, 2m (default ${DEFAULT_INTERVAL_MS / 1000}s);
                         the first is taken one interval after the start
  -o, --out DIR          where to write the snapshots (default: the current directory)
      --step             instead of a timer, take a snapshot each time the program logs the line
                         'heapdiff:snapshot' (Node: console.log('heapdiff:snapshot'); Python: print it
                         on stdout); the capture ends when the program does
      --track-allocations  record allocation stacks from the start (Python: tracemalloc)
      --keep-running     leave the program running after the snapshots (heapdiff waits for it)
      --json             print the list of files as JSON
      --verbose          status lines on stderr even when it is not a terminal
  -h, --help             this text

Exit codes: 0 success; 2 bad usage, or the capture failed (the program could not be started,
exited before the snapshots were taken, …: one line on stderr); 130 stopped with Ctrl-C.`;

const OPTIONS = {
  snapshots: { type: 'string', short: 'n' },
  interval: { type: 'string', short: 'i' },
  out: { type: 'string', short: 'o' },
  step: { type: 'boolean' },
  'track-allocations': { type: 'boolean' },
  'keep-running': { type: 'boolean' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
} as const;

interface Values {
  snapshots?: string;
  interval?: string;
  out?: string;
  step?: boolean;
  'track-allocations'?: boolean;
  'keep-running'?: boolean;
  json?: boolean;
  verbose?: boolean;
  help?: boolean;
}

export async function runCommand(argv: string[]): Promise<number> {
  const { own, command } = splitCommand(argv);
  const parsed = parse(own, OPTIONS, USAGE);
  const values = parsed.values as Values;
  const positionals = parsed.positionals;
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (positionals.length > 0 || command.length === 0) throw new UsageError(`run needs the program's command line after '--', e.g. heapdiff run -- node app.js\n${USAGE}`);
  const step = values.step === true;
  const snapshots = values.snapshots === undefined && step ? undefined : positiveInt(values.snapshots, '--snapshots', DEFAULT_SNAPSHOTS);
  const intervalMs = durationOption(values.interval, '--interval', DEFAULT_INTERVAL_MS);
  if (step && values.interval !== undefined) throw new UsageError('--interval and --step do not go together: --step takes a snapshot when the program asks');
  const report = reporters(values.verbose === true);
  const stop = abortOnSignals();
  let result;
  try {
    result = await captureSnapshots({
      command,
      snapshots,
      intervalMs,
      step,
      outDir: values.out,
      trackAllocations: values['track-allocations'] === true,
      keepRunning: values['keep-running'] === true,
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
  const code = await reportCapturedSnapshots(result.files, values.json === true);
  if (result.exited) {
    // --keep-running: stay the program's parent until it exits; pass on a SIGTERM sent to us
    // alone (Ctrl-C reaches the program directly, as it is in our process group).
    process.stderr.write(`heapdiff: the program keeps running (PID ${result.pid}); heapdiff exits when it does\n`);
    const forward = (sig: NodeJS.Signals) => () => {
      try {
        process.kill(result.pid, sig);
      } catch {
        // already gone
      }
    };
    const onTerm = forward('SIGTERM');
    const onInt = () => {};
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
    try {
      await result.exited;
    } finally {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
    }
  }
  return code;
}
