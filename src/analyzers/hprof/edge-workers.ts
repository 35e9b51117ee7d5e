import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { EdgeResult, EdgeTask } from './edge-pass.js';

/**
 * Run the edge pass on `threads` worker threads over contiguous byte ranges of the heap segments. All arrays in the
 * task live in SharedArrayBuffers and every worker writes only its own objects' CSR slices, so no locking is needed
 * (the `weak` bitset uses Atomics because neighbours share words).
 */
export async function runEdgePassInWorkers(task: EdgeTask, threads: number, onBytes: (bytes: number) => void): Promise<EdgeResult> {
  const total = task.segments.reduce((s, g) => s + g.length, 0);
  const groups: EdgeTask['segments'][] = [];
  let cur: EdgeTask['segments'] = [];
  let acc = 0;
  for (const seg of task.segments) {
    cur.push(seg);
    acc += seg.length;
    if (acc >= (total * (groups.length + 1)) / threads && groups.length < threads - 1) {
      groups.push(cur);
      cur = [];
    }
  }
  if (cur.length > 0) groups.push(cur);
  const results = await Promise.all(groups.map((segments) => runOne({ ...task, segments }, onBytes)));
  return {
    emptyNodes: results.flatMap((r) => r.emptyNodes),
    emptyBacking: results.flatMap((r) => r.emptyBacking),
    dangling: results.reduce((s, r) => s + r.dangling, 0),
    bytes: results.reduce((s, r) => s + r.bytes, 0),
  };
}

/**
 * Start the worker module `name` next to `base` (an import.meta.url). After the build it is a `.js` file that Node
 * runs as is. Under tsx or vitest the sources are `.ts`: Node 20 ignores `--import tsx` in a worker's execArgv, so
 * a small eval'd bootstrap registers tsx's loader in the worker and then imports the `.ts` module.
 */
export function startWorker(base: string, name: string, workerData: unknown): Worker {
  if (!base.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, base), { workerData });
  // tsx's ESM API registers its loader hooks for the thread that calls register().
  const tsx = pathToFileURL(join(dirname(createRequire(base).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
  const url = new URL(`./${name}.ts`, base).href;
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url)}); });`;
  return new Worker(boot, { eval: true, workerData });
}

function runOne(task: EdgeTask, onBytes: (bytes: number) => void): Promise<EdgeResult> {
  return new Promise((resolve, reject) => {
    const w = startWorker(import.meta.url, 'edge-worker', task);
    let done = false;
    w.on('message', (m: { bytes?: number; result?: EdgeResult; error?: string }) => {
      if (m.bytes !== undefined) onBytes(m.bytes);
      else if (m.error !== undefined) {
        done = true;
        reject(new Error(m.error));
      } else if (m.result) {
        done = true;
        resolve(m.result);
      }
    });
    w.on('error', (e) => {
      done = true;
      reject(e);
    });
    w.on('exit', (code) => {
      if (!done) reject(new Error(`edge worker exited with code ${code}`));
    });
  });
}
