import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { NonRetryableError, PermanentError } from '../core/errors.js';
import type { JobResult, RunbookJobData } from '../core/jobs.js';
import type { Logger, RunbookJobInfo } from '../core/ports.js';
import type { FollowUpRequest } from '../core/runbook.js';
import { ActiveJobs } from './drain.js';

/**
 * The `analysis` queue: CPU-heavy follow-up jobs (heap-dump analysis) on their own queue with their own, small
 * concurrency, so a 2 GB dump never takes a runbook worker's slot and the chat keeps answering. Jobs carry the same
 * RunbookJobData as the `runbooks` queue and run through the same use-case (run-runbook), so their cards, progress
 * and errors reach the requester's thread the same way.
 */
export const ANALYSIS_QUEUE = 'analysis';

// Bounded history, as on the runbooks queue.
const KEEP = { removeOnComplete: { age: 7 * 24 * 3600, count: 1000 }, removeOnFail: { age: 14 * 24 * 3600, count: 1000 } };

export function createAnalysisQueue(connection: Redis, prefix: string): Queue<RunbookJobData, JobResult> {
  // One attempt: a dump that failed to analyze fails the same way again, and each try costs minutes of CPU.
  return new Queue<RunbookJobData, JobResult>(ANALYSIS_QUEUE, { connection, prefix, defaultJobOptions: { attempts: 1, ...KEEP } });
}

/** `MEDIC_ANALYSIS_CONCURRENCY`: analyses per worker process (default 1: each uses up to two cores itself). */
export function analysisConcurrency(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.MEDIC_ANALYSIS_CONCURRENCY;
  if (raw === undefined || raw === '') return 1;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 16) throw new Error(`MEDIC_ANALYSIS_CONCURRENCY must be a whole number from 1 to 16, not ${JSON.stringify(raw)}`);
  return n;
}

/**
 * The runbooks' `followUp` port: the follow-up inherits actor, thread and environment from its parent job (still
 * active while its runbook runs). The job id derives from the parent's, so a retried parent queues it once.
 */
export function createFollowUpPort(
  queues: { runbooks: Queue<RunbookJobData, JobResult>; analysis: Queue<RunbookJobData, JobResult> },
  index?: (jobId: string, data: RunbookJobData) => Promise<void>,
): (f: FollowUpRequest) => Promise<string> {
  return async (f) => {
    const parent = await queues.runbooks.getJob(f.parentJobId);
    if (!parent) throw new Error(`follow-up of ${f.parentJobId}: the parent job is not in the runbooks queue`);
    const jobId = `${f.parentJobId}-analysis`;
    const data: RunbookJobData = {
      request: f.request,
      actor: parent.data.actor,
      ...(parent.data.replyTo ? { replyTo: parent.data.replyTo } : {}),
      // Reading a dump changes nothing; the parent's approval covered taking it.
      risk: 'read',
      origin: f.summary,
      ...(parent.data.env ? { env: parent.data.env } : {}),
    };
    await queues.analysis.add(f.request.kind, data, { jobId });
    // Listed by `jobs` in the requester's space, like the job that asked for it.
    await index?.(jobId, data);
    return jobId;
  };
}

export function startAnalysisWorker(opts: { connection: Redis; prefix: string; log: Logger; concurrency: number; run: (info: RunbookJobInfo) => Promise<JobResult> }): Worker<RunbookJobData, JobResult> {
  // Tracked: an analysis still running when the shutdown grace ends goes back to the queue (src/queue/drain.ts).
  const active = new ActiveJobs();
  const w = new Worker<RunbookJobData, JobResult>(
    ANALYSIS_QUEUE,
    active.wrap(async (job: Job<RunbookJobData, JobResult>, _token?: string, signal?: AbortSignal) => {
      try {
        return await opts.run({
          id: job.id!,
          data: job.data,
          finalAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
          signal: signal ?? new AbortController().signal,
          reportProgress: (f) => job.updateProgress(Math.round(f * 100)),
        });
      } catch (e) {
        throw e instanceof NonRetryableError || e instanceof PermanentError ? new UnrecoverableError(e.message) : e;
      }
    }),
    // The analysis runs on worker threads, so this event loop stays free to renew the lock.
    { connection: opts.connection, prefix: opts.prefix, concurrency: opts.concurrency, lockDuration: 60_000 },
  );
  w.on('error', (err) => opts.log.error({ err, queue: ANALYSIS_QUEUE }, 'worker error'));
  w.on('failed', (job, err) => opts.log.warn({ jobId: job?.id, queue: ANALYSIS_QUEUE, err: err.message }, 'job failed'));
  return active.attach(w);
}
