import type { Redis } from 'ioredis';
import type { Queue, Worker } from 'bullmq';
import type { JobControl, Scheduler } from '../core/approval.js';
import { systemClock, type Clock, type Logger } from '../core/ports.js';
import { inboundJobId, type MedicQueues } from './queues.js';

/** Channel on which `cancel` reaches whichever worker process runs the job. */
export const cancelChannel = (prefix: string) => `${prefix}:cancel`;

export function createJobControl(queues: MedicQueues, redis: Redis, alsoLookIn: Queue[] = []): JobControl {
  return {
    async cancel(jobId, by) {
      let job = await queues.runbooks.getJob(jobId);
      for (const q of alsoLookIn) job ??= await q.getJob(jobId);
      if (!job) return 'not-found';
      const state = await job.getState();
      if (state === 'completed' || state === 'failed') return 'finished';
      if (state === 'active') {
        await redis.publish(cancelChannel(queues.prefix), JSON.stringify({ jobId, by }));
        return 'signalled';
      }
      await job.remove();
      return 'removed';
    },
  };
}

/** Every runbooks worker listens, and aborts the job's AbortSignal when it holds the job. */
export async function listenForCancels(subscriber: Redis, prefix: string, workers: Worker[], log: Logger): Promise<void> {
  await subscriber.subscribe(cancelChannel(prefix));
  subscriber.on('message', (channel, message) => {
    if (channel !== cancelChannel(prefix)) return;
    try {
      const { jobId, by } = JSON.parse(message) as { jobId: string; by: string };
      for (const worker of workers) if (worker.cancelJob(jobId, `cancelled by ${by}`)) log.info({ jobId, by, queue: worker.name }, 'job cancelled');
    } catch (err) {
      log.warn({ err, message }, 'bad cancel message');
    }
  });
}

/**
 * Approval expiry as delayed inbound jobs: they survive restarts and fire on time. The first schedule is keyed by
 * the approval, so a retried request schedules it once. A reschedule (the job fired early: clock skew between
 * hosts) comes from inside that very job, still active: BullMQ silently ignores an add with an existing id, so the
 * follow-up gets an id of its own. `clock` is the one the app compares the expiry with.
 */
export function createScheduler(queues: MedicQueues, clock: Clock = systemClock): Scheduler {
  return {
    async expireApprovalAt(approvalId, at) {
      const event = { type: 'approval-expiry' as const, approvalId, receivedAt: at };
      const first = inboundJobId(event);
      const existing = await queues.inbound.getJob(first);
      const state = existing ? await existing.getState() : undefined;
      if (state === 'delayed' || state === 'waiting' || state === 'prioritized') return;
      const jobId = existing ? `${first}-${clock.now().toString(36)}` : first;
      await queues.inbound.add(event.type, event, { jobId, delay: Math.max(0, at - clock.now()) });
    },
  };
}
