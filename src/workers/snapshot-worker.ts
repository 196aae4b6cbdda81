// A piscina worker holding one analysed snapshot for a session: it opens the file, then answers
// requests on its port until told to close. Only compact results leave it (typed arrays are
// transferred, not copied), so the main thread never holds a graph.
import type { MessagePort, TransferListItem } from 'node:worker_threads';
import { openSnapshot, type Snapshot } from '../snapshot.js';
import { censusBuffers } from '../census.js';
import type { SessionReply, SessionRequest, WorkerOpenOptions } from '../sessions.js';

export interface SessionTask {
  path: string;
  port: MessagePort;
  open?: WorkerOpenOptions;
}

function answer(snapshot: Snapshot, request: SessionRequest): { result: unknown; transfer: TransferListItem[] } {
  switch (request.op) {
    case 'summary':
      return { result: snapshot.summary(), transfer: [] };
    case 'definitions':
      return { result: snapshot.interfaceDefinitions(), transfer: [] };
    case 'census': {
      // Its columns are in JavaScript's memory (the binding copies them there): they move to
      // the main thread without a copy.
      const census = snapshot.census(request.definitions, request.retained);
      return { result: census, transfer: censusBuffers(census) };
    }
    case 'censusClasses':
      return { result: snapshot.censusClasses(), transfer: [] };
    case 'pair':
      return { result: snapshot.pairWith(request.base), transfer: [] };
    case 'diff':
      return { result: snapshot.diffPaired(request.baseClasses, request.options), transfer: [] };
    case 'maxId':
      return { result: snapshot.maxCounterId(), transfer: [] };
    case 'suspects':
      return { result: snapshot.leakSuspects(request.maxIds, request.stackDepth, request.limit), transfer: [] };
    case 'holdings':
      return { result: snapshot.holdings(request.firstMaxId, request.containerIds), transfer: [] };
  }
}

export default async function session({ path, port, open }: SessionTask): Promise<void> {
  const send = (reply: SessionReply, transfer: TransferListItem[] = []) => port.postMessage(reply, transfer);
  let snapshot: Snapshot;
  try {
    snapshot = await openSnapshot(path, { ...open, onProgress: (progress) => send({ type: 'progress', progress }) });
  } catch (err) {
    send({ type: 'failed', message: (err as Error).message });
    port.close();
    return;
  }
  send({ type: 'ready' });
  await new Promise<void>((resolve) => {
    port.on('message', (request: SessionRequest | { op: 'close' }) => {
      if (request.op === 'close') {
        port.close();
        resolve();
        return;
      }
      try {
        const { result, transfer } = answer(snapshot, request);
        send({ type: 'reply', id: request.id, result }, transfer);
      } catch (err) {
        send({ type: 'error', id: request.id, message: (err as Error).message });
      }
    });
  });
}
