import type { Redis } from 'ioredis';
import type { ApprovalRecord, ApprovalStore, DecisionOutcome } from '../core/approval.js';

const KEEP_SECONDS = 30 * 24 * 3600;

/*
 * The record (what will run) is stored once and never changes; the decision state lives in a hash that only the
 * Lua scripts below modify, so two people pressing at once are serialised by Redis and the first decision wins.
 */
const DECIDE = `
local st = KEYS[1]
if redis.call('EXISTS', st) == 0 then return {'missing'} end
local status = redis.call('HGET', st, 'status')
if status ~= 'pending' then return {'not-pending'} end
local by, decision, now, note, via = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[6]
if now >= tonumber(redis.call('HGET', st, 'expiresAt')) then return {'expired'} end
if by == redis.call('HGET', st, 'requester') then return {'self'} end
if decision == 'reject' then
  redis.call('HSET', st, 'status', 'rejected', 'decidedBy', by, 'decisionNote', note, 'decidedAt', ARGV[3], 'decidedVia', via)
  redis.call('SREM', KEYS[2], ARGV[5])
  return {'rejected'}
end
local approvals = redis.call('HGET', st, 'approvals')
for a in string.gmatch(approvals, '[^\\n]+') do if a == by then return {'duplicate'} end end
if approvals == '' then approvals = by else approvals = approvals .. '\\n' .. by end
local count = 0
for _ in string.gmatch(approvals, '[^\\n]+') do count = count + 1 end
redis.call('HSET', st, 'approvals', approvals)
if count >= tonumber(redis.call('HGET', st, 'needed')) then
  redis.call('HSET', st, 'status', 'approved', 'decidedBy', by, 'decidedAt', ARGV[3], 'decidedVia', via)
  redis.call('SREM', KEYS[2], ARGV[5])
  return {'approved'}
end
return {'recorded'}
`;

const CLOSE = `
if redis.call('HGET', KEYS[1], 'status') ~= 'pending' then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'decidedBy', ARGV[2], 'decidedAt', ARGV[4])
redis.call('SREM', KEYS[2], ARGV[3])
return 1
`;

export function createRedisApprovalStore(redis: Redis, prefix: string): ApprovalStore {
  const rec = (id: string) => `${prefix}:approval:${id}`;
  const state = (id: string) => `${prefix}:approval:${id}:state`;
  const pending = `${prefix}:approvals:pending`;
  const byJob = (jobId: string) => `${prefix}:approval-by-job:${jobId}`;
  // A one-element list once the outcome is told: waiters block on it with BLMOVE onto itself (nothing consumed).
  const told = (id: string) => `${prefix}:approval:${id}:told`;

  async function get(id: string): Promise<ApprovalRecord | undefined> {
    const [raw, st] = await Promise.all([redis.get(rec(id)), redis.hgetall(state(id))]);
    if (!raw || !st.status) return undefined;
    const base = JSON.parse(raw) as ApprovalRecord;
    return {
      ...base,
      status: st.status as ApprovalRecord['status'],
      approvals: st.approvals ? st.approvals.split('\n') : [],
      decidedBy: st.decidedBy || undefined,
      decidedAt: st.decidedAt ? Number(st.decidedAt) : undefined,
      decidedVia: st.decidedVia || undefined,
      decisionNote: st.decisionNote || undefined,
    };
  }

  return {
    async create(r) {
      await redis
        .multi()
        .set(rec(r.id), JSON.stringify({ ...r, status: 'pending', approvals: [] }), 'EX', KEEP_SECONDS)
        .hset(state(r.id), { status: 'pending', approvals: '', requester: r.requester, needed: String(r.needed), expiresAt: String(r.expiresAt), decidedBy: '', decisionNote: '' })
        .expire(state(r.id), KEEP_SECONDS)
        .sadd(pending, r.id)
        .set(byJob(r.jobId), r.id, 'EX', KEEP_SECONDS)
        .exec();
    },
    get,
    async decide(id, d) {
      const [outcome] = (await redis.eval(DECIDE, 2, state(id), pending, d.by, d.decision, String(d.now), d.note ?? '', id, d.via ?? '')) as [DecisionOutcome];
      return { outcome, record: await get(id) };
    },
    async close(id, status, by, now) {
      const changed = (await redis.eval(CLOSE, 2, state(id), pending, status, by ?? '', id, String(now))) as number;
      return changed === 1 ? get(id) : undefined;
    },
    async listPending() {
      const ids = await redis.smembers(pending);
      const recs = await Promise.all(ids.map(get));
      return recs.filter((r): r is ApprovalRecord => !!r && r.status === 'pending').sort((a, b) => a.createdAt - b.createdAt);
    },
    async findByJob(jobId) {
      const id = await redis.get(byJob(jobId));
      return id ? get(id) : undefined;
    },
    async announce(id) {
      await redis.multi().del(told(id)).rpush(told(id), '1').expire(told(id), KEEP_SECONDS).exec();
    },
    async awaitAnnouncement(id, timeoutMs, now) {
      if ((await redis.llen(told(id))) > 0) return true;
      const decidedAt = Number(await redis.hget(state(id), 'decidedAt'));
      // Closed long ago (or by a path that tells nobody, or before this existed): nothing to wait for.
      const left = decidedAt > 0 ? decidedAt + timeoutMs - now : 0;
      if (left <= 0) return false;
      // A blocking command needs its own connection: on the shared one it would stall every other command.
      // Queue the command until connected (the producer connection fails fast instead, which a fresh one would).
      const conn = redis.duplicate({ enableOfflineQueue: true, lazyConnect: false });
      // Failures reach the caller through the command's rejection; this only keeps ioredis from logging them twice.
      conn.on('error', () => undefined);
      try {
        return (await conn.blmove(told(id), told(id), 'RIGHT', 'LEFT', Math.max(0.01, left / 1000))) !== null;
      } finally {
        conn.disconnect();
      }
    },
  };
}
