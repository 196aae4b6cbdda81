// Finding a Node inspector: the "Debugger listening on ws://…" line a child prints, and the
// HTTP endpoint /json/list of an inspector port. Connections go to the host we were given
// (loopback unless the user named another), never to a host an endpoint reports back.
import { get } from 'node:http';
import { isIP } from 'node:net';

export const DEFAULT_INSPECT_HOST = '127.0.0.1';
export const DEFAULT_INSPECT_PORT = 9229;

export interface InspectAddress {
  host: string;
  port: number;
}

/** 'HOST:PORT', 'PORT', 'HOST', '[::1]:PORT'; undefined when malformed. */
export function parseInspectAddress(text: string): InspectAddress | undefined {
  let host = DEFAULT_INSPECT_HOST;
  let portText: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (v6) {
    host = v6[1]!;
    portText = v6[2];
  } else if (/^\d+$/.test(text)) {
    portText = text;
  } else {
    const m = /^([^:\s]+)(?::(\d+))?$/.exec(text);
    if (!m) return undefined;
    host = m[1]!;
    portText = m[2];
  }
  const port = portText === undefined ? DEFAULT_INSPECT_PORT : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { host, port };
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'));
}

export function formatAddress({ host, port }: InspectAddress): string {
  return `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

/** The WebSocket URL in Node's "Debugger listening on ws://127.0.0.1:PORT/UUID" line. */
export function parseListeningLine(line: string): string | undefined {
  const m = /^Debugger listening on (ws:\/\/\S+)/.exec(line.trim());
  return m?.[1];
}

/** Lines Node's inspector writes on the program's stderr: not the program's own output. */
export function isInspectorNoise(line: string): boolean {
  return /^(Debugger listening on ws:|For help, see: https:\/\/nodejs\.org\/en\/docs\/inspector|Debugger attached\.|Debugger ending on ws:|Waiting for the debugger to disconnect\.\.\.)/.test(line);
}

export interface InspectorTarget {
  id: string;
  type?: string;
  title?: string;
  url?: string;
  webSocketDebuggerUrl?: string;
}

export type ProbeResult =
  | { state: 'closed' }
  | { state: 'inspector'; targets: InspectorTarget[] }
  /** Something accepted the connection but did not answer in time (maybe a busy inspector). */
  | { state: 'slow' }
  | { state: 'other'; detail: string };

/** Asks host:port for its inspector targets: closed (nothing listens), an inspector, slow to answer, or something else. */
export function probeInspector(address: InspectAddress, timeoutMs = 2000): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const req = get({ host: address.host, port: address.port, path: '/json/list', timeout: timeoutMs, headers: { host: formatAddress(address) } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
        if (body.length > 1 << 20) req.destroy(new Error('response too large'));
      });
      res.on('end', () => {
        try {
          const targets = JSON.parse(body) as unknown;
          if (res.statusCode === 200 && Array.isArray(targets) && targets.every((t) => t && typeof t === 'object' && typeof (t as InspectorTarget).id === 'string')) {
            resolve({ state: 'inspector', targets: targets as InspectorTarget[] });
            return;
          }
        } catch {
          // not JSON
        }
        resolve({ state: 'other', detail: `HTTP ${res.statusCode} without an inspector target list` });
      });
      res.on('error', (err) => resolve({ state: 'other', detail: err.message }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer')));
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') resolve({ state: 'closed' });
      else if (err.message === 'no answer') resolve({ state: 'slow' });
      else if (err.code === 'ECONNRESET' || err.code === 'EPIPE' || err.code?.startsWith('HPE_')) resolve({ state: 'other', detail: 'not an HTTP service' });
      else if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN' || err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH') resolve({ state: 'other', detail: `${address.host}: ${err.code}` });
      else resolve({ state: 'other', detail: err.message });
    });
  });
}

/**
 * The WebSocket URL of a target, on the address we probed: only the path is taken from what
 * the endpoint reports (so a reported host cannot redirect the connection elsewhere).
 */
export function webSocketUrl(address: InspectAddress, target: InspectorTarget): string {
  let path = `/${target.id}`;
  if (target.webSocketDebuggerUrl) {
    try {
      path = new URL(target.webSocketDebuggerUrl).pathname;
    } catch {
      // keep /id
    }
  }
  return `ws://${formatAddress(address)}${path}`;
}
