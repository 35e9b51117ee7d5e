import { FlowProducer, Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { InboundEvent } from '../core/inbound.js';
import type { JobResult, JobState, JobView, RunbookJobData } from '../core/jobs.js';
import type { OutgoingMessage, ReplyQueue, RunbookQueue } from '../core/ports.js';
import type { Risk } from '../core/identity.js';
import { createHash } from 'node:crypto';

export const QUEUE_NAMES = { inbound: 'inbound', runbooks: 'runbooks', replies: 'replies' } as const;

/** A reply as stored in Redis: file bytes as base64 (job data is JSON). */
export interface ReplyJobData extends Omit<OutgoingMessage, 'file'> {
  file?: { name: string; contentType: string; base64: string };
}

export interface MedicQueues {
  inbound: Queue<InboundEvent, void>;
  runbooks: Queue<RunbookJobData, JobResult>;
  replies: Queue<ReplyJobData, { id: string }>;
  prefix: string;
  close(): Promise<void>;
}

// Bounded history: enough for `job <id>` and `jobs`, without Redis growing forever.
const KEEP = { removeOnComplete: { age: 7 * 24 * 3600, count: 5000 }, removeOnFail: { age: 14 * 24 * 3600, count: 5000 } };

/** Read-only work may retry; anything that changes a system runs once (a retry could run it twice). */
export function runbookJobOptions(risk: Risk): JobsOptions {
  return risk === 'read' ? { attempts: 3, backoff: { type: 'exponential', delay: 1000 }, ...KEEP } : { attempts: 1, ...KEEP };
}

export function createMedicQueues(connection: Redis, prefix: string): MedicQueues {
  const opts = { connection, prefix };
  const inbound = new Queue<InboundEvent, void>(QUEUE_NAMES.inbound, {
    ...opts,
    defaultJobOptions: { attempts: 3, backoff: { type: 'exponential', delay: 500 }, ...KEEP },
  });
  const runbooks = new Queue<RunbookJobData, JobResult>(QUEUE_NAMES.runbooks, { ...opts, defaultJobOptions: runbookJobOptions('read') });
  const replies = new Queue<ReplyJobData, { id: string }>(QUEUE_NAMES.replies, {
    ...opts,
    // Webex hiccups are retried for about two minutes; after that the job stays failed and visible.
    defaultJobOptions: { attempts: 8, backoff: { type: 'exponential', delay: 1000 }, ...KEEP },
  });
  return {
    inbound,
    runbooks,
    replies,
    prefix,
    close: async () => {
      await Promise.all([inbound.close(), runbooks.close(), replies.close()]);
    },
  };
}

/** Inbound job id from the Webex id (hashed: BullMQ forbids ':' and ids should stay short). */
export function inboundJobId(event: InboundEvent): string {
  const [prefix, source] = event.type === 'message' ? ['m', event.messageId] : event.type === 'action' ? ['a', event.actionId] : ['x', event.approvalId];
  return `${prefix}-${createHash('sha256').update(source).digest('base64url').slice(0, 16)}`;
}

/**
 * Enqueue an inbound event once. A redelivered webhook carries the same Webex id: the SET NX marker (kept a day,
 * longer than BullMQ keeps finished jobs) makes the check atomic across replicas.
 */
export async function enqueueInbound(queues: MedicQueues, redis: Redis, event: InboundEvent): Promise<{ id: string; created: boolean }> {
  const id = inboundJobId(event);
  const marker = `${queues.prefix}:seen:${id}`;
  const fresh = await redis.set(marker, String(event.receivedAt), 'EX', 24 * 3600, 'NX');
  if (fresh !== 'OK') return { id, created: false };
  try {
    await queues.inbound.add(event.type, event, { jobId: id });
  } catch (e) {
    // Nothing was queued: forget the marker so a redelivery can try again.
    await redis.del(marker).catch(() => undefined);
    throw e;
  }
  return { id, created: true };
}

const STATES = new Set<string>(['waiting', 'delayed', 'active', 'completed', 'failed']);
function toState(s: string): JobState {
  if (STATES.has(s)) return s as JobState;
  return s === 'prioritized' || s === 'waiting-children' ? 'waiting' : 'unknown';
}

const roomJobsKey = (prefix: string, roomId: string) => `${prefix}:room-jobs:${roomId}`;

/** Remembers a job under its space, newest first, so `jobs` lists it (the last 100 per space). */
export async function indexJobInRoom(redis: Redis, prefix: string, jobId: string, data: RunbookJobData): Promise<void> {
  if (!data.replyTo) return;
  const key = roomJobsKey(prefix, data.replyTo.roomId);
  await redis.multi().lpush(key, jobId).ltrim(key, 0, 99).exec();
}

/** The queue ports the use-cases talk to. `redis` also keeps a per-space index of recent jobs. */
export function createQueuePorts(queues: MedicQueues, redis: Redis, alsoLookIn: Array<Queue<RunbookJobData, JobResult>> = []): RunbookQueue & ReplyQueue {
  const roomKey = (roomId: string) => roomJobsKey(queues.prefix, roomId);
  async function view(id: string): Promise<JobView | undefined> {
    let job = await queues.runbooks.getJob(id);
    // Follow-up jobs (heap analyses) live on their own queues; `job <id>` finds them there.
    for (const q of alsoLookIn) job ??= await q.getJob(id);
    if (!job) return undefined;
    const state = toState(await job.getState());
    const rv = job.returnvalue as JobResult | null | undefined;
    return {
      id,
      kind: job.data.request.kind,
      state,
      origin: job.data.origin,
      actor: job.data.actor,
      roomId: job.data.replyTo?.roomId,
      createdAt: job.timestamp,
      startedAt: job.processedOn ?? undefined,
      finishedAt: job.finishedOn ?? undefined,
      summary: rv?.summary,
      error: job.failedReason || undefined,
      attempts: job.attemptsMade,
    };
  }
  const indexInRoom = (jobId: string, data: RunbookJobData) => indexJobInRoom(redis, queues.prefix, jobId, data);
  const flows = new FlowProducer({ connection: redis, prefix: queues.prefix });
  return {
    async enqueueRunbook(jobId, data) {
      const existing = await queues.runbooks.getJob(jobId);
      if (existing) return { id: jobId, created: false };
      await queues.runbooks.add(data.request.kind, data, { ...runbookJobOptions(data.risk), jobId });
      await indexInRoom(jobId, data);
      return { id: jobId, created: true };
    },
    async enqueueFlow(jobId, data, children) {
      const existing = await queues.runbooks.getJob(jobId);
      if (existing) return { id: jobId, created: false };
      await flows.add({
        name: data.request.kind,
        queueName: QUEUE_NAMES.runbooks,
        data: { ...data, fanOut: true },
        opts: { ...runbookJobOptions(data.risk), jobId },
        children: children.map((c) => ({
          name: c.data.request.kind,
          queueName: QUEUE_NAMES.runbooks,
          data: c.data,
          // A child that fails for good still lets the parent summarise the others.
          opts: { ...runbookJobOptions(c.data.risk), jobId: c.jobId, ignoreDependencyOnFailure: true },
        })),
      });
      await indexInRoom(jobId, data);
      return { id: jobId, created: true };
    },
    getJob: view,
    async listJobs({ roomId, limit }) {
      if (!roomId) {
        const jobs = await queues.runbooks.getJobs(['active', 'waiting', 'delayed', 'completed', 'failed'], 0, limit - 1, false);
        const views = await Promise.all(jobs.filter((j) => j?.id).map((j) => view(j.id!)));
        return views.filter((v): v is JobView => !!v).sort((a, b) => b.createdAt - a.createdAt).slice(0, limit);
      }
      const ids = [...new Set(await redis.lrange(roomKey(roomId), 0, limit * 2))];
      const views = await Promise.all(ids.map(view));
      return views.filter((v): v is JobView => !!v).slice(0, limit);
    },
    async enqueueReply(message, opts) {
      const data: ReplyJobData = { ...message, file: message.file ? { name: message.file.name, contentType: message.file.contentType, base64: message.file.data.toString('base64') } : undefined };
      await queues.replies.add('reply', data, opts?.dedupeKey ? { jobId: opts.dedupeKey } : {});
    },
  };
}
