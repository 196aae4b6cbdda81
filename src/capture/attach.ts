// `attach`: capture a running Node process. SIGUSR1 makes Node open its inspector (on
// 127.0.0.1:9229 unless the process was started with another --inspect-port); heapdiff finds
// it through /json/list, checks that it belongs to the PID, takes the snapshots and
// disconnects. The inspector stays open on the target afterwards: Node cannot close it from
// outside.
import { basename } from 'node:path';
import {
  DEFAULT_INSPECT_HOST, DEFAULT_INSPECT_PORT, formatAddress, isLoopback, parseInspectAddress, probeInspector, webSocketUrl,
  type InspectAddress, type InspectorTarget,
} from './discover.js';
import { CaptureError } from './errors.js';
import { ensureWritableDir, snapshotPath } from './files.js';
import { InspectorClient } from './inspector.js';
import { captureNode } from './node-session.js';
import { delay, isNodeCommand, processExists, procInfo } from './process.js';
import { Trigger, type Schedule } from './schedule.js';
import type { CaptureOptions, CaptureResult } from './types.js';

const SIGUSR1 = 10;

export async function attachProcess(options: CaptureOptions, schedule: Schedule): Promise<CaptureResult> {
  const { pid, signal, onStatus } = options;
  const address = options.inspect === undefined ? { host: DEFAULT_INSPECT_HOST, port: DEFAULT_INSPECT_PORT } : parseInspectAddress(options.inspect);
  if (!address) throw new CaptureError('EUSAGE', `--inspect takes HOST:PORT or PORT, got '${options.inspect}'`);
  const where = formatAddress(address);
  if (pid !== undefined) checkPid(pid);
  const outDir = ensureWritableDir(options.outDir ?? process.cwd());
  if (!isLoopback(address.host)) onStatus?.(`warning: ${where} is not a loopback address; the inspector protocol has no authentication or encryption`);

  const timeoutMs = options.connectTimeoutMs ?? 10_000;
  const { target, opened } = await findInspector(address, pid, timeoutMs, signal);
  const url = webSocketUrl(address, target);
  let client: InspectorClient;
  try {
    client = await InspectorClient.connect(url, timeoutMs);
  } catch (err) {
    throw new CaptureError('EINSPECTOR', (err as Error).message);
  }
  const who = pid === undefined ? `the process at ${where}` : `PID ${pid}`;
  try {
    const targetPid = await remotePid(client);
    if (pid !== undefined && targetPid !== undefined && targetPid !== pid) {
      throw new CaptureError('EPORT', `port ${where} is taken by another Node process (PID ${targetPid}), not PID ${pid}`);
    }
    onStatus?.(`${opened ? 'opened' : 'found'} the inspector of ${who} at ${url}`);
    const effectivePid = pid ?? targetPid ?? 0;
    const trigger = new Trigger(schedule);
    const onAbort = (): void => {
      trigger.abort();
      void client.close();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const started = new Date();
    const label = pid === undefined ? 'attach' : 'pid';
    try {
      const files = await captureNode({
        client,
        pid: effectivePid,
        target: who,
        schedule,
        trigger,
        pathFor: (n) => snapshotPath(outDir, label, effectivePid, started, n),
        trackAllocations: options.trackAllocations ?? false,
        stepsSince: Date.now(),
        onProgress: options.onProgress,
        onStatus,
      });
      return { files, pid: effectivePid, runtime: 'node', inspectorUrl: url, inspectorLeftOpen: where };
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  } finally {
    await client.close();
  }
}

/** Fails early, in one line, for a PID that is missing, not ours or not Node. */
function checkPid(pid: number): void {
  if (!Number.isInteger(pid) || pid < 1) throw new CaptureError('EUSAGE', `not a PID: ${pid}`);
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EPERM') throw new CaptureError('ENOPROCESS', `not permitted to signal PID ${pid} (another user's process?)`);
    throw new CaptureError('ENOPROCESS', `no process with PID ${pid}`);
  }
  const info = procInfo(pid);
  if (info.defunct) throw new CaptureError('ENOPROCESS', `PID ${pid} has exited`);
  const names = [info.exe, info.argv?.[0]].filter((n): n is string => n !== undefined);
  if (names.length > 0 && !names.some(isNodeCommand)) {
    throw new CaptureError('ENOTNODE', `PID ${pid} is not a Node process (${basename(info.exe ?? names[0]!)})`);
  }
}

/**
 * The inspector target to connect to: one already listening at `address`, or the one the
 * process opens on SIGUSR1. Never waits longer than `timeoutMs`.
 */
async function findInspector(
  address: InspectAddress,
  pid: number | undefined,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<{ target: InspectorTarget; opened: boolean }> {
  const where = formatAddress(address);
  const deadline = Date.now() + timeoutMs;
  const notInspector = (detail: string) => new CaptureError('EPORT', `port ${where} is taken by something that is not a Node inspector (${detail})`);
  let first = await probeInspector(address);
  // A busy inspector may take a while to answer; something that never does is not one.
  while (first.state === 'slow') {
    if (Date.now() > deadline) throw notInspector(`it accepts connections but does not answer within ${timeoutMs} ms`);
    first = await probeInspector(address);
  }
  if (first.state === 'inspector') return { target: pick(first.targets, where), opened: false };
  if (first.state === 'other') throw notInspector(first.detail);
  if (pid === undefined) throw new CaptureError('EINSPECTOR', `no inspector is listening at ${where} (give a PID to open one with SIGUSR1)`);
  // SIGUSR1's default action is to terminate: only a process that handles it gets one.
  const caught = procInfo(pid).caught;
  if (caught && !caught.has(SIGUSR1)) throw new CaptureError('ENOTNODE', `PID ${pid} does not handle SIGUSR1 (started with --disable-sigusr1, or not a Node process): not sending it`);
  try {
    process.kill(pid, 'SIGUSR1');
  } catch {
    throw new CaptureError('ENOPROCESS', `no process with PID ${pid}`);
  }
  const opened = Date.now() + timeoutMs;
  for (;;) {
    await delay(100);
    if (signal?.aborted) throw new CaptureError('EABORTED', 'stopped while waiting for the inspector');
    const probe = await probeInspector(address, 2000);
    if (probe.state === 'inspector') return { target: pick(probe.targets, where), opened: true };
    if (probe.state === 'other') throw notInspector(probe.detail);
    if (!processExists(pid) || procInfo(pid).defunct) throw new CaptureError('EEXITED', `PID ${pid} exited after SIGUSR1`);
    if (Date.now() > opened) {
      throw new CaptureError('EINSPECTOR', `PID ${pid} did not open an inspector at ${where} within ${timeoutMs} ms after SIGUSR1 (is its port taken, or set with --inspect-port? see --inspect)`);
    }
  }
}

function pick(targets: InspectorTarget[], where: string): InspectorTarget {
  const target = targets.find((t) => t.type === 'node') ?? targets[0];
  if (!target) throw new CaptureError('EINSPECTOR', `the inspector at ${where} lists no targets`);
  return target;
}

/** The PID of the process behind an inspector session, if it tells. */
async function remotePid(client: InspectorClient): Promise<number | undefined> {
  try {
    const reply = await client.send<{ result?: { value?: unknown } }>('Runtime.evaluate', { expression: 'process.pid', returnByValue: true, silent: true });
    const value = reply.result?.value;
    return typeof value === 'number' ? value : undefined;
  } catch {
    return undefined;
  }
}
