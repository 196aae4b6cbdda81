// A diff's base census crosses threads twice (worker to main, main to the current's worker):
// its columns are transferred, not copied. Its own module, so that the workers, which import
// it, do not load the pool (piscina) with the sessions.
import type { TransferListItem } from 'node:worker_threads';
import type { Census } from './native.js';

/** The census's columns, to transfer rather than copy. */
export function censusBuffers(census: Census): TransferListItem[] {
  return [census.ids.buffer, census.classes.buffer, census.selfSizes.buffer] as ArrayBuffer[];
}
