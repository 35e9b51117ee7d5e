import { parentPort, workerData } from 'node:worker_threads';
import { analyzeHeapDump } from './analyze-heap-dump.js';
import { HeapDumpError } from './types.js';

// Worker entry: runs one analysis and posts progress, then the report or a serialized error.
const { path, threads } = workerData as { path: string; threads?: number };
analyzeHeapDump(path, { threads, onProgress: (f) => parentPort!.postMessage({ progress: f }) }).then(
  (report) => parentPort!.postMessage({ report }),
  (e: unknown) =>
    parentPort!.postMessage({
      error: e instanceof Error ? e.message : String(e),
      heapError: e instanceof HeapDumpError ? { offset: e.offset, partial: e.partial } : null,
    }),
);
