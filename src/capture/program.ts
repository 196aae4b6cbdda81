// Starting a program: where its output goes, what its snapshot files are called, and a clear
// error when it cannot be started.
import type { ChildProcess } from 'node:child_process';
import { basename } from 'node:path';
import type { Writable } from 'node:stream';
import { CaptureError } from './errors.js';
import type { CaptureOptions } from './types.js';

export interface Outputs {
  out: Writable | undefined;
  err: Writable | undefined;
}

export function outputsFor(option: CaptureOptions['programOutput']): Outputs {
  if (option === 'ignore') return { out: undefined, err: undefined };
  if (option === 'inherit') return { out: process.stdout, err: process.stderr };
  if (option === undefined || option === 'stderr') return { out: process.stderr, err: process.stderr };
  return { out: option, err: option };
}

/** A label for file names: the script's name (`app` for `node app.js`), else the command's. */
export function programLabel(command: string[]): string {
  const script = command.slice(1).find((a) => !a.startsWith('-'));
  return basename(script ?? command[0]!).replace(/\.(c|m)?(js|ts)$|\.py$/, '') || 'program';
}

export function startError(command: string, err: NodeJS.ErrnoException): CaptureError {
  const why = err.code === 'ENOENT' ? 'not found' : err.code === 'EACCES' ? 'permission denied' : err.message;
  return new CaptureError('ESTART', `cannot start '${command}': ${why}`);
}

/** Waits for the child to be spawned (or fail to be). */
export function spawned(child: ChildProcess, command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err) => reject(startError(command, err)));
  });
}

/**
 * Resolves once the child's output pipes have closed, at most `ms` after the child exited:
 * a grandchild that inherited them could keep them open forever, and is not ours to wait for.
 */
export function outputClosed(child: ChildProcess, ms = 2000): Promise<void> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    child.once('close', () => {
      if (timer) clearTimeout(timer);
      resolve();
    });
    child.once('exit', () => {
      timer = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        resolve();
      }, ms);
    });
  });
}
