// Options and results of captureSnapshots.
import type { Writable } from 'node:stream';

export interface CaptureOptions {
  /** Start this program and capture it: a Node command line (`['node', 'app.js', …]`) or a Python one (`['python3', 'app.py', …]`). */
  command?: string[];
  /** Or attach to this running Node process (it gets SIGUSR1, which opens its inspector). */
  pid?: number;
  /**
   * attach: the inspector address, 'HOST:PORT' or 'PORT' (default 127.0.0.1:9229). Without a
   * PID, heapdiff connects to an inspector that is already open there.
   */
  inspect?: string;
  /** How many snapshots (default 3). In step mode, the most to take (default: no limit). */
  snapshots?: number;
  /** Between snapshots, start to start (default 10 000 ms). The first is taken one interval after the start. */
  intervalMs?: number;
  /** run: take a snapshot each time the program asks for one (see docs/capture.md) instead of on a timer. */
  step?: boolean;
  /** Where the snapshots go (default: the current directory); created if missing. */
  outDir?: string;
  /** Record allocation stacks (`HeapProfiler.startTrackingHeapObjects`) from before the first snapshot. Node only. */
  trackAllocations?: boolean;
  /** run: leave the program running after the snapshots; `result.exited` resolves when it exits. */
  keepRunning?: boolean;
  /** run: between SIGTERM and SIGKILL when stopping the program (default 5000 ms). */
  graceMs?: number;
  /** How long the target may take to open its inspector or load the Python writer (default 30 000 ms for run, 10 000 ms for attach). */
  connectTimeoutMs?: number;
  /** Python: how long a snapshot may go without progress before it counts as failed (default 60 000 ms). */
  stallTimeoutMs?: number;
  /** run: working directory and environment of the program (default: ours). */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /**
   * run: where the program's stdout and stderr go: 'stderr' (default: both to our stderr, so
   * our stdout carries only the report), 'inherit' (each to ours), 'ignore', or a stream.
   * Node's own inspector messages ("Debugger listening…") are left out.
   */
  programOutput?: 'stderr' | 'inherit' | 'ignore' | Writable;
  /** Stops the capture: the snapshot being written is removed, and a started program stopped. */
  signal?: AbortSignal;
  /** Progress of the snapshot being taken (Node: V8's object count). */
  onProgress?: (progress: CaptureProgress) => void;
  /** One-line status messages ("taking snapshot 1 of 3"). */
  onStatus?: (message: string) => void;
}

export interface CaptureProgress {
  /** 1-based number of the snapshot being taken. */
  snapshot: number;
  /** How many will be taken, when known. */
  of?: number;
  done: number;
  total: number;
  /** Bytes written so far. */
  bytes: number;
}

export interface ProgramExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface CaptureResult {
  /** The snapshot files written, in order: complete, renamed into place. */
  files: string[];
  /** The process captured. */
  pid: number;
  runtime: 'node' | 'python';
  /** The inspector the snapshots came through (Node). */
  inspectorUrl?: string;
  /** run: how the program ended, when it was stopped or ended on its own. */
  exit?: ProgramExit;
  /** run with keepRunning: resolves when the program exits. */
  exited?: Promise<ProgramExit>;
  /** attach: the inspector address left open on the target. */
  inspectorLeftOpen?: string;
}
