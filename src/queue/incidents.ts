import { Queue, QueueEvents, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { episodeKey, shortHash, type Alert, type DeadLetterEntry, type IncidentRecord, type IncidentStore, type PendingAlert, type RecordOutcome, type ReplayGuard } from '../core/alert.js';
import type { JobResult, RunbookJobData } from '../core/jobs.js';
import type { Logger } from '../core/ports.js';
import { ActiveJobs } from './drain.js';

/**
 * Incident state in Redis. Every decision that concurrent deliveries could race on (open or join, first
 * delivery or duplicate, last firing episode resolved) happens inside one Lua script, so a storm of the same
 * alert over many replicas opens one incident, and alerts of one environment within the window join it.
 *
 * Keys (under `<prefix>:alerts:`): `ep:<episode>` hash, `inc:<id>` hash, `inc:<id>:pending` list,
 * `open:<space>:<env>` → incident id (expires with the grouping window), `route:<name>:*`, `budget:*`, `dead`.
 * Scripts build incident keys from their id, so this assumes one Redis (not Cluster), like the rest of Medic.
 */

const TTL_SECONDS = 7 * 24 * 3600;
/** Longer than posting a card and submitting a few jobs takes; a crashed opener's retry waits at most this. */
const OPENING_LEASE_MS = 30_000;

const RECORD_LUA = `
local incPrefix = ARGV[1]
local ep = redis.call('HMGET', KEYS[1], 'incident', 'status', 'stage', 'firstSeen', 'title', 'startedAt')
local incId = ep[1]
if ARGV[5] == 'resolved' then
  if not incId then
    -- Never seen firing: told once; the mark makes a repeat of this resolution 'ignored'.
    if ep[2] == 'resolved' then return {'ignored', 'never seen firing, already told'} end
    redis.call('HSET', KEYS[1], 'status', 'resolved', 'resolvedAt', ARGV[3])
    redis.call('EXPIRE', KEYS[1], ARGV[12])
    return {'unmatched', ''}
  end
  if ep[2] ~= 'firing' then return {'ignored', 'already resolved'} end
  redis.call('HSET', KEYS[1], 'status', 'resolved', 'resolvedAt', ARGV[3])
  local left = redis.call('HINCRBY', incPrefix .. incId, 'firing', -1)
  if left <= 0 and redis.call('GET', KEYS[2]) == incId then redis.call('DEL', KEYS[2]) end
  return {'resolved', incId, ep[4] or '', ep[5] or '', ep[6] or ''}
end
if incId and (ep[2] == 'firing' or ARGV[6] == '1') then return {'duplicate', incId, ep[3] or 'new'} end
local kind = 'joined'
local open = redis.call('GET', KEYS[2])
if open and redis.call('EXISTS', incPrefix .. open) == 1 then
  incId = open
else
  incId = ARGV[2]
  kind = 'opened'
  if tonumber(ARGV[4]) > 0 then redis.call('SET', KEYS[2], incId, 'PX', ARGV[4]) end
  redis.call('HSET', incPrefix .. incId, 'space', ARGV[8], 'env', ARGV[9], 'opener', ARGV[13], 'openedAt', ARGV[3], 'episodes', 0, 'firing', 0)
  redis.call('EXPIRE', incPrefix .. incId, ARGV[12])
  redis.call('SET', KEYS[3], '1', 'PX', ARGV[14])
end
redis.call('HINCRBY', incPrefix .. incId, 'episodes', 1)
redis.call('HINCRBY', incPrefix .. incId, 'firing', 1)
local stage = 'new'
if kind == 'joined' then
  stage = 'queued'
  redis.call('RPUSH', incPrefix .. incId .. ':pending', ARGV[11])
  redis.call('EXPIRE', incPrefix .. incId .. ':pending', ARGV[12])
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'incident', incId, 'status', 'firing', 'stage', stage, 'firstSeen', ARGV[3], 'title', ARGV[7], 'route', ARGV[10], 'startedAt', ARGV[15])
redis.call('EXPIRE', KEYS[1], ARGV[12])
return {kind, incId}
`;

/** Counts a job's outcome once (replicas all see the event); returns {counted, consecutive failures}. */
const OUTCOME_LUA = `
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[2]) == false then
  return {0, tonumber(redis.call('GET', KEYS[2]) or '0')}
end
if ARGV[1] == '1' then
  redis.call('SET', KEYS[2], '0')
  return {1, 0}
end
return {1, redis.call('INCR', KEYS[2])}
`;

const BUDGET_LUA = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if n > tonumber(ARGV[1]) then return 0 end
return 1
`;

type Reply = Array<string | number | null>;

/** A time the script returned: '' (or anything not a positive number) is unknown. */
function msOrUndefined(v: string | number | null | undefined): number | undefined {
  const n = Number(v);
  return v !== '' && v !== null && Number.isFinite(n) && n > 0 ? n : undefined;
}

export function createIncidentStore(redis: Redis, prefix: string): IncidentStore {
  const p = `${prefix}:alerts`;
  const incKey = (id: string) => `${p}:inc:${id}`;
  const read = async (id: string): Promise<IncidentRecord | undefined> => {
    const h = await redis.hgetall(incKey(id));
    if (!h.space) return undefined;
    return {
      id,
      space: h.space,
      environment: h.env || undefined,
      thread: h.thread || undefined,
      opener: h.opener ?? '',
      openedAt: Number(h.openedAt),
      episodes: Number(h.episodes ?? 0),
      firing: Number(h.firing ?? 0),
    };
  };
  const mustRead = async (id: string): Promise<IncidentRecord> => {
    const r = await read(id);
    if (!r) throw new Error(`incident ${id} vanished from Redis (expired?)`);
    return r;
  };
  return {
    async record(alert: Alert, o): Promise<RecordOutcome> {
      const episode = episodeKey(alert);
      const pending: PendingAlert = { episode, alert, route: o.route };
      const res = (await redis.eval(
        RECORD_LUA,
        3,
        `${p}:ep:${episode}`,
        `${p}:open:${shortHash(o.space)}:${alert.environment ?? '-'}`,
        `${p}:ep:${episode}:opening`,
        `${p}:inc:`,
        `i${shortHash(episode, String(o.now)).slice(0, 10)}`,
        String(o.now),
        String(o.windowMs),
        alert.status,
        alert.cycle ? '1' : '0',
        alert.title,
        o.space,
        alert.environment ?? '',
        o.route ?? '',
        JSON.stringify(pending),
        String(TTL_SECONDS),
        episode,
        String(OPENING_LEASE_MS),
        alert.status === 'firing' && alert.startedAt !== undefined ? String(alert.startedAt) : '',
      )) as Reply;
      const [kind, id] = res as [string, string];
      switch (kind) {
        case 'opened':
        case 'joined':
          return { kind, incident: await mustRead(id), episode };
        case 'duplicate':
          return { kind, incident: await mustRead(id), episode, stage: res[2] as 'new' | 'queued' | 'announced' };
        case 'resolved':
          return { kind, incident: await mustRead(id), episode, firstSeen: msOrUndefined(res[2]), startedAt: msOrUndefined(res[4]), title: String(res[3] ?? '') };
        case 'unmatched':
          return { kind, episode };
        default:
          return { kind: 'ignored', reason: id };
      }
    },
    async setThread(id, messageId) {
      await redis.hset(incKey(id), 'thread', messageId);
    },
    async claimOpening(episode, ttlMs) {
      return (await redis.set(`${p}:ep:${episode}:opening`, '1', 'PX', ttlMs, 'NX')) === 'OK';
    },
    async releaseOpening(episode) {
      await redis.del(`${p}:ep:${episode}:opening`);
    },
    async markAnnounced(episode) {
      // The lease stays until it expires: a duplicate that read stage `new` just before this must not claim it.
      await redis.hset(`${p}:ep:${episode}`, 'stage', 'announced');
    },
    get: read,
    async peekPending(id, max) {
      const items = await redis.lrange(`${incKey(id)}:pending`, 0, max - 1);
      return items.map((s) => JSON.parse(s) as PendingAlert);
    },
    async ackPending(id, count) {
      if (count > 0) await redis.ltrim(`${incKey(id)}:pending`, count, -1);
    },
    async routeOutcome(route, jobId, ok) {
      const [counted, fails] = (await redis.eval(OUTCOME_LUA, 2, `${p}:route:${route}:outcome:${jobId}`, `${p}:route:${route}:fails`, ok ? '1' : '0', String(TTL_SECONDS))) as [number, number];
      return { counted: counted === 1, consecutiveFailures: Number(fails) };
    },
    async setBreaker(route, open) {
      const key = `${p}:route:${route}:breaker`;
      if (open) return (await redis.set(key, '1', 'NX')) === 'OK';
      return (await redis.del(key)) === 1;
    },
    async breakerOpen(route) {
      return (await redis.exists(`${p}:route:${route}:breaker`)) === 1;
    },
    async spendBudget(route, target, max, windowMs) {
      return ((await redis.eval(BUDGET_LUA, 1, `${p}:budget:${route}:${shortHash(target)}`, String(max), String(windowMs))) as number) === 1;
    },
  };
}

/** Refused payloads, newest first, at most `max` (LPUSH + LTRIM in one MULTI). */
export function createDeadLetters(redis: Redis, prefix: string, max: number) {
  const key = `${prefix}:alerts:dead`;
  return {
    async add(entry: DeadLetterEntry): Promise<void> {
      if (max <= 0) return;
      await redis.multi().lpush(key, JSON.stringify(entry)).ltrim(key, 0, max - 1).exec();
    },
    async list(limit = 50): Promise<DeadLetterEntry[]> {
      return (await redis.lrange(key, 0, limit - 1)).map((s) => JSON.parse(s) as DeadLetterEntry);
    },
  };
}

/** Message ids already processed (SNS), shared by replicas. */
export function createReplayGuard(redis: Redis, prefix: string): ReplayGuard {
  const key = (id: string) => `${prefix}:alerts:seen:${shortHash(id)}`;
  return {
    async seen(id) {
      return (await redis.exists(key(id))) === 1;
    },
    async remember(id, ttlMs) {
      await redis.set(key(id), '1', 'PX', Math.max(1000, Math.round(ttlMs)));
    },
  };
}

/**
 * Calls `onOutcome` when a runbook job finishes or fails for good. QueueEvents reads Redis streams, so it sees
 * jobs run by worker replicas too; every listener sees every event, hence `routeOutcome` counts once per job.
 */
export function watchRunbookOutcomes(
  connection: Redis,
  runbooks: Queue<RunbookJobData, JobResult>,
  onOutcome: (o: { jobId: string; data: RunbookJobData; ok: boolean; error?: string }) => Promise<void>,
  onError: (err: unknown) => void,
): { close(): Promise<void> } {
  const events = new QueueEvents(runbooks.name, { connection, prefix: runbooks.opts.prefix });
  const handle = async (jobId: string, ok: boolean, error?: string) => {
    try {
      const job = await runbooks.getJob(jobId);
      if (job) await onOutcome({ jobId, data: job.data, ok, error });
    } catch (e) {
      onError(e);
    }
  };
  events.on('completed', ({ jobId }) => void handle(jobId, true));
  events.on('failed', ({ jobId, failedReason }) => void handle(jobId, false, failedReason));
  events.on('error', onError);
  return { close: () => events.close() };
}

// --- the `alerts` queue ------------------------------------------------------------------------------------

export const ALERTS_QUEUE = 'alerts';

/** One normalized alert, or the follow-up that announces what joined an incident since its last one. */
export type AlertJobData = { type: 'alert'; alert: Alert } | { type: 'follow-up'; incidentId: string };

const KEEP = { removeOnComplete: { age: 7 * 24 * 3600, count: 5000 }, removeOnFail: { age: 14 * 24 * 3600, count: 5000 } };

export interface AlertsQueue {
  queue: Queue<AlertJobData, void>;
  /** Durable and idempotent: resolves once Redis holds a job for every alert (ids derive from delivery keys). */
  enqueue(alerts: Alert[]): Promise<{ created: number; duplicates: number }>;
  /** One follow-up per incident and batch interval, run after `delayMs`. */
  scheduleFollowUp(incidentId: string, delayMs: number, now: number): Promise<void>;
  close(): Promise<void>;
}

export function alertJobId(alert: Pick<Alert, 'deliveryKey'>): string {
  return `al-${shortHash(alert.deliveryKey)}`;
}

export function createAlertsQueue(connection: Redis, prefix: string): AlertsQueue {
  const queue = new Queue<AlertJobData, void>(ALERTS_QUEUE, {
    connection,
    prefix,
    defaultJobOptions: { attempts: 6, backoff: { type: 'exponential', delay: 1000 }, ...KEEP },
  });
  const seenKey = (id: string) => `${prefix}:alerts:queued:${id}`;
  return {
    queue,
    async enqueue(alerts) {
      const ids = alerts.map(alertJobId);
      // BullMQ's add is a no-op for an existing job id, atomically: retries and storms add nothing. A single add is
      // ~5x cheaper than addBulk (one script, no MULTI), and most payloads carry one alert.
      const added =
        alerts.length === 1
          ? queue.add('alert', { type: 'alert', alert: alerts[0]! }, { jobId: ids[0] })
          : queue.addBulk(alerts.map((alert, i) => ({ name: 'alert', data: { type: 'alert' as const, alert }, opts: { jobId: ids[i] } })));
      // Counting only (the answer tells the sender): the first marker per delivery wins. Sent alongside the add,
      // so both share the round trip; the answer still waits for the add.
      const marked = Promise.all(ids.map((id) => connection.set(seenKey(id), '1', 'EX', 24 * 3600, 'NX')));
      const [, marks] = await Promise.all([added, marked]);
      const created = marks.filter((r) => r === 'OK').length;
      return { created, duplicates: alerts.length - created };
    },
    async scheduleFollowUp(incidentId, delayMs, now) {
      const bucket = Math.floor(now / Math.max(1, delayMs));
      await queue.add('follow-up', { type: 'follow-up', incidentId }, { jobId: `fu-${incidentId}-${bucket}`, delay: delayMs, attempts: 12, backoff: { type: 'exponential', delay: 500 } });
    },
    close: () => queue.close(),
  };
}

export function startAlertsWorker(opts: {
  connection: Redis;
  prefix: string;
  log: Logger;
  concurrency?: number;
  handle: (data: AlertJobData, jobId: string) => Promise<void>;
  /** Failures retrying cannot fix (the use-case's own non-retryable errors). */
  isPermanent?: (e: unknown) => boolean;
}): Worker<AlertJobData, void> {
  // Tracked only to know when it is idle at shutdown (src/queue/drain.ts); alert jobs are not handed back.
  const active = new ActiveJobs({ handBack: false });
  const w = new Worker<AlertJobData, void>(
    ALERTS_QUEUE,
    active.wrap(async (job: Job<AlertJobData, void>) => {
      try {
        await opts.handle(job.data, job.id!);
      } catch (e) {
        throw opts.isPermanent?.(e) ? new UnrecoverableError((e as Error).message) : e;
      }
    }),
    { connection: opts.connection, prefix: opts.prefix, concurrency: opts.concurrency ?? 8 },
  );
  w.on('error', (err) => opts.log.error({ err, queue: ALERTS_QUEUE }, 'worker error'));
  w.on('failed', (job, err) => opts.log.warn({ jobId: job?.id, attemptsMade: job?.attemptsMade, err: err.message }, 'alert job failed'));
  return active.attach(w);
}
