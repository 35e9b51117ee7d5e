import { parentPort, workerData } from 'node:worker_threads';
import { runEdgePass, type EdgeTask } from './edge-pass.js';

// Worker entry for the parallel edge pass: the task's typed arrays arrive as views on shared memory.
const task = workerData as EdgeTask;
let pending = 0;
runEdgePass(task, (b) => {
  // Batch progress messages: one per ~16 MB read is plenty.
  pending += b;
  if (pending >= 16 << 20) {
    parentPort!.postMessage({ bytes: pending });
    pending = 0;
  }
}).then(
  (result) => {
    if (pending > 0) parentPort!.postMessage({ bytes: pending });
    parentPort!.postMessage({ result });
  },
  (e: unknown) => parentPort!.postMessage({ error: e instanceof Error ? e.message : String(e) }),
);
