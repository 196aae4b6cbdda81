// Capturing heap snapshots from live processes: `captureSnapshots` starts a program (Node or
// Python) or attaches to a running Node process, and writes its snapshots to disk.
import { attachProcess } from './attach.js';
import { CaptureError } from './errors.js';
import { runProgram } from './run.js';
import type { Schedule } from './schedule.js';
import type { CaptureOptions, CaptureResult } from './types.js';

export { CaptureError, isCaptureError, type CaptureErrorCode } from './errors.js';
export { parseDuration, formatDuration } from './duration.js';
export { STEP_MARKER, STEP_DONE_EVENT } from './node-session.js';
export type { CaptureOptions, CaptureProgress, CaptureResult, ProgramExit } from './types.js';

export const DEFAULT_SNAPSHOTS = 3;
export const DEFAULT_INTERVAL_MS = 10_000;

/**
 * Takes heap snapshots of a program it starts (`command`) or of a running Node process (`pid`,
 * or an open inspector at `inspect`). Resolves with the files written; rejects with a one-line
 * CaptureError, leaving no partial file behind.
 */
export async function captureSnapshots(options: CaptureOptions): Promise<CaptureResult> {
  const running = options.command !== undefined;
  const attaching = options.pid !== undefined || options.inspect !== undefined;
  if (running === attaching) throw new CaptureError('EUSAGE', 'give either a command to run or a PID (or --inspect address) to attach to');
  const count = options.snapshots ?? (options.step ? undefined : DEFAULT_SNAPSHOTS);
  if (count !== undefined && (!Number.isInteger(count) || count < 1)) throw new CaptureError('EUSAGE', `snapshots must be a whole number of at least 1, got ${count}`);
  const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  if (!Number.isFinite(intervalMs) || intervalMs < 0) throw new CaptureError('EUSAGE', `the interval must be a duration of at least 0 ms, got ${intervalMs}`);
  const schedule: Schedule = { count, intervalMs, step: options.step === true };
  if (running) return runProgram(options, schedule);
  if (options.keepRunning) throw new CaptureError('EUSAGE', 'keepRunning is for programs heapdiff starts (attach always leaves the process running)');
  return attachProcess(options, schedule);
}
