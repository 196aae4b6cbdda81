// `run`: start a program and capture it. Node programs get `--inspect=127.0.0.1:0` (an
// ephemeral loopback port, read back from the "Debugger listening on ws://…" line); Python
// programs get heapdiff's writer injected (see python.ts).
import { spawn } from 'node:child_process';
import { isLoopback, parseListeningLine } from './discover.js';
import { CaptureError } from './errors.js';
import { ensureWritableDir, snapshotPath } from './files.js';
import { InspectorClient } from './inspector.js';
import { captureNode } from './node-session.js';
import { delay, describeExit, exitOf, forwardLines, isNodeCommand, isPythonCommand, stopChild } from './process.js';
import { outputClosed, outputsFor, programLabel, spawned } from './program.js';
import { runPython } from './python.js';
import { endedBefore, Trigger, type Schedule } from './schedule.js';
import type { CaptureOptions, CaptureResult, ProgramExit } from './types.js';

const PROGRAM = 'the program';

export async function runProgram(options: CaptureOptions, schedule: Schedule): Promise<CaptureResult> {
  const command = options.command!;
  if (command.length === 0 || !command[0]) throw new CaptureError('EUSAGE', 'run needs a command line, e.g. node app.js');
  const outDir = ensureWritableDir(options.outDir ?? process.cwd());
  if (isPythonCommand(command[0])) return runPython(options, schedule, outDir);
  if (!isNodeCommand(command[0]))
    throw new CaptureError('ESTART', `'${command[0]}' is neither node nor python: run starts 'node …' or 'python3 …' (for other launchers, start the program yourself and use 'heapdiff attach PID')`);
  return runNode(options, schedule, outDir, command);
}

async function runNode(options: CaptureOptions, schedule: Schedule, outDir: string, command: string[]): Promise<CaptureResult> {
  const { signal, onStatus } = options;
  if (signal?.aborted) throw new CaptureError('EABORTED', 'stopped before the program started');
  const env = { ...(options.env ?? process.env) };
  if (schedule.step) env['HEAPDIFF_STEP'] = '1';
  const child = spawn(command[0]!, ['--inspect=127.0.0.1:0', ...command.slice(1)], {
    cwd: options.cwd,
    env,
    stdio: ['inherit', 'pipe', 'pipe'],
  });
  const started = new Date();
  const outputs = outputsFor(options.programOutput);
  const trigger = new Trigger(schedule);
  const exited = exitOf(child);
  const streamsClosed = outputClosed(child);
  let exit: ProgramExit | undefined;
  void exited.then((e) => {
    exit = e;
    trigger.end(describeExit(PROGRAM, e));
  });
  const onAbort = (): void => trigger.abort();
  signal?.addEventListener('abort', onAbort);

  let resolveUrl: (url: string) => void = () => {};
  const urlFound = new Promise<string>((resolve) => (resolveUrl = resolve));
  forwardLines(child.stderr!, outputs.err, (line) => {
    const url = parseListeningLine(line);
    if (url) resolveUrl(url);
    // Printed when the program ends before NodeRuntime's notification was switched on.
    if (line.startsWith('Waiting for the debugger to disconnect')) trigger.end(`${PROGRAM} finished`);
  });
  if (outputs.out) child.stdout!.on('data', (d: Buffer) => outputs.out!.write(d));
  else child.stdout!.resume();

  let client: InspectorClient | undefined;
  let closeOnAbort: (() => void) | undefined;
  let keep = false;
  try {
    await spawned(child, command[0]!);
    const timeoutMs = options.connectTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    // Each of these may settle after the race is decided: their rejections are handled here.
    const exitedFirst = exited.then((e): never => {
      throw new CaptureError('EEXITED', `${describeExit(PROGRAM, e)} before its inspector opened`);
    });
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CaptureError('EINSPECTOR', `the program did not open its inspector within ${timeoutMs} ms (is --inspect disabled in it?)`)), timeoutMs);
    });
    const stopped = new Promise<never>((_, reject) => {
      const stop = () => reject(new CaptureError('EABORTED', 'stopped before the first snapshot'));
      if (signal?.aborted) stop();
      signal?.addEventListener('abort', stop, { once: true });
    });
    for (const p of [exitedFirst, timedOut, stopped]) p.catch(() => {});
    const url = await Promise.race([
      urlFound,
      exitedFirst,
      timedOut,
      stopped,
    ]).finally(() => clearTimeout(timer));
    const host = new URL(url).hostname;
    if (!isLoopback(host)) throw new CaptureError('EINSPECTOR', `the program's inspector listens on ${host}, not on loopback: refusing to connect`);
    try {
      client = await InspectorClient.connect(url, timeoutMs);
    } catch (err) {
      // A program that ends right away closes its inspector under our feet: say so.
      const gone = await Promise.race([exited, delay(3000).then(() => undefined)]);
      if (gone) throw new CaptureError('EEXITED', endedBefore(describeExit(PROGRAM, gone), schedule));
      if (trigger.endReason) throw new CaptureError('EEXITED', endedBefore(trigger.endReason, schedule));
      throw new CaptureError('EINSPECTOR', (err as Error).message);
    }
    client.closed.then(() => {}, () => {});
    const activeClient = client;
    closeOnAbort = () => void activeClient.close();
    signal?.addEventListener('abort', closeOnAbort, { once: true });
    onStatus?.(`started ${command.join(' ')} (PID ${child.pid}), inspector ${url}`);
    const label = programLabel(command);
    const files = await captureNode({
      client,
      pid: child.pid!,
      target: PROGRAM,
      schedule,
      trigger,
      pathFor: (n) => snapshotPath(outDir, label, child.pid!, started, n),
      trackAllocations: options.trackAllocations ?? false,
      onProgress: options.onProgress,
      onStatus,
    });
    await client.close();
    keep = options.keepRunning === true && exit === undefined;
    const result: CaptureResult = { files, pid: child.pid!, runtime: 'node', inspectorUrl: url };
    if (keep) {
      result.exited = exited.then(async (e) => {
        await streamsClosed;
        return e;
      });
    } else {
      // In step mode a finished program exits by itself once we disconnect.
      result.exit = await stopChild(child, options.graceMs ?? 5000, trigger.endReason ? 2000 : 0);
      await streamsClosed;
    }
    return result;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (closeOnAbort) signal?.removeEventListener('abort', closeOnAbort);
    if (!keep) {
      await client?.close();
      if (child.pid !== undefined) {
        await stopChild(child, options.graceMs ?? 5000);
        await streamsClosed;
      }
    }
  }
}
