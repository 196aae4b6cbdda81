// When to take each snapshot: on a timer (start to start), or on each step the program asks
// for; and what happens when the target ends, fails or the user stops the capture.
import { CaptureError } from './errors.js';

export interface Schedule {
  /** Snapshots to take; undefined (step mode only) means until the target ends. */
  count: number | undefined;
  intervalMs: number;
  step: boolean;
}

export interface TriggerOptions {
  /**
   * Steps asked for before the end may still be taken after it (a Node program that finished
   * waits for the debugger, heap intact; a Python program is gone).
   */
  stepsAfterEnd: boolean;
}

type Wake = () => void;

/** Decides when snapshot n may start: its time has come, a step was asked for, or the target ended. */
export class Trigger {
  readonly #schedule: Schedule;
  readonly #start = Date.now();
  #steps = 0;
  #ended: string | undefined;
  #aborted = false;
  #wake: Wake | undefined;

  readonly #stepsAfterEnd: boolean;

  constructor(schedule: Schedule, options: TriggerOptions = { stepsAfterEnd: true }) {
    this.#schedule = schedule;
    this.#stepsAfterEnd = options.stepsAfterEnd;
  }

  /** The target asked for a snapshot. */
  step(): void {
    this.#steps++;
    this.#wake?.();
  }

  /** The target is gone or going; `reason` reads "the program exited with code 0". */
  end(reason: string): void {
    this.#ended ??= reason;
    this.#wake?.();
  }

  abort(): void {
    this.#aborted = true;
    this.#wake?.();
  }

  get endReason(): string | undefined {
    return this.#ended;
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  /**
   * Waits until snapshot `n` (1-based) should start. 'go' also comes after the end in step
   * mode while asked-for steps remain: a Node program waiting to exit still has its heap.
   */
  async next(n: number): Promise<'go' | 'end' | 'abort'> {
    for (;;) {
      if (this.#aborted) return 'abort';
      if (this.#schedule.step) {
        if (this.#steps > 0 && (this.#ended === undefined || this.#stepsAfterEnd)) {
          this.#steps--;
          return 'go';
        }
        if (this.#ended !== undefined) return 'end';
        await new Promise<void>((resolve) => (this.#wake = resolve));
      } else {
        if (this.#ended !== undefined) return 'end';
        const wait = this.#start + n * this.#schedule.intervalMs - Date.now();
        if (wait <= 0) return 'go';
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait);
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      this.#wake = undefined;
    }
  }
}

export interface LoopOptions {
  schedule: Schedule;
  trigger: Trigger;
  /** 'the program' or 'PID 1234', for messages. */
  target: string;
  pathFor(n: number): string;
  /** Takes snapshot n into `path`, leaving no file behind on failure. */
  take(n: number, path: string): Promise<void>;
  /** After a snapshot is complete (e.g. to tell the program). */
  afterSnapshot?(n: number, path: string): Promise<void>;
  onStatus?: (message: string) => void;
}

function of(schedule: Schedule): string {
  return schedule.count === undefined ? '' : ` of ${schedule.count}`;
}

function kept(files: string[]): string {
  if (files.length === 0) return '';
  return files.length === 1 ? ` (1 complete snapshot kept: ${files[0]})` : ` (${files.length} complete snapshots kept, the last ${files[files.length - 1]})`;
}

/** How a target that ended before snapshot `n` is reported: "… before snapshot 2 of 3". */
export function endedBefore(reason: string, schedule: Schedule, n = 1): string {
  const what = schedule.step ? `before it asked for a snapshot (console.log('heapdiff:snapshot'))` : `before snapshot ${n}${of(schedule)}`;
  return `${reason} ${what}`;
}

/** Takes the snapshots; returns their paths, or throws a one-line CaptureError. */
export async function captureLoop(o: LoopOptions): Promise<string[]> {
  const files: string[] = [];
  const { schedule, trigger } = o;
  for (let n = 1; schedule.count === undefined || n <= schedule.count; n++) {
    const next = await o.trigger.next(n);
    if (next === 'abort') throw new CaptureError('EABORTED', `stopped before snapshot ${n}${of(schedule)}${kept(files)}`);
    if (next === 'end') {
      if (schedule.step && files.length > 0) break;
      throw new CaptureError('EEXITED', `${endedBefore(trigger.endReason!, schedule, n)}${kept(files)}`);
    }
    const path = o.pathFor(n);
    o.onStatus?.(`taking snapshot ${n}${of(schedule)} of ${o.target}`);
    try {
      await o.take(n, path);
    } catch (err) {
      if (err instanceof CaptureError) throw err;
      // A failure because the target went away shows up as a closed connection a moment
      // before the exit is seen: give the exit a moment to arrive, to report it precisely.
      for (let i = 0; i < 120 && trigger.endReason === undefined && !trigger.aborted; i++) await new Promise((r) => setTimeout(r, 25));
      if (trigger.aborted) throw new CaptureError('EABORTED', `stopped during snapshot ${n}${of(schedule)}; the partial file was removed${kept(files)}`);
      if (trigger.endReason !== undefined) throw new CaptureError('EEXITED', `${trigger.endReason} during snapshot ${n}${of(schedule)}; the partial file was removed${kept(files)}`);
      throw new CaptureError('ESNAPSHOT', `snapshot ${n}${of(schedule)} of ${o.target} failed: ${(err as Error).message}${kept(files)}`);
    }
    files.push(path);
    o.onStatus?.(`wrote ${path}`);
    await o.afterSnapshot?.(n, path);
  }
  return files;
}
