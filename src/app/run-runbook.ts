import { resultCard } from '../../cards/index.js';
import { internalErrorCard, userErrorCard } from '../../cards/error-card.js';
import { RUNBOOKS } from '../runbooks/index.js';
import { errorMessage, errorRef, isUserError, NonRetryableError, wasRequeued } from '../core/errors.js';
import { actorLabel } from '../core/identity.js';
import type { Inventory } from '../core/inventory.js';
import type { AuditLog } from '../core/approval.js';
import { say } from './say.js';
import { TargetBusyError, type HeldLock, type TargetLocks } from '../core/locks.js';
import type { JobKind, JobResult } from '../core/jobs.js';
import type { Clock, Logger, ReplyQueue, RunbookJobInfo } from '../core/ports.js';
import type { Runbook, RunbookContext, RunbookServices } from '../core/runbook.js';

export interface RunRunbookDeps {
  /** Per-target locks; absent in the CLI, which runs one job alone. */
  locks?: TargetLocks;
  /** Job start and end go to the audit trail when given (the CLI runs without one). */
  audit?: AuditLog;
  inventory: Inventory;
  services: RunbookServices;
  replies: ReplyQueue;
  clock: Clock;
  log: Logger;
  workerId: string;
}

/**
 * Runs one runbook job: the runbook, then its result card in the requester's thread. A user error becomes a card
 * and is not retried; an internal error is retried when the job allows it and reported once, on the last attempt.
 */
export async function runRunbookJob(job: RunbookJobInfo, deps: RunRunbookDeps): Promise<JobResult> {
  const { request, replyTo } = job.data;
  const log = deps.log.child({ jobId: job.id, kind: request.kind });
  let lastProgressPost = 0;
  const ctx: RunbookContext = {
    jobId: job.id,
    actor: job.data.actor,
    signal: job.signal,
    inventory: deps.inventory,
    services: deps.services,
    log,
    clock: deps.clock,
    workerId: deps.workerId,
    ...(job.childResults ? { childResults: job.childResults } : {}),
    async progress(note, fraction) {
      if (fraction !== undefined) await job.reportProgress?.(fraction);
      // A long job tells the thread how it goes about every 10 s, never more often.
      const now = deps.clock.now();
      if (replyTo && now - lastProgressPost >= 10_000) {
        lastProgressPost = now;
        await deps.replies.enqueueReply({ roomId: replyTo.roomId, parentId: replyTo.parentId, text: `⏳ ${job.id}: ${note}` });
      }
    },
  };
  const runbook = RUNBOOKS[request.kind] as Runbook<typeof request.kind>;
  const lock = await lockTargets(job, deps);
  try {
    return await runLocked(job, deps, ctx, runbook, log);
  } finally {
    await lock?.release();
  }
}

/**
 * One lock per target, shared by manual and automatic jobs. When another job holds one, the requester is told who
 * (once) and the job goes back to the queue, delayed: TargetBusyError tells the queue adapter to do that.
 */
async function lockTargets(job: RunbookJobInfo, deps: RunRunbookDeps): Promise<(HeldLock & { release(): Promise<void> }) | undefined> {
  const keys = [...new Set(job.data.targets ?? [])];
  if (!deps.locks || keys.length === 0 || job.data.request.kind === 'system.ping') return undefined;
  const who = job.data.actor.type === 'person' ? job.data.actor.email : `service:${job.data.actor.name}`;
  const got = await deps.locks.acquire(keys, { jobId: job.id, requestedBy: who });
  if (!got.ok) {
    const { replyTo } = job.data;
    if (replyTo) {
      await deps.replies.enqueueReply(
        { roomId: replyTo.roomId, parentId: replyTo.parentId, text: `⏸️ Job ${job.id} is waiting for job ${got.holder.jobId}, requested by ${got.holder.requestedBy}, which holds ${got.holder.key}. It starts when that one ends.` },
        { dedupeKey: `p-${job.id}-wait-${got.holder.jobId}` },
      );
    }
    throw new TargetBusyError(got.holder);
  }
  // Renew well before the TTL runs out; a crashed worker stops renewing and its lock expires.
  const timer = setInterval(() => {
    got.renew().then(
      (ok) => ok || deps.log.warn({ jobId: job.id, keys }, 'lost a target lock while running'),
      (err) => deps.log.warn({ err, jobId: job.id }, 'lock renewal failed'),
    );
  }, 15_000);
  timer.unref();
  return {
    ...got,
    release: async () => {
      clearInterval(timer);
      await got.release();
    },
  };
}

async function runLocked(job: RunbookJobInfo, deps: RunRunbookDeps, ctx: RunbookContext, runbook: Runbook<JobKind>, log: Logger): Promise<JobResult> {
  const { request, replyTo } = job.data;
  const started = deps.clock.now();
  log.info({ actor: actorLabel(job.data.actor) }, 'runbook started');
  const actorName = job.data.actor.type === 'person' ? job.data.actor.email : `service:${job.data.actor.name}`;
  const audit = (detail: string, type: 'job-start' | 'job-end') =>
    deps.audit?.append({ at: deps.clock.now(), type, actor: actorName, env: job.data.env, jobId: job.id, roomId: replyTo?.roomId, detail: detail.slice(0, 500) }).catch((err) => log.warn({ err }, 'audit append failed'));
  await audit(`${request.kind} on ${deps.workerId}`, 'job-start');
  try {
    const result = await runbook(request as never, ctx);
    // Handed back at shutdown while finishing: reported by the next run (see handedBack below).
    if (wasRequeued(job.signal)) throw job.signal.reason;
    log.info({ ms: deps.clock.now() - started, summary: result.summary }, 'runbook finished');
    await audit(`ok in ${deps.clock.now() - started} ms: ${result.summary}`, 'job-end');
    if (replyTo) {
      const msg = resultCard(result, { jobId: job.id, requestedBy: actorLabel(job.data.actor), env: job.data.env, now: deps.clock.now() });
      // Dedupe keys make a retried reply stage idempotent: the same job never posts its result twice.
      await say(deps, replyTo, msg, { dedupeKey: `p-${job.id}` });
      for (const [i, a] of (result.attachments ?? []).entries()) {
        await deps.replies.enqueueReply(
          { roomId: replyTo.roomId, parentId: replyTo.parentId, text: `📎 ${a.name} (job ${job.id})`, file: { name: a.name, contentType: a.contentType, data: Buffer.from(a.content, 'utf8') } },
          { dedupeKey: `p-${job.id}-f${i}` },
        );
      }
    }
    return result;
  } catch (e) {
    if (wasRequeued(job.signal)) return await handedBack(job, log, audit);
    await audit(`${job.signal.aborted ? 'cancelled' : 'failed'}: ${errorMessage(e)}`, 'job-end');
    if (isUserError(e)) {
      log.info({ err: e.message }, 'runbook refused');
      if (replyTo) {
        await say(deps, replyTo, userErrorCard(e.message, e.hint), { dedupeKey: `p-${job.id}-err` });
      }
      throw new NonRetryableError(e.message);
    }
    const ref = errorRef();
    log.error({ err: e, ref, finalAttempt: job.finalAttempt }, `runbook failed: ${errorMessage(e)}`);
    if (job.finalAttempt && replyTo) {
      await say(deps, replyTo, internalErrorCard(`Job ${job.id} (${request.kind})`, ref), { dedupeKey: `p-${job.id}-err` });
    }
    throw e;
  }
}

/**
 * The worker's shutdown grace ran out and the job went back to the queue: this run reports nothing (a card now would
 * be a cancelled half-result, and its dedupe key would silence the next run's card). The queue adapter records no
 * outcome either; the next run starts over and reports.
 */
async function handedBack(job: RunbookJobInfo, log: Logger, audit: (detail: string, type: 'job-end') => Promise<unknown> | undefined): Promise<never> {
  log.warn('runbook interrupted by shutdown; the job is back in the queue');
  await audit('interrupted by shutdown; handed back to the queue to run again', 'job-end');
  throw job.signal.reason as Error;
}
