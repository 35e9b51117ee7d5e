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

/** The worker module next to this file: `.ts` under tsx/vitest (which need tsx's loader), `.js` after the build. */
export function workerUrl(base: string, name: string): { url: URL; execArgv: string[] } {
  const ts = base.endsWith('.ts');
  return { url: new URL(`./${name}${ts ? '.ts' : '.js'}`, base), execArgv: ts ? ['--import', 'tsx'] : [] };
}

function runOne(task: EdgeTask, onBytes: (bytes: number) => void): Promise<EdgeResult> {
  const { url, execArgv } = workerUrl(import.meta.url, 'edge-worker');
  return new Promise((resolve, reject) => {
    const w = new Worker(url, { workerData: task, execArgv });
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
