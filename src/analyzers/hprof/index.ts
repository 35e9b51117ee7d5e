export { analyzeHeapDump } from './analyze-heap-dump.js';
export { analyzeHeapDumpInWorker } from './analyze-heap-dump-in-worker.js';
export { toHeapReportJson, type HeapReportJson } from './heap-report-json.js';
export * from './types.js';
