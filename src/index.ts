// heapdiff's public API.
export { openSnapshot, Snapshot } from './snapshot.js';
export { analyzeSnapshot, ANALYZE_SCHEMA } from './analyze.js';
export type { AnalyzeOptions, AnalyzeReport, LargestObject } from './analyze.js';
export * from './types.js';
export { diffSnapshots, DIFF_SCHEMA, DIFF_SORTS } from './diff.js';
export type { ClassDiff, DiffOptions, DiffReport, DiffSort, NewObject, SiteDiff, StackFrame, Totals } from './diff.js';
export { checkGates, parseGate, parseSize } from './gate.js';
export type { Gate, GateResult } from './gate.js';
export { findLeaks, LEAKS_SCHEMA } from './leaks.js';
export type { LeakOptions, LeakReport, LeakSuspect } from './leaks.js';
export { captureSnapshots, CaptureError, isCaptureError, parseDuration, STEP_MARKER, STEP_DONE_EVENT, DEFAULT_SNAPSHOTS, DEFAULT_INTERVAL_MS } from './capture/index.js';
export type { CaptureOptions, CaptureProgress, CaptureResult, ProgramExit, CaptureErrorCode } from './capture/index.js';
