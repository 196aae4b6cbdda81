// `run` for Python programs: heapdiff's stdlib-only writer (python/heapdiff.py) is injected
// without touching the program. PYTHONPATH gets python/heapdiff_bootstrap/, whose
// sitecustomize.py loads the writer and installs its SIGUSR2 handler, writing snapshots into
// a private directory; heapdiff sends SIGUSR2 for each snapshot, waits for the file (the
// writer renames it into place when complete) and moves it to its final name.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CaptureError } from './errors.js';
import { moveInto, snapshotPath } from './files.js';
import { cpuTicks, delay, describeExit, exitOf, forwardLines, stopChild } from './process.js';
import { outputClosed, outputsFor, programLabel, spawned } from './program.js';
import { captureLoop, Trigger, type Schedule } from './schedule.js';
import type { CaptureOptions, CaptureResult, ProgramExit } from './types.js';
import { STEP_MARKER } from './node-session.js';

const PROGRAM = 'the program';

/** The repository's python/ directory (this file is dist/src/capture/python.js). */
export const PYTHON_DIR = fileURLToPath(new URL('../../../python/', import.meta.url));
export const BOOTSTRAP_DIR = join(PYTHON_DIR, 'heapdiff_bootstrap');
export const PYTHON_WRITER = join(PYTHON_DIR, 'heapdiff.py');
const READY_NAME = '.heapdiff-ready';
/** tracemalloc's frames per stack under --track-allocations: enough to name the allocating function and its callers; each frame makes every traced allocation (the program's and the writer's) slower. */
export const PYTHON_TRACE_FRAMES = 4;

export async function runPython(options: CaptureOptions, schedule: Schedule, outDir: string): Promise<CaptureResult> {
  const command = options.command!;
  const { signal, onStatus } = options;
  if (!existsSync(PYTHON_WRITER)) throw new CaptureError('ESTART', `heapdiff's Python writer is missing: ${PYTHON_WRITER}`);
  if (!existsSync(join(BOOTSTRAP_DIR, 'sitecustomize.py'))) throw new CaptureError('ESTART', `heapdiff's Python bootstrap is missing: ${BOOTSTRAP_DIR}`);
  if (signal?.aborted) throw new CaptureError('EABORTED', 'stopped before the program started');

  // The writer's directory sits in the output directory, so a finished file moves by rename.
  const work = mkdtempSync(join(outDir, '.heapdiff-python-'));
  const ready = join(work, READY_NAME);
  const base = options.env ?? process.env;
  const env: NodeJS.ProcessEnv = {
    ...base,
    PYTHONPATH: base['PYTHONPATH'] ? `${BOOTSTRAP_DIR}${delimiter}${base['PYTHONPATH']}` : BOOTSTRAP_DIR,
    HEAPDIFF_PYTHON_DIR: PYTHON_DIR,
    HEAPDIFF_SNAPSHOT_DIR: work,
    HEAPDIFF_READY_FILE: ready,
  };
  // Allocation stacks through tracemalloc, started by the bootstrap before the program runs.
  if (options.trackAllocations) env['HEAPDIFF_TRACEMALLOC'] = String(PYTHON_TRACE_FRAMES);
  if (schedule.step) {
    env['HEAPDIFF_STEP'] = '1';
    // The step marker must arrive when printed, not when a pipe buffer fills.
    env['PYTHONUNBUFFERED'] = '1';
  }
  const child = spawn(command[0]!, command.slice(1), { cwd: options.cwd, env, stdio: ['inherit', 'pipe', 'pipe'] });
  const started = new Date();
  const outputs = outputsFor(options.programOutput);
  const trigger = new Trigger(schedule, { stepsAfterEnd: false });
  const exited = exitOf(child);
  const streamsClosed = outputClosed(child);
  let exit: ProgramExit | undefined;
  void exited.then((e) => {
    exit = e;
    trigger.end(describeExit(PROGRAM, e));
  });
  const onAbort = (): void => trigger.abort();
  signal?.addEventListener('abort', onAbort);
  // The writer reports each file on the program's stderr: ours are left out, a failure ends the snapshot.
  const writerLine = (line: string): boolean => line.startsWith(`heapdiff: wrote ${work}`);
  let writerError: string | undefined;
  forwardLines(child.stderr!, outputs.err, (line) => {
    if (line.startsWith(`heapdiff: could not write ${work}`)) writerError = line.slice('heapdiff: '.length);
  }, writerLine);
  forwardLines(child.stdout!, outputs.out, (line) => {
    if (schedule.step && line.trim() === STEP_MARKER) trigger.step();
  }, () => false);

  let keep = false;
  try {
    await spawned(child, command[0]!);
    const pid = child.pid!;
    // The bootstrap writes the ready file once the SIGUSR2 handler is in place: before that,
    // SIGUSR2 would kill the program.
    const timeoutMs = options.connectTimeoutMs ?? 30_000;
    for (const deadline = Date.now() + timeoutMs; ; ) {
      if (trigger.aborted) throw new CaptureError('EABORTED', 'stopped before the first snapshot');
      if (exit) throw new CaptureError('EEXITED', `${describeExit(PROGRAM, exit)} before heapdiff's writer was loaded`);
      if (readyPid(ready) === pid) break;
      if (Date.now() > deadline)
        throw new CaptureError('ESTART', `the Python program did not load heapdiff's writer within ${timeoutMs} ms (started with -S, -E or -I, or not a CPython?)`);
      await delay(25);
    }
    onStatus?.(`started ${command.join(' ')} (PID ${pid}), heapdiff's writer loaded`);
    const label = programLabel(command);
    const stallMs = options.stallTimeoutMs ?? 60_000;
    const files = await captureLoop({
      schedule,
      trigger,
      target: PROGRAM,
      pathFor: (n) => snapshotPath(outDir, label, pid, started, n),
      onStatus,
      take: async (_n, path) => {
        const before = new Set(await snapshotsIn(work));
        writerError = undefined;
        process.kill(pid, 'SIGUSR2');
        let lastActivity = '';
        let lastChange = Date.now();
        for (;;) {
          const fresh = (await snapshotsIn(work)).find((f) => !before.has(f));
          if (fresh) {
            await moveInto(join(work, fresh), path);
            return;
          }
          if (trigger.endReason !== undefined || trigger.aborted) throw new Error('the program is gone');
          if (writerError !== undefined) throw new Error(`heapdiff's writer ${writerError}`);
          // Progress: the writer's files grow, or (while it walks the heap, before writing)
          // the program uses CPU.
          const activity = `${await bytesIn(work)}:${cpuTicks(pid) ?? ''}`;
          if (activity !== lastActivity) {
            lastActivity = activity;
            lastChange = Date.now();
          } else if (Date.now() - lastChange > stallMs) {
            throw new Error(`the writer made no progress for ${stallMs} ms (is the program's main thread stuck, or SIGUSR2 handled by the program itself?)`);
          }
          await delay(25);
        }
      },
    });
    keep = options.keepRunning === true && exit === undefined;
    const result: CaptureResult = { files, pid, runtime: 'python' };
    if (keep) {
      result.exited = exited.then(async (e) => {
        await streamsClosed;
        await rm(work, { recursive: true, force: true });
        return e;
      });
    } else {
      result.exit = await stopChild(child, options.graceMs ?? 5000, trigger.endReason ? 2000 : 0);
      await streamsClosed;
    }
    return result;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (!keep) {
      if (child.pid !== undefined) {
        await stopChild(child, options.graceMs ?? 5000);
        await streamsClosed;
      }
      // Also removes a half-written file of a writer that was stopped mid-snapshot.
      await rm(work, { recursive: true, force: true });
    }
  }
}

function readyPid(file: string): number | undefined {
  try {
    return Number(readFileSync(file, 'utf8').trim());
  } catch {
    return undefined;
  }
}

async function snapshotsIn(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith('.heapsnapshot') && !f.startsWith('.')).sort();
}

async function bytesIn(dir: string): Promise<number> {
  let total = 0;
  for (const f of await readdir(dir)) total += (await stat(join(dir, f)).catch(() => ({ size: 0 }))).size;
  return total;
}
