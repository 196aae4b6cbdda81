// What the `run` and `attach` commands share: their options, the progress bar and status
// lines on a terminal, Ctrl-C, and one-line errors with exit code 2.
import { progressBar, type ProgressBar } from '../progress.js';
import { UsageError } from '../commands/args.js';
import { parseDuration } from './duration.js';
import { isCaptureError } from './errors.js';
import type { CaptureOptions, CaptureProgress } from './types.js';

/** Options with a value, so the program's own arguments can start without `--`. */
export const VALUE_OPTIONS = new Set(['--snapshots', '--interval', '--out', '--inspect', '-o', '-n', '-i']);

/**
 * Splits `run`'s arguments into heapdiff's options and the program's command line: at `--`,
 * or else at the first argument that is neither an option nor an option's value.
 */
export function splitCommand(argv: string[]): { own: string[]; command: string[] } {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return { own: argv.slice(0, i), command: argv.slice(i + 1) };
    if (!a.startsWith('-')) return { own: argv.slice(0, i), command: argv.slice(i) };
    if (VALUE_OPTIONS.has(a)) i++;
  }
  return { own: argv, command: [] };
}

export function durationOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const ms = parseDuration(value);
  if (ms === undefined) throw new UsageError(`${name} takes a duration like 10s, 500ms or 2m, got '${value}'`);
  return ms;
}

/** Status lines and a progress bar on stderr: only on a terminal, or with --verbose (lines only). */
export function reporters(verbose: boolean): Pick<CaptureOptions, 'onProgress' | 'onStatus'> & { done(): void } {
  const tty = process.stderr.isTTY === true;
  let bar: ProgressBar | undefined;
  let current = 0;
  const finishBar = (): void => {
    bar?.done();
    bar = undefined;
  };
  return {
    onStatus: tty || verbose
      ? (message) => {
          finishBar();
          process.stderr.write(`heapdiff: ${message}\n`);
        }
      : undefined,
    onProgress: tty
      ? (p: CaptureProgress) => {
          if (p.snapshot !== current || !bar) {
            finishBar();
            current = p.snapshot;
            bar = progressBar(`snapshot ${p.snapshot}${p.of ? `/${p.of}` : ''}`);
          }
          bar.update({ phase: p.done < p.total ? 'building' : 'writing', done: p.done, total: p.total });
        }
      : undefined,
    done: finishBar,
  };
}

/** Ctrl-C or SIGTERM stops the capture cleanly (no partial file, the started program stopped). */
export function abortOnSignals(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** One line on stderr and exit code 2 (130 when stopped by Ctrl-C) for a failed capture; other errors are rethrown. */
export function reportCaptureError(err: unknown): number {
  if (!isCaptureError(err)) throw err;
  if (err.code === 'EUSAGE') throw new UsageError(err.message);
  process.stderr.write(`heapdiff: ${err.message}\n`);
  return err.code === 'EABORTED' ? 130 : 2;
}
