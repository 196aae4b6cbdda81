// One heap snapshot over the inspector protocol: HeapProfiler.takeHeapSnapshot, with its
// HeapProfiler.addHeapSnapshotChunk events streamed straight into an atomically written file
// (the socket is paused while the disk catches up, so the snapshot never sits in memory).
import { AtomicFile } from './files.js';
import type { InspectorClient } from './inspector.js';

export interface SnapshotWriteProgress {
  /** Objects V8 has processed while building the snapshot, of `total`. */
  done: number;
  total: number;
  /** Bytes written to the file so far. */
  bytes: number;
}

export async function takeHeapSnapshot(
  client: InspectorClient,
  path: string,
  onProgress?: (p: SnapshotWriteProgress) => void,
): Promise<{ path: string; bytes: number }> {
  const file = await AtomicFile.create(path);
  let paused = false;
  let tail = '';
  const offChunk = client.on('HeapProfiler.addHeapSnapshotChunk', (params) => {
    const chunk = String(params['chunk'] ?? '');
    if (chunk.length > 0) tail = (tail + chunk).slice(-16);
    if (!file.write(chunk) && !paused) {
      paused = true;
      client.pause();
      file.onDrain(() => {
        paused = false;
        client.resume();
      });
    }
  });
  const offProgress = onProgress
    ? client.on('HeapProfiler.reportHeapSnapshotProgress', (params) => {
        onProgress({ done: Number(params['done'] ?? 0), total: Number(params['total'] ?? 0), bytes: file.bytes });
      })
    : () => {};
  try {
    await client.send('HeapProfiler.takeHeapSnapshot', { reportProgress: onProgress !== undefined });
    if (file.error) throw new Error(`cannot write ${file.tempPath}: ${file.error.message}`);
    if (!tail.trimEnd().endsWith('}')) throw new Error('the snapshot the target sent is incomplete');
    const bytes = file.bytes;
    await file.commit();
    return { path: file.path, bytes };
  } catch (err) {
    await file.abort();
    throw err;
  } finally {
    offChunk();
    offProgress();
    if (paused) client.resume();
  }
}
