import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { runEdgePass, type EdgeResult, type EdgeTask } from './edge-pass.js';

/**
 * Worker threads for the parallel edge pass, started before pass 1 so that their start-up (~40 ms each: a V8
 * isolate and the module graph) runs on the core pass 1 leaves idle instead of on the critical path. `run` splits
 * the heap segments into contiguous byte ranges, one per worker. All arrays in the task live in SharedArrayBuffers
 * and every worker writes only its own objects' CSR slices, so no locking is needed (the `weak` bitset uses Atomics
 * because neighbours share words). Call `close` in every case: unused workers are terminated.
 */
export class EdgeWorkers {
  private readonly workers: Worker[];
  private readonly failures: Array<Error | null>;

  constructor(readonly threads: number) {
    // The calling thread takes the last share itself: one isolate fewer to start.
    this.workers = Array.from({ length: threads - 1 }, () => startWorker(import.meta.url, 'edge-worker', null));
    this.failures = this.workers.map(() => null);
    // A worker that dies before it gets its task (e.g. a module that cannot load) is reported by `run`.
    this.workers.forEach((w, i) => w.once('error', (e) => (this.failures[i] ??= e)));
  }

  async run(task: EdgeTask, onBytes: (bytes: number) => void): Promise<EdgeResult> {
    const total = task.segments.reduce((s, g) => s + g.length, 0);
    const groups: EdgeTask['segments'][] = [];
    let cur: EdgeTask['segments'] = [];
    let acc = 0;
    for (const seg of task.segments) {
      cur.push(seg);
      acc += seg.length;
      if (acc >= (total * (groups.length + 1)) / this.threads && groups.length < this.threads - 1) {
        groups.push(cur);
        cur = [];
      }
    }
    if (cur.length > 0) groups.push(cur);
    const pending = groups.slice(0, -1).map((segments, i) => this.runOne(i, { ...task, segments }, onBytes));
    const own = await runEdgePass({ ...task, segments: groups[groups.length - 1] }, onBytes).catch((e: unknown) => {
      // Let the workers' promises settle (and be observed) before the error goes up.
      void Promise.allSettled(pending);
      throw e;
    });
    const results = [...(await Promise.all(pending)), own];
    return {
      emptyNodes: results.flatMap((r) => r.emptyNodes),
      emptyBacking: results.flatMap((r) => r.emptyBacking),
      dangling: results.reduce((s, r) => s + r.dangling, 0),
      bytes: results.reduce((s, r) => s + r.bytes, 0),
    };
  }

  close(): void {
    for (const w of this.workers) void w.terminate();
  }

  private runOne(i: number, task: EdgeTask, onBytes: (bytes: number) => void): Promise<EdgeResult> {
    const w = this.workers[i];
    return new Promise((resolve, reject) => {
      const early = this.failures[i];
      if (early) {
        reject(early);
        return;
      }
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
      // Shared-memory views travel as views on the same memory; plain arrays are copied.
      w.postMessage(task);
    });
  }
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
