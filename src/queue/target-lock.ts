import type { Redis } from 'ioredis';

/**
 * One lock per target (instance, JVM, database, cluster), shared by manual and automatic jobs. All keys of a job are
 * taken together or not at all (one Lua script, so two jobs can never each hold half), each with a TTL so a crashed
 * worker's lock expires, and a fencing token (INCR) the holder can hand to whatever it writes so a late, expired
 * holder can be told apart from the current one. Renewal and release act only while the caller still owns the key.
 * Redis Cluster: all keys of one call must share a hash slot, so put a hash tag in the prefix (`medic:{locks}:`).
 */

import type { LockOwner, TargetLocks } from '../core/locks.js';

export type { AcquireResult, HeldLock, LockHolder, LockOwner, TargetLocks } from '../core/locks.js';

// KEYS: the lock keys, then the fencing counter. ARGV: ttl ms, owner JSON.
// Returns {0, index of the held key, its value} or {1, token}.
const ACQUIRE = `
local n = #KEYS - 1
for i = 1, n do
  local v = redis.call('GET', KEYS[i])
  if v then return {0, i, v} end
end
local token = redis.call('INCR', KEYS[#KEYS])
local value = token .. ' ' .. ARGV[2]
for i = 1, n do
  redis.call('SET', KEYS[i], value, 'PX', ARGV[1])
end
return {1, token}
`;

// KEYS: lock keys. ARGV: token, ttl ms. Returns how many keys are still ours (and were extended).
const RENEW = `
local prefix = ARGV[1] .. ' '
local owned = 0
for i = 1, #KEYS do
  local v = redis.call('GET', KEYS[i])
  if v and string.sub(v, 1, #prefix) == prefix then
    redis.call('PEXPIRE', KEYS[i], ARGV[2])
    owned = owned + 1
  end
end
return owned
`;

// KEYS: lock keys. ARGV: token. Deletes only the keys whose value carries this token.
const RELEASE = `
local prefix = ARGV[1] .. ' '
local deleted = 0
for i = 1, #KEYS do
  local v = redis.call('GET', KEYS[i])
  if v and string.sub(v, 1, #prefix) == prefix then
    redis.call('DEL', KEYS[i])
    deleted = deleted + 1
  end
end
return deleted
`;

export const DEFAULT_LOCK_TTL_MS = 60_000;

export function createTargetLocks(redis: Redis, opts: { prefix: string; ttlMs?: number }): TargetLocks {
  const ttl = opts.ttlMs ?? DEFAULT_LOCK_TTL_MS;
  const lockKey = (k: string): string => `${opts.prefix}lock:${k}`;
  const fenceKey = `${opts.prefix}fence`;

  return {
    async acquire(keys, owner) {
      // Sorted and unique: the same set of targets always maps to the same keys in the same order.
      const targets = [...new Set(keys)].sort();
      if (targets.length === 0) throw new Error('acquire needs at least one target key');
      const reply = (await redis.eval(ACQUIRE, targets.length + 1, ...targets.map(lockKey), fenceKey, String(ttl), JSON.stringify({ jobId: owner.jobId, requestedBy: owner.requestedBy }))) as [number, number, string?];
      if (reply[0] === 0) {
        const key = targets[reply[1] - 1]!;
        return { ok: false, holder: { key, ...parseValue(reply[2] ?? '') } };
      }
      const token = Number(reply[1]);
      const redisKeys = targets.map(lockKey);
      return {
        ok: true,
        token,
        renew: async () => Number(await redis.eval(RENEW, redisKeys.length, ...redisKeys, String(token), String(ttl))) === redisKeys.length,
        release: async () => {
          await redis.eval(RELEASE, redisKeys.length, ...redisKeys, String(token));
        },
      };
    },
    async holderOf(key) {
      const v = await redis.get(lockKey(key));
      return v === null ? null : { key, ...parseValue(v) };
    },
  };
}

function parseValue(v: string): { jobId: string; requestedBy: string; token?: number } {
  const space = v.indexOf(' ');
  const token = Number(v.slice(0, space));
  try {
    const o = JSON.parse(v.slice(space + 1)) as Partial<LockOwner>;
    return { jobId: String(o.jobId ?? 'unknown'), requestedBy: String(o.requestedBy ?? 'unknown'), ...(Number.isFinite(token) ? { token } : {}) };
  } catch {
    return { jobId: 'unknown', requestedBy: 'unknown' };
  }
}
