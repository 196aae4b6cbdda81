// The N-API binding, loaded from native/ (built by `npm run build:native`).
import type * as Native from '../native/index.js';

const url = new URL('../../native/index.js', import.meta.url);
export const native: typeof Native = await import(url.href);
export type { Census, Diff as NativeDiff, Holding, NativeSnapshot, Suspects } from '../native/index.js';
