import { DelayedError, type Job, type Worker } from 'bullmq';
import { JobRequeuedError } from '../core/errors.js';
import type { Logger } from '../core/ports.js';

/**
 * Graceful shutdown of BullMQ workers: wait for running jobs up to a grace period, then hand the ones still running
 * back to their queue (active → wait) so another worker starts them again at once, instead of leaving them active
 * until their lock expires and stall detection recovers them (a minute or more, and it counts as a stall).
 */

type Processor<D, R> = (job: Job<D, R>, token?: string, signal?: AbortSignal) => Promise<R>;

interface RunningJob {
  job: Job;
  token?: string;
  handedBack: boolean;
  abort(reason: unknown): void;
}

const trackers = new WeakMap<object, ActiveJobs>();

/** The jobs one worker is running, with the lock tokens a shutdown needs to move them. */
export class ActiveJobs {
  private readonly running = new Map<string, RunningJob>();

  /**
   * `handBack: false` tracks the jobs only to know when the worker is idle (short jobs, e.g. replies, where a second
   * run could post twice): at the end of the grace they are left to stall detection.
   */
  constructor(readonly opts: { handBack?: boolean } = {}) {}

  /**
   * Wraps a processor so its jobs can be handed back. A job handed back ends with DelayedError, BullMQ's signal
   * for "the processor moved the job itself": the worker then records neither a completion nor a failure.
   */
  wrap<D, R>(processor: Processor<D, R>): Processor<D, R> {
    return async (job, token, signal) => {
      // The processor's own signal follows BullMQ's (`cancel`), and a hand-back aborts it with JobRequeuedError.
      const controller = new AbortController();
      const follow = () => controller.abort(signal?.reason);
      if (signal?.aborted) follow();
      else signal?.addEventListener('abort', follow, { once: true });
      const entry: RunningJob = { job: job as Job, token, handedBack: false, abort: (reason) => controller.abort(reason) };
      this.running.set(job.id!, entry);
      try {
        const result = await processor(job, token, controller.signal);
        if (entry.handedBack) throw new DelayedError();
        return result;
      } catch (e) {
        if (entry.handedBack) throw new DelayedError();
        throw e;
      } finally {
        signal?.removeEventListener('abort', follow);
        if (this.running.get(job.id!) === entry) this.running.delete(job.id!);
      }
    };
  }

  /** Registers the worker running the wrapped processor, so drainWorkers finds its jobs. */
  attach<W extends object>(worker: W): W {
    trackers.set(worker, this);
    return worker;
  }

  list(): RunningJob[] {
    return [...this.running.values()];
  }

  get size(): number {
    return this.running.size;
  }
}

export interface DrainOptions {
  /** How long running jobs may take to finish (MEDIC_SHUTDOWN_GRACE_MS). */
  graceMs: number;
  log: Logger;
  /** After handing jobs back, how long their processors get to notice the abort before Medic closes anyway. */
  settleMs?: number;
  /** How long a worker with no job running may take to close before it counts as closed (see closeWorker). */
  idleCloseMs?: number;
}

export interface DrainOutcome {
  /** Every job finished within the grace. */
  drained: boolean;
  /** Ids of the jobs moved back to their queue's wait list. */
  handedBack: string[];
}

/**
 * Closes the workers: no new jobs are taken, running jobs get `graceMs` to finish. Jobs still running then (on a
 * worker whose processor ActiveJobs wraps) are moved back to wait and their signal aborted with JobRequeuedError
 * (the SSM command is cancelled, a heap analysis's threads end). A job whose move fails stays active; stall
 * detection on another worker recovers it once its lock expires. Workers without ActiveJobs (inbound, replies,
 * alerts: short jobs) rely on stall detection alone.
 */
export async function drainWorkers(workers: Worker[], o: DrainOptions): Promise<DrainOutcome> {
  const closing = Promise.all(workers.map((w) => closeWorker(w, o))).then(() => 'closed' as const);
  const grace = delay(o.graceMs);
  const first = await Promise.race([closing, grace.done]);
  grace.cancel();
  if (first === 'closed') return { drained: true, handedBack: [] };

  const handedBack: string[] = [];
  for (const worker of workers) {
    const tracker = trackers.get(worker);
    if (tracker?.opts.handBack === false) continue;
    for (const entry of tracker?.list() ?? []) {
      const id = entry.job.id!;
      // Marked before the move: a processor that returns meanwhile must not complete a job that is leaving.
      entry.handedBack = true;
      try {
        await entry.job.moveToWait(entry.token);
        handedBack.push(id);
        o.log.warn({ jobId: id, queue: worker.name, graceMs: o.graceMs }, 'shutdown grace over: job handed back to the queue; another worker runs it again');
      } catch (err) {
        o.log.warn({ jobId: id, queue: worker.name, err: (err as Error).message }, 'shutdown grace over: could not hand the job back; stall detection recovers it when its lock expires');
      }
      entry.abort(new JobRequeuedError(`Medic is shutting down; job ${id} went back to the queue`));
    }
  }
  const settle = delay(o.settleMs ?? 10_000);
  const then = await Promise.race([closing, settle.done]);
  settle.cancel();
  if (then !== 'closed') {
    const stuck = workers.flatMap((w) => (trackers.get(w)?.list() ?? []).map((e) => e.job.id));
    o.log.warn({ stillRunning: stuck }, 'shutdown: not every job stopped after the grace; closing anyway (stall detection recovers what was not handed back)');
  }
  return { drained: false, handedBack };
}

/**
 * worker.close(), which waits for running jobs, except that a tracked worker running none counts as closed after
 * `idleCloseMs`: close() never resolves when it starts while the worker's blocking Redis connection is reconnecting
 * (after a Redis blip; BullMQ issue #4656), and the drain would otherwise sit out the whole grace with nothing to
 * wait for. The caller then closes the Redis connections the worker shares.
 */
async function closeWorker(worker: Worker, o: DrainOptions): Promise<void> {
  const closed = worker.close();
  const tracker = trackers.get(worker);
  if (!tracker) return await closed;
  let done = false;
  void closed.finally(() => (done = true));
  const idleCloseMs = o.idleCloseMs ?? 3_000;
  let idleSince: number | undefined;
  while (!done) {
    const tick = delay(250);
    await Promise.race([closed, tick.done]);
    tick.cancel();
    if (done) return;
    idleSince = tracker.size === 0 ? (idleSince ?? Date.now()) : undefined;
    if (idleSince !== undefined && Date.now() - idleSince >= idleCloseMs) {
      o.log.warn({ queue: worker.name, waitedMs: idleCloseMs }, 'shutdown: worker has no job running but did not close (BullMQ, Redis reconnecting); not waiting for it');
      return;
    }
  }
}

function delay(ms: number): { done: Promise<'timeout'>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const done = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  return { done, cancel: () => clearTimeout(timer) };
}
