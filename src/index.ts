// heapdiff's public API.
export { openSnapshot, Snapshot } from './snapshot.js';
export { analyzeSnapshot, ANALYZE_SCHEMA } from './analyze.js';
export type { AnalyzeOptions, AnalyzeReport, LargestObject } from './analyze.js';
export * from './types.js';
