import { startWorker } from './edge-workers.js';
import { HeapDumpError, type AnalyzeHeapOptions, type HeapReport, type PartialHeapResult } from './types.js';

/**
 * {@link analyzeHeapDump} on a worker thread, so the caller's event loop (a BullMQ worker, the web role) stays
 * responsive while a large dump is read. Progress is forwarded; `signal` terminates the worker.
 */
export function analyzeHeapDumpInWorker(path: string, opts: AnalyzeHeapOptions & { signal?: AbortSignal } = {}): Promise<HeapReport> {
  return new Promise((resolve, reject) => {
    const w = startWorker(import.meta.url, 'analyze-worker', { path, threads: opts.threads });
    let settled = false;
    const finish = (f: () => void): void => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      f();
    };
    const onAbort = (): void => {
      finish(() => reject(new Error('heap analysis cancelled')));
      void w.terminate();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    w.on('message', (m: { progress?: number; report?: HeapReport; error?: string; heapError?: { offset: number; partial: PartialHeapResult | null } | null }) => {
      if (m.progress !== undefined) opts.onProgress?.(m.progress);
      else if (m.report) finish(() => resolve(m.report!));
      else if (m.error !== undefined) {
        const err = m.heapError ? new HeapDumpError(m.error, m.heapError.offset, m.heapError.partial) : new Error(m.error);
        finish(() => reject(err));
      }
    });
    w.on('error', (e) => finish(() => reject(e)));
    w.on('exit', (code) => finish(() => reject(new Error(`heap analysis worker exited with code ${code}`))));
  });
}
