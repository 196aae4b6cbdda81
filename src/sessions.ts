// Snapshot sessions: each snapshot is opened and analysed on its own worker thread (piscina)
// and stays there; the main thread sends it requests and gets back compact answers. Several
// snapshots load in parallel, and no two full graphs ever share the main thread's heap.
import { MessageChannel, type MessagePort, type TransferListItem } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { Census, Holding, NativeDiff, Suspects } from './native.js';
import type { DiffWithOptions } from './snapshot.js';
import type { ClassSummary, LoadProgress, OpenOptions, SnapshotSummary } from './types.js';

export type SessionRequest =
  | { id: number; op: 'summary' }
  | { id: number; op: 'definitions' }
  | { id: number; op: 'census'; definitions?: string[][]; retained?: boolean }
  | { id: number; op: 'censusClasses' }
  | { id: number; op: 'pair'; base: Census }
  | { id: number; op: 'diff'; baseClasses: ClassSummary[]; options: DiffWithOptions }
  | { id: number; op: 'maxId' }
  | { id: number; op: 'suspects'; maxIds: number[]; stackDepth: number; limit: number }
  | { id: number; op: 'holdings'; firstMaxId: number; containerIds: number[] };

export type SessionReply =
  | { type: 'progress'; progress: LoadProgress }
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'reply'; id: number; result: unknown }
  | { type: 'error'; id: number; message: string };

interface Results {
  summary: SnapshotSummary;
  definitions: string[][];
  census: Census;
  censusClasses: ClassSummary[];
  pair: void;
  diff: NativeDiff;
  maxId: number;
  suspects: Suspects;
  holdings: Holding[];
}

type Op = keyof Results;
type Payload<O extends Op> = Omit<Extract<SessionRequest, { op: O }>, 'id' | 'op'>;

/** One snapshot held by a worker thread. */
export class SnapshotSession {
  readonly path: string;
  /** Resolves once the snapshot is analysed; rejects with the engine's one-line error. */
  readonly ready: Promise<void>;
  readonly #port: MessagePort;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #next = 0;
  #closed = false;

  constructor(path: string, port: MessagePort, onProgress: (p: LoadProgress) => void) {
    this.path = path;
    this.#port = port;
    this.ready = new Promise<void>((resolve, reject) => {
      port.on('message', (reply: SessionReply) => {
        switch (reply.type) {
          case 'progress':
            onProgress(reply.progress);
            break;
          case 'ready':
            resolve();
            break;
          case 'failed':
            this.#closed = true;
            reject(new Error(reply.message));
            break;
          case 'reply':
          case 'error': {
            const pending = this.#pending.get(reply.id);
            this.#pending.delete(reply.id);
            if (reply.type === 'reply') pending?.resolve(reply.result);
            else pending?.reject(new Error(reply.message));
          }
        }
      });
    });
    // Rejections are reported to whoever awaits `ready`; do not let an unobserved one crash.
    this.ready.catch(() => {});
  }

  async request<O extends Op>(op: O, payload: Payload<O>, transfer: TransferListItem[] = []): Promise<Results[O]> {
    await this.ready;
    if (this.#closed) throw new Error(`session for ${this.path} is closed`);
    const id = this.#next++;
    return new Promise<Results[O]>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#port.postMessage({ id, op, ...payload }, transfer);
    });
  }

  /** Lets the worker drop the snapshot. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#port.postMessage({ op: 'close' });
  }
}

export interface SessionsOptions {
  /** Progress of each snapshot, by its index in `paths`. */
  onProgress?: (index: number, progress: LoadProgress) => void;
  /** How each snapshot is opened, by its index in `paths` (see `OpenOptions`). */
  open?: (index: number) => SessionOpenOptions;
}

/** What a session's snapshot is opened with. */
export type SessionOpenOptions = Pick<OpenOptions, 'distances' | 'classRetained' | 'keep'>;

/** What a worker opens its snapshot with: its cores are shared when others open with it. */
export type WorkerOpenOptions = SessionOpenOptions & Pick<OpenOptions, 'cores'>;

/**
 * Opens every snapshot on its own worker thread, all at once, and calls `use` with their
 * sessions. Workers end (and their memory is freed) when `use` settles.
 */
export async function withSessions<T>(paths: string[], use: (sessions: SnapshotSession[]) => Promise<T>, options: SessionsOptions = {}): Promise<T> {
  const pool = new Piscina({
    filename: new URL('./workers/snapshot-worker.js', import.meta.url).href,
    // A session holds its thread until closed, so every snapshot needs a thread of its own.
    minThreads: 0,
    maxThreads: Math.max(1, paths.length),
    idleTimeout: 0,
  });
  const sessions: SnapshotSession[] = [];
  const tasks: Promise<unknown>[] = [];
  try {
    for (const [index, path] of paths.entries()) {
      const { port1, port2 } = new MessageChannel();
      sessions.push(new SnapshotSession(path, port1, (p) => options.onProgress?.(index, p)));
      const open: WorkerOpenOptions = { ...options.open?.(index), cores: paths.length > 1 ? 'shared' : 'own' };
      tasks.push(pool.run({ path, port: port2, open }, { transferList: [port2] }));
    }
    return await use(sessions);
  } finally {
    for (const s of sessions) s.close();
    await Promise.allSettled(tasks);
    await pool.destroy();
  }
}

/** Folds the progress of several snapshots into one, for one progress bar. */
export function combinedProgress(count: number, onProgress: (p: LoadProgress) => void): (index: number, p: LoadProgress) => void {
  const latest: LoadProgress[] = Array.from({ length: count }, () => ({ phase: 'parse', done: 0, total: 0 }));
  return (index, p) => {
    latest[index] = p;
    const parsing = latest.filter((l) => l.phase === 'parse');
    if (parsing.length > 0) {
      onProgress({ phase: 'parse', done: parsing.reduce((s, l) => s + l.done, 0), total: parsing.reduce((s, l) => s + l.total, 0) });
    } else {
      const slowest = latest.reduce((a, b) => (a.done / (a.total || 1) <= b.done / (b.total || 1) ? a : b));
      onProgress(slowest);
    }
  };
}
