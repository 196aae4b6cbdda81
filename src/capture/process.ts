// Processes: starting and stopping a child, how it ended, and what we can learn about a PID
// (Linux /proc) before sending it a signal.
import type { ChildProcess } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import type { Writable } from 'node:stream';
import { isInspectorNoise } from './discover.js';
import type { ProgramExit } from './types.js';

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** "the program exited with code 0", "PID 12 was killed by SIGKILL". */
export function describeExit(who: string, exit: ProgramExit): string {
  return exit.signal ? `${who} was killed by ${exit.signal}` : `${who} exited with code ${exit.code}`;
}

/** Resolves when the child has exited (immediately if it already has). */
export function exitOf(child: ChildProcess): Promise<ProgramExit> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/**
 * Stops a child: waits `naturalMs` for it to end on its own, then SIGTERM, then SIGKILL after
 * `graceMs`. Resolves with how it ended.
 */
export async function stopChild(child: ChildProcess, graceMs: number, naturalMs = 0): Promise<ProgramExit> {
  const exited = exitOf(child);
  const within = (ms: number) => Promise.race([exited.then(() => true), delay(ms).then(() => false)]);
  if (naturalMs > 0 && (await within(naturalMs))) return exited;
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  if (!(await within(graceMs))) child.kill('SIGKILL');
  return exited;
}

/** True if a process with this PID exists (including ones we may not signal). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface ProcInfo {
  /** The executable (/proc/PID/exe), when readable. */
  exe?: string;
  /** The command line (/proc/PID/cmdline), when readable. */
  argv?: string[];
  /** Signal numbers the process catches (SigCgt of /proc/PID/status). */
  caught?: Set<number>;
  /** Zombie or dead (state Z or X). */
  defunct?: boolean;
}

/** What Linux's /proc says about a process; empty elsewhere. */
export function procInfo(pid: number): ProcInfo {
  const info: ProcInfo = {};
  try {
    info.exe = readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, '');
  } catch {
    // not Linux, or not ours to read
  }
  try {
    info.argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a.length > 0);
  } catch {
    // idem
  }
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const caught = /^SigCgt:\s*([0-9a-f]+)$/m.exec(status);
    if (caught) {
      const mask = BigInt(`0x${caught[1]}`);
      info.caught = new Set();
      for (let s = 1; s <= 64; s++) if ((mask >> BigInt(s - 1)) & 1n) info.caught.add(s);
    }
    const state = /^State:\s*(\S)/m.exec(status);
    info.defunct = state !== null && (state[1] === 'Z' || state[1] === 'X');
  } catch {
    // idem
  }
  return info;
}

/** Starts of lines that may be left out (Node's inspector, heapdiff's Python writer). */
const HIDEABLE = ['Debugger ', 'For help, see:', 'Waiting for the debugger', 'heapdiff: '];

const NODE_NAME = /^(node|nodejs)(\d+(\.\d+)*)?(\.exe)?$/i;
const PYTHON_NAME = /^python(\d+(\.\d+)*)?(\.exe)?$/i;

/** `node`, `nodejs`, `node20`, `/usr/bin/node`, or our own executable. */
export function isNodeCommand(command: string): boolean {
  return NODE_NAME.test(basename(command)) || command === process.execPath;
}

/** `python`, `python3`, `python3.11`, `/usr/bin/python3`. */
export function isPythonCommand(command: string): boolean {
  return PYTHON_NAME.test(basename(command));
}

/** Forwards a stream line by line, leaving out lines `hide` matches (Node's inspector messages by default); calls onLine for each line. */
export function forwardLines(
  input: NodeJS.ReadableStream,
  output: Writable | undefined,
  onLine: (line: string) => void,
  hide: (line: string) => boolean = isInspectorNoise,
): void {
  let pending = '';
  let timer: NodeJS.Timeout | undefined;
  const emit = (line: string, newline: boolean): void => {
    onLine(line);
    if (output && !hide(line)) output.write(newline ? line + '\n' : line);
  };
  input.setEncoding('utf8');
  input.on('data', (chunk: string) => {
    if (timer) clearTimeout(timer);
    const lines = (pending + chunk).split('\n');
    pending = lines.pop()!;
    for (const line of lines) emit(line, true);
    // A partial line (a prompt, a progress bar) is shown after a moment rather than held
    // back, unless it may be the start of a line to leave out.
    if (pending)
      timer = setTimeout(() => {
        if (output && pending && !HIDEABLE.some((k) => k.startsWith(pending) || pending.startsWith(k))) {
          output.write(pending);
          pending = '';
        }
      }, 100);
  });
  input.on('end', () => {
    if (timer) clearTimeout(timer);
    if (pending) emit(pending, false);
    pending = '';
  });
}

/** CPU time the process has used, in clock ticks (Linux /proc/PID/stat), or undefined. */
export function cpuTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After "(comm)": state is field 3, utime and stime fields 14 and 15.
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}
