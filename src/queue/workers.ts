import { hostname } from 'node:os';
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { NonRetryableError, PermanentError, RateLimitedError } from '../core/errors.js';
import { TargetBusyError } from '../core/locks.js';
import type { InboundEvent } from '../core/inbound.js';
import type { JobResult, RunbookJobData } from '../core/jobs.js';
import type { ChatPort, Logger, RunbookJobInfo } from '../core/ports.js';
import { ActiveJobs } from './drain.js';
import { QUEUE_NAMES, type MedicQueues, type ReplyJobData } from './queues.js';

export const WORKER_ID = `${hostname()}:${process.pid}`;

export interface WorkerCommon {
  connection: Redis;
  prefix: string;
  log: Logger;
  concurrency?: number;
}

function attach<T, R>(worker: Worker<T, R>, log: Logger): void {
  // Workers reconnect by themselves; log instead of crashing the process.
  worker.on('error', (err) => log.error({ err, queue: worker.name }, 'worker error'));
  worker.on('failed', (job, err) => log.warn({ jobId: job?.id, queue: worker.name, attemptsMade: job?.attemptsMade, err: err.message }, 'job failed'));
}

/** Maps failures that retrying cannot fix to BullMQ's UnrecoverableError. */
function unrecoverable(e: unknown): unknown {
  if (e instanceof NonRetryableError || e instanceof PermanentError) return new UnrecoverableError(e.message);
  return e;
}

export function startInboundWorker(opts: WorkerCommon & { handle: (event: InboundEvent, jobId: string) => Promise<void> }): Worker<InboundEvent, void> {
  // Tracked only to know when it is idle at shutdown (src/queue/drain.ts); its short jobs are not handed back.
  const active = new ActiveJobs({ handBack: false });
  const w = new Worker<InboundEvent, void>(
    QUEUE_NAMES.inbound,
    active.wrap(async (job: Job<InboundEvent, void>) => {
      try {
        await opts.handle(job.data, job.id!);
      } catch (e) {
        throw unrecoverable(e);
      }
    }),
    { connection: opts.connection, prefix: opts.prefix, concurrency: opts.concurrency ?? 8 },
  );
  attach(w, opts.log);
  return active.attach(w);
}

export function startRunbooksWorker(opts: WorkerCommon & { run: (info: RunbookJobInfo) => Promise<JobResult>; lockRetryMs?: number }): Worker<RunbookJobData, JobResult> {
  // Tracked, so a shutdown whose grace runs out hands the running jobs back to the queue (src/queue/drain.ts).
  const active = new ActiveJobs();
  const w = new Worker<RunbookJobData, JobResult>(
    QUEUE_NAMES.runbooks,
    active.wrap(async (job: Job<RunbookJobData, JobResult>, token?: string, signal?: AbortSignal) => {
      const attempts = job.opts.attempts ?? 1;
      try {
        return await opts.run({
          id: job.id!,
          data: job.data,
          finalAttempt: job.attemptsMade + 1 >= attempts,
          signal: signal ?? new AbortController().signal,
          reportProgress: (f) => job.updateProgress(Math.round(f * 100)),
          ...(job.data.fanOut ? { childResults: Object.values(await job.getChildrenValues<JobResult>()) } : {}),
        });
      } catch (e) {
        if (e instanceof TargetBusyError) {
          // Back to the queue, delayed: the attempt does not count and no worker spins on the lock.
          await job.moveToDelayed(Date.now() + (opts.lockRetryMs ?? 2_000), token);
          throw new DelayedError();
        }
        throw unrecoverable(e);
      }
    }),
    { connection: opts.connection, prefix: opts.prefix, concurrency: opts.concurrency ?? 4, lockDuration: 60_000 },
  );
  attach(w, opts.log);
  return active.attach(w);
}

/** Pause before the n-th try (1-based) of a reply that failed for a transient reason: 1 s, 2 s, 4 s … 30 s. */
export function replyRetryDelayMs(attempt: number): number {
  return Math.min(30_000, 1_000 * 2 ** Math.max(0, attempt - 1));
}

/**
 * Posts replies, in the order they were queued: a thread must read "Approved" before "already approved", a result
 * before its attachment. So a reply that cannot be posted yet keeps its place at the head of the queue: a 429
 * pauses the whole queue for Retry-After (Webex limits per token), and a 5xx or network error pauses it with
 * backoff (BullMQ's own retry would move the reply behind later ones). After the job's `attempts` tries (about two
 * minutes) it fails and stays visible; a permanent refusal fails it at once. `setGlobalConcurrency(1)` on the
 * queue (see main.ts) keeps the order across replicas.
 */
export function startRepliesWorker(
  opts: WorkerCommon & { chat: ChatPort; queues: MedicQueues; onDelivered?: (latencyMs: number | undefined) => void },
): Worker<ReplyJobData, { id: string }> {
  // Tracked only for idleness at shutdown: a reply handed back mid-post could be posted twice.
  const active = new ActiveJobs({ handBack: false });
  const w = new Worker<ReplyJobData, { id: string }>(
    QUEUE_NAMES.replies,
    active.wrap(async (job: Job<ReplyJobData, { id: string }>) => {
      const { file, ...rest } = job.data;
      try {
        const sent = await opts.chat.send({ ...rest, file: file ? { name: file.name, contentType: file.contentType, data: Buffer.from(file.base64, 'base64') } : undefined });
        opts.onDelivered?.(rest.causedAt ? Date.now() - rest.causedAt : undefined);
        return sent;
      } catch (e) {
        if (e instanceof RateLimitedError) {
          opts.log.warn({ jobId: job.id, retryAfterMs: e.retryAfterMs }, 'Webex rate limit: pausing replies');
          await opts.queues.replies.rateLimit(e.retryAfterMs);
          throw Worker.RateLimitError();
        }
        if (e instanceof PermanentError || e instanceof NonRetryableError) {
          opts.log.error({ jobId: job.id, roomId: rest.roomId, err: (e as Error).message }, 'reply refused by Webex; not retrying');
          throw unrecoverable(e);
        }
        const attempt = job.attemptsStarted;
        if (attempt < (job.opts.attempts ?? 1)) {
          const waitMs = replyRetryDelayMs(attempt);
          opts.log.warn({ jobId: job.id, attempt, waitMs, err: (e as Error).message }, 'reply not posted; retrying it before any later reply');
          await opts.queues.replies.rateLimit(waitMs);
          throw Worker.RateLimitError();
        }
        throw new UnrecoverableError(`gave up after ${attempt} tries: ${(e as Error).message}`);
      }
    }),
    // One at a time keeps a thread's messages in order (result card before its attachment).
    { connection: opts.connection, prefix: opts.prefix, concurrency: 1 },
  );
  attach(w, opts.log);
  return active.attach(w);
}
