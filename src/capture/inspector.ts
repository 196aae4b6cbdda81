// A minimal Chrome DevTools Protocol client over WebSocket (the `ws` package: Node 20 has no
// WebSocket client): commands with ids and replies, events by method name, backpressure, and a
// clear end when the target goes away.
import { WebSocket } from 'ws';

export interface ProtocolEvent {
  method: string;
  params: Record<string, unknown>;
}

interface Pending {
  method: string;
  resolve: (result: Record<string, unknown>) => void;
  reject: (err: Error) => void;
}

/** The target closed the connection (it exited, or another client took over). */
export class ConnectionClosedError extends Error {}

/** The target answered a command with a protocol error. */
export class ProtocolError extends Error {}

export class InspectorClient {
  readonly url: string;
  #ws: WebSocket;
  #nextId = 1;
  #pending = new Map<number, Pending>();
  #listeners = new Map<string, Set<(params: Record<string, unknown>) => void>>();
  #closed: Promise<void>;
  #isClosed = false;

  private constructor(url: string, ws: WebSocket) {
    this.url = url;
    this.#ws = ws;
    this.#closed = new Promise((resolve) => {
      ws.on('close', () => {
        this.#isClosed = true;
        const err = new ConnectionClosedError('the inspector connection closed');
        for (const p of this.#pending.values()) p.reject(err);
        this.#pending.clear();
        resolve();
      });
    });
    ws.on('error', () => {
      // 'close' follows and settles everything
    });
    ws.on('message', (data) => this.#receive(String(data)));
  }

  /** Opens a session with the target at `url` (ws://host:port/id). */
  static connect(url: string, timeoutMs = 10_000): Promise<InspectorClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs, maxPayload: 256 << 20 });
      const fail = (err: Error) => {
        ws.removeAllListeners();
        ws.on('error', () => {});
        ws.terminate();
        reject(err);
      };
      ws.once('open', () => {
        ws.removeAllListeners();
        resolve(new InspectorClient(url, ws));
      });
      ws.once('unexpected-response', (_req, res) => fail(new Error(`the inspector at ${url} refused the connection (HTTP ${res.statusCode}; is another debugger attached?)`)));
      ws.once('error', (err) => fail(new Error(`cannot connect to the inspector at ${url}: ${err.message}`)));
    });
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** Resolves when the connection is closed, by either side. */
  get closed(): Promise<void> {
    return this.#closed;
  }

  /** Sends a command and resolves with its result. */
  send<T = Record<string, unknown>>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    if (this.#isClosed) return Promise.reject(new ConnectionClosedError('the inspector connection closed'));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { method, resolve: resolve as (r: Record<string, unknown>) => void, reject });
      this.#ws.send(JSON.stringify({ id, method, params }), (err) => {
        if (err && this.#pending.delete(id)) reject(new ConnectionClosedError(`the inspector connection failed: ${err.message}`));
      });
    });
  }

  /** Calls `handler` for each event `method`; returns a function that removes it. */
  on(method: string, handler: (params: Record<string, unknown>) => void): () => void {
    let set = this.#listeners.get(method);
    if (!set) this.#listeners.set(method, (set = new Set()));
    set.add(handler);
    return () => set!.delete(handler);
  }

  /** Stops reading from the socket (the target then stops sending when buffers fill). */
  pause(): void {
    this.#ws.pause();
  }

  resume(): void {
    this.#ws.resume();
  }

  /** Closes the session cleanly; the target's inspector stays as it was (open, if it was). */
  async close(): Promise<void> {
    if (this.#isClosed) return;
    this.#ws.resume();
    this.#ws.close(1000);
    const timer = setTimeout(() => this.#ws.terminate(), 2000);
    await this.#closed;
    clearTimeout(timer);
  }

  #receive(text: string): void {
    let message: { id?: number; method?: string; params?: Record<string, unknown>; result?: Record<string, unknown>; error?: { message?: string; code?: number } };
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof message.id === 'number') {
      const pending = this.#pending.get(message.id);
      if (!pending) return;
      this.#pending.delete(message.id);
      if (message.error) pending.reject(new ProtocolError(`${pending.method}: ${message.error.message ?? 'protocol error'}`));
      else pending.resolve(message.result ?? {});
      return;
    }
    if (typeof message.method === 'string') {
      const set = this.#listeners.get(message.method);
      if (set) for (const handler of [...set]) handler(message.params ?? {});
    }
  }
}
