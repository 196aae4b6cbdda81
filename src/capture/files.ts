// Writing snapshot files atomically: each file is written under a temporary name in its final
// directory and renamed into place once complete, so a reader never sees a partial snapshot;
// on failure the temporary file is removed. Snapshots hold every string of the process
// (tokens, passwords, personal data), so files are created readable by their owner only.
import { closeSync, constants, mkdirSync, openSync, unlinkSync } from 'node:fs';
import { mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';

/** Temporary files still being written: removed even if the process exits abruptly. */
const live = new Set<string>();
let exitHookInstalled = false;

function track(path: string): void {
  live.add(path);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const p of live) {
      try {
        unlinkSync(p);
      } catch {
        // already gone
      }
    }
  });
}

/** The temporary name for `path`: a hidden file in the same directory. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
}

/** True for names tempPathFor gives. */
export function isTempName(name: string): boolean {
  return /^\..*\.[0-9a-f]{8}\.tmp$/.test(name);
}

/** Queued text beyond which write() asks the caller to wait (the socket is then paused). */
const HIGH_WATER = 1 << 20;

export class AtomicFile {
  readonly path: string;
  readonly tempPath: string;
  /** Bytes handed to write() so far. */
  bytes = 0;
  #handle: FileHandle;
  #queue: string[] = [];
  #queued = 0;
  #writing: Promise<void> | undefined;
  #waiters: Array<() => void> = [];
  #error: Error | undefined;
  #settled = false;

  private constructor(path: string, tempPath: string, handle: FileHandle) {
    this.path = path;
    this.tempPath = tempPath;
    this.#handle = handle;
  }

  /** Creates the directory if needed and opens a fresh temporary file next to `path`. */
  static async create(path: string): Promise<AtomicFile> {
    const full = resolve(path);
    await mkdir(dirname(full), { recursive: true });
    const temp = tempPathFor(full);
    const handle = await open(temp, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
    track(temp);
    return new AtomicFile(full, temp, handle);
  }

  /** The first write error, if any. */
  get error(): Error | undefined {
    return this.#error;
  }

  /** Queues text; false means the caller should wait for onDrain before writing more. */
  write(chunk: string): boolean {
    if (this.#error || this.#settled) return true;
    const n = Buffer.byteLength(chunk, 'utf8');
    this.bytes += n;
    this.#queue.push(chunk);
    this.#queued += n;
    this.#writing ??= this.#pump();
    return this.#queued < HIGH_WATER;
  }

  /** Calls `callback` once the queue is short again, or once writing has failed. */
  onDrain(callback: () => void): void {
    if (this.#queued < HIGH_WATER || this.#error) callback();
    else this.#waiters.push(callback);
  }

  async #pump(): Promise<void> {
    while (this.#queue.length > 0 && !this.#error) {
      const text = this.#queue.join('');
      this.#queue = [];
      try {
        await this.#handle.writeFile(text, 'utf8');
      } catch (err) {
        this.#error = err as Error;
      }
      this.#queued -= Buffer.byteLength(text, 'utf8');
      if (this.#queued < HIGH_WATER || this.#error) this.#waiters.splice(0).forEach((w) => w());
    }
    this.#queue = [];
    this.#queued = 0;
    this.#waiters.splice(0).forEach((w) => w());
    this.#writing = undefined;
  }

  /** Flushes, syncs and renames the file into place. On failure the temporary file is removed. */
  async commit(): Promise<string> {
    if (this.#settled) throw new Error(`${this.path}: already closed`);
    this.#settled = true;
    try {
      while (this.#writing) await this.#writing;
      if (this.#error) throw this.#error;
      await this.#handle.sync();
      await this.#handle.close();
      await rename(this.tempPath, this.path);
      live.delete(this.tempPath);
      return this.path;
    } catch (err) {
      await this.#remove();
      throw err;
    }
  }

  /** Stops writing and removes the temporary file. Safe to call more than once. */
  async abort(): Promise<void> {
    if (this.#settled) return;
    this.#settled = true;
    this.#queue = [];
    await this.#writing?.catch(() => {});
    await this.#remove();
  }

  async #remove(): Promise<void> {
    await this.#handle.close().catch(() => {});
    await unlink(this.tempPath).catch(() => {});
    live.delete(this.tempPath);
  }
}

/** Moves a complete file written by someone else (same file system) into place. */
export async function moveInto(source: string, target: string): Promise<string> {
  await mkdir(dirname(target), { recursive: true });
  await rename(source, target);
  return target;
}

/** Checks that `dir` exists (creating it) and is writable, before a program is started. */
export function ensureWritableDir(dir: string): string {
  const full = resolve(dir);
  mkdirSync(full, { recursive: true });
  const probe = tempPathFor(join(full, 'probe'));
  closeSync(openSync(probe, 'wx', 0o600));
  unlinkSync(probe);
  return full;
}

/** `<label>-<pid>-<yyyymmdd-hhmmss>-<n>.heapsnapshot` in `dir`: sortable, and unique per capture. */
export function snapshotPath(dir: string, label: string, pid: number, started: Date, n: number): string {
  const p = (v: number, w = 2) => String(v).padStart(w, '0');
  const stamp = `${started.getFullYear()}${p(started.getMonth() + 1)}${p(started.getDate())}-${p(started.getHours())}${p(started.getMinutes())}${p(started.getSeconds())}`;
  const safe = label.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^[.-]+/, '') || 'heap';
  return join(dir, `${safe}-${pid}-${stamp}-${n}.heapsnapshot`);
}
