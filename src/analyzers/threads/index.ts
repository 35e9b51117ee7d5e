export { analyzeThreadDumps, toThreadReportJson, NoThreadDumpError, type AnalyzeThreadOptions } from './analyze-thread-dumps.js';
export { parseThreadDumps, normaliseLockId } from './parse-thread-dump.js';
export { parseTopThreads, type TopThreadRow } from './parse-top.js';
export { findDeadlockCycles, findContention, lockOwners } from './lock-graph.js';
export { normalisePoolName, isIdleStack, appFrame } from './stack-patterns.js';
export type * from './types.js';
