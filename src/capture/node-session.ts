// Capturing a Node process through its inspector: set-up (exit notification, allocation
// tracking, step markers), the snapshots, and the end of the session.
import { CaptureError } from './errors.js';
import { takeHeapSnapshot } from './heap.js';
import { ProtocolError, type InspectorClient } from './inspector.js';
import { delay, processExists, procInfo } from './process.js';
import { captureLoop, endedBefore, Trigger, type Schedule } from './schedule.js';
import type { CaptureProgress } from './types.js';

/** What a program logs to ask for a snapshot in step mode. */
export const STEP_MARKER = 'heapdiff:snapshot';
/** The event heapdiff emits on the program's `process` once a step's snapshot is written. */
export const STEP_DONE_EVENT = 'heapdiff:snapshot-written';

export interface NodeSessionOptions {
  client: InspectorClient;
  pid: number;
  /** 'the program' or 'PID 1234'. */
  target: string;
  schedule: Schedule;
  trigger: Trigger;
  pathFor(n: number): string;
  trackAllocations: boolean;
  /** Step markers logged before this time (ms since the epoch) are old news (attach). */
  stepsSince?: number;
  onProgress?: (p: CaptureProgress) => void;
  onStatus?: (message: string) => void;
}

export async function captureNode(o: NodeSessionOptions): Promise<string[]> {
  const { client, trigger, schedule } = o;
  const offs: Array<() => void> = [];
  let finished = false;
  // A Node process that ends while a debugger is connected waits for it to disconnect (its
  // heap intact); NodeRuntime tells us, so we can finish and let it go.
  offs.push(client.on('NodeRuntime.waitingForDisconnect', () => trigger.end(`${o.target} finished`)));
  void client.closed.then(async () => {
    // The exit itself, if it is coming, says more than the closed connection (on a busy
    // machine a killed process can take a while to be reaped).
    for (let i = 0; i < 40 && trigger.endReason === undefined; i++) {
      if (finished) return;
      if (!processExists(o.pid) || procInfo(o.pid).defunct) return trigger.end(`${o.target} exited`);
      await delay(50);
    }
    if (!finished) trigger.end(`the inspector connection to ${o.target} closed`);
  });
  try {
    await optional(client.send('NodeRuntime.notifyWhenWaitingForDisconnect', { enabled: true }));
    await client.send('HeapProfiler.enable');
    if (o.trackAllocations) await client.send('HeapProfiler.startTrackingHeapObjects', { trackAllocations: true });
    if (schedule.step) {
      offs.push(
        client.on('Runtime.consoleAPICalled', (params) => {
          const first = (params['args'] as Array<{ type?: string; value?: unknown }> | undefined)?.[0];
          const at = Number(params['timestamp'] ?? Infinity);
          if (o.stepsSince !== undefined && at < o.stepsSince) return;
          if (first?.type === 'string' && typeof first.value === 'string' && first.value.trim() === STEP_MARKER) trigger.step();
        }),
      );
      // Runtime.enable also replays console messages logged before we connected.
      await client.send('Runtime.enable');
    }
  } catch (err) {
    offs.forEach((off) => off());
    for (let i = 0; i < 60 && !trigger.endReason; i++) await delay(50);
    finished = true;
    if (trigger.endReason) throw new CaptureError('EEXITED', endedBefore(trigger.endReason, schedule));
    throw new CaptureError('EINSPECTOR', `cannot set up the inspector session with ${o.target}: ${(err as Error).message}`);
  }
  try {
    return await captureLoop({
      schedule,
      trigger,
      target: o.target,
      pathFor: o.pathFor,
      onStatus: o.onStatus,
      take: async (n, path) => {
        const progress = o.onProgress;
        await takeHeapSnapshot(client, path, progress && ((p) => progress({ snapshot: n, of: schedule.count, ...p })));
      },
      afterSnapshot: schedule.step
        ? async (_n, path) => {
            // Lets a program wait for its snapshot: process.once('heapdiff:snapshot-written', …).
            const expression = `setImmediate(() => process.emit(${JSON.stringify(STEP_DONE_EVENT)}, ${JSON.stringify(path)}))`;
            await client.send('Runtime.evaluate', { expression, silent: true }).catch(() => {});
          }
        : undefined,
    });
  } finally {
    finished = true;
    offs.forEach((off) => off());
  }
}

/** Commands an older Node may not know. */
async function optional(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
  }
}
